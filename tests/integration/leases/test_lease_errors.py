"""What a misconfigured lease store tells the operator: permanent errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.leases import FileLease, KubernetesLease, LeaseError, S3Lease
from reconciler.retrying import RetryPolicy
from tests.integration.leases.conftest import K8S_NAMESPACE, REGION
from tests.integration.leases.fake_kubernetes import FakeKubernetes


def test_a_kubernetes_token_without_rights_names_the_permission_to_grant(
    fake_kubernetes: FakeKubernetes, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("a-token-the-server-does-not-know")
    lease = KubernetesLease(
        name="leader",
        namespace=K8S_NAMESPACE,
        api_url=fake_kubernetes.url,
        token_file=token,
        ca_file=None,
        identity="replica-a",
        duration=1,
    )

    with pytest.raises(LeaseError, match="get, create and update on leases") as caught:
        lease.try_acquire()
    assert caught.value.temporary is False


def test_a_missing_service_account_token_is_reported_with_its_path(
    fake_kubernetes: FakeKubernetes, tmp_path: Path
) -> None:
    lease = KubernetesLease(
        name="leader",
        namespace=K8S_NAMESPACE,
        api_url=fake_kubernetes.url,
        token_file=tmp_path / "missing-token",
        ca_file=None,
        identity="replica-a",
        duration=1,
    )

    with pytest.raises(LeaseError, match="missing-token"):
        lease.try_acquire()


def test_an_unreachable_kubernetes_api_is_a_temporary_error() -> None:
    lease = KubernetesLease(
        name="leader",
        namespace=K8S_NAMESPACE,
        api_url="http://127.0.0.1:9",  # discard port: nothing listens
        token_file=None,
        ca_file=None,
        identity="replica-a",
        duration=1,
    )

    with pytest.raises(LeaseError, match="unreachable") as caught:
        lease.try_acquire()
    assert caught.value.temporary is True


def test_a_missing_lease_bucket_is_a_permanent_error_naming_it(moto_url: str) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    lease = S3Lease(
        clients=AwsClients(ClientSettings(region=REGION, endpoint_url=moto_url), session),
        caller=AwsCaller(retry=RetryPolicy(max_attempts=1, initial_backoff=0, max_backoff=0)),
        bucket="no-such-lease-bucket",
        key="leader.json",
        identity="replica-a",
        duration=1.0,
    )

    with pytest.raises(LeaseError, match="'no-such-lease-bucket' does not exist") as caught:
        lease.try_acquire()
    assert caught.value.temporary is False


def test_a_lease_file_in_an_unwritable_place_is_a_permanent_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    lease = FileLease(blocker / "leader.lease", "replica-a", 1.0)

    with pytest.raises(LeaseError, match="cannot open the lease file") as caught:
        lease.try_acquire()
    assert caught.value.temporary is False


def test_a_corrupt_lease_file_counts_as_free(tmp_path: Path) -> None:
    path = tmp_path / "leader.lease"
    path.write_text("{half a record")

    lease = FileLease(path, "replica-a", 1.0)

    assert lease.try_acquire() is True
    record = lease.holder()
    assert record is not None
    assert record.holder == "replica-a"
