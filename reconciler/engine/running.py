"""The long-running controller: triggers in, one reconcile at a time out.

Triggers are start-up, the poll interval, the periodic full resync (drift detection), watchdog
events of a local source, and webhook pushes. They are coalesced: while a cycle runs, any number
of new triggers become one more cycle (full if any of them asked for a full one). Only the
leader writes; the others keep their probes green and wait.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler

from reconciler.adapters.aws.calling import CallStats
from reconciler.adapters.http.dashboard import Dashboard, DashboardSource
from reconciler.adapters.http.dashboard.views import repository_web_url
from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.server import ControllerHttpServer
from reconciler.adapters.http.stops import StopHandler
from reconciler.adapters.http.webhook import WebhookHandler
from reconciler.adapters.leases.election import LeaderElector
from reconciler.adapters.memory import release_free_memory
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.adapters.notifiers.factory import build_publisher
from reconciler.adapters.sources.base import SpecSource
from reconciler.core.events import EventPublisher, NoEventPublisher
from reconciler.engine.reconciling import CycleOutcome, Reconciler
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.engine.status import ControllerStatus, SyncState
from reconciler.settings import ReconcilerSettings

log = structlog.get_logger("reconciler.controller")

# How often the follower looks for rollouts due a poll (each backs off on its own as it ages,
# see reconciler.core.rollouts.poll_interval).
ROLLOUT_POLL_SECONDS = 5.0


class Controller:
    def __init__(
        self,
        *,
        settings: ReconcilerSettings,
        source: SpecSource,
        elector: LeaderElector | None = None,
        webhook_secret: bytes | None = None,
        stop_token: bytes | None = None,
        serve_http: bool = True,
    ) -> None:
        self.settings = settings
        self.source = source
        self.elector = elector
        self.status = ControllerStatus()
        self.metrics = ControllerMetrics(rollout_max_groups=settings.rollout_metrics_max_groups)
        self.call_stats = CallStats()
        self.metrics.bind_call_stats(self.call_stats)
        self.metrics.bind_rollouts(self.status.rollouts)
        # Notifications and Git feedback (docs/notifications.md): a misconfigured sink stops
        # the start, rather than leaving the team without the news it asked for.
        self.notifier = build_publisher(
            settings, stats=self.call_stats, observe=self.metrics.observe_notification
        )
        self.events: EventPublisher = self.notifier or NoEventPublisher()
        self.reconciler = Reconciler(
            source=source,
            settings=settings,
            status=self.status,
            is_leader=self.is_leader,
            runtime_factory=self._runtime,
            on_cycle=self._observe,
            events=self.events,
        )
        self._pending: dict[str, bool] = {}
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._work, name="reconcile-worker", daemon=True)
        self._scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )
        self.http: ControllerHttpServer | None = None
        if serve_http:
            webhook = (
                WebhookHandler(
                    secret=webhook_secret,
                    on_push=lambda event: self.trigger(f"webhook:{event.provider}"),
                    branch=settings.branch,
                )
                if webhook_secret
                else None
            )
            self.http = ControllerHttpServer(
                host=settings.http_host,
                port=settings.http_port,
                probes=Probes(healthy=self.healthy, ready=self.ready, status=self.status.snapshot),
                webhook=webhook,
                metrics=self.metrics,
                dashboard=self._dashboard(settings),
                stops=(
                    StopHandler(
                        token=stop_token,
                        store=self.reconciler.suspensions,
                        waves=self.reconciler.waves.store,
                        approvals=self.reconciler.waves.approvals,
                        on_change=lambda: self.trigger("suspension", full=True),
                    )
                    if stop_token
                    else None
                ),
            )

    # ------------------------------------------------------------------ wiring
    def _dashboard(self, settings: ReconcilerSettings) -> Dashboard | None:
        if not settings.dashboard:
            return None
        token = settings.dashboard_token.get_secret_value() if settings.dashboard_token else None
        return Dashboard(
            DashboardSource(fleet=self.status.snapshot, group=self.status.group_detail),
            token=token or None,
            repository_url=repository_web_url(settings.source),
        )

    def _runtime(self, settings: ReconcilerSettings, region: str, account: str) -> Runtime:
        return build_runtime(
            settings, region=region, account=account, stats=self.call_stats, events=self.events
        )

    def is_leader(self) -> bool:
        return self.elector.is_leader if self.elector is not None else True

    def healthy(self) -> bool:
        # A cycle stuck far beyond any interval means a hung call: let the orchestrator restart us.
        budget = max(300.0, 3 * self.settings.poll_interval)
        return self._worker.is_alive() and self.status.seconds_since_beat() < budget

    def ready(self) -> bool:
        return bool(self.status.snapshot()["ready"]) or not self.is_leader()

    def _observe(self, outcome: CycleOutcome) -> None:
        self.metrics.observe_reconcile(
            trigger=outcome.trigger.split(":", 1)[0],
            outcome=outcome.result,
            seconds=outcome.seconds,
        )
        snapshot = self.status.snapshot()
        if outcome.result == "success" and outcome.commit:
            self.metrics.set_last_success(timestamp=time.time(), commit=outcome.commit)
        counts = self.status.counts()
        self.metrics.set_targets(counts)
        self.metrics.set_drifted(counts.get(SyncState.DRIFTED.value, 0))
        self.metrics.set_leader(self.is_leader())
        log.info(
            "cycle",
            trigger=outcome.trigger,
            result=outcome.result,
            commit=(outcome.commit or "")[:12],
            seconds=round(outcome.seconds, 3),
            message=outcome.message,
            ready=snapshot["ready"],
        )

    # ------------------------------------------------------------------ triggers
    def trigger(self, reason: str, *, full: bool = False) -> None:
        with self._wake:
            self._pending[reason] = self._pending.get(reason, False) or full
            self._wake.notify()

    def _next(self) -> tuple[str, bool] | None:
        with self._wake:
            while not self._pending and not self._stopping.is_set():
                self._wake.wait(timeout=1.0)
                self.status.beat()  # idle is healthy
            if self._stopping.is_set():
                return None
            reasons, self._pending = self._pending, {}
        return "+".join(sorted(reasons)), any(reasons.values())

    def _work(self) -> None:
        while True:
            item = self._next()
            if item is None:
                return
            reason, full = item
            try:
                self.reconciler.reconcile(reason, full=full)
            except Exception:  # the loop must survive a bug in one cycle, and say so loudly
                log.exception("reconcile crashed", trigger=reason)
            release_free_memory()  # what the cycle freed, back to the system before the next

    def _follow_rollouts(self) -> None:
        if not self.is_leader():
            return  # the leader follows what it wrote; the others spend no AWS budget
        try:
            ended = self.reconciler.rollouts.poll()
        except Exception:  # the schedule must survive a bug in one round, and say so loudly
            log.exception("following rollouts crashed")
            return
        for end in ended:
            self.metrics.observe_rollout(outcome=end.state.value.lower())
        if self.reconciler.waves.wants_cycle(time.time()):
            # A Rollout's wave may move on (its devices moved, a bake ended): a full cycle,
            # since the source did not change.
            self.trigger("waves", full=True)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        if self.elector is not None:
            self.elector.start()
        if self.http is not None:
            self.http.start()
            log.info("serving", url=self.http.url)
        self._worker.start()
        self._scheduler.add_job(
            lambda: self.trigger("poll"), "interval", seconds=self.settings.poll_interval, id="poll"
        )
        self._scheduler.add_job(
            lambda: self.trigger("resync", full=True),
            "interval",
            seconds=self.settings.resync_interval,
            id="resync",
        )
        self._scheduler.add_job(
            self._follow_rollouts, "interval", seconds=ROLLOUT_POLL_SECONDS, id="rollouts"
        )
        self._scheduler.start()
        self.source.watch(lambda: self.trigger("watch"))
        self.trigger("startup", full=True)

    def stop(self) -> None:
        self._stopping.set()
        self.reconciler.rollouts.stop()
        with self._wake:
            self._wake.notify_all()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.source.close()
        if self._worker.is_alive():
            self._worker.join(timeout=30)
        if self.http is not None:
            self.http.stop()
        if self.elector is not None:
            self.elector.stop()
        if self.notifier is not None:
            self.notifier.close()

    def run_forever(self) -> None:
        """Start, then block until SIGINT/SIGTERM, then stop cleanly."""
        self.start()
        self.wait_for_signal()

    def wait_for_signal(self) -> None:
        """Block until SIGINT/SIGTERM (the controller already started), then stop cleanly."""
        stop = threading.Event()

        def _handle(signum: int, _frame: FrameType | None) -> None:
            log.info("stopping", signal=signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, _handle)
        signal.signal(signal.SIGINT, _handle)
        try:
            while not stop.wait(1.0):
                pass
        finally:
            self.stop()
