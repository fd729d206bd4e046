"""Targeted plans: which thing groups a plan covers, and the spec set and read scope for them.

`reconciler plan --target GROUP` names groups; `--changed-since REF` selects the groups a change
since commit REF reaches (core/planning/selection.py), plus the groups whose spec was removed
(prune candidates). A targeted plan reads only those groups (see `ReadScope`), so it cannot
see prune candidates elsewhere: its note says so, and a scheduled full plan covers the rest.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.adapters.spec_files import load_spec_set
from reconciler.adapters.spec_history import export_specs_at
from reconciler.core.plan import Plan
from reconciler.core.planning.selection import SpecChanges, changed_thing_groups
from reconciler.core.specs.spec_set import SpecSet
from reconciler.engine.reading import ReadScope
from reconciler.errors import SpecError


@dataclass(frozen=True)
class TargetSelection:
    """The groups a targeted plan covers: `groups` have a spec, `removed` no longer do."""

    groups: frozenset[str]
    removed: frozenset[str]
    reason: str
    fleet_size: int

    def spec_set(self, full: SpecSet) -> SpecSet:
        """`full` with only the Deployments of the selected groups."""
        return replace(
            full, deployments=tuple(d for d in full.deployments if d.thing_group in self.groups)
        )

    def scope(self, full: SpecSet) -> ReadScope:
        # A selected parent's canary group is planned with it (its subdeployment): read it too.
        canaries = {
            wave.canary.group
            for rollout in full.rollouts
            for wave in rollout.waves
            if wave.canary is not None and wave.canary.parent in self.groups
        }
        arns = frozenset(
            full.settings.target_arn(group) for group in self.groups | self.removed | canaries
        )
        return ReadScope(thing_group_arns=arns, fleet_size=self.fleet_size)

    def annotate(self, plan: Plan) -> Plan:
        note = (
            f"targeted plan: {len(self.groups)} of {self.fleet_size} thing group(s)"
            f" ({self.reason}); the other groups were not read, and prune candidates among"
            " them are not listed"
        )
        return replace(plan, warnings=(*plan.warnings, note))


def select_targets(
    spec_set: SpecSet,
    specs_path: Path,
    *,
    targets: tuple[str, ...] = (),
    changed_since: str | None = None,
) -> TargetSelection | None:
    """The selection of `--target` and `--changed-since` (both: the union), None for neither."""
    if not targets and changed_since is None:
        return None
    size = len(spec_set.deployments)
    groups = frozenset(targets)
    removed: frozenset[str] = frozenset()
    reasons = [f"{len(groups)} named"] if targets else []
    if changed_since is not None:
        changes = changes_since(spec_set, specs_path, changed_since)
        groups |= changes.groups
        removed = changes.removed
        reasons.append(f"changed since {changed_since}: {changes.reason}")
    return TargetSelection(groups, removed, "; ".join(reasons), size)


def changes_since(spec_set: SpecSet, specs_path: Path, ref: str) -> SpecChanges:
    """What changed in the specs between commit `ref` and `spec_set` (the specs as they are)."""
    with tempfile.TemporaryDirectory(prefix="reconciler-base-") as scratch:
        root = export_specs_at(specs_path, ref, Path(scratch))
        if root is None:
            return changed_thing_groups(None, spec_set)
        try:
            before = load_spec_set(root)
        except SpecError:
            every = frozenset(d.thing_group for d in spec_set.deployments)
            return SpecChanges(
                every, frozenset(), f"the specs at {ref} do not load: every thing group"
            )
    return changed_thing_groups(before, spec_set)
