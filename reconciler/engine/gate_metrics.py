"""A wave's metric checks, read and judged: what CloudWatch says of the wave's change.

`wave_metric_verdict` reads every metric check of a wave's gate (one GetMetricData request, see
`reconciler/adapters/aws/cloudwatch.py`) and judges them with the core's rules
(`reconciler/core/metric_checks.py`). Each check's window is its `over`, ending now, but never
starting before `since` (when the wave's groups took the change): datapoints from before the
wave's revision say nothing about it.

How the wave decision uses the verdict: FAIL is a gate failure (the rollout halts, and with
`onFailure: revert` the wave's groups go back), UNKNOWN keeps the gate from passing (the wave
waits, with the verdict's reason), PASS lets the device conditions and the bake decide. A read
that fails (throttled past its retries, access denied) is UNKNOWN with the error as its reason:
a metric that cannot be read neither passes nor fails a gate.
"""

from __future__ import annotations

from reconciler.adapters.aws.cloudwatch import MetricReader, MetricWindow
from reconciler.core.metric_checks import (
    MetricVerdict,
    VerdictState,
    combined_verdict,
    metric_verdict,
)
from reconciler.core.waves import Wave
from reconciler.errors import AwsApiError

NO_CHECK = MetricVerdict(VerdictState.PASS, "no metric check")


def wave_metric_verdict(
    reader: MetricReader, wave: Wave, *, now: float, since: float | None = None
) -> MetricVerdict:
    """The verdict of `wave`'s metric checks at `now` (PASS at no cost when it has none)."""
    checks = wave.gate.metrics
    if not checks:
        return NO_CHECK
    windows = [
        MetricWindow(
            check=check,
            start=now - check.over_seconds
            if since is None
            else max(now - check.over_seconds, since),
            end=now,
        )
        for check in checks
    ]
    try:
        read = reader.datapoints(windows)
    except AwsApiError as error:
        return MetricVerdict(
            VerdictState.UNKNOWN, f"wave {wave.name}'s metrics could not be read: {error}"
        )
    return combined_verdict(
        metric_verdict(check, points) for check, points in zip(checks, read, strict=True)
    )


def wave_metric_failure(
    reader: MetricReader, wave: Wave, *, now: float, since: float | None = None
) -> tuple[str | None, str | None]:
    """(failure, pending) for the wave decision: the reason the metrics fail the gate, or the
    reason the gate must wait for them; both None when they pass."""
    verdict = wave_metric_verdict(reader, wave, now=now, since=since)
    if verdict.state is VerdictState.FAIL:
        return f"a metric check failed: {verdict.reason}", None
    if verdict.state is VerdictState.UNKNOWN:
        return None, f"waiting for wave {wave.name}'s metrics: {verdict.reason}"
    return None, None
