"""Metric checks of a wave's gate: a CloudWatch metric that must stay on the good side of a
threshold while the wave bakes.

The words are CloudWatch's, so that a check reads like the alarm a team would write for it: the
metric is what GetMetricData's `MetricStat` names (namespace, metric name, dimensions, period,
statistic); `comparison`, `threshold`, `datapoints_to_fail` and `treat_missing_data` are an
alarm's `ComparisonOperator`, `Threshold`, `DatapointsToAlarm` and `TreatMissingData`. As with an
alarm, the comparison describes the *bad* side: `GreaterThanThreshold` with threshold 5 fails
the gate when a datapoint is above 5.

The verdict is a pure function of the datapoints read over the check's window (`over_seconds`,
ending now): FAIL when at least `datapoints_to_fail` of them breach; with no datapoint at all,
what `treat_missing_data` says (by default UNKNOWN: the gate cannot pass on a silence); with
fewer datapoints than `datapoints_to_fail` and `breaching`, the missing ones count as breaching,
as CloudWatch fills them; PASS otherwise. The reads are in
`reconciler/adapters/aws/cloudwatch.py`, the wave's verdict in
`reconciler/engine/gate_metrics.py`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from reconciler.core.durations import format_duration


class Comparison(StrEnum):
    """The alarm's `ComparisonOperator`: the side of the threshold that fails the gate."""

    GREATER_THAN = "GreaterThanThreshold"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS_THAN = "LessThanThreshold"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualToThreshold"

    def breaches(self, value: float, threshold: float) -> bool:
        if self is Comparison.GREATER_THAN:
            return value > threshold
        if self is Comparison.GREATER_THAN_OR_EQUAL:
            return value >= threshold
        if self is Comparison.LESS_THAN:
            return value < threshold
        return value <= threshold

    @property
    def symbol(self) -> str:
        return {
            Comparison.GREATER_THAN: ">",
            Comparison.GREATER_THAN_OR_EQUAL: ">=",
            Comparison.LESS_THAN: "<",
            Comparison.LESS_THAN_OR_EQUAL: "<=",
        }[self]


class MissingData(StrEnum):
    """The alarm's `TreatMissingData`, for a window without any datapoint."""

    MISSING = "missing"  # nothing known: the gate waits (it cannot pass on a silence)
    NOT_BREACHING = "notBreaching"  # a silence is good (e.g. an error count nobody emits at 0)
    BREACHING = "breaching"  # a silence is bad (e.g. a heartbeat that stopped)


# GetMetricData's `Stat`: the five basic statistics, or a percentile such as p99 or p99.9.
BASIC_STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")
# GetMetricData's `Period`: 1, 5, 10 or 30 seconds (high resolution), or a multiple of 60.
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)


def statistic_problem(statistic: str) -> str | None:
    """Why `statistic` is not one GetMetricData accepts in a MetricStat (None: it is)."""
    if statistic in BASIC_STATISTICS or _PERCENTILE.match(statistic):
        return None
    return (
        f"{statistic!r} is not a statistic: use one of {', '.join(BASIC_STATISTICS)} "
        "or a percentile such as p99 or p99.9"
    )


def period_problem(seconds: int) -> str | None:
    """Why `seconds` is not a period GetMetricData accepts (None: it is)."""
    if seconds in HIGH_RESOLUTION_PERIODS or (seconds > 0 and seconds % 60 == 0):
        return None
    return f"a period of {seconds} s: use 1, 5, 10 or 30 seconds, or a multiple of 60"


@dataclass(frozen=True)
class MetricCheck:
    """One metric a wave's gate watches. `dimensions` are (name, value) pairs, sorted."""

    namespace: str
    metric_name: str
    statistic: str
    period_seconds: int
    threshold: float
    comparison: Comparison
    over_seconds: int
    dimensions: tuple[tuple[str, str], ...] = ()
    datapoints_to_fail: int = 1
    treat_missing_data: MissingData = MissingData.MISSING

    @property
    def label(self) -> str:
        """`AWS/Greengrass ErrorCount{ThingGroup=Prod} Sum/5m`: the metric in one line."""
        dims = ",".join(f"{name}={value}" for name, value in self.dimensions)
        metric = f"{self.namespace} {self.metric_name}" + (f"{{{dims}}}" if dims else "")
        return f"{metric} {self.statistic}/{format_duration(self.period_seconds)}"

    @property
    def condition(self) -> str:
        """`fails when > 5 (1 datapoint in 10m)`: the bad side in words."""
        points = self.datapoints_to_fail
        window = format_duration(self.over_seconds)
        return (
            f"fails when {self.comparison.symbol} {self.threshold:g} "
            f"({points} datapoint{'s' if points != 1 else ''} in {window})"
        )


@dataclass(frozen=True)
class Datapoint:
    """One value of a metric: the statistic over the period that starts at `timestamp`."""

    timestamp: float
    value: float


class VerdictState(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MetricVerdict:
    state: VerdictState
    reason: str


def metric_verdict(check: MetricCheck, datapoints: Iterable[Datapoint]) -> MetricVerdict:
    """What the datapoints of the check's window say. The order of the datapoints does not
    matter; a datapoint that is not a number (NaN) says nothing."""
    points = [p for p in datapoints if not math.isnan(p.value)]
    window = format_duration(check.over_seconds)
    if not points:
        silence = f"{check.label}: no datapoint in the last {window}"
        if check.treat_missing_data is MissingData.NOT_BREACHING:
            return MetricVerdict(VerdictState.PASS, f"{silence} (treated as not breaching)")
        if check.treat_missing_data is MissingData.BREACHING:
            return MetricVerdict(VerdictState.FAIL, f"{silence} (treated as breaching)")
        return MetricVerdict(VerdictState.UNKNOWN, silence)
    breaching = [p for p in points if check.comparison.breaches(p.value, check.threshold)]
    # Fewer datapoints than it takes to fail: CloudWatch fills the missing ones as
    # `treat_missing_data` says ("Configuring how CloudWatch alarms treat missing data"), so
    # with `breaching` they count against the gate; a real datapoint takes a filled one's place.
    filled = (
        max(0, check.datapoints_to_fail - len(points))
        if check.treat_missing_data is MissingData.BREACHING
        else 0
    )
    if breaching and len(breaching) + filled >= check.datapoints_to_fail:
        # The worst breach: the one furthest on the bad side (then the latest).
        sign = 1.0 if check.comparison.symbol.startswith(">") else -1.0
        worst = max(breaching, key=lambda p: (sign * p.value, p.timestamp))
        return MetricVerdict(
            VerdictState.FAIL,
            f"{check.label} was {worst.value:g} at {_utc(worst.timestamp)} "
            f"({check.comparison.symbol} {check.threshold:g}; {len(breaching)} of "
            f"{len(points)} datapoints in the last {window} breached"
            + (f", {filled} missing treated as breaching)" if filled else ")"),
        )
    return MetricVerdict(
        VerdictState.PASS,
        f"{check.label}: {len(breaching)} of {len(points)} datapoints in the last {window} "
        f"breached (fails at {check.datapoints_to_fail})",
    )


def combined_verdict(verdicts: Iterable[MetricVerdict]) -> MetricVerdict:
    """A gate's metric checks together: FAIL when one fails, UNKNOWN when one is unknown and
    none fails, PASS when every one passes (no check at all passes)."""
    seen = list(verdicts)
    for state in (VerdictState.FAIL, VerdictState.UNKNOWN):
        reasons = [v.reason for v in seen if v.state is state]
        if reasons:
            return MetricVerdict(state, "; ".join(reasons))
    return MetricVerdict(VerdictState.PASS, "; ".join(v.reason for v in seen) or "no metric check")


def dimensions_of(mapping: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items()))


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
