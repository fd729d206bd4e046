"""Rollouts in waves (issue 14 items 1 and 2), end to end against the emulator's fleet through
boto3 over HTTP on a virtual clock: a canary subdeployment, gates, bakes, a halt with revert,
a newer commit restarting the waves, gate state across a restart, and an approval."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest
from click.testing import CliRunner

from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.server import ControllerHttpServer
from reconciler.adapters.http.stops import StopHandler
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.cli import main
from reconciler.core.events import EventKind
from reconciler.engine.reconciling import Reconciler
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    RecordingPublisher,
    fleet_repo,
    reconciler,
    step,
)

PROD, STAGING, CANARY = "CameraFleetProd", "CameraFleetStaging", "CameraFleetCanary"
ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/"
MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"
MODEL = "overrides/models/DLR-resnet18-x86_64-cpu-ImageClassification.tar.gz"
CANARY_DEVICES = ["prod-01", "prod-02", "prod-03"]
FLEET = """
generate:
  - {group: CameraFleetProd, count: 10, namePrefix: prod-, alsoIn: {CameraFleetCanary: 3}}
  - {group: CameraFleetStaging, count: 4, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""
ROLLOUT = """\
apiVersion: greengrass-reconciler/v1
kind: Rollout
metadata: {name: camera-models}
spec:
  waves:
    - name: canary
      canary: {parent: CameraFleetProd, group: CameraFleetCanary}
      gate: {minDevices: 3, successRatio: 1.0, bake: 10m}
    - name: staging
      targets: [CameraFleetStaging]
      gate: {successRatio: 1.0, bake: 20m}
    - name: production
      targets: [CameraFleetProd]
  onFailure: revert
"""
TOKEN = "approve-token-0123456789"
# Staging's gate also watches the errors its devices report to CloudWatch; a silent metric
# passes (the model reports errors only when it has some).
METRIC_GATE = """\
      gate:
        successRatio: 1.0
        bake: 20m
        metrics:
          - namespace: Acme/Camera
            metricName: InferenceErrors
            dimensions: {ThingGroup: CameraFleetStaging}
            statistic: Sum
            period: 5m
            comparison: GreaterThanThreshold
            threshold: 5
            over: 30m
            treatMissingData: notBreaching
"""


@pytest.fixture
def fleet(seeded: AwsTestContext) -> AwsTestContext:
    seeded.admin.set_clock("virtual")
    seeded.admin.load_fleet(FLEET)
    return seeded


@pytest.fixture
def clock(fleet: AwsTestContext) -> ManualClock:
    return ManualClock(float(fleet.admin.clock()["now"]))


def _write(repo: git.Repo, relative: str, content: str | bytes, message: str) -> str:
    path = Path(repo.working_dir) / "deploy-specs" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    repo.index.add([str(path)])
    return repo.index.commit(message).hexsha


def _new_model(repo: git.Repo, marker: str) -> str:
    """A commit with a new model: the override's artifact changes, so the planner publishes
    the model store's next patch version, which every camera group takes."""
    path = Path(repo.working_dir) / "deploy-specs" / MODEL
    return _write(repo, MODEL, path.read_bytes() + marker.encode(), f"model {marker}")


def _latest(aws: AwsTestContext) -> dict[str, dict[str, Any]]:
    gg = aws.client("greengrassv2")
    listed = gg.list_deployments(historyFilter="LATEST_ONLY")["deployments"]
    return {
        str(d["targetArn"]).rpartition("/")[2]: dict(
            gg.get_deployment(deploymentId=d["deploymentId"])
        )
        for d in listed
    }


def _model_version(deployment: dict[str, Any]) -> str:
    return str(deployment["components"][MODEL_STORE]["componentVersion"])


class Drive:
    """Moves the emulator's and the controller's clocks together and runs full cycles."""

    def __init__(self, aws: AwsTestContext, clock: ManualClock, rec: Reconciler) -> None:
        self.aws, self.clock, self.rec = aws, clock, rec

    def cycle(self) -> None:
        outcome = self.rec.reconcile("waves", full=True)
        assert outcome.result == "success", outcome.message

    def until(
        self, done: Callable[[], bool], *, limit: float = 7200.0, every: float = 30.0
    ) -> float:
        """Step and cycle until `done()`; the virtual seconds it took."""
        waited = 0.0
        self.cycle()
        while not done():
            assert waited < limit, json.dumps(self.rec.status.snapshot()["rollouts"], indent=1)
            step(self.aws, self.clock, self.rec.rollouts, every)
            waited += every
            self.cycle()
        return waited

    def rollout(self) -> dict[str, Any]:
        return dict(self.rec.status.snapshot()["rollouts"]["camera-models"])

    def sync(self, group: str) -> tuple[str, str | None]:
        target = self.rec.status.snapshot()["targets"][group]
        return target["sync"], target["reason"]


def _rolled_out(
    aws: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock, rollout: str = ROLLOUT
) -> Any:
    """The sample specs with the Rollout, rolled out to every wave (the first change)."""
    staging = specs / "groups" / "camera-staging.yaml"
    pinned = "    variant.DLR.ImageClassification.ModelStore:\n      version: 2.1.9\n"
    assert pinned in staging.read_text()
    # Staging takes the team's model too, so that a new model is a change of every wave.
    staging.write_text(staging.read_text().replace(pinned, f"    {MODEL_STORE}: {{}}\n"))
    repo = fleet_repo(tmp_path / "fleet", specs)
    _write(repo, "rollouts/camera-models.yaml", rollout, "roll out camera models in waves")
    events = RecordingPublisher()
    rec = reconciler(repo, tmp_path / "cache", clock, events, on_clock=True)
    drive = Drive(aws, clock, rec)
    drive.until(lambda: drive.rollout()["phase"] == "Completed")
    return repo, rec, drive, events


def test_a_good_model_goes_canary_then_staging_then_production_each_after_its_gate(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    repo, _rec, drive, _ = _rolled_out(fleet, tmp_path, specs, clock)
    before = _latest(fleet)
    assert before[CANARY]["parentTargetArn"] == ARN + PROD  # the canary is a subdeployment
    old = _model_version(before[PROD])
    _new_model(repo, "good")

    # The cycle of the commit deploys the canary only, as a subdeployment of the parent's
    # revision; staging and production wait for the canary's gate.
    fleet.admin.clear_requests()
    drive.cycle()
    created = [r for r in fleet.admin.requests() if r.operation == "CreateDeployment"]
    assert len(created) == 1
    latest = _latest(fleet)
    canary = latest[CANARY]
    assert canary["targetArn"] == ARN + CANARY and canary["parentTargetArn"] == ARN + PROD
    new = _model_version(canary)
    assert new != old
    assert _model_version(latest[PROD]) == old and _model_version(latest[STAGING]) == old
    assert drive.sync(STAGING)[0] == "Waiting"
    assert drive.sync(PROD) == ("Waiting", drive.sync(STAGING)[1])
    assert "wave canary" in str(drive.sync(PROD)[1])
    assert drive.rollout()["phase"] == "Progressing"

    # The canary's 3 devices take it, then its gate bakes 10 minutes before staging goes.
    took = drive.until(lambda: _model_version(_latest(fleet)[STAGING]) == new)
    assert took >= 600
    assert _model_version(_latest(fleet)[PROD]) == old
    assert drive.rollout()["waves"][0]["passed"] is True
    assert "baking" in str(drive.sync(PROD)[1]) or "wave staging" in str(drive.sync(PROD)[1])

    # Staging's gate (4 devices, 20 minutes' bake), then production.
    took = drive.until(lambda: _model_version(_latest(fleet)[PROD]) == new)
    assert took >= 1200
    drive.until(lambda: drive.rollout()["phase"] == "Completed")
    assert [w["passed"] for w in drive.rollout()["waves"]] == [True, True, True]
    for group in (PROD, STAGING, CANARY):
        assert drive.sync(group) == ("Synced", None)
    for device in [*CANARY_DEVICES, "prod-10", "staging-1"]:
        installed = fleet.admin.device(device)["installedComponents"]
        assert installed[MODEL_STORE]["version"] == new, device

    # Done: later cycles create nothing; a plan targeted at the parent reads its canary too.
    fleet.admin.clear_requests()
    drive.cycle()
    assert mutating_calls(fleet) == []
    targeted = CliRunner().invoke(
        main,
        ["plan", "--specs", str(Path(repo.working_dir) / "deploy-specs"), "--target", PROD],
        catch_exceptions=False,
    )
    assert targeted.exit_code == 0, targeted.output  # 0: no changes (the canary included)


def test_a_failing_canary_halts_reverts_and_tells_once(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    repo, rec, drive, events = _rolled_out(fleet, tmp_path, specs, clock)
    before = _latest(fleet)
    old = _model_version(before[PROD])
    fleet.admin.set_failures(
        [
            {
                "component": MODEL_STORE,
                "version": f">{old}",
                "devices": CANARY_DEVICES,
                "phase": "install",
            }
        ]
    )
    _new_model(repo, "bad")
    drive.until(lambda: drive.rollout()["phase"] == "Halted")

    rollout = drive.rollout()
    assert rollout["currentWave"] == "canary"
    assert "wave canary failed its gate" in rollout["reason"]
    assert sorted(rollout["failingDevices"]) == CANARY_DEVICES
    latest = _latest(fleet)
    # Production and staging got no new deployment; the canary went back to the parent's
    # revision (a new subdeployment with the old model).
    assert latest[PROD]["deploymentId"] == before[PROD]["deploymentId"]
    assert latest[STAGING]["deploymentId"] == before[STAGING]["deploymentId"]
    assert latest[CANARY]["deploymentId"] != before[CANARY]["deploymentId"]
    assert _model_version(latest[CANARY]) == old
    assert latest[CANARY]["parentTargetArn"] == ARN + PROD
    for group in (PROD, STAGING, CANARY):
        state, reason = drive.sync(group)
        assert state == "Halted" and "rollout camera-models halted" in str(reason), group
    halts = [e for e in events.events if e.kind is EventKind.ROLLOUT_HALTED]
    assert len(halts) == 1
    assert halts[0].details["rollout"] == "camera-models"
    assert sorted(d["device"] for d in halts[0].details["failing"]) == CANARY_DEVICES  # type: ignore[union-attr,index]
    assert [r["thingGroup"] for r in halts[0].details["reverted"]] == [CANARY]  # type: ignore[union-attr,index]

    # The canary's devices run the old model again; later cycles keep the halt, quietly.
    drive.until(
        lambda: all(
            fleet.admin.device(d)["installedComponents"][MODEL_STORE]["version"] == old
            for d in CANARY_DEVICES
        ),
        every=15,
    )
    fleet.admin.clear_requests()
    for _ in range(3):
        step(fleet, clock, rec.rollouts, 600)
        drive.cycle()
    assert mutating_calls(fleet) == []
    assert len([e for e in events.events if e.kind is EventKind.ROLLOUT_HALTED]) == 1
    assert drive.rollout()["phase"] == "Halted"

    # /status over HTTP shows it.
    server = ControllerHttpServer(
        host="127.0.0.1",
        port=0,
        probes=Probes(healthy=lambda: True, ready=lambda: True, status=rec.status.snapshot),
        webhook=None,
        metrics=ControllerMetrics(rollout_max_groups=10),
    )
    server.start()
    try:
        with urllib.request.urlopen(server.url + "/status", timeout=10) as answer:
            served = json.loads(answer.read())
    finally:
        server.stop()
    assert served["rollouts"]["camera-models"]["phase"] == "Halted"
    assert sorted(served["rollouts"]["camera-models"]["failingDevices"]) == CANARY_DEVICES
    assert served["targets"][PROD]["sync"] == "Halted"

    # `reconciler status` shows it, from the controller's cache dir.
    result = CliRunner().invoke(
        main,
        [
            "status",
            "--specs",
            str(Path(repo.working_dir) / "deploy-specs"),
            "--format",
            "json",
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        catch_exceptions=False,
    )
    document = json.loads(result.stdout)
    shown = document["rollouts"]["camera-models"]
    assert shown["phase"] == "Halted" and sorted(shown["failingDevices"]) == CANARY_DEVICES
    table = CliRunner().invoke(
        main,
        [
            "status",
            "--specs",
            str(Path(repo.working_dir) / "deploy-specs"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        catch_exceptions=False,
    )
    assert "camera-models  Halted" in table.stdout
    assert "prod-01" in table.stdout

    # A restarted controller keeps the halt (the gate state is in the cache dir).
    restarted = reconciler(repo, tmp_path / "cache", clock, events, on_clock=True)
    fleet.admin.clear_requests()
    assert restarted.reconcile("startup", full=True).result == "success"
    assert mutating_calls(fleet) == []
    assert restarted.status.snapshot()["rollouts"]["camera-models"]["phase"] == "Halted"
    assert len([e for e in events.events if e.kind is EventKind.ROLLOUT_HALTED]) == 1


def test_a_newer_commit_restarts_the_waves_with_the_newer_change(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    repo, rec, drive, _ = _rolled_out(fleet, tmp_path, specs, clock)
    _new_model(repo, "first")
    drive.until(
        lambda: _model_version(_latest(fleet)[CANARY]) != _model_version(_latest(fleet)[PROD])
    )
    first = _model_version(_latest(fleet)[CANARY])
    first_change = drive.rollout()["change"]
    # While the canary bakes the first change, a newer commit arrives.
    step(fleet, clock, rec.rollouts, 120)
    _new_model(repo, "second")
    drive.cycle()
    second = _model_version(_latest(fleet)[CANARY])
    assert second != first
    assert drive.rollout()["change"] != first_change
    assert drive.rollout()["currentWave"] == "canary"
    assert [w["passed"] for w in drive.rollout()["waves"]] == [False, False, False]
    # Staging never takes the first change: it goes straight to the second after its gate.
    seen: set[str] = set()

    def staging_has_second() -> bool:
        seen.add(_model_version(_latest(fleet)[STAGING]))
        return _model_version(_latest(fleet)[STAGING]) == second

    drive.until(staging_has_second)
    assert first not in seen
    drive.until(lambda: drive.rollout()["phase"] == "Completed")
    assert {_model_version(d) for d in _latest(fleet).values()} == {second}


def test_gate_state_survives_a_restart_the_bake_goes_on(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    repo, rec, drive, _ = _rolled_out(fleet, tmp_path, specs, clock)
    _new_model(repo, "restart")
    drive.until(lambda: "baking until" in str(drive.sync(STAGING)[1]))
    baking = drive.rollout()["waves"][0]["bakeStartedAt"]
    assert baking is not None
    step(fleet, clock, rec.rollouts, 300)  # half the canary's bake

    restarted = reconciler(repo, tmp_path / "cache", clock, on_clock=True)
    again = Drive(fleet, clock, restarted)
    again.cycle()
    assert again.rollout()["waves"][0]["bakeStartedAt"] == baking  # not started over
    assert "baking until" in str(again.sync(STAGING)[1])
    # The controller wakes up for the bake's end (its resync may be far later); before it,
    # and with no device moving, it has no reason to run a cycle.
    waves = restarted.waves
    assert not waves.wants_cycle(clock.now + 10)
    assert waves.wants_cycle(float(baking) + 600)
    took = again.until(lambda: again.rollout()["currentWave"] == "staging", every=30)
    assert took <= 300 + 60  # the rest of the bake (and a poll), not a new 10 minutes


def test_an_approval_gate_waits_for_the_operator(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    repo, rec, drive, _ = _rolled_out(fleet, tmp_path, specs, clock)
    _write(
        repo,
        "rollouts/camera-models.yaml",
        ROLLOUT.replace("bake: 10m}", "bake: 10m, approval: true}"),
        "the canary needs an operator's approval",
    )
    _new_model(repo, "approved")
    drive.until(lambda: "approval" in str(drive.sync(STAGING)[1]))
    assert drive.sync(STAGING)[1] == (
        "waiting for wave canary's approval: reconciler approve camera-models canary"
    )
    for _ in range(3):  # it waits, however long
        step(fleet, clock, rec.rollouts, 1800)
        drive.cycle()
    assert drive.sync(STAGING)[0] == "Waiting"

    # Approved over HTTP with the bearer token, as `reconciler approve --controller` does.
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    changed: list[bool] = []
    server = ControllerHttpServer(
        host="127.0.0.1",
        port=0,
        probes=Probes(healthy=lambda: True, ready=lambda: True, status=rec.status.snapshot),
        webhook=None,
        metrics=ControllerMetrics(rollout_max_groups=10),
        stops=StopHandler(
            token=TOKEN.encode(),
            store=rec.suspensions,
            waves=rec.waves.store,
            approvals=rec.waves.approvals,
            on_change=lambda: changed.append(True),
        ),
    )
    server.start()
    try:
        refused = urllib.request.Request(
            server.url + "/approve",
            data=json.dumps({"rollout": "camera-models", "wave": "canary"}).encode(),
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as no_token:
            urllib.request.urlopen(refused, timeout=10)
        assert no_token.value.code == 401
        result = CliRunner().invoke(
            main,
            [
                "approve",
                "camera-models",
                "nowave",
                "--controller",
                server.url,
                "--token-file",
                str(token_file),
            ],
        )
        assert result.exit_code == 1 and "has no wave 'nowave'" in result.output
        result = CliRunner().invoke(
            main,
            [
                "approve",
                "camera-models",
                "canary",
                "--controller",
                server.url,
                "--token-file",
                str(token_file),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "approved wave canary of camera-models" in result.stdout
    finally:
        server.stop()
    assert changed == [True]
    drive.until(lambda: drive.rollout()["currentWave"] == "staging")
    drive.until(lambda: drive.rollout()["phase"] == "Completed")

    # The approval was for that change only: the next one waits again.
    _new_model(repo, "next")
    drive.until(lambda: "approval" in str(drive.sync(STAGING)[1]))
    result = CliRunner().invoke(
        main, ["approve", "camera-models", "canary", "--cache-dir", str(tmp_path / "cache")]
    )
    assert result.exit_code == 0, result.output
    drive.until(lambda: drive.rollout()["phase"] == "Completed")


def test_one_shot_apply_sends_only_the_waves_the_gates_allow(
    fleet: AwsTestContext, specs: Path
) -> None:
    staging = specs / "groups" / "camera-staging.yaml"
    pinned = "    variant.DLR.ImageClassification.ModelStore:\n      version: 2.1.9\n"
    staging.write_text(staging.read_text().replace(pinned, f"    {MODEL_STORE}: {{}}\n"))
    (specs / "rollouts").mkdir()
    no_bake = ROLLOUT.replace(", bake: 10m}", "}").replace(", bake: 20m}", "}")
    (specs / "rollouts" / "camera-models.yaml").write_text(no_bake)

    seen: dict[str, str] = {}

    def apply() -> tuple[list[str], str]:
        """Run `reconciler apply`; the groups it deployed to, and its output."""
        result = CliRunner().invoke(
            main, ["apply", "--specs", str(specs), "--auto-approve"], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        latest = {g: str(d["deploymentId"]) for g, d in _latest(fleet).items()}
        created = sorted(g for g, d in latest.items() if seen.get(g) != d)
        seen.update(latest)
        return created, result.stdout

    # The fleet's first revision: a subdeployment is made within its parent's deployment, so
    # the canary waits for production's first revision, and staging's gate goes first.
    created, output = apply()
    assert created == [STAGING]
    assert f"{CANARY}: held (Waiting) — waiting for {PROD}'s first revision" in output
    assert f"{PROD}: held (Waiting) — waiting for wave staging" in output
    # Again at once: staging's devices have not taken it yet, nothing more goes.
    assert apply()[0] == []
    fleet.admin.advance_clock(300)
    assert apply()[0] == [PROD]
    assert apply()[0] == [CANARY]
    fleet.admin.advance_clock(600)
    created, output = apply()
    assert created == [] and "held" not in output


def test_a_failing_later_wave_goes_back_to_its_last_good_revision(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    repo, _, drive, events = _rolled_out(fleet, tmp_path, specs, clock)
    before = _latest(fleet)
    old = _model_version(before[STAGING])
    staging_devices = [f"staging-{n}" for n in range(1, 5)]
    failing = staging_devices[:2]
    fleet.admin.set_failures(
        [{"component": MODEL_STORE, "version": f">{old}", "devices": failing, "phase": "install"}]
    )
    _new_model(repo, "bad-for-staging")
    drive.until(lambda: drive.rollout()["phase"] == "Halted")

    assert drive.rollout()["currentWave"] == "staging"  # the canary passed its gate
    latest = _latest(fleet)
    assert _model_version(latest[CANARY]) != old
    assert latest[PROD]["deploymentId"] == before[PROD]["deploymentId"]
    # Staging got a new revision with the content of its last good one: the old model.
    assert _model_version(latest[STAGING]) == old
    assert int(latest[STAGING]["revisionId"]) == int(before[STAGING]["revisionId"]) + 2
    [halt] = [e for e in events.events if e.kind is EventKind.ROLLOUT_HALTED]
    [reverted] = halt.details["reverted"]  # type: ignore[misc]
    assert reverted["thingGroup"] == STAGING  # type: ignore[index,call-overload]
    assert f"reverted to revision {before[STAGING]['revisionId']}" in str(reverted)
    assert drive.sync(STAGING)[0] == "Halted" and drive.sync(PROD)[0] == "Halted"


def test_a_breached_metric_check_fails_the_wave_and_sends_it_back(
    fleet: AwsTestContext, tmp_path: Path, specs: Path, clock: ManualClock
) -> None:
    staging_gate = "      gate: {successRatio: 1.0, bake: 20m}\n"
    assert staging_gate in ROLLOUT
    repo, rec, drive, events = _rolled_out(
        fleet, tmp_path, specs, clock, ROLLOUT.replace(staging_gate, METRIC_GATE)
    )
    before = _latest(fleet)
    old = _model_version(before[PROD])
    _new_model(repo, "noisy")
    drive.until(lambda: _model_version(_latest(fleet)[STAGING]) != old)
    took_change = _latest(fleet)[STAGING]

    # Staging's devices run the new model, and a minute later it reports errors: 9 at once.
    step(fleet, clock, rec.rollouts, 60)
    fleet.client("cloudwatch").put_metric_data(
        Namespace="Acme/Camera",
        MetricData=[
            {
                "MetricName": "InferenceErrors",
                "Dimensions": [{"Name": "ThingGroup", "Value": STAGING}],
                "Value": 9,
                "Timestamp": datetime.fromtimestamp(clock.now, UTC),
            }
        ],
    )
    fleet.admin.clear_requests()
    drive.until(lambda: drive.rollout()["phase"] == "Halted", every=60)
    reads = [r.operation for r in fleet.admin.requests() if r.service == "monitoring"]
    assert reads and set(reads) == {"GetMetricData"}

    rollout = drive.rollout()
    assert rollout["currentWave"] == "staging"
    assert "wave staging failed its gate: a metric check failed" in rollout["reason"]
    assert "InferenceErrors{ThingGroup=CameraFleetStaging} Sum/5m was 9" in rollout["reason"]
    latest = _latest(fleet)
    # Production never got the change; staging went back to its last good revision.
    assert latest[PROD]["deploymentId"] == before[PROD]["deploymentId"]
    assert latest[STAGING]["deploymentId"] != took_change["deploymentId"]
    assert _model_version(latest[STAGING]) == old
    assert len([e for e in events.events if e.kind is EventKind.ROLLOUT_HALTED]) == 1
