"""The follow-up budget: 1,000 groups, 100 rollouts in flight, calls counted by the emulator.

Following rollouts may use at most its share of the client rate (default 25 % of 20 calls/s:
5 calls/s, 300 a minute, plus a burst of 5), so reconcile cycles keep the rest; once every
rollout has ended, it makes no call at all, while the deployments stay ACTIVE (continuous, as
on AWS). The scenario lives in bench/rollout_budget.py, which the benchmark runs longer.
"""

from __future__ import annotations

from bench.rollout_budget import active_deployments, follow, prepare
from tests.conftest import AwsTestContext


def test_follow_ups_stay_within_their_share_and_stop_once_rollouts_end(
    aws: AwsTestContext,
) -> None:
    rollouts = prepare(aws.endpoint_url, groups=1000, in_flight=100, offline_seconds=240)
    run = follow(aws.endpoint_url, rollouts, rate=20.0, share=0.25, max_minutes=12)

    assert run.ended_minute is not None, run.per_minute
    busy, idle = run.per_minute[: run.ended_minute + 1], run.per_minute[run.ended_minute + 1 :]
    assert max(busy) <= run.ceiling_per_minute == 310, busy
    # 100 rollouts polled every 15 s while young want ~400 calls a minute: the share, not the
    # schedule, is what holds them back (so the bound above is the one being tested).
    assert busy[0] >= 280, busy
    assert run.states == {"Succeeded": 100}
    assert len(idle) == 3 and idle == [0, 0, 0], run.per_minute
    assert set(run.operations) <= {
        "DescribeJob",
        "ListCoreDevices",
        "ListThingsInThingGroup",
    }, run.operations
    assert active_deployments(aws.endpoint_url) == 1000
