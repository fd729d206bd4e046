"""The follow-up budget scenario: many groups, some rollouts in flight, calls counted per minute.

Shared by the budget test (tests/integration/reconcile/test_rollout_budget.py) and the
benchmark (bench/bench_rollouts.py). On an emulator (in-process or not) it creates `groups`
thing groups, each with an ACTIVE deployment of one private component; the first `in_flight`
groups have two simulated devices, one of them offline for `offline_seconds`, so those
rollouts stay in flight until it comes back. The controller's own follower (RolloutFollower,
RolloutReader, the SharedBudget of token buckets) then follows the in-flight rollouts on a
simulated clock kept in step with the emulator's virtual one, and the emulator's request log
counts the follow-up calls of every simulated minute.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3

from reconciler.adapters.aws.calling import AwsCaller, RetryPolicy
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.aws.ratelimit import SharedBudget, TokenBucket
from reconciler.adapters.aws.rollouts import RolloutReader
from reconciler.core.provenance import provenance_tags
from reconciler.core.rollouts import RolloutPolicy, follow_up_rate
from reconciler.emulator.admin import EmulatorAdmin
from reconciler.engine.rollouts import RolloutFollower
from reconciler.engine.status import ControllerStatus

REGION, ACCOUNT = "us-east-1", "123456789012"
COMPONENT = "com.example.BudgetProbe"


class SimulatedClock:
    """Seconds that move when told, or when a token bucket or a retry sleeps on them."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass(frozen=True)
class InFlight:
    thing_group: str
    deployment_id: str
    job_id: str


@dataclass
class BudgetRun:
    """Follow-up calls per simulated minute, as the emulator's request log counted them."""

    rate: float
    share: float
    per_minute: list[int] = field(default_factory=list)
    operations: Counter[str] = field(default_factory=Counter)
    ended_minute: int | None = None  # the minute by whose end every rollout had ended
    states: Counter[str] = field(default_factory=Counter)
    wall_seconds: float = 0.0

    @property
    def ceiling_per_minute(self) -> float:
        """What the share allows in a minute: its rate, plus its burst once, plus one second
        of calls (a minute's window closes after the poll round that crosses it)."""
        share_rate = follow_up_rate(self.rate, self.share)
        return share_rate * 61 + max(1, int(share_rate))


def group_name(index: int) -> str:
    return f"budget-{index:04d}"


def fleet_yaml(in_flight: int, offline_seconds: float) -> str:
    lines = ["generate:"]
    for index in range(in_flight):
        name = group_name(index)
        lines.append(f"  - {{group: {name}, count: 1, namePrefix: b{index:04d}-on-}}")
        lines.append(
            f"  - {{group: {name}, count: 1, namePrefix: b{index:04d}-off-, "
            f"offline: [{{from: 0s, to: {int(offline_seconds)}s}}]}}"
        )
    lines.append("timing: {applySeconds: 2, jitterSeconds: 2}")
    return "\n".join(lines) + "\n"


def _recipe() -> bytes:
    document: dict[str, Any] = {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": COMPONENT,
        "ComponentVersion": "1.0.0",
        "ComponentPublisher": "bench",
        "Manifests": [{"Platform": {"os": "linux"}, "Lifecycle": {"Run": "true"}}],
    }
    return json.dumps(document).encode("utf-8")


def prepare(
    endpoint_url: str,
    *,
    groups: int = 1000,
    in_flight: int = 100,
    offline_seconds: float = 300.0,
) -> list[InFlight]:
    """The account: `groups` groups with an ACTIVE managed deployment each, the first
    `in_flight` with devices (one offline). Returns the in-flight rollouts."""
    admin = EmulatorAdmin(endpoint_url)
    admin.set_clock("virtual")
    names = [group_name(i) for i in range(groups)]
    admin.create_thing_groups(names)
    admin.load_fleet(fleet_yaml(in_flight, offline_seconds))
    greengrass = boto3.client(
        "greengrassv2",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    greengrass.create_component_version(inlineRecipe=_recipe())
    tags = provenance_tags(
        instance="greengrass-reconciler", content_hash="bench", commit="bench", spec=None
    )

    def deploy(name: str) -> InFlight:
        created = greengrass.create_deployment(
            targetArn=f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{name}",
            deploymentName=name,
            components={COMPONENT: {"componentVersion": "1.0.0"}},
            tags=tags,
        )
        return InFlight(name, created["deploymentId"], created["iotJobId"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(deploy, names))
    return created[:in_flight]


def follow(
    endpoint_url: str,
    rollouts: list[InFlight],
    *,
    rate: float = 20.0,
    share: float = 0.25,
    max_minutes: int = 30,
    idle_minutes: int = 3,
) -> BudgetRun:
    """Follow `rollouts` minute by minute until they all ended, then `idle_minutes` more."""
    admin = EmulatorAdmin(endpoint_url)
    clock = SimulatedClock(float(admin.clock()["now"]))
    emulator_now = clock.now
    whole = TokenBucket(rate, int(rate * 2), clock=clock, sleep=clock.sleep)
    share_rate = follow_up_rate(rate, share)
    own = TokenBucket(share_rate, max(1, int(share_rate)), clock=clock, sleep=clock.sleep)
    caller = AwsCaller(
        rate_limit=SharedBudget([own, whole]), retry=RetryPolicy(), sleep=clock.sleep
    )
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    reader = RolloutReader(
        AwsClients(ClientSettings(region=REGION, endpoint_url=endpoint_url), session=session),
        caller,
        account=ACCOUNT,
    )
    status = ControllerStatus()
    # Short rounds: a minute's window then ends within a second of the minute (a round keeps
    # polling, sleeping on the budget, until its time is up).
    follower = RolloutFollower(status, clock=clock, round_seconds=1.0)
    for rollout in rollouts:
        follower.track(
            reader,
            thing_group=rollout.thing_group,
            deployment_id=rollout.deployment_id,
            policy=RolloutPolicy(),
            commit="bench",
            revision_id="1",
            job_id=rollout.job_id,
        )
    run = BudgetRun(rate=rate, share=share)
    started = time.monotonic()
    for minute in range(max_minutes):
        admin.clear_requests()
        end = clock.now + 60.0
        while clock.now < end:
            follower.poll()
            due = follower.next_due()
            clock.now = max(clock.now, min(end, due) if due is not None else end)
            admin.advance_clock(clock.now - emulator_now)
            emulator_now = clock.now
        requests = admin.requests()
        run.per_minute.append(len(requests))
        run.operations.update(r.operation or "?" for r in requests)
        if run.ended_minute is None and follower.following == 0:
            run.ended_minute = minute
        if run.ended_minute is not None and minute - run.ended_minute >= idle_minutes:
            break
    run.states.update(view.state.value for view in status.rollouts().values())
    run.wall_seconds = time.monotonic() - started
    return run


def active_deployments(endpoint_url: str) -> int:
    greengrass = boto3.client(
        "greengrassv2",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    pages = greengrass.get_paginator("list_deployments").paginate(historyFilter="LATEST_ONLY")
    return sum(
        1 for page in pages for d in page["deployments"] if d["deploymentStatus"] == "ACTIVE"
    )
