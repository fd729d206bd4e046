"""The controller's webhook over real HTTP: whatever is not signed with the secret is refused
with 401 and triggers nothing, even with a new commit waiting; a correctly signed push does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from reconciler.adapters.sources.factory import open_source
from reconciler.engine.running import Controller
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.reliability.figures import Figures
from tests.reliability.fleet import last_seq, mutating
from tests.reliability.gitrepo import FleetRepo

SECRET = b"reliability-webhook-secret"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "f" * 40}).encode()


def _hmac(body: bytes, digest: str = "sha256", secret: bytes = SECRET) -> str:
    # Computed the way GitHub documents it, independently of the code under test.
    return f"{digest}=" + hmac.new(secret, body, getattr(hashlib, digest)).hexdigest()


def _github(signature: str | None, *, header: str = "X-Hub-Signature-256") -> dict[str, str]:
    headers = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
    if signature is not None:
        headers[header] = signature
    return headers


REFUSED: dict[str, tuple[bytes, dict[str, str]]] = {
    "no signature": (PUSH, _github(None)),
    "another secret": (PUSH, _github(_hmac(PUSH, secret=b"not-the-secret"))),
    "the signature of another body": (PUSH, _github(_hmac(PUSH.replace(b"main", b"prod")))),
    "a truncated signature": (PUSH, _github(_hmac(PUSH)[:-1])),
    "a signature that is not hex": (PUSH, _github("sha256=" + "z" * 64)),
    "an empty signature": (PUSH, _github("")),
    "the legacy SHA-1 header only": (PUSH, _github(_hmac(PUSH, "sha1"), header="X-Hub-Signature")),
    "the secret itself as signature": (PUSH, _github(SECRET.decode())),
    "GitLab, wrong token": (PUSH, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "wrong"}),
    "GitLab, empty token": (PUSH, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": ""}),
    "generic sender, unsigned": (b"", {}),
}  # fmt: skip


@dataclass(frozen=True)
class Running:
    controller: Controller
    repo: FleetRepo


@pytest.fixture
def running(seeded: AwsTestContext, specs: Path, tmp_path: Path) -> Iterator[Running]:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    settings = ReconcilerSettings(
        http_host="127.0.0.1", http_port=0, poll_interval=3600, resync_interval=3600,
        lock="none", cache_dir=tmp_path / "cache",
    )  # fmt: skip
    with repo.over_http() as (url, credentials):
        source = open_source(
            url, path="deploy-specs", cache_dir=tmp_path / "cache" / "sources",
            credentials=credentials,
        )  # fmt: skip
        controller = Controller(settings=settings, source=source, webhook_secret=SECRET)
        controller.start()
        try:
            yield Running(controller, repo)
        finally:
            controller.stop()


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("not reached in time")


def test_unsigned_or_wrongly_signed_webhooks_get_401_and_trigger_nothing(
    running: Running, seeded: AwsTestContext, figures: Figures
) -> None:
    controller = running.controller
    assert controller.http is not None
    url = f"{controller.http.url}/webhook"
    _wait(lambda: controller.status.snapshot()["ready"])
    waiting = running.repo.edit(
        "groups/camera-prod.yaml", "InferenceInterval: 300", "InferenceInterval: 30"
    )
    cycles = controller.status.snapshot()["cycles"]
    since = last_seq(seeded)

    answers = {
        what: requests.post(url, data=body, headers=headers, timeout=10).status_code
        for what, (body, headers) in REFUSED.items()
    }
    time.sleep(1.0)  # a queued cycle would have started by now
    accepted = {what: code for what, code in answers.items() if code != 401}
    figures.add("unsigned_webhooks_accepted", len(accepted))
    assert accepted == {}
    assert controller.status.snapshot()["cycles"] == cycles
    assert mutating(seeded, since) == []
    assert controller.status.snapshot()["lastAppliedCommit"] != waiting

    # The positive control: the same push, signed, is queued and the waiting commit applied.
    signed = requests.post(url, data=PUSH, headers=_github(_hmac(PUSH)), timeout=10)
    assert signed.status_code == 202, signed.text
    _wait(lambda: controller.status.snapshot()["lastAppliedCommit"] == waiting)
    assert mutating(seeded, since) == ["greengrassv2:CreateDeployment"]
