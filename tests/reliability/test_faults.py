"""Throttling, server errors, latency, lost answers, dropped and stalled connections: apply and a
controller cycle still converge on exactly what a fault-free run produces, and create nothing
twice.

Faults come from the emulator (`set_faults`, seeded, on Greengrass, S3 and STS alike) and from
a proxy that lets a write take effect and then loses its answer, resets the connection in the
middle of an answer, or stalls it past the client's read timeout (reads and writes alike). The
product runs with its own retry policy (RECONCILER_MAX_ATTEMPTS and the backoffs, made small for
the test).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.requestlog import RequestRecord
from tests.conftest import AwsTestContext
from tests.reliability.conftest import seed
from tests.reliability.figures import Figures
from tests.reliability.fleet import FleetSnapshot, mutating, snapshot
from tests.reliability.gitrepo import FleetRepo, follow
from tests.reliability.proxy import InterceptingProxy, drop_and_stall, lose_first_attempts

GROUPS = {"CameraFleetProd", "CameraFleetStaging"}
WRITES = {"greengrassv2:CreateDeployment", "greengrassv2:CreateComponentVersion", "s3:PutObject"}


def _apply(specs: Path, *extra: str) -> tuple[int, str]:
    args = ["apply", "--specs", str(specs), "--auto-approve", "--commit", "c1", *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _inject(aws: AwsTestContext, seed_value: int) -> None:
    aws.admin.set_faults(
        throttle_rate=0.30,
        error_rate=0.05,
        latency_ms=5,
        services=["greengrassv2", "s3", "sts"],
        seed=seed_value,
        retry_after_seconds=0,  # the caller honours Retry-After; 1 s per throttle is just slow
    )


def _record_faults(figures: Figures, records: list[RequestRecord]) -> Counter[str]:
    faults = Counter(r.fault for r in records if r.fault)
    figures.add("throttles_injected", faults["throttle"])
    figures.add("server_errors_injected", faults["error"])
    return faults


def _assert_converged(after: FleetSnapshot, reference: FleetSnapshot, figures: Figures) -> None:
    figures.add("duplicates_found", len(after.duplicates()))
    assert after.duplicates() == []
    assert after.revisions == dict.fromkeys(GROUPS, 1)
    assert after.content() == reference.content()


# Seeded, so each run meets the same faults. These seeds give every run both kinds of fault and
# faults on writes (with 5 % of ~30 requests, some seeds draw no server error at all).
@pytest.mark.parametrize("seed_value", [2, 4, 7, 8, 10, 12, 14, 15])
def test_apply_under_throttling_and_server_errors_converges_without_duplicates(
    seeded: AwsTestContext, specs: Path, fast_retries: dict[str, str], figures: Figures,
    seed_value: int,
) -> None:  # fmt: skip
    assert _apply(specs)[0] == 0
    reference = snapshot(seeded)

    seed(seeded, specs)
    _inject(seeded, seed_value)
    code, output = _apply(specs)
    records = seeded.admin.requests()
    seeded.admin.clear_faults()

    assert code == 0, output
    faults = _record_faults(figures, records)
    assert faults["throttle"] > 0 and faults["error"] > 0
    # The faults reached the writes too, not only the reads around them.
    assert any(r.fault and f"{r.service}:{r.operation}" in WRITES for r in records)
    _assert_converged(snapshot(seeded), reference, figures)


def test_apply_whose_write_answers_are_lost_creates_nothing_twice(
    seeded: AwsTestContext, specs: Path, fast_retries: dict[str, str], figures: Figures
) -> None:
    assert _apply(specs)[0] == 0
    reference = snapshot(seeded)

    seed(seeded, specs)
    with InterceptingProxy(seeded.endpoint_url, lose_first_attempts()) as proxy:
        code, output = _apply(specs, "--endpoint-url", proxy.url)
    assert code == 0, output
    # Every write took effect once, its answer was lost, and its retry was sent again.
    assert len(proxy.lost) == 7
    assert Counter(mutating(seeded)) == {
        "s3:PutObject": 6,
        "greengrassv2:CreateComponentVersion": 4,
        "greengrassv2:CreateDeployment": 4,
    }
    figures.add("responses_lost", len(proxy.lost))
    _assert_converged(snapshot(seeded), reference, figures)


@pytest.mark.parametrize("seed_value", [11, 12])
def test_controller_cycles_under_faults_converge_without_duplicates(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, fast_retries: dict[str, str],
    figures: Figures, seed_value: int,
) -> None:  # fmt: skip
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    first = follow(repo, tmp_path / "reference").reconcile("startup", full=True)
    assert first.result == "success", first.message
    reference = snapshot(seeded)

    seed(seeded, specs)
    _inject(seeded, seed_value)
    reconciler = follow(repo, tmp_path / "cache")
    outcome = reconciler.reconcile("startup", full=True)
    assert outcome.result == "success", outcome.message
    records = seeded.admin.requests()

    # A commit under the same faults: one more revision, of the changed group only.
    repo.edit("groups/camera-prod.yaml", "InferenceInterval: 300", "InferenceInterval: 120")
    changed = reconciler.reconcile("poll")
    assert changed.result == "success", changed.message
    # A resync under faults finds nothing to do: a fault never looks like drift.
    since = seeded.admin.requests()[-1].seq
    resync = reconciler.reconcile("resync", full=True)
    assert resync.result == "success", resync.message
    assert mutating(seeded, since) == []
    records = seeded.admin.requests()
    seeded.admin.clear_faults()

    faults = _record_faults(figures, records)
    assert faults["throttle"] > 0 and faults["error"] > 0
    after = snapshot(seeded)
    expected = {"CameraFleetProd": 2, "CameraFleetStaging": 1}  # one per distinct content
    figures.add("duplicates_found", len(after.duplicates(expected)))
    assert after.revisions == expected
    assert after.versions == reference.versions
    assert after.latest["CameraFleetStaging"] == reference.latest["CameraFleetStaging"]
    prod = after.latest["CameraFleetProd"]
    assert prod["tags"]["greengrass-reconciler/commit"] == repo.head()
    merge = prod["components"]["aws.greengrass.DLRImageClassification"]["configurationUpdate"]
    assert json.loads(merge["merge"])["InferenceInterval"] == 120


def test_controller_cycle_whose_write_answers_are_lost_creates_nothing_twice(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, fast_retries: dict[str, str],
    figures: Figures,
) -> None:  # fmt: skip
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    assert follow(repo, tmp_path / "reference").reconcile("startup", full=True).result == (
        "success"
    )
    reference = snapshot(seeded)

    seed(seeded, specs)
    with InterceptingProxy(seeded.endpoint_url, lose_first_attempts()) as proxy:
        outcome = follow(repo, tmp_path / "cache", proxy.url).reconcile("startup", full=True)
    assert outcome.result == "success", outcome.message
    assert len(proxy.lost) == 7
    figures.add("responses_lost", len(proxy.lost))
    _assert_converged(snapshot(seeded), reference, figures)


# A stalled answer costs one read timeout: kept short so the test stays quick.
SHORT_TIMEOUTS = {"RECONCILER_READ_TIMEOUT": "0.5", "RECONCILER_CONNECT_TIMEOUT": "1"}


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SHORT_TIMEOUTS.items():
        monkeypatch.setenv(name, value)


def _record_network_faults(figures: Figures, proxy: InterceptingProxy) -> None:
    figures.add("connections_dropped", len(proxy.dropped))
    figures.add("responses_stalled", len(proxy.stalled))
    # Both kinds met, and on writes as well as reads (a write whose answer broke took effect).
    assert proxy.dropped and proxy.stalled
    assert any(
        e.method in ("POST", "PUT") and e.path != "/" for e in proxy.dropped + proxy.stalled
    ), [(e.method, e.path, e.attempt) for e in proxy.dropped + proxy.stalled]


@pytest.mark.parametrize("seed_value", [1, 3])
def test_apply_through_dropped_and_stalled_connections_converges_without_duplicates(
    seeded: AwsTestContext, specs: Path, fast_retries: dict[str, str], short_timeouts: None,
    figures: Figures, seed_value: int,
) -> None:  # fmt: skip
    assert _apply(specs)[0] == 0
    reference = snapshot(seeded)

    seed(seeded, specs)
    with InterceptingProxy(
        seeded.endpoint_url,
        faults=drop_and_stall(seed_value, drop_rate=0.15, stall_rate=0.05),
        stall_seconds=1.0,
    ) as proxy:
        code, output = _apply(specs, "--endpoint-url", proxy.url)
    assert code == 0, output
    _record_network_faults(figures, proxy)
    _assert_converged(snapshot(seeded), reference, figures)


def test_controller_cycle_through_dropped_and_stalled_connections_converges(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, fast_retries: dict[str, str],
    short_timeouts: None, figures: Figures,
) -> None:  # fmt: skip
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    assert follow(repo, tmp_path / "reference").reconcile("startup", full=True).result == (
        "success"
    )
    reference = snapshot(seeded)

    seed(seeded, specs)
    with InterceptingProxy(
        seeded.endpoint_url,
        faults=drop_and_stall(9, drop_rate=0.15, stall_rate=0.05),
        stall_seconds=1.0,
    ) as proxy:
        reconciler = follow(repo, tmp_path / "cache", proxy.url)
        outcome = reconciler.reconcile("startup", full=True)
        assert outcome.result == "success", outcome.message
        # A resync through the same faults finds nothing to do.
        since = seeded.admin.requests()[-1].seq
        resync = reconciler.reconcile("resync", full=True)
        assert resync.result == "success", resync.message
        assert mutating(seeded, since) == []
    _record_network_faults(figures, proxy)
    _assert_converged(snapshot(seeded), reference, figures)
