"""The controller's Prometheus metrics, kept in a registry of their own.

A dedicated `CollectorRegistry` (not prometheus_client's global one) means two controllers in
one test process never collide, and `/metrics` shows exactly what is documented in
docs/controller-endpoints.md and nothing a library happened to register.

Label rules: every label has a small, bounded set of values (trigger, outcome, state, AWS
service and operation). The commit SHA changes with every push, so it never labels a counter; it
is the one label of an Info metric that always holds a single series.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reconciler import __version__
from reconciler.adapters.aws.calling import CallStats

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


class ControllerMetrics:
    """Every metric the controller exposes; thread-safe (the loop and the scrapes run apart)."""

    def __init__(self) -> None:
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
        self._notifications = Counter(
            f"{PREFIX}_notifications",
            "Events handed to a notification sink, by sink and outcome "
            "(delivered, failed after its retries, dropped on a full queue or at shutdown).",
            ["sink", "outcome"],
            registry=registry,
        )
        self._targets = _TargetsCollector()
        registry.register(self._targets)
        self._call_stats = _CallStatsCollector()
        registry.register(self._call_stats)

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

    def observe_notification(self, sink: str, outcome: str) -> None:
        """Count one event a sink delivered, failed to deliver, or dropped."""
        self._notifications.labels(sink=sink, outcome=outcome).inc()

    def bind_call_stats(self, stats: CallStats) -> None:
        """Expose `stats` as the AWS call counters; a later bind replaces the earlier one."""
        self._call_stats.bind(stats)
