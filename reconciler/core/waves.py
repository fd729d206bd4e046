"""Progressive rollout in waves: which groups of a Rollout may take a change now.

A `Rollout` orders thing groups into waves. When a change (the desired revisions of the
Rollout's groups) arrives, the first wave is applied; each later wave waits until every earlier
wave's gate passed *with the same change*: enough devices took the revision (rollout truth,
`reconciler/core/rollouts.py`), then the gate's bake time went by. A gate that can no longer
pass fails the rollout: it halts (later waves keep their revision) and, with `onFailure: revert`,
the failed wave's groups go back to their last good revision. A newer change restarts the waves
from the first; two changes never mix, because the recorded gate state belongs to one change.

These are pure rules over values: the engine observes the groups, records the state the
decision returns (it survives restarts), applies, holds and reverts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from reconciler.core.configuration import JsonValue
from reconciler.core.metric_checks import MetricCheck
from reconciler.core.rollouts import DeviceCounts


class OnFailure(StrEnum):
    HALT = "halt"
    REVERT = "revert"


@dataclass(frozen=True)
class Gate:
    """What a wave's devices must show before the next wave goes.

    `success_ratio`: succeeded devices over the devices the revision targets; `min_devices`:
    at least this many succeeded; `max_failed_devices`: more failures fail the gate at once
    (None: only the ratio decides); `bake_seconds`: how long the conditions must have held;
    `approval`: then an operator must approve the wave for this change (`reconciler approve`);
    `metrics`: CloudWatch metrics that must stay on the good side of their thresholds (judged
    by `reconciler/core/metric_checks.py`, read by `reconciler/engine/gate_metrics.py`)."""

    min_devices: int = 0
    success_ratio: float = 1.0
    bake_seconds: float = 0.0
    max_failed_devices: int | None = None
    approval: bool = False
    metrics: tuple[MetricCheck, ...] = ()


@dataclass(frozen=True)
class Canary:
    """A subdeployment: the parent's revision deployed to `group`, whose devices are in `parent`."""

    parent: str
    group: str


@dataclass(frozen=True)
class Wave:
    name: str
    targets: tuple[str, ...] = ()
    canary: Canary | None = None
    gate: Gate = Gate()

    @property
    def groups(self) -> tuple[str, ...]:
        """The thing groups this wave deploys to (a canary wave: the canary group)."""
        return (self.canary.group,) if self.canary is not None else self.targets


@dataclass(frozen=True)
class Rollout:
    name: str
    waves: tuple[Wave, ...]
    on_failure: OnFailure = OnFailure.HALT

    @property
    def groups(self) -> tuple[str, ...]:
        """Every group a wave deploys to, in wave order, each once."""
        return tuple(dict.fromkeys(group for wave in self.waves for group in wave.groups))

    def source_group(self, group: str) -> str:
        """The group whose desired revision `group` takes: a canary group takes its parent's."""
        for wave in self.waves:
            if wave.canary is not None and wave.canary.group == group:
                return wave.canary.parent
        return group


def change_key(rollout: Rollout, desired_hashes: Mapping[str, str]) -> str:
    """One key for the change: the desired content hash of each group of the Rollout (a canary
    group's is its parent's). Equal keys mean the same change; any group's new hash, a new one."""
    digest = hashlib.sha256()
    for group in rollout.groups:
        source = rollout.source_group(group)
        digest.update(f"{group}\0{desired_hashes.get(source, '')}\n".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class WaveObservation:
    """What a wave's groups show for the change: `deployed` when every group's latest revision
    is this change's; `counts` the devices of those revisions, summed (None: not read yet);
    `metric_failure` why its gate's metric checks fail, `metric_pending` why they cannot pass
    yet (both None when they pass or were not read: see `reconciler/engine/gate_metrics.py`)."""

    deployed: bool
    counts: DeviceCounts | None = None
    metric_failure: str | None = None
    metric_pending: str | None = None


@dataclass(frozen=True)
class GroupFacts:
    """What one group shows: the content hash of its latest revision (None: no revision of
    ours) and the devices of that revision (None: not read yet)."""

    latest_hash: str | None
    counts: DeviceCounts | None = None


def observe_waves(
    rollout: Rollout, desired_hashes: Mapping[str, str], facts: Mapping[str, GroupFacts]
) -> dict[str, WaveObservation]:
    """Each wave's observation for the change `desired_hashes` describes: deployed when every
    group's latest revision has its desired hash (a canary group: its parent's), the counts
    summed over the wave's groups once every group's are read."""
    observations: dict[str, WaveObservation] = {}
    for wave in rollout.waves:
        seen = [facts.get(group, GroupFacts(latest_hash=None)) for group in wave.groups]
        deployed = all(
            fact.latest_hash is not None
            and fact.latest_hash == desired_hashes.get(rollout.source_group(group))
            for group, fact in zip(wave.groups, seen, strict=True)
        )
        counts = [fact.counts for fact in seen]
        summed = (
            _sum_counts([c for c in counts if c is not None])
            if deployed and all(c is not None for c in counts)
            else None
        )
        observations[wave.name] = WaveObservation(deployed=deployed, counts=summed)
    return observations


def _sum_counts(counts: Iterable[DeviceCounts]) -> DeviceCounts:
    total = DeviceCounts()
    for each in counts:
        total = DeviceCounts(
            queued=total.queued + each.queued,
            in_progress=total.in_progress + each.in_progress,
            succeeded=total.succeeded + each.succeeded,
            failed=total.failed + each.failed,
            timed_out=total.timed_out + each.timed_out,
            rejected=total.rejected + each.rejected,
            canceled=total.canceled + each.canceled,
            removed=total.removed + each.removed,
        )
    return total


class RolloutPhase(StrEnum):
    PROGRESSING = "Progressing"
    COMPLETED = "Completed"
    HALTED = "Halted"


_PHASES = frozenset(phase.value for phase in RolloutPhase)


@dataclass(frozen=True)
class WaveRecord:
    """The recorded gate state of one wave (for one change)."""

    bake_started_at: float | None = None
    passed: bool = False


@dataclass(frozen=True)
class RolloutRecord:
    """The recorded state of a Rollout: the change it is rolling out, each wave's gate, and
    the failure that halted it (None while it goes on). `phase`, `current_wave`, `note` (why
    the next wave waits) and `failing_devices` (of the failed wave) are what the engine last
    decided, kept for the readers of the record (`reconciler status`); `decide` ignores them."""

    change: str
    waves: Mapping[str, WaveRecord] = field(default_factory=dict)
    halted_reason: str | None = None
    failed_wave: str | None = None
    phase: RolloutPhase | None = None
    current_wave: str | None = None
    note: str | None = None
    failing_devices: tuple[str, ...] = ()

    def wave(self, name: str) -> WaveRecord:
        return self.waves.get(name, WaveRecord())

    def to_json(self) -> dict[str, object]:
        return {
            "change": self.change,
            "waves": {
                name: {"bakeStartedAt": record.bake_started_at, "passed": record.passed}
                for name, record in self.waves.items()
            },
            "haltedReason": self.halted_reason,
            "failedWave": self.failed_wave,
            "phase": self.phase.value if self.phase is not None else None,
            "currentWave": self.current_wave,
            "note": self.note,
            "failingDevices": list(self.failing_devices),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> RolloutRecord:
        waves_json = value.get("waves")
        waves: dict[str, WaveRecord] = {}
        if isinstance(waves_json, Mapping):
            for name, raw in waves_json.items():
                if isinstance(raw, Mapping):
                    started = raw.get("bakeStartedAt")
                    waves[str(name)] = WaveRecord(
                        bake_started_at=float(started)
                        if isinstance(started, int | float)
                        else None,
                        passed=raw.get("passed") is True,
                    )
        halted = value.get("haltedReason")
        failed = value.get("failedWave")
        phase = value.get("phase")
        current = value.get("currentWave")
        note = value.get("note")
        failing = value.get("failingDevices")
        return cls(
            change=str(value.get("change", "")),
            waves=waves,
            halted_reason=halted if isinstance(halted, str) else None,
            failed_wave=failed if isinstance(failed, str) else None,
            phase=RolloutPhase(str(phase)) if phase in _PHASES else None,
            current_wave=current if isinstance(current, str) else None,
            note=note if isinstance(note, str) else None,
            failing_devices=tuple(str(d) for d in failing) if isinstance(failing, list) else (),
        )


@dataclass(frozen=True)
class RolloutDecision:
    """What to do now. `apply`: groups that may take the change (the waves up to the current
    one; applying a group that already has it changes nothing); `waiting`: group → why it
    keeps its revision; `revert`: groups to send back to their last good revision (only in
    the decision that finds the failure); `record`: the state to record; `restarted`: a newer
    change replaced the one the record was rolling out."""

    phase: RolloutPhase
    apply: frozenset[str]
    waiting: Mapping[str, str]
    revert: frozenset[str]
    record: RolloutRecord
    restarted: bool = False
    current_wave: str | None = None


def gate_failure(gate: Gate, counts: DeviceCounts) -> str | None:
    """Why the gate can no longer pass with these counts (None: it still may)."""
    failures = counts.failures
    if gate.max_failed_devices is not None and failures > gate.max_failed_devices:
        return f"{failures} devices failed, more than the {gate.max_failed_devices} allowed"
    targeted = counts.targeted
    best_succeeded = counts.succeeded + counts.pending  # if every pending device succeeds
    if targeted > 0 and best_succeeded < gate.success_ratio * targeted:
        return (
            f"{failures} of {targeted} devices failed: at most "
            f"{best_succeeded}/{targeted} can succeed, the gate needs a success ratio of "
            f"{gate.success_ratio:g}"
        )
    if counts.pending == 0 and counts.succeeded < gate.min_devices:
        return (
            f"only {counts.succeeded} devices succeeded and none is pending; "
            f"the gate needs {gate.min_devices}"
        )
    return None


def gate_conditions_hold(gate: Gate, counts: DeviceCounts) -> bool:
    """Enough devices succeeded, in a large enough share of the targeted devices."""
    targeted = counts.targeted
    if targeted == 0 or counts.succeeded < gate.min_devices:
        return False
    return counts.succeeded >= gate.success_ratio * targeted


def describe_progress(gate: Gate, counts: DeviceCounts) -> str:
    need = [f"ratio {gate.success_ratio:g}"]
    if gate.min_devices:
        need.insert(0, f"at least {gate.min_devices}")
    return f"{counts.succeeded}/{counts.targeted} devices succeeded (needs {', '.join(need)})"


def decide(
    rollout: Rollout,
    change: str,
    observations: Mapping[str, WaveObservation],
    now: float,
    record: RolloutRecord | None,
    approved: Collection[str] = frozenset(),
    unparented: Collection[str] = frozenset(),
) -> RolloutDecision:
    """The waves that may go for `change` (see `change_key`), given each wave's observation
    (by wave name; a missing one counts as not deployed), the time, the recorded state and the
    waves an operator approved for this change (a gate with `approval` waits for it).

    `unparented` names canary waves whose parent has no revision yet: AWS makes a
    subdeployment within its parent's deployment ("Create subdeployments"), so a fleet's first
    revision cannot be tried on a canary. Such a wave is passed over (the later waves' gates
    still hold the change back) and its groups wait for the parent's first revision."""
    decision = _decide(rollout, change, observations, now, record, approved, unparented)
    held = [g for wave in rollout.waves if wave.name in unparented for g in wave.groups]
    if not held:
        return decision
    waiting = dict(decision.waiting)
    for wave in rollout.waves:
        if wave.name in unparented and wave.canary is not None:
            reason = (
                f"waiting for {wave.canary.parent}'s first revision: a subdeployment is made "
                "within its parent's deployment"
            )
            _wait_all(wave.groups, reason, waiting)
    return replace(decision, apply=decision.apply - set(held), waiting=waiting)


def _decide(
    rollout: Rollout,
    change: str,
    observations: Mapping[str, WaveObservation],
    now: float,
    record: RolloutRecord | None,
    approved: Collection[str],
    unparented: Collection[str],
) -> RolloutDecision:
    restarted = record is not None and record.change != change
    if record is None or restarted:
        record = RolloutRecord(change=change)
    waiting: dict[str, str] = {}
    if record.halted_reason is not None:
        reason = f"rollout {rollout.name} halted: {record.halted_reason}"
        return RolloutDecision(
            phase=RolloutPhase.HALTED,
            apply=frozenset(),
            waiting=_wait_all(rollout.groups, reason, waiting),
            revert=frozenset(),
            record=record,
            restarted=restarted,
            current_wave=record.failed_wave,
        )
    wave_records = dict(record.waves)
    for index, wave in enumerate(rollout.waves):
        later = [group for later_wave in rollout.waves[index + 1 :] for group in later_wave.groups]
        allowed = {group for done in rollout.waves[: index + 1] for group in done.groups}
        observation = observations.get(wave.name, WaveObservation(deployed=False))
        wave_record = record.wave(wave.name)
        if wave_record.passed or wave.name in unparented:
            continue
        if not observation.deployed:
            reason = f"waiting for wave {wave.name} to be deployed"
            return _progressing(record, wave_records, wave, allowed, later, reason, restarted)
        counts = observation.counts
        if counts is None:
            reason = f"waiting for wave {wave.name}'s gate: its devices are not read yet"
            return _progressing(record, wave_records, wave, allowed, later, reason, restarted)
        failure = gate_failure(wave.gate, counts) or observation.metric_failure
        if failure is not None:
            halted = replace(
                record,
                waves=wave_records,
                halted_reason=f"wave {wave.name} failed its gate: {failure}",
                failed_wave=wave.name,
            )
            reverting = rollout.on_failure is OnFailure.REVERT
            return RolloutDecision(
                phase=RolloutPhase.HALTED,
                apply=frozenset(),
                waiting=_wait_all(
                    [g for g in rollout.groups if not (reverting and g in wave.groups)],
                    f"rollout {rollout.name} halted: {halted.halted_reason}",
                    {},
                ),
                revert=frozenset(wave.groups) if reverting else frozenset(),
                record=halted,
                restarted=restarted,
                current_wave=wave.name,
            )
        if not gate_conditions_hold(wave.gate, counts):
            reason = f"waiting for wave {wave.name}'s gate: {describe_progress(wave.gate, counts)}"
            wave_records[wave.name] = WaveRecord()  # a bake restarts when conditions lapse
            return _progressing(record, wave_records, wave, allowed, later, reason, restarted)
        started = wave_record.bake_started_at
        started = now if started is None else started
        if now - started < wave.gate.bake_seconds:
            wave_records[wave.name] = WaveRecord(bake_started_at=started)
            until = started + wave.gate.bake_seconds
            reason = f"waiting for wave {wave.name}'s gate: baking until {_utc(until)}"
            return _progressing(record, wave_records, wave, allowed, later, reason, restarted)
        if observation.metric_pending is not None:
            # The bake goes on, but the gate does not pass on metrics that say nothing yet.
            wave_records[wave.name] = WaveRecord(bake_started_at=started)
            reason = observation.metric_pending
            return _progressing(record, wave_records, wave, allowed, later, reason, restarted)
        if wave.gate.approval and wave.name not in approved:
            wave_records[wave.name] = WaveRecord(bake_started_at=started)
            reason = (
                f"waiting for wave {wave.name}'s approval: reconciler approve "
                f"{rollout.name} {wave.name}"
            )
            return _progressing(record, wave_records, wave, allowed, later, reason, restarted)
        wave_records[wave.name] = WaveRecord(bake_started_at=started, passed=True)
    return RolloutDecision(
        phase=RolloutPhase.COMPLETED,
        apply=frozenset(rollout.groups),
        waiting={},
        revert=frozenset(),
        record=replace(record, waves=wave_records),
        restarted=restarted,
    )


def _progressing(
    record: RolloutRecord,
    wave_records: dict[str, WaveRecord],
    wave: Wave,
    apply: set[str],
    later: list[str],
    reason: str,
    restarted: bool,
) -> RolloutDecision:
    return RolloutDecision(
        phase=RolloutPhase.PROGRESSING,
        apply=frozenset(apply),
        waiting=_wait_all(later, reason, {}),
        revert=frozenset(),
        record=replace(record, waves=wave_records),
        restarted=restarted,
        current_wave=wave.name,
    )


def _wait_all(groups: Iterable[str], reason: str, into: dict[str, str]) -> dict[str, str]:
    for group in groups:
        into.setdefault(group, reason)
    return into


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def rollout_status(rollout: Rollout, record: RolloutRecord) -> dict[str, JsonValue]:
    """A Rollout as `/status` (`rollouts`) and `reconciler status` show it."""
    return {
        "phase": (record.phase or RolloutPhase.PROGRESSING).value,
        "currentWave": record.current_wave,
        "reason": record.halted_reason if record.halted_reason else record.note,
        "failingDevices": list(record.failing_devices),
        "change": record.change,
        "onFailure": rollout.on_failure.value,
        "waves": [
            {
                "name": wave.name,
                "groups": list(wave.groups),
                "passed": record.wave(wave.name).passed,
                "bakeStartedAt": record.wave(wave.name).bake_started_at,
            }
            for wave in rollout.waves
        ],
    }
