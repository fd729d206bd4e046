"""The controller's plan memo, kept small: a group keeps only what a later cycle needs.

A long-lived controller re-plans every group each cycle and hits the memo for the unchanged
ones; what it needs of them is their action, ids, drift flag and (to write) request, not the
configuration previews that only renderers print (18 of 26 KB of a group's plan, about 150 MB
at 10,000 groups). The controller asks for compact plans in the first place (no previews, no
request for a no-op); full plans (another caller's) are stored compact. A group that changes
gets a new key (its spec's fingerprint or its live deployment moved) and is planned again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, MutableMapping
from dataclasses import replace

from reconciler.core.plan import ComponentPlan, TargetAction, TargetPlan


def _has_previews(component: ComponentPlan) -> bool:
    return (
        component.merge_preview is not None
        or component.effective_configuration is not None
        or component.live_effective_configuration is not None
    )


def without_previews(target: TargetPlan) -> TargetPlan:
    """`target` without what only renderers use (and, for a no-op, without its request too).
    A plan that is already compact is returned as it is: the cycle's plan and the memo then
    share it instead of holding two copies."""
    request = None if target.action is TargetAction.NOOP else target.request
    if request is target.request and not any(map(_has_previews, target.components)):
        return target
    return replace(
        target,
        request=request,
        components=tuple(
            replace(
                component,
                merge_preview=None,
                effective_configuration=None,
                live_effective_configuration=None,
            )
            if _has_previews(component)
            else component
            for component in target.components
        ),
    )


class CompactPlanMemo(MutableMapping[Hashable, TargetPlan]):
    """A plan memo that stores plans without their previews (see the module docstring)."""

    def __init__(self) -> None:
        self._plans: dict[Hashable, TargetPlan] = {}

    def __getitem__(self, key: Hashable) -> TargetPlan:
        return self._plans[key]

    def __setitem__(self, key: Hashable, target: TargetPlan) -> None:
        self._plans[key] = without_previews(target)

    def __delitem__(self, key: Hashable) -> None:
        del self._plans[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._plans)

    def __len__(self) -> int:
        return len(self._plans)

    def forget(self, thing_groups: set[str]) -> None:
        """Drop the plans of groups just applied: their live deployment moved, so their keys
        can never hit again, and keeping them would double the memory of the next re-plan."""
        for key in [k for k, t in self._plans.items() if t.thing_group in thing_groups]:
            del self._plans[key]
