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

from reconciler.core.plan import TargetPlan


class CompactPlanMemo(MutableMapping[Hashable, TargetPlan]):
    """A plan memo that stores compact plans (`TargetPlan.compact()`, see the module doc)."""

    def __init__(self) -> None:
        self._plans: dict[Hashable, TargetPlan] = {}

    def __getitem__(self, key: Hashable) -> TargetPlan:
        return self._plans[key]

    def __setitem__(self, key: Hashable, target: TargetPlan) -> None:
        self._plans[key] = target.compact()

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
