"""Fixtures: the three lease stores, each real: a file, moto's S3 server, a fake Kubernetes API.

`backend` is parametrized over the three kinds so that every property is checked on each;
`network_backend` only over the two reached through the network (partition tests).
Durations are short (1 s, grace 0.25 s) to keep the suites fast.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.leases import FileLease, KubernetesLease, Lease, S3Lease
from reconciler.retrying import RetryPolicy
from tests.integration.leases.fake_kubernetes import FakeKubernetes

DURATION = 1.0
GRACE = 0.25
REGION = "us-east-1"
K8S_TOKEN = "fake-service-account-token"
K8S_NAMESPACE = "controllers"
LEASE_NAME = "greengrass-reconciler"


@dataclass
class Backend:
    kind: str
    # make(identity, *, duration=DURATION, grace=GRACE, via=None, clock=time.time): `via`
    # replaces the store's URL (a proxy in front of it) for kinds reached over the network.
    make: Callable[..., Lease]
    url: str | None = None  # where the store listens, for kinds reached over the network


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # imported here: only the S3 tests need moto

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_backend(moto_url: str) -> Backend:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    bucket = f"leases-{uuid.uuid4().hex[:12]}"
    # The first S3 call of a session loads moto's S3 backend, slowly on a busy machine: the
    # bucket is created with default timeouts, the leases get short ones.
    AwsClients(ClientSettings(region=REGION, endpoint_url=moto_url), session).s3.create_bucket(
        Bucket=bucket
    )
    direct = AwsClients(_client_settings(moto_url), session)  # clients are thread-safe: share

    def make(
        identity: str,
        *,
        duration: float = DURATION,
        grace: float = GRACE,
        via: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Lease:
        return S3Lease(
            clients=AwsClients(_client_settings(via), session) if via else direct,
            # A lease retries briefly: a renewal must end well within a third of the duration.
            caller=AwsCaller(
                retry=RetryPolicy(max_attempts=2, initial_backoff=0.05, max_backoff=0.1)
            ),
            bucket=bucket,
            key="controller/leader.json",
            identity=identity,
            duration=duration,
            grace=grace,
            clock=clock,
        )

    return Backend("s3", make, moto_url)


def _client_settings(endpoint_url: str) -> ClientSettings:
    return ClientSettings(
        region=REGION, endpoint_url=endpoint_url, connect_timeout=1.0, read_timeout=3.0
    )


def _kubernetes_backend(fake: FakeKubernetes, token_file: Path) -> Backend:
    def make(
        identity: str,
        *,
        duration: float = DURATION,
        grace: float = GRACE,
        via: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Lease:
        return KubernetesLease(
            name=LEASE_NAME,
            namespace=K8S_NAMESPACE,
            api_url=via or fake.url,
            token_file=token_file,
            ca_file=None,
            identity=identity,
            duration=duration,
            grace=grace,
            clock=clock,
        )

    return Backend("kubernetes", make, fake.url)


def _file_backend(path: Path) -> Backend:
    def make(
        identity: str,
        *,
        duration: float = DURATION,
        grace: float = GRACE,
        via: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Lease:
        assert via is None, "a file lease has no network to route through"
        return FileLease(path, identity, duration, grace=grace, clock=clock)

    return Backend("file", make)


@pytest.fixture
def fake_kubernetes() -> Iterator[FakeKubernetes]:
    with FakeKubernetes(K8S_TOKEN) as server:
        yield server


@pytest.fixture
def k8s_token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(K8S_TOKEN + "\n")
    return path


def _backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if kind == "file":
        return _file_backend(tmp_path / "locks" / "leader.lease")
    if kind == "s3":
        return _s3_backend(request.getfixturevalue("moto_url"))
    return _kubernetes_backend(
        request.getfixturevalue("fake_kubernetes"), request.getfixturevalue("k8s_token_file")
    )


@pytest.fixture(params=["file", "s3", "kubernetes"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return _backend(request.param, request, tmp_path)


@pytest.fixture(params=["s3", "kubernetes"])
def network_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return _backend(request.param, request, tmp_path)
