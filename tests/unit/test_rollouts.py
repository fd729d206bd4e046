"""The rules of rollout truth (reconciler/core/rollouts.py): states, thresholds, back-off."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.rendering.rollouts import rollouts_document
from reconciler.core.rollouts import (
    POLL_SCHEDULE,
    SLOWEST_POLL_SECONDS,
    DeviceCounts,
    FailingDevice,
    JobFacts,
    RolloutPolicy,
    RolloutState,
    RolloutView,
    abort_criteria_met,
    follow_up_rate,
    poll_interval,
    rollout_state,
    top_error,
)

small = st.integers(min_value=0, max_value=60)
counts_strategy = st.builds(
    DeviceCounts,
    queued=small,
    in_progress=small,
    succeeded=small,
    failed=small,
    timed_out=small,
    rejected=small,
    canceled=small,
    removed=small,
)
policies = st.builds(
    RolloutPolicy,
    failure_threshold_percentage=st.floats(min_value=0, max_value=100),
)


def _job(counts: DeviceCounts, status: str = "IN_PROGRESS", **extra: object) -> JobFacts:
    return JobFacts(status=status, counts=counts, **extra)  # type: ignore[arg-type]


@given(counts_strategy)
def test_counts_round_trip_through_describe_job_and_json(counts: DeviceCounts) -> None:
    details = {
        "numberOfQueuedThings": counts.queued,
        "numberOfInProgressThings": counts.in_progress,
        "numberOfSucceededThings": counts.succeeded,
        "numberOfFailedThings": counts.failed,
        "numberOfTimedOutThings": counts.timed_out,
        "numberOfRejectedThings": counts.rejected,
        "numberOfCanceledThings": counts.canceled,
        "numberOfRemovedThings": counts.removed,
    }
    assert DeviceCounts.from_process_details(details) == counts
    assert DeviceCounts.from_json(counts.to_json()) == counts
    as_json = counts.to_json()
    assert as_json["total"] == sum(v for k, v in as_json.items() if k != "total")


def test_absent_members_of_job_process_details_count_zero() -> None:
    assert DeviceCounts.from_process_details(None) == DeviceCounts()
    assert DeviceCounts.from_process_details({"numberOfFailedThings": 2}).failures == 2


@given(counts_strategy, policies, st.integers(min_value=0, max_value=600))
def test_pending_devices_never_make_an_end_nor_a_failure_of_their_own(
    counts: DeviceCounts, policy: RolloutPolicy, members: int
) -> None:
    """Offline devices stay QUEUED: more of them never moves a rollout to Failed/Degraded."""
    before = rollout_state(_job(counts), policy, members=members)
    more_offline = replace(counts, queued=counts.queued + 5)
    after = rollout_state(_job(more_offline), policy, members=members + 5)
    if counts.pending:
        assert before is RolloutState.PROGRESSING or before is RolloutState.FAILED
    assert after in (RolloutState.PROGRESSING, RolloutState.FAILED)
    if after is RolloutState.FAILED:
        assert before is RolloutState.FAILED  # five more pending devices only dilute failures


@given(counts_strategy, policies)
def test_an_end_needs_every_member_notified(counts: DeviceCounts, policy: RolloutPolicy) -> None:
    state = rollout_state(_job(counts), policy, members=counts.targeted + 1)
    assert state in (RolloutState.PROGRESSING, RolloutState.FAILED)
    assert rollout_state(_job(counts), policy, members=None) is RolloutState.PROGRESSING


@given(counts_strategy, policies)
def test_states_once_everyone_reported(counts: DeviceCounts, policy: RolloutPolicy) -> None:
    done = replace(counts, queued=0, in_progress=0)
    state = rollout_state(_job(done), policy, members=done.targeted)
    share = done.failures * 100.0 / max(done.targeted, 1)
    if share > policy.failure_threshold_percentage:
        assert state is RolloutState.FAILED
    elif done.failures:
        assert state is RolloutState.DEGRADED
    else:
        assert state is RolloutState.SUCCEEDED


@given(
    counts_strategy, st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100)
)
def test_a_higher_threshold_never_makes_a_rollout_worse(
    counts: DeviceCounts, low: float, high: float
) -> None:
    low, high = sorted((low, high))
    order = [RolloutState.SUCCEEDED, RolloutState.PROGRESSING, RolloutState.DEGRADED]
    order.append(RolloutState.FAILED)
    members = counts.targeted
    strict = rollout_state(_job(counts), RolloutPolicy(low), members=members)
    lenient = rollout_state(_job(counts), RolloutPolicy(high), members=members)
    assert order.index(lenient) <= order.index(strict)


@given(counts_strategy, policies, st.booleans())
def test_canceled_jobs(counts: DeviceCounts, policy: RolloutPolicy, superseded: bool) -> None:
    state = rollout_state(
        _job(counts, "CANCELED"), policy, superseded=superseded, members=counts.targeted
    )
    share = counts.failures * 100.0 / max(counts.targeted, 1)
    if share > policy.failure_threshold_percentage:
        assert state is RolloutState.FAILED
    else:
        assert state is (RolloutState.SUPERSEDED if superseded else RolloutState.CANCELED)


def test_a_job_its_abort_config_canceled_is_failed_even_under_the_threshold() -> None:
    criteria = (
        {
            "failureType": "FAILED",
            "action": "CANCEL",
            "thresholdPercentage": 10,
            "minNumberOfExecutedThings": 20,
        },
    )
    counts = DeviceCounts(succeeded=18, failed=2)  # 30 more never notified: no execution
    assert abort_criteria_met(criteria, counts)
    job = _job(counts, "CANCELED", abort_criteria=criteria)
    assert rollout_state(job, RolloutPolicy(50), members=50) is RolloutState.FAILED
    assert not abort_criteria_met(criteria, DeviceCounts(succeeded=17, failed=2))  # 19 < 20
    assert not abort_criteria_met(criteria, DeviceCounts(succeeded=20, timed_out=5))  # not FAILED


@given(st.floats(min_value=0, max_value=10 * 86400), st.floats(min_value=0, max_value=86400))
def test_polls_back_off_as_a_rollout_ages(age: float, later: float) -> None:
    assert poll_interval(age) <= poll_interval(age + later)
    assert POLL_SCHEDULE[0][1] <= poll_interval(age) <= SLOWEST_POLL_SECONDS


def test_the_follow_up_budget_is_a_share_of_the_client_rate() -> None:
    assert follow_up_rate(20.0, 0.25) == 5.0
    for bad in (0.0, 1.5):
        try:
            follow_up_rate(20.0, bad)
        except ValueError:
            continue
        raise AssertionError(f"share {bad} accepted")


def test_the_status_shape_is_stable() -> None:
    failing = (
        FailingDevice("cam-2", "FAILED", ("USER_COMPONENT_ERROR",), ("A", "COMPONENT_BROKEN")),
        FailingDevice("cam-1", "FAILED", (), ("A", "COMPONENT_BROKEN"), "FAILED_ROLLBACK_COMPLETE"),
        FailingDevice("cam-3", "TIMED_OUT"),
    )
    view = RolloutView(
        state=RolloutState.DEGRADED,
        revision_id="4",
        deployment_id="d-1",
        devices=DeviceCounts(succeeded=37, failed=2, timed_out=1),
        failing=failing,
        unhealthy=2,
        since=1700000000.0,
        following=False,
    )
    shown = view.to_json()
    assert set(shown) == {
        "state",
        "revisionId",
        "deploymentId",
        "devices",
        "failing",
        "unhealthy",
        "since",
        "following",
        "topError",
    }
    assert shown["topError"] == top_error(failing) == "COMPONENT_BROKEN"
    assert shown["failing"][1] == {  # type: ignore[index]
        "device": "cam-1",
        "status": "FAILED",
        "errorTypes": [],
        "errorStack": ["A", "COMPONENT_BROKEN"],
        "reason": "FAILED_ROLLBACK_COMPLETE",
    }
    assert (
        view.summary("G")
        == "G: 37/40 devices took revision 4 (Degraded), 3 failed (COMPONENT_BROKEN)"
    )
    document = rollouts_document({"G": view, "H": None})
    assert document["targets"] == {
        "G": {"deploymentId": "d-1", "revisionId": "4", "rollout": shown},
        "H": {"deploymentId": None, "revisionId": None, "rollout": None},
    }


def test_per_group_rollout_metrics_are_capped_to_the_groups_that_need_attention() -> None:
    from prometheus_client import generate_latest

    from reconciler.adapters.metrics import ControllerMetrics

    def view(state: RolloutState) -> RolloutView:
        return RolloutView(state, "1", "d", DeviceCounts(succeeded=3, failed=1))

    views = {
        "a-ok": view(RolloutState.SUCCEEDED),
        "b-going": view(RolloutState.PROGRESSING),
        "c-bad": view(RolloutState.FAILED),
    }
    metrics = ControllerMetrics(rollout_max_groups=2)
    metrics.bind_rollouts(lambda: views)
    text = generate_latest(metrics.registry).decode()
    per_group = {line.split('thing_group="')[1].split('"')[0] for line in text.splitlines()
                 if line.startswith("greengrass_reconciler_rollout_state{")}  # fmt: skip
    assert per_group == {"c-bad", "b-going"}
    assert 'greengrass_reconciler_rollout_devices{status="failed",thing_group="c-bad"} 1.0' in text
    assert 'greengrass_reconciler_rollout_groups{state="Succeeded"} 1.0' in text
    assert "greengrass_reconciler_rollout_groups_omitted 1.0" in text
