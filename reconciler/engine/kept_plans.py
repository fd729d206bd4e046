"""A plan memo backed by the no-op plans of earlier processes (`KeptPlans`).

`plan_deployments` asks a memo for each group's plan under its memo key before planning it.
This memo answers from the records an earlier `reconciler plan` kept (one per unchanged group,
see `reconciler.core.planning.remembered`), so a new process plans only the groups whose spec,
live revision or recipes moved since. Afterwards `records()` gives what to keep for the next
process: this plan's no-ops, and the earlier records of groups this plan did not reach (a
targeted plan must not forget the rest of the fleet). One record per group: a group's older
records are superseded, so the entry stays as large as the fleet.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from reconciler.core.plan import TargetPlan
from reconciler.core.planning.remembered import is_keepable, kept_key, plan_of_record, record_of
from reconciler.engine.memo import CompactPlanMemo


class KeptPlanMemo(CompactPlanMemo):
    """This plan's targets by memo key (compact: only `records()` reads them again), answering
    misses from kept records (see the module doc)."""

    def __init__(self, context: bytes, kept: Mapping[str, object]) -> None:
        super().__init__()
        self._context = context
        self._kept = kept
        self.hits = 0

    def __getitem__(self, key: Hashable) -> TargetPlan:
        if key in self._plans or not isinstance(key, bytes):
            return super().__getitem__(key)
        target = plan_of_record(self._kept.get(kept_key(self._context, key)))
        if target is None:
            raise KeyError(key)
        self.hits += 1
        return target

    def records(self) -> dict[str, object]:
        """What to keep after this plan (see the module doc)."""
        kept: dict[str, object] = {}
        planned: set[str] = set()
        for key, target in self._plans.items():
            planned.add(target.thing_group)
            if isinstance(key, bytes) and is_keepable(target):
                kept[kept_key(self._context, key)] = record_of(target)
        for key, record in self._kept.items():
            group = record.get("thing_group") if isinstance(record, dict) else None
            if key not in kept and isinstance(group, str) and group not in planned:
                kept[key] = record
        return kept
