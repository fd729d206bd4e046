"""One reconcile cycle: fetch the source, validate, plan, apply what is allowed, record status.

The cycle never leaves things worse than it found them: a failed fetch keeps the last good
revision; a commit whose specs do not validate is not applied (the fleet stays as it is) and the
error names the commit; a target that fails is reported without blocking the others.

Drift (a live revision changed outside Git) is reverted on its own only where the spec says
`selfHeal: true`. Elsewhere a drifted group is left alone while Git asks the same of it, but a
commit that changes what the specs ask of the group applies it, overwriting the drift (reported
in the log and the plan), as Argo CD syncs a changed application: otherwise a change in Git
(a rotated secret) would be skipped silently while `lastAppliedCommit` moved on. "Changed" is
the group's resolved desired state (`TargetPlan.desired_digest`) compared with that of the last
successful cycle; a process that has not completed one yet (just started, or just became the
leader) knows no earlier state and leaves drifted groups alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import structlog

from reconciler.adapters.rollout_waves import ApprovalStore, RolloutWaveStore
from reconciler.adapters.sources.base import SourceRevision, SpecSource, changed_since
from reconciler.adapters.spec_files import SpecDirectoryLoader
from reconciler.adapters.suspensions import SuspensionStore
from reconciler.core.events import EventPublisher, NoEventPublisher
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.provenance import COMMIT, CONTENT_HASH
from reconciler.core.rollouts import RolloutPolicy
from reconciler.core.specs import InvalidSpecsError, SpecSet
from reconciler.core.suspension import RollbackRecord, active_suspension
from reconciler.core.windows import window_verdict
from reconciler.engine.applying import ApplyOptions, ApplyReport, Outcome
from reconciler.engine.notices import CycleNotices
from reconciler.engine.projection import StatusProjection
from reconciler.engine.rollouts import AdoptedRevision, RolloutFollower
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.engine.status import (
    CANCELED_OUTSIDE_GIT,
    ControllerStatus,
    ErrorRecord,
    Hold,
    SyncState,
)
from reconciler.engine.waves import WaveEnforcer
from reconciler.errors import ReconcilerError, SourceError, SpecError
from reconciler.settings import ReconcilerSettings

log = structlog.get_logger("reconciler.cycle")

CycleResult = Literal["success", "error", "skipped"]


# The holds that end by themselves with time (Settings windows, an expiring suspension); an
# operator's cancel (Halted) and a rollback end only with a commit or an operator's act.
LAPSING_HOLDS = frozenset({SyncState.WAITING, SyncState.SUSPENDED})


@dataclass(frozen=True)
class CycleOutcome:
    trigger: str
    result: CycleResult
    commit: str | None
    message: str
    seconds: float
    plan: Plan | None = None
    report: ApplyReport | None = None


def _short(commit: str | None) -> str:
    return (commit or "?")[:12]


def _spec_error_text(error: SpecError, limit: int = 5) -> str:
    if isinstance(error, InvalidSpecsError):
        lines = [p.render() for p in error.problems[:limit]]
        more = len(error.problems) - limit
        return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")
    return str(error)


class Reconciler:
    """Runs cycles one at a time; safe to call from several threads (they queue on a lock)."""

    def __init__(
        self,
        *,
        source: SpecSource,
        settings: ReconcilerSettings,
        status: ControllerStatus,
        is_leader: Callable[[], bool] = lambda: True,
        runtime_factory: Callable[[ReconcilerSettings, str, str], Runtime] | None = None,
        on_cycle: Callable[[CycleOutcome], None] | None = None,
        events: EventPublisher | None = None,
        rollouts: RolloutFollower | None = None,
        suspensions: SuspensionStore | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.source = source
        self.settings = settings
        self.status = status
        self._is_leader = is_leader
        # Failed cycles go here; applied and drift events through the runtime's publisher,
        # which the controller makes the same one.
        self._events = events or NoEventPublisher()
        self._notices = CycleNotices(self._events)
        self._runtime_factory = runtime_factory or (
            lambda s, region, account: build_runtime(
                s, region=region, account=account, events=self._events
            )
        )
        self._on_cycle = on_cycle or (lambda _outcome: None)
        self._runtimes: dict[tuple[str, str], Runtime] = {}
        self._verified: set[tuple[str, str]] = set()
        self._last_synced: SourceRevision | None = None
        self._last_cycle_failed = False
        # Holds that end with time (a window opens, a suspension expires) are planned again
        # at the next poll even when no commit came: they must not wait for the full resync.
        self._holds_may_lapse = False
        # Follows every revision created or found to the devices (engine/rollouts.py).
        self.rollouts = rollouts or RolloutFollower(status)
        # Per thing group, what the specs asked of it at the last successful cycle (None: no
        # successful cycle yet as the writer, so a change in Git cannot be told from none).
        self._synced_desired: dict[str, bytes] | None = None
        # Parses only the Deployments that changed since the last specs that loaded.
        self._specs = SpecDirectoryLoader()
        # Operators' suspensions outside Git (adapters/suspensions.py), read every cycle.
        self.suspensions = suspensions or SuspensionStore(settings.cache_dir)
        self._now = now or (lambda: datetime.now(UTC))
        self._projection = StatusProjection(status)
        # Rollouts in waves: holds, reverts and the gate state kept in the cache dir.
        self.waves = WaveEnforcer(
            RolloutWaveStore(settings.cache_dir),
            ApprovalStore(settings.cache_dir),
            status=status,
            recheck_seconds=settings.poll_interval,
        )
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ helpers
    def runtime(self, spec_set: SpecSet) -> Runtime:
        key = (spec_set.settings.region, spec_set.settings.account_id)
        if key not in self._runtimes:
            self._runtimes[key] = self._runtime_factory(self.settings, *key)
        runtime = self._runtimes[key]
        if key not in self._verified:
            runtime.verify_account()
            self._verified.add(key)
        return runtime

    @property
    def runtimes(self) -> list[Runtime]:
        return list(self._runtimes.values())

    def _fail(
        self,
        trigger: str,
        commit: str | None,
        message: str,
        started: float,
        failed_groups: tuple[str, ...] = (),
    ) -> CycleOutcome:
        self._last_cycle_failed = True
        self.status.update(last_error=ErrorRecord(message, commit, time.time()))
        log.error("reconcile failed", trigger=trigger, commit=_short(commit), error=message)
        self._notices.cycle_failed(trigger, commit, message, failed_groups)
        return self._done(
            CycleOutcome(trigger, "error", commit, message, time.monotonic() - started)
        )

    def _done(self, outcome: CycleOutcome) -> CycleOutcome:
        self.status.record_cycle()
        self._on_cycle(outcome)
        return outcome

    # ------------------------------------------------------------------ the cycle
    def reconcile(self, trigger: str, *, full: bool = False) -> CycleOutcome:
        """One cycle. `full` plans even when the source did not move (startup, resync)."""
        with self._lock:
            started = time.monotonic()
            try:
                return self._reconcile(trigger, full=full)
            except Exception as error:  # a bug must show in /status, metrics and notices
                return self._crashed(trigger, error, started)

    def _crashed(self, trigger: str, error: Exception, started: float) -> CycleOutcome:
        """A cycle that raised what no step expects: nothing it did can be vouched for, so no
        group stays `Synced`; the next cycle plans everything again."""
        log.exception("reconcile crashed", trigger=trigger)
        message = f"the cycle crashed: {type(error).__name__}: {error}"
        groups = self.status.mark_all_unknown(message)
        commit = self.status.snapshot()["lastSeenCommit"]
        return self._fail(trigger, commit, message, started, failed_groups=groups)

    def _reconcile(self, trigger: str, *, full: bool) -> CycleOutcome:
        started = time.monotonic()
        fetch_error: str | None = None
        try:
            revision = self.source.fetch()
        except SourceError as error:
            last = self.source.last_good
            fetch_error = f"fetching the source failed: {error}"
            if last is None or not full:
                kept = f"; keeping commit {_short(last.revision)}" if last else ""
                return self._fail(
                    trigger, last.revision if last else None, fetch_error + kept, started
                )
            revision = last
        self.status.update(last_seen_commit=revision.revision, source=revision.description)
        if (
            not full
            and not self._last_cycle_failed
            and not self._holds_may_lapse
            and not changed_since(self._last_synced, revision)
        ):
            # Same specs content as the last successful cycle (e.g. a README-only commit).
            self.status.update(last_applied_commit=revision.revision)
            return self._done(
                CycleOutcome(
                    trigger,
                    "skipped",
                    revision.revision,
                    "no change in the source",
                    time.monotonic() - started,
                )
            )
        if not self._is_leader():
            self._synced_desired = None  # another replica applies meanwhile
            self.status.update(leader=False)
            return self._done(
                CycleOutcome(
                    trigger,
                    "skipped",
                    revision.revision,
                    "not the leader: another replica writes",
                    time.monotonic() - started,
                )
            )
        self.status.update(leader=True)
        try:
            spec_set = self._specs.load(revision.specs_root)
        except SpecError as error:
            return self._fail(
                trigger,
                revision.revision,
                f"commit {_short(revision.revision)}: specs are invalid, nothing applied: "
                f"{_spec_error_text(error)}",
                started,
            )
        try:
            runtime = self.runtime(spec_set)
            plan = runtime.plan(
                spec_set,
                commit=revision.revision,
                specs_path=revision.specs_root.as_posix(),
                compact=True,
                keep_going=True,
            )
            self._notices.drift(plan, spec_set, runtime.events, revision.revision)
            self._adopt_rollouts(plan, spec_set, runtime)
            holds = self._holds(plan, spec_set, runtime)
            report = self._apply(plan, spec_set, runtime, revision, holds)
        except ReconcilerError as error:
            # No group could be checked against this commit (AWS unreachable, the account
            # refused, a problem of the repository's own components): none stays `Synced`.
            message = f"commit {_short(revision.revision)}: {error}"
            groups = self.status.mark_all_unknown(message)
            return self._fail(trigger, revision.revision, message, started, failed_groups=groups)
        self._projection.record(plan, report, holds, runtime.events, revision)
        self._holds_may_lapse = any(h.state in LAPSING_HOLDS for h in holds.values())
        problems: list[str] = []
        failed_groups = [f.thing_group for f in plan.failures]
        if plan.failures:
            problems.append(
                "planning failed for "
                + "; ".join(f"{f.thing_group}: {f.reason}" for f in plan.failures)
            )
        if report is not None and report.failed:
            failures = [
                f"{r.thing_group}: {r.reason}"
                for r in report.targets
                if r.outcome is Outcome.FAILED
            ]
            failed_groups += [r.thing_group for r in report.targets if r.outcome is Outcome.FAILED]
            failures += [
                f"{v.name} {v.version}: {v.reason}"
                for v in report.versions
                if v.outcome is Outcome.FAILED
            ]
            problems.append("apply failed for " + "; ".join(failures))
        if problems:
            return self._fail(
                trigger,
                revision.revision,
                f"commit {_short(revision.revision)}: " + "; ".join(problems),
                started,
                failed_groups=tuple(failed_groups),
            )
        self._last_synced = revision
        self._synced_desired = {
            t.thing_group: t.desired_digest for t in plan.targets if t.desired_digest is not None
        }
        self._last_cycle_failed = False
        self._notices.cycle_succeeded()
        now = time.time()
        self.status.update(
            ready=True,
            last_applied_commit=revision.revision,
            last_success_at=now,
            last_error=(ErrorRecord(fetch_error, revision.revision, now) if fetch_error else None),
        )
        applied = report.count(Outcome.APPLIED) if report else 0
        message = (
            f"commit {_short(revision.revision)}: {len(plan.targets)} target(s), "
            f"{applied} revision(s) created"
        )
        log.info(
            "reconciled",
            trigger=trigger,
            commit=_short(revision.revision),
            targets=len(plan.targets),
            applied=applied,
        )
        return self._done(
            CycleOutcome(
                trigger,
                "success",
                revision.revision,
                message,
                time.monotonic() - started,
                plan,
                report,
            )
        )

    def _holds(self, plan: Plan, spec_set: SpecSet, runtime: Runtime) -> dict[str, Hold]:
        """The groups held back this cycle and why (docs/controller.md "Stopping a group")."""
        heal = {d.thing_group for d in spec_set.deployments if d.sync_policy.self_heal}
        by_operator = self.suspensions.load()
        rollbacks = self.suspensions.rollbacks()
        now = self._now()
        windows = spec_set.settings.sync_windows
        holds: dict[str, Hold] = {}
        for target in plan.targets:
            group = target.thing_group
            spec = spec_set.revision_source(group)
            suspension = active_suspension(
                group, spec.suspension if spec else None, by_operator, now
            )
            if (
                target.canceled_outside_git
                and group not in heal
                and not self._changed_in_git(target)
            ):
                holds[group] = Hold(SyncState.HALTED, CANCELED_OUTSIDE_GIT)
            elif suspension is not None and target.action is not TargetAction.NOOP:
                holds[group] = Hold(SyncState.SUSPENDED, suspension.describe())
            elif target.action is not TargetAction.NOOP:
                allowed, reason, _ = window_verdict(windows, group, now)
                if not allowed:
                    holds[group] = Hold(SyncState.WAITING, reason)
            if group in rollbacks and group not in holds:
                rolled_back = self._rolled_back(target, rollbacks[group], runtime)
                if rolled_back is None:
                    # Spent: the specs match it now, or a newer revision replaced it.
                    self.suspensions.forget_rollback(group)
                else:
                    holds[group] = rolled_back
        waves = self.waves.enforce(plan, spec_set, runtime, now=now.timestamp(), commit=plan.commit)
        for group, hold in waves.items():
            holds.setdefault(group, hold)
        return holds

    def _rolled_back(
        self, target: TargetPlan, record: RollbackRecord, runtime: Runtime
    ) -> Hold | None:
        """The hold of a group an operator rolled back, while the rollback stands: its revision
        is live, the specs do not match it, and they still ask what it replaced (no commit
        changed the group since)."""
        live = (
            runtime.gateway.deployment(target.live_deployment_id)  # cached: planning read it
            if target.live_deployment_id
            else None
        )
        if (
            live is None
            or live.tags.get(CONTENT_HASH) != record.content_hash
            or target.action is TargetAction.NOOP
            or self._changed_in_git(target)
            or (record.replaced_hash is not None and target.content_hash != record.replaced_hash)
        ):
            return None
        return Hold(SyncState.ROLLED_BACK, record.describe())

    def _apply(
        self,
        plan: Plan,
        spec_set: SpecSet,
        runtime: Runtime,
        revision: SourceRevision,
        holds: dict[str, Hold],
    ) -> ApplyReport | None:
        heal = {d.thing_group for d in spec_set.deployments if d.sync_policy.self_heal}
        changed_in_git = {t.thing_group for t in plan.targets if self._changed_in_git(t)}
        groups = frozenset(
            t.thing_group
            for t in plan.targets
            if t.action in (TargetAction.CREATE, TargetAction.UPDATE)
            and t.thing_group not in holds
            and (not t.drift or t.thing_group in heal or t.thing_group in changed_in_git)
        ) | frozenset(
            t.thing_group
            for t in plan.targets
            if t.action is TargetAction.PRUNE and t.thing_group not in holds
        )
        for target in plan.targets:
            if target.drift and target.thing_group in changed_in_git - heal:
                log.warning(
                    "drift overwritten: the commit changes what the specs ask of the group",
                    group=target.thing_group,
                    commit=_short(revision.revision),
                )
        if not groups:
            return None
        options = ApplyOptions(
            instance=self.settings.instance,
            commit=revision.revision,
            specs_root=revision.specs_root,
            prune=spec_set.settings.prune,
            only_groups=groups,
            concurrency=self.settings.concurrency,
        )
        report = runtime.applier(
            progress=lambda line: log.info(line), may_write=self._is_leader
        ).apply(plan, options)
        if report.versions:
            runtime.reader.invalidate_listings()
        applied = {r.thing_group for r in report.targets if r.outcome is not Outcome.UNCHANGED}
        if runtime.memo is not None:
            runtime.memo.forget(applied)
        for result in report.targets:
            if result.outcome is Outcome.APPLIED and result.deployment_id:
                spec = spec_set.revision_source(result.thing_group)
                created = runtime.gateway.cached_deployment(result.deployment_id)
                self.rollouts.track(
                    runtime.rollouts,
                    thing_group=result.thing_group,
                    deployment_id=result.deployment_id,
                    policy=spec.rollout_policy if spec else RolloutPolicy(),
                    commit=revision.revision,
                    job_id=created.iot_job_id if created else None,
                    events=runtime.events,
                )
        self._notices.applied(report, runtime.events, revision.revision)
        return report

    def _adopt_rollouts(self, plan: Plan, spec_set: SpecSet, runtime: Runtime) -> None:
        """Follow the managed revisions live in the planned groups (after a restart, this is how
        their rollouts come back); forget groups no longer planned."""
        found: list[AdoptedRevision] = []
        for target in plan.targets:
            spec = spec_set.revision_source(target.thing_group)
            if spec is None or not target.live_managed or not target.live_deployment_id:
                continue
            live = runtime.gateway.cached_deployment(target.live_deployment_id)
            found.append(
                AdoptedRevision(
                    thing_group=target.thing_group,
                    deployment_id=target.live_deployment_id,
                    revision_id=target.live_revision_id,
                    job_id=live.iot_job_id if live else None,
                    commit=live.tags.get(COMMIT) if live else None,
                    policy=spec.rollout_policy,
                )
            )
        # A group that could not be planned keeps its rollout: its live revision is unchanged.
        self.rollouts.forget_except(
            [t.thing_group for t in plan.targets] + [f.thing_group for f in plan.failures]
        )
        self.rollouts.adopt(runtime.rollouts, found, events=runtime.events)

    def _changed_in_git(self, target: TargetPlan) -> bool:
        """Whether the specs ask something else of the group than at the last successful cycle
        (a group new to the specs counts as changed)."""
        if self._synced_desired is None or target.desired_digest is None:
            return False
        return self._synced_desired.get(target.thing_group) != target.desired_digest
