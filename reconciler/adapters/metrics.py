"""The controller's Prometheus metrics, kept in a registry of their own.

A dedicated `CollectorRegistry` (not prometheus_client's global one) means two controllers in
one test process never collide, and `/metrics` shows exactly what is documented in
docs/controller-endpoints.md and nothing a library happened to register.

Label rules: every label has a small, bounded set of values (trigger, outcome, state, AWS
service and operation). The one exception, `thing_group` on the per-group rollout series, is
capped by a setting (`rollout_metrics_max_groups`): a 10,000-group fleet shows the groups that
need attention, and per-state totals cover every group. The commit SHA changes with every
push, so it never labels a counter; it is the one label of an Info metric that always holds a
single series.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reconciler import __version__
from reconciler.adapters.aws.calling import CallStats
from reconciler.core.rollouts import RolloutState, RolloutView

PREFIX = "greengrass_reconciler"

ReconcileOutcome = Literal["success", "error", "skipped"]

# A reconcile reads the whole fleet and may upload artifacts: from well under a second against
# the emulator to minutes for a large account.
_RECONCILE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class _CallStatsCollector(Collector):
    """Exposes a `CallStats` as counters, read at scrape time so nothing is copied or missed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: CallStats | None = None

    def bind(self, stats: CallStats) -> None:
        with self._lock:
            self._stats = stats

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            stats = self._stats
        snapshot = stats.snapshot() if stats is not None else {}
        families = (
            ("calls", "AWS API attempts, retries included, by service and operation."),
            ("throttles", "AWS API attempts the service throttled."),
            ("errors", "AWS API attempts that failed for another reason than throttling."),
        )
        for kind, documentation in families:
            family = CounterMetricFamily(
                f"{PREFIX}_aws_{kind}", documentation, labels=["service", "operation"]
            )
            for (service, operation), count in sorted(snapshot.get(kind, {}).items()):
                family.add_metric([service, operation], count)
            yield family


class _TargetsCollector(Collector):
    """The number of targets per state, replaced as a whole on every reconcile.

    A labelled Gauge would keep states that vanished from the latest count (and a clear-then-set
    would let a scrape see a half-written picture), so the latest mapping is kept and rendered
    at scrape time instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def replace(self, counts: Mapping[str, int]) -> None:
        with self._lock:
            self._counts = dict(counts)

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            counts = dict(self._counts)
        family = GaugeMetricFamily(
            f"{PREFIX}_targets",
            "Deployment targets (thing groups) by state after the latest reconcile.",
            labels=["state"],
        )
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family


# Which groups keep their per-group series when there are more than the cap: those a team acts
# on first.
_ATTENTION = {
    RolloutState.FAILED: 0,
    RolloutState.DEGRADED: 1,
    RolloutState.PROGRESSING: 2,
    RolloutState.CANCELED: 3,
    RolloutState.SUCCEEDED: 4,
    RolloutState.SUPERSEDED: 5,
}


class _RolloutsCollector(Collector):
    """Per-group rollout gauges (devices by execution status, state), read at scrape time from
    the controller's status, at most `max_groups` groups; totals per state for every group."""

    def __init__(self, max_groups: int) -> None:
        self._lock = threading.Lock()
        self._source: Callable[[], Mapping[str, RolloutView]] = dict
        self.max_groups = max_groups

    def bind(self, source: Callable[[], Mapping[str, RolloutView]]) -> None:
        with self._lock:
            self._source = source

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            source = self._source
        views = source()
        chosen = sorted(views.items(), key=lambda item: (_ATTENTION[item[1].state], item[0]))
        shown = chosen[: self.max_groups]
        devices = GaugeMetricFamily(
            f"{PREFIX}_rollout_devices",
            "Devices of the group's latest rollout by job execution status (and total).",
            labels=["thing_group", "status"],
        )
        state = GaugeMetricFamily(
            f"{PREFIX}_rollout_state",
            "1 for the current state of the group's latest rollout.",
            labels=["thing_group", "state"],
        )
        unhealthy = GaugeMetricFamily(
            f"{PREFIX}_rollout_unhealthy_devices",
            "The group's core devices reported UNHEALTHY.",
            labels=["thing_group"],
        )
        for group, view in shown:
            for status, count in view.devices.to_json().items():
                devices.add_metric([group, status], count)
            state.add_metric([group, view.state.value], 1)
            unhealthy.add_metric([group], view.unhealthy)
        totals = GaugeMetricFamily(
            f"{PREFIX}_rollout_groups",
            "Thing groups by the state of their latest rollout (every group, never capped).",
            labels=["state"],
        )
        for each in RolloutState:
            totals.add_metric([each.value], sum(1 for v in views.values() if v.state is each))
        omitted = GaugeMetricFamily(
            f"{PREFIX}_rollout_groups_omitted",
            "Groups left out of the per-group rollout series by rollout_metrics_max_groups.",
        )
        omitted.add_metric([], len(chosen) - len(shown))
        yield from (devices, state, unhealthy, totals, omitted)


class ControllerMetrics:
    """Every metric the controller exposes; thread-safe (the loop and the scrapes run apart)."""

    def __init__(self, *, rollout_max_groups: int = 200) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        Info(f"{PREFIX}_build", "The running reconciler's version.", registry=registry).info(
            {"version": __version__}
        )
        self._reconciles = Counter(
            f"{PREFIX}_reconcile",
            "Reconcile cycles by what triggered them and how they ended.",
            ["trigger", "outcome"],
            registry=registry,
        )
        self._reconcile_seconds = Histogram(
            f"{PREFIX}_reconcile_duration_seconds",
            "Wall-clock duration of reconcile cycles.",
            ["trigger", "outcome"],
            buckets=_RECONCILE_BUCKETS,
            registry=registry,
        )
        self._last_success = Gauge(
            f"{PREFIX}_last_success_timestamp_seconds",
            "Unix time the latest successful reconcile finished (0 before the first).",
            registry=registry,
        )
        self._last_success_commit = Info(
            f"{PREFIX}_last_success_commit",
            "The Git commit of the desired state the latest successful reconcile applied.",
            registry=registry,
        )
        self._drifted = Gauge(
            f"{PREFIX}_drifted_groups",
            "Thing groups whose live deployment differs from the desired state.",
            registry=registry,
        )
        self._rollouts = Counter(
            f"{PREFIX}_rollouts",
            "Deployment rollouts the controller followed to an end, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self._leader = Gauge(
            f"{PREFIX}_leader",
            "1 while this replica holds the leader lease (only the leader writes), else 0.",
            registry=registry,
        )
        self._targets = _TargetsCollector()
        registry.register(self._targets)
        self._call_stats = _CallStatsCollector()
        registry.register(self._call_stats)
        self._rollout_views = _RolloutsCollector(rollout_max_groups)
        registry.register(self._rollout_views)

    def observe_reconcile(self, *, trigger: str, outcome: ReconcileOutcome, seconds: float) -> None:
        """Count one finished reconcile cycle and record its duration."""
        self._reconciles.labels(trigger=trigger, outcome=outcome).inc()
        self._reconcile_seconds.labels(trigger=trigger, outcome=outcome).observe(seconds)

    def set_last_success(self, *, timestamp: float, commit: str) -> None:
        """Record the end of a successful reconcile and the commit it applied."""
        self._last_success.set(timestamp)
        self._last_success_commit.info({"commit": commit})

    def set_targets(self, counts: Mapping[str, int]) -> None:
        """Replace the per-state target counts (states missing from `counts` disappear)."""
        self._targets.replace(counts)

    def set_drifted(self, groups: int) -> None:
        self._drifted.set(groups)

    def observe_rollout(self, *, outcome: str) -> None:
        """Count a rollout that ended; `outcome` is one of a few fixed words (succeeded...)."""
        self._rollouts.labels(outcome=outcome).inc()

    def set_leader(self, is_leader: bool) -> None:
        self._leader.set(1 if is_leader else 0)

    def bind_rollouts(self, source: Callable[[], Mapping[str, RolloutView]]) -> None:
        """Expose the rollouts `source` returns (read at each scrape) as per-group gauges."""
        self._rollout_views.bind(source)

    def bind_call_stats(self, stats: CallStats) -> None:
        """Expose `stats` as the AWS call counters; a later bind replaces the earlier one."""
        self._call_stats.bind(stats)
