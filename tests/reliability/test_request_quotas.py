"""Under AWS's per-API request-rate quotas, the adaptive client rate converges with fewer calls
than a fixed rate.

AWS throttles what exceeds a per-API, per-account request rate (docs/emulator.md, Faults: the
emulator's `quotaRate`). A fixed-rate client keeps sending at its limit and meets a throttle on
many of its requests; the adaptive one (`RECONCILER_ADAPTIVE_RATE`, the default) slows the API
that was throttled down, waits the `retryAfterSeconds` the service asked for, and grows back
towards its limit as calls go through. Both must converge on what a run without quotas produces,
without a duplicate; the adaptive one must get there with fewer calls.

The fleet: the sample specs plus `EXTRA_GROUPS` copies of the staging group (one revision
each), so that the apply makes tens of calls of the same API in a short time, as a real fleet
does. The quota (`QUOTA_RATE` per operation, AWS's default `retryAfterSeconds` of the emulator)
is below the client's default rate (20 calls/s, burst 40), as a real account's may be.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.reliability.conftest import seed
from tests.reliability.figures import Figures
from tests.reliability.fleet import snapshot

EXTRA_GROUPS = 30
QUOTA_RATE = 5.0  # requests per second per operation
QUOTA_BURST = 5

# Measured on this suite's machine (2 cores, load 4-6), 2026-12-05, three runs, the same each
# time: the fixed rate (the client before the adaptive rate) made 117 requests, 69 of them
# throttled (59 %); the adaptive rate 67 requests, 19 throttled (28 %); 48 served either way.
# The bound sits between the two: a client that throttles itself as the fixed one does fails.
MAX_ADAPTIVE_REQUESTS = 90


def _add_groups(specs: Path, count: int) -> None:
    staging = (specs / "groups" / "camera-staging.yaml").read_text()
    for index in range(count):
        text = staging.replace("name: camera-staging", f"name: camera-site-{index:03d}")
        text = text.replace("thingGroup: CameraFleetStaging", f"thingGroup: CameraSite{index:03d}")
        (specs / "groups" / f"camera-site-{index:03d}.yaml").write_text(text)


def _apply(specs: Path) -> tuple[int, str]:
    args = ["apply", "--specs", str(specs), "--auto-approve", "--commit", "c1"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _apply_under_quota(aws: AwsTestContext, specs: Path) -> tuple[int, Counter[str]]:
    """Apply from an empty fleet under the quota; (exit code, requests by outcome)."""
    seed(aws, specs)
    aws.admin.set_faults(
        quota_rate=QUOTA_RATE,
        quota_burst=QUOTA_BURST,
        services=["greengrassv2", "s3", "sts"],
        retry_after_seconds=1,
    )
    code, output = _apply(specs)
    records = aws.admin.requests()
    aws.admin.clear_faults()
    assert code == 0, output
    return code, Counter("throttled" if r.fault == "throttle" else "served" for r in records)


@pytest.mark.slow
def test_adaptive_rate_converges_under_request_quotas_with_fewer_calls_than_a_fixed_rate(
    aws: AwsTestContext, specs: Path, fast_retries: dict[str, str], figures: Figures,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _add_groups(specs, EXTRA_GROUPS)
    seed(aws, specs)
    assert _apply(specs)[0] == 0
    reference = snapshot(aws)
    assert len(reference.latest) == EXTRA_GROUPS + 2

    monkeypatch.setenv("RECONCILER_ADAPTIVE_RATE", "false")
    _, fixed = _apply_under_quota(aws, specs)
    fixed_after = snapshot(aws)
    monkeypatch.setenv("RECONCILER_ADAPTIVE_RATE", "true")
    _, adaptive = _apply_under_quota(aws, specs)
    adaptive_after = snapshot(aws)

    fixed_total, adaptive_total = fixed.total(), adaptive.total()
    figures.add("quota_requests_fixed_rate", fixed_total)
    figures.add("quota_throttled_fixed_rate", fixed["throttled"])
    figures.add("quota_requests_adaptive_rate", adaptive_total)
    figures.add("quota_throttled_adaptive_rate", adaptive["throttled"])
    # Both converge on the fault-free fleet, one revision per group.
    for after in (fixed_after, adaptive_after):
        assert after.duplicates() == []
        assert after.content() == reference.content()
    # The quota bit the fixed rate hard (a test whose quota never throttles proves nothing)...
    assert fixed["throttled"] >= 0.3 * fixed_total, fixed
    # ...and the adaptive rate needed fewer calls, well below the fixed rate's.
    assert adaptive_total < fixed_total, (adaptive, fixed)
    assert adaptive_total <= MAX_ADAPTIVE_REQUESTS, adaptive
    assert adaptive["throttled"] < fixed["throttled"] / 2, (adaptive, fixed)
