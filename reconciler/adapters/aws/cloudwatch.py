"""The reads of a gate's metric checks: CloudWatch GetMetricData.

One GetMetricData request reads every check of a wave (up to 500 metric queries a request, the
service's maximum), over the widest window any of them asks for; each check then keeps the
datapoints of its own window. A result set larger than a page comes back with `NextToken`: each
page is its own call through the `AwsCaller` (rate limit, retries), like every other AWS read.
The controller gives this reader the rollout follow-up caller (`reconciler/engine/runtime.py`),
so watching metrics never starves reconciling.

IAM: `cloudwatch:GetMetricData` (docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients
from reconciler.core.metric_checks import Datapoint, MetricCheck

MAX_QUERIES = 500  # MetricDataQueries of one GetMetricData request
_MAX_DATAPOINTS = 100_800  # MaxDatapoints of one page: the service's maximum


@dataclass(frozen=True)
class MetricWindow:
    """A check and the time span to read for it (epoch seconds, `start` < `end`)."""

    check: MetricCheck
    start: float
    end: float


def metric_query(query_id: str, check: MetricCheck) -> dict[str, Any]:
    """The MetricDataQuery of a check (a MetricStat, returned)."""
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": check.namespace,
                "MetricName": check.metric_name,
                "Dimensions": [{"Name": name, "Value": value} for name, value in check.dimensions],
            },
            "Period": check.period_seconds,
            "Stat": check.statistic,
        },
        "ReturnData": True,
    }


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


class MetricReader:
    """Reads the datapoints of metric checks in one account and region."""

    def __init__(self, clients: AwsClients, caller: AwsCaller) -> None:
        self._clients = clients
        self._caller = caller

    @property
    def _cloudwatch(self) -> Any:
        # Created on first use (clients.py): only gates with metric checks call CloudWatch.
        return self._clients.cloudwatch

    def datapoints(self, windows: Sequence[MetricWindow]) -> list[tuple[Datapoint, ...]]:
        """The datapoints of each window, in the order given (oldest first). An empty window
        (a wave that took its change just now) has none, and is not asked for: CloudWatch
        refuses a StartTime that is not before the EndTime."""
        wanted = [index for index, window in enumerate(windows) if window.start < window.end]
        found: list[tuple[Datapoint, ...]] = [() for _ in windows]
        for first in range(0, len(wanted), MAX_QUERIES):
            batch = wanted[first : first + MAX_QUERIES]
            for index, points in zip(batch, self._read([windows[i] for i in batch]), strict=True):
                found[index] = points
        return found

    def _read(self, windows: Sequence[MetricWindow]) -> list[tuple[Datapoint, ...]]:
        if not windows:
            return []
        points: dict[str, list[Datapoint]] = {f"m{i}": [] for i in range(len(windows))}
        params: dict[str, Any] = {
            "MetricDataQueries": [metric_query(f"m{i}", w.check) for i, w in enumerate(windows)],
            "StartTime": datetime.fromtimestamp(min(w.start for w in windows), UTC),
            "EndTime": datetime.fromtimestamp(max(w.end for w in windows), UTC),
            "ScanBy": "TimestampAscending",
            "MaxDatapoints": _MAX_DATAPOINTS,
        }
        token: str | None = None
        while True:
            page = self._caller.call(
                self._cloudwatch,
                "get_metric_data",
                **(dict(params, NextToken=token) if token else params),
            )
            for result in page.get("MetricDataResults", []):
                into = points.get(str(result.get("Id", "")))
                if into is None:
                    continue
                for stamp, value in zip(
                    result.get("Timestamps", []), result.get("Values", []), strict=False
                ):
                    into.append(Datapoint(timestamp=_epoch(stamp), value=float(value)))
            token = page.get("NextToken")
            if not token:
                break
        # A datapoint is labelled with the start of its period, which may begin before the
        # window does (CloudWatch aligns periods; a wave takes its change mid-period): keep
        # each period that overlaps the window.
        return [
            tuple(
                sorted(
                    (
                        p
                        for p in points[f"m{i}"]
                        if window.start < p.timestamp + window.check.period_seconds
                        and p.timestamp <= window.end
                    ),
                    key=lambda p: p.timestamp,
                )
            )
            for i, window in enumerate(windows)
        ]
