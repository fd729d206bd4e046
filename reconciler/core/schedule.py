"""The wave schedule a plan shows: what a change inside a Rollout will go through.

When a plan changes the desired revision of a group in a Rollout, the controller applies the
change wave by wave (`reconciler/core/waves.py`). The plan carries, for each such Rollout, its
waves in order, the groups of each (a canary wave: the canary group, which takes its parent's
revision as a subdeployment), its gate, which groups the change reaches, and how many devices
each group has, so a reviewer sees the blast radius of each step before merging.

Devices are counted as the IoT job of a deployment to the group targets them: the things in
the group and its child groups (ListThingsInThingGroup, recursive; one paginated read per group,
250 things a page), read only for plans people read and only for the groups of Rollouts that
the plan changes (`device_count_needs` in `reconciler/core/planning/needs.py`). A canary's
devices are also in its parent, so they count in the canary wave and again in the parent's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from reconciler.core.waves import Gate, OnFailure


@dataclass(frozen=True, slots=True)
class ScheduledGroup:
    """A group of a wave. `parent`: a canary's parent, whose revision it takes as a
    subdeployment; `changes`: the plan changes its desired revision (a canary: its parent's);
    `devices`: its things, child groups included (None: not counted)."""

    thing_group: str
    parent: str | None = None
    changes: bool = False
    devices: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduledWave:
    name: str
    groups: tuple[ScheduledGroup, ...]
    gate: Gate

    @property
    def canary(self) -> bool:
        return any(group.parent is not None for group in self.groups)

    @property
    def changes(self) -> bool:
        return any(group.changes for group in self.groups)

    @property
    def devices(self) -> int | None:
        """The devices of its groups, summed (None: some group not counted)."""
        counts = [group.devices for group in self.groups]
        if any(count is None for count in counts):
            return None
        return sum(count for count in counts if count is not None)


@dataclass(frozen=True, slots=True)
class RolloutSchedule:
    """A Rollout the plan's change goes through, wave by wave."""

    rollout: str
    on_failure: OnFailure
    waves: tuple[ScheduledWave, ...]

    @property
    def thing_groups(self) -> tuple[str, ...]:
        """Every group of its waves, in wave order, each once."""
        return tuple(
            dict.fromkeys(group.thing_group for wave in self.waves for group in wave.groups)
        )

    def with_devices(self, counts: Mapping[str, int]) -> RolloutSchedule:
        """Itself with the device count of each group `counts` holds."""
        return replace(
            self,
            waves=tuple(
                replace(
                    wave,
                    groups=tuple(
                        replace(group, devices=counts.get(group.thing_group, group.devices))
                        for group in wave.groups
                    ),
                )
                for wave in self.waves
            ),
        )
