"""Two `reconciler run` processes on one repository and one lock: only the leader writes.

Both controllers follow the same `file://` remote, poll every second and are alive throughout
(their /status shows cycles); they share a lock file (lock=file) or a lock object in the
emulator's S3 (lock=s3). Who wrote is read from each process' own AWS call counters (/metrics),
and checked against the emulator's request log and the deployments' history. Then the leader
stops, and the other one takes over and applies the next change: still one writer at a time.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import AwsTestContext
from tests.reliability.controllers import ControllerProcess
from tests.reliability.figures import Figures
from tests.reliability.fleet import latest_deployment, snapshot
from tests.reliability.gitrepo import FleetRepo

PROD = "groups/camera-prod.yaml"
LEASE_SECONDS = "6"  # renewed every 2 s; a stopped leader releases it, so no wait for expiry


def _lock_settings(lock: str, tmp_path: Path) -> dict[str, str]:
    settings = {"RECONCILER_LOCK": lock, "RECONCILER_LEASE_DURATION": LEASE_SECONDS}
    if lock == "file":
        settings["RECONCILER_LOCK_FILE"] = str(tmp_path / "shared" / "leader.lock")
    else:
        settings["RECONCILER_LOCK_BUCKET"] = "acme-greengrass-artifacts"
        settings["RECONCILER_LOCK_REGION"] = "us-east-1"
    return settings


def _prod_commit(aws: AwsTestContext) -> str | None:
    latest = latest_deployment(aws, "CameraFleetProd")
    return latest["tags"]["greengrass-reconciler/commit"] if latest else None


def _create_deployments(aws: AwsTestContext) -> int:
    return sum(1 for r in aws.admin.requests() if r.operation == "CreateDeployment")


@pytest.mark.slow
@pytest.mark.parametrize("lock", ["file", "s3"])
def test_two_controllers_on_one_repository_only_the_leader_writes(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures, lock: str
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    first = repo.head()
    env = _lock_settings(lock, tmp_path)
    controllers = [ControllerProcess(tmp_path / n, repo.url, env=env) for n in ("a", "b")]
    try:
        for controller in controllers:
            controller.wait_for(lambda: _prod_commit(seeded) == first, "the first sync", 90)
        change = repo.edit(PROD, "InferenceInterval: 300", "InferenceInterval: 120")
        controllers[0].wait_for(lambda: _prod_commit(seeded) == change, "the change applied", 60)
        # Time for a second writer to show itself, had it any: several polls of both.
        cycles = [c.status()["cycles"] for c in controllers]
        time.sleep(3)
        statuses = [c.status() for c in controllers]
        writes = [c.aws_calls("create_deployment") for c in controllers]
        leader = [s["leader"] for s in statuses].index(True)
        follower = 1 - leader

        assert [s["leader"] for s in statuses].count(True) == 1
        assert statuses[follower]["cycles"] > cycles[follower]  # alive and polling
        assert statuses[follower]["lastAppliedCommit"] is None
        assert writes[leader] == 3 and writes[follower] == 0
        assert _create_deployments(seeded) == 3
        assert snapshot(seeded).revisions == {"CameraFleetProd": 2, "CameraFleetStaging": 1}
        figures.add(f"writers_{lock}_lock", sum(1 for count in writes if count))

        # The leader stops (SIGTERM releases the lease); the other takes over the next change.
        assert controllers[leader].stop() == 0
        takeover = repo.edit(PROD, "InferenceInterval: 120", "InferenceInterval: 90")
        controllers[follower].wait_for(
            lambda: _prod_commit(seeded) == takeover, "the takeover's change applied", 60
        )
        assert controllers[follower].status()["leader"] is True
        assert controllers[follower].aws_calls("create_deployment") == 1
        assert _create_deployments(seeded) == 4
        assert snapshot(seeded).revisions == {"CameraFleetProd": 3, "CameraFleetStaging": 1}
    finally:
        for controller in controllers:
            controller.stop()
