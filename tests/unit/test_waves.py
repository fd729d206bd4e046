"""The pure rules of progressive rollout in waves (reconciler/core/waves.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.rollouts import DeviceCounts
from reconciler.core.waves import (
    Canary,
    Gate,
    GroupFacts,
    OnFailure,
    Rollout,
    RolloutPhase,
    RolloutRecord,
    Wave,
    WaveObservation,
    change_key,
    decide,
    observe_waves,
)

CAMERAS = Rollout(
    name="camera-models",
    waves=(
        Wave(
            "canary",
            canary=Canary(parent="Prod", group="Canary"),
            gate=Gate(min_devices=3, success_ratio=1.0, bake_seconds=600),
        ),
        Wave("staging", targets=("Staging",), gate=Gate(success_ratio=0.5, bake_seconds=1800)),
        Wave("production", targets=("Prod",)),
    ),
    on_failure=OnFailure.REVERT,
)
CHANGE = change_key(CAMERAS, {"Prod": "h1", "Staging": "h1"})


def done(succeeded: int, failed: int = 0, queued: int = 0) -> WaveObservation:
    return WaveObservation(
        deployed=True, counts=DeviceCounts(succeeded=succeeded, failed=failed, queued=queued)
    )


def test_a_new_change_applies_the_first_wave_only() -> None:
    decision = decide(CAMERAS, CHANGE, {}, now=0.0, record=None)
    assert decision.phase is RolloutPhase.PROGRESSING
    assert decision.apply == {"Canary"}
    assert decision.waiting == {
        "Staging": "waiting for wave canary to be deployed",
        "Prod": "waiting for wave canary to be deployed",
    }
    assert decision.current_wave == "canary"


def test_the_gate_counts_devices_then_bakes_then_the_next_wave_goes() -> None:
    progress = decide(CAMERAS, CHANGE, {"canary": done(2, queued=1)}, now=0.0, record=None)
    assert progress.waiting["Staging"] == (
        "waiting for wave canary's gate: 2/3 devices succeeded (needs at least 3, ratio 1)"
    )
    baking = decide(CAMERAS, CHANGE, {"canary": done(3)}, now=100.0, record=progress.record)
    assert baking.waiting["Prod"] == (
        "waiting for wave canary's gate: baking until 1970-01-01 00:11:40 UTC"
    )
    assert baking.record.wave("canary").bake_started_at == 100.0
    still = decide(CAMERAS, CHANGE, {"canary": done(3)}, now=699.0, record=baking.record)
    assert "Staging" in still.waiting
    baked = decide(CAMERAS, CHANGE, {"canary": done(3)}, now=700.0, record=still.record)
    assert baked.apply == {"Canary", "Staging"}
    assert set(baked.waiting) == {"Prod"}
    assert baked.record.wave("canary").passed


def test_every_wave_passed_completes_the_rollout() -> None:
    record = RolloutRecord(change=CHANGE)
    observations = {"canary": done(3), "staging": done(4, failed=1), "production": done(10)}
    for now in (0.0, 600.0, 2400.0):
        decision = decide(CAMERAS, CHANGE, observations, now=now, record=record)
        record = decision.record
    assert decision.phase is RolloutPhase.COMPLETED
    assert decision.apply == {"Canary", "Staging", "Prod"}
    assert decision.waiting == {}


def test_a_failed_canary_halts_and_reverts_the_canary_only() -> None:
    decision = decide(CAMERAS, CHANGE, {"canary": done(2, failed=1)}, now=0.0, record=None)
    assert decision.phase is RolloutPhase.HALTED
    assert decision.revert == {"Canary"}
    assert decision.apply == set()
    assert decision.record.failed_wave == "canary"
    assert decision.waiting["Prod"] == (
        "rollout camera-models halted: wave canary failed its gate: 1 of 3 devices failed: "
        "at most 2/3 can succeed, the gate needs a success ratio of 1"
    )
    # The halt is recorded: later cycles hold everything and revert nothing more.
    again = decide(CAMERAS, CHANGE, {"canary": done(3)}, now=10.0, record=decision.record)
    assert again.phase is RolloutPhase.HALTED
    assert again.revert == set()
    assert set(again.waiting) == {"Canary", "Staging", "Prod"}


def test_a_canary_whose_parent_has_no_revision_yet_waits_and_staging_goes_first() -> None:
    first = decide(CAMERAS, CHANGE, {}, now=0.0, record=None, unparented={"canary"})
    assert first.apply == {"Staging"}
    assert first.current_wave == "staging"
    assert first.waiting == {
        "Canary": "waiting for Prod's first revision: a subdeployment is made within its "
        "parent's deployment",
        "Prod": "waiting for wave staging to be deployed",
    }
    # Staging's gate still holds production back; the canary never takes the change early.
    record = first.record
    for now in (0.0, 1800.0):
        passing = decide(
            CAMERAS, CHANGE, {"staging": done(4)}, now=now, record=record, unparented={"canary"}
        )
        record = passing.record
    assert passing.apply == {"Staging", "Prod"}
    assert "Canary" in passing.waiting
    # Once the parent has its revision, the canary takes it as a subdeployment and bakes.
    after = decide(CAMERAS, CHANGE, {"production": done(10)}, now=1900.0, record=record)
    assert after.apply == {"Canary"}
    assert after.current_wave == "canary"


def test_a_metric_failure_fails_the_gate_and_a_silent_metric_keeps_it_shut() -> None:
    failing = WaveObservation(
        deployed=True, counts=DeviceCounts(succeeded=3), metric_failure="errors were 9"
    )
    halted = decide(CAMERAS, CHANGE, {"canary": failing}, now=0.0, record=None)
    assert halted.phase is RolloutPhase.HALTED
    assert halted.record.halted_reason == "wave canary failed its gate: errors were 9"
    assert halted.revert == {"Canary"}
    silent = WaveObservation(
        deployed=True, counts=DeviceCounts(succeeded=3), metric_pending="no datapoints yet"
    )
    record = None
    for now in (0.0, 600.0, 6000.0):  # the bake ends, the gate still waits for the metrics
        waiting = decide(CAMERAS, CHANGE, {"canary": silent}, now=now, record=record)
        record = waiting.record
    assert waiting.phase is RolloutPhase.PROGRESSING
    assert waiting.waiting["Staging"] == "no datapoints yet"
    assert not waiting.record.wave("canary").passed


def test_halt_without_revert_leaves_the_failed_wave_as_it_is() -> None:
    halting = Rollout(name="r", waves=CAMERAS.waves, on_failure=OnFailure.HALT)
    decision = decide(halting, CHANGE, {"canary": done(0, failed=3)}, now=0.0, record=None)
    assert decision.phase is RolloutPhase.HALTED
    assert decision.revert == set()
    assert set(decision.waiting) == {"Canary", "Staging", "Prod"}


def test_too_few_devices_fail_a_gate_once_none_is_pending() -> None:
    decision = decide(CAMERAS, CHANGE, {"canary": done(2)}, now=0.0, record=None)
    assert decision.phase is RolloutPhase.HALTED
    assert "only 2 devices succeeded and none is pending; the gate needs 3" in (
        decision.record.halted_reason or ""
    )


def test_max_failed_devices_fails_before_the_ratio_would() -> None:
    lenient = Rollout(
        name="r",
        waves=(
            Wave("a", targets=("A",), gate=Gate(success_ratio=0.1, max_failed_devices=1)),
            Wave("b", targets=("B",)),
        ),
    )
    change = change_key(lenient, {"A": "x", "B": "x"})
    ok = decide(lenient, change, {"a": done(0, failed=1, queued=8)}, now=0.0, record=None)
    assert ok.phase is RolloutPhase.PROGRESSING
    failed = decide(lenient, change, {"a": done(0, failed=2, queued=8)}, now=0.0, record=None)
    assert failed.record.halted_reason == (
        "wave a failed its gate: 2 devices failed, more than the 1 allowed"
    )


def test_a_newer_change_restarts_the_waves_and_clears_a_halt() -> None:
    halted = decide(CAMERAS, CHANGE, {"canary": done(0, failed=3)}, now=0.0, record=None)
    newer = change_key(CAMERAS, {"Prod": "h2", "Staging": "h1"})
    assert newer != CHANGE
    decision = decide(CAMERAS, newer, {}, now=5.0, record=halted.record)
    assert decision.restarted
    assert decision.phase is RolloutPhase.PROGRESSING
    assert decision.apply == {"Canary"}
    assert decision.record == RolloutRecord(change=newer)


def test_the_canary_takes_its_parents_hash() -> None:
    assert CAMERAS.source_group("Canary") == "Prod"
    assert CAMERAS.groups == ("Canary", "Staging", "Prod")
    assert change_key(CAMERAS, {"Prod": "h1", "Staging": "h1", "Canary": "other"}) == CHANGE


def test_the_record_survives_json() -> None:
    baked = decide(CAMERAS, CHANGE, {"canary": done(3)}, now=100.0, record=None).record
    halted = decide(CAMERAS, CHANGE, {"canary": done(0, failed=3)}, now=0.0, record=None).record
    for record in (baked, halted):
        assert RolloutRecord.from_json(record.to_json()) == record


# --- algebraic properties --------------------------------------------------------------------

counts_strategy = st.builds(
    DeviceCounts,
    queued=st.integers(0, 3),
    succeeded=st.integers(0, 6),
    failed=st.integers(0, 2),
)
observation_strategy = st.one_of(
    st.just(WaveObservation(deployed=False)),
    st.just(WaveObservation(deployed=True)),
    st.builds(WaveObservation, deployed=st.just(True), counts=counts_strategy),
)
step_strategy = st.tuples(
    st.sampled_from(["h1", "h2"]),  # the Prod hash of the change this cycle sees
    st.fixed_dictionaries(
        {name: observation_strategy for name in ("canary", "staging", "production")}
    ),
    st.floats(0, 2000),  # seconds since the last cycle
)


@settings(max_examples=300, deadline=None)
@given(st.lists(step_strategy, min_size=1, max_size=12))
def test_a_later_wave_never_goes_before_every_earlier_gate_passed_with_this_change(
    steps: list[tuple[str, dict[str, WaveObservation], float]],
) -> None:
    record: RolloutRecord | None = None
    now = 0.0
    for prod_hash, observations, elapsed in steps:
        now += elapsed
        change = change_key(CAMERAS, {"Prod": prod_hash, "Staging": "h1"})
        decision = decide(CAMERAS, change, observations, now=now, record=record)
        # The record is always the change's: an old change's gate never counts for a new one.
        assert decision.record.change == change
        assert decision.restarted == (record is not None and record.change != change)
        if decision.restarted:
            assert all(
                not w.passed or observations[name].deployed
                for name, w in decision.record.waves.items()
            )
        for index, wave in enumerate(CAMERAS.waves):
            if set(wave.groups) & decision.apply and index > 0:
                for earlier in CAMERAS.waves[:index]:
                    assert decision.record.wave(earlier.name).passed
        # A group may go or waits, never both; a halted rollout lets none go.
        assert not (decision.apply & set(decision.waiting))
        if decision.phase is RolloutPhase.HALTED:
            assert decision.apply == set()
        record = decision.record


@settings(max_examples=200, deadline=None)
@given(st.lists(counts_strategy, min_size=1, max_size=8))
def test_a_passed_wave_stays_passed_for_its_change(counts: list[DeviceCounts]) -> None:
    record = RolloutRecord(change=CHANGE)
    passed_once = False
    for index, seen in enumerate(counts):
        observations = {"canary": WaveObservation(deployed=True, counts=seen)}
        decision = decide(CAMERAS, CHANGE, observations, now=index * 1000.0, record=record)
        if decision.phase is RolloutPhase.HALTED:
            assert not passed_once  # a gate that passed never fails later for the same change
            break
        passed_once = passed_once or decision.record.wave("canary").passed
        if passed_once:
            assert decision.record.wave("canary").passed
        record = decision.record


def test_observations_come_from_the_groups_latest_hashes_and_counts() -> None:
    desired = {"Prod": "h1", "Staging": "h1"}
    facts = {
        "Canary": GroupFacts("h1", DeviceCounts(succeeded=2, failed=1)),
        "Staging": GroupFacts("h0", DeviceCounts(succeeded=9)),  # the previous change
        "Prod": GroupFacts("h1", None),  # deployed, its devices not read yet
    }
    assert observe_waves(CAMERAS, desired, facts) == {
        "canary": WaveObservation(deployed=True, counts=DeviceCounts(succeeded=2, failed=1)),
        "staging": WaveObservation(deployed=False),
        "production": WaveObservation(deployed=True, counts=None),
    }
    # A wave of several groups counts all their devices, and only once all are read.
    two = Rollout("r", (Wave("both", targets=("A", "B")),))
    both = {"A": GroupFacts("x", DeviceCounts(succeeded=1)), "B": GroupFacts("x", None)}
    assert observe_waves(two, {"A": "x", "B": "x"}, both)["both"].counts is None
    both["B"] = GroupFacts("x", DeviceCounts(succeeded=2, queued=1))
    assert observe_waves(two, {"A": "x", "B": "x"}, both)["both"].counts == DeviceCounts(
        succeeded=3, queued=1
    )
    assert observe_waves(two, {"A": "x"}, both)["both"].deployed is False  # B has no desired


def test_an_approval_gate_waits_for_the_operator_after_the_bake() -> None:
    gated = Rollout(
        "r",
        (
            Wave("first", targets=("A",), gate=Gate(bake_seconds=60, approval=True)),
            Wave("second", targets=("B",)),
        ),
    )
    change = change_key(gated, {"A": "h", "B": "h"})
    baking = decide(gated, change, {"first": done(1)}, now=0.0, record=None)
    waiting = decide(gated, change, {"first": done(1)}, now=60.0, record=baking.record)
    assert waiting.apply == {"A"}
    assert waiting.waiting == {"B": "waiting for wave first's approval: reconciler approve r first"}
    assert not waiting.record.wave("first").passed
    approved = decide(
        gated, change, {"first": done(1)}, now=61.0, record=waiting.record, approved={"first"}
    )
    assert approved.apply == {"A", "B"}
    assert approved.record.wave("first").passed
    # An approval only counts once the gate's own conditions held for the whole bake.
    early = decide(gated, change, {"first": done(1)}, now=0.0, record=None, approved={"first"})
    assert early.apply == {"A"}


def test_what_the_engine_keeps_in_the_record_survives_json() -> None:
    record = RolloutRecord(
        change=CHANGE,
        halted_reason="wave canary failed its gate",
        failed_wave="canary",
        phase=RolloutPhase.HALTED,
        current_wave="canary",
        note="rollout halted",
        failing_devices=("canary-1", "canary-2"),
    )
    assert RolloutRecord.from_json(record.to_json()) == record
    assert RolloutRecord.from_json({"change": "c", "phase": "Bogus"}).phase is None
