"""Helpers for following rollouts on the emulator's fleet: one virtual clock for both sides.

The emulator's fleet runs on its virtual clock; the controller's follower and token buckets run
on a `ManualClock` the test moves by the same amounts, so a rollout of many minutes takes as
long as computing it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git

from reconciler.adapters.sources.factory import open_source
from reconciler.core.events import Event, EventPublisher
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.rollouts import RolloutFollower
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.engine.status import ControllerStatus
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext


class ManualClock:
    """Seconds that move only when told (or when a token bucket sleeps on it)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


class RecordingPublisher:
    """An EventPublisher that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


def fleet_repo(path: Path, specs: Path) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "test")
        config.set_value("user", "email", "test@example.invalid")
    shutil.copytree(specs, Path(repo.working_dir) / "deploy-specs")
    repo.index.add(["deploy-specs"])
    repo.index.commit("sample")
    return repo


def commit(repo: git.Repo, relative: str, old: str, new: str, message: str) -> str:
    path = Path(repo.working_dir) / "deploy-specs" / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new))
    repo.index.add([str(path)])
    return repo.index.commit(message).hexsha


def reconciler(
    repo: git.Repo,
    cache: Path,
    clock: ManualClock,
    events: EventPublisher | None = None,
    *,
    on_clock: bool = False,
) -> Reconciler:
    """A controller's reconciler whose follower runs on `clock`, events into `events`; with
    `on_clock` its own time (windows, suspensions, the bake of a Rollout's gates) too."""
    # The follow-up share of the default rate (5 calls/s) sleeps in real time, not on `clock`:
    # at that rate a test's hours of virtual rollout cost minutes of waiting. The share's own
    # rules are proven by test_rollout_budget.py, which keeps the default rate.
    settings = ReconcilerSettings(cache_dir=cache, lock="none", rate_limit=1000.0, rate_burst=1000)
    source = open_source(repo.working_dir, branch="main", path="deploy-specs", cache_dir=cache)
    status = ControllerStatus()

    def runtime(s: ReconcilerSettings, region: str, account: str) -> Runtime:
        built = build_runtime(s, region=region, account=account)
        if events is not None:
            built.events = events
        return built

    return Reconciler(
        source=source,
        settings=settings,
        status=status,
        runtime_factory=runtime,
        rollouts=RolloutFollower(status, clock=clock),
        now=_datetime_of(clock) if on_clock else None,
    )


def _datetime_of(clock: ManualClock) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(clock.now, UTC)


def step(
    aws: AwsTestContext, clock: ManualClock, follower: RolloutFollower, seconds: float
) -> None:
    """Move both clocks on by `seconds`, then poll what is due."""
    aws.admin.advance_clock(seconds)
    clock.sleep(seconds)
    follower.poll()


def run_until(
    aws: AwsTestContext,
    clock: ManualClock,
    rec: Reconciler,
    group: str,
    state: str,
    *,
    limit: float = 1800.0,
    every: float = 15.0,
) -> dict[str, Any]:
    """Step until `group`'s rollout is in `state` (at most `limit` virtual seconds)."""
    waited = 0.0
    rec.rollouts.poll()
    while True:
        rollout = rec.status.snapshot()["targets"][group]["rollout"]
        if rollout is not None and rollout["state"] == state:
            return dict(rollout)
        assert waited < limit, f"{group} still {rollout and rollout['state']}: {rollout}"
        step(aws, clock, rec.rollouts, every)
        waited += every
