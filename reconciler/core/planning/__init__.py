"""Planning: turn the specs and the live state into a `Plan` (pure, deterministic).

needs = live_needs(spec_set, latest)        # what the engine must read
plan = plan_deployments(spec_set, live, instance=..., commit=...)
plan = with_device_counts(plan, counts)     # the devices of device_count_needs(plan), read
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from reconciler.core.arns import target_of_arn, target_thing, thing_group_name
from reconciler.core.live import LiveDeployment, LiveState
from reconciler.core.plan import Plan, PruneMode, TargetAction, TargetFailure, TargetPlan
from reconciler.core.planning.components import resolve_repository_components
from reconciler.core.planning.dependencies import dependency_problems
from reconciler.core.planning.needs import (
    LiveNeeds,
    device_count_needs,
    live_needs,
    unpinned_dependencies,
)
from reconciler.core.planning.schedule import rollout_schedules, with_device_counts
from reconciler.core.planning.targets import (
    PreviewMemo,
    RecipeLookup,
    TargetPlanningError,
    plan_target,
    status_class,
)
from reconciler.core.provenance import is_managed, is_uninstall_step
from reconciler.core.recipes import default_configuration, dependencies
from reconciler.core.specs.sharing import SharedValues
from reconciler.core.specs.spec_set import DeploymentSpec, SpecSet
from reconciler.errors import PlanError

__all__ = [
    "LiveNeeds",
    "PlanMemo",
    "device_count_needs",
    "live_needs",
    "plan_deployments",
    "unpinned_dependencies",
    "with_device_counts",
]


def _override_warnings(
    spec_set: SpecSet,
    targets: list[TargetPlan],
    recipe_of: RecipeLookup,
    versions: Mapping[str, str],
) -> list[str]:
    """An override is account-wide: say which groups get it without naming it."""
    warnings = []
    for override in spec_set.overrides:
        version = versions.get(override.name)
        if version is None:
            continue
        for target in targets:
            names = {c.name for c in target.components}
            if override.name in names:
                continue
            through = sorted(
                f"{c.name}@{c.desired_version}"
                for c in target.components
                if c.desired_version
                and override.name in dependencies(recipe_of(c.name, c.desired_version) or {})
            )
            if through:
                warnings.append(
                    f"{target.thing_group} will also get {override.name} {version} (the override) "
                    f"through {', '.join(through)}; pin {override.name} in its spec to keep the "
                    "public version"
                )
    return warnings


def _canaries(spec_set: SpecSet) -> list[tuple[str, DeploymentSpec]]:
    """Each Rollout's canary group with its parent's Deployment: the canary has no Deployment
    of its own, it takes the parent's revision as a subdeployment (`parentTargetArn`)."""
    found = []
    for rollout in spec_set.rollouts:
        for wave in rollout.waves:
            parent = spec_set.deployment_for(wave.canary.parent) if wave.canary else None
            if wave.canary is not None and parent is not None:
                found.append((wave.canary.group, parent))
    return found


PlanMemo = MutableMapping[Hashable, TargetPlan]
"""Target plans of earlier runs, keyed by everything a target's plan depends on."""


def _prune_candidate(
    target_key: str, arn: str, deployment: LiveDeployment, prune: PruneMode
) -> TargetPlan:
    """The plan of a target no spec targets any more, made by this reconciler."""
    what = "core device" if target_thing(target_key) is not None else "group"
    warnings = [f"no spec targets this {what} any more"]
    parent = thing_group_name(deployment.parent_target_arn or "")
    if parent is not None and prune is PruneMode.UNINSTALL:
        # An empty subdeployment would strip the parent's components from the group's devices
        # (a subdeployment takes the parent's place on them): cancel it instead.
        prune = PruneMode.CANCEL
        warnings.append(
            f"a subdeployment of {parent} is pruned by cancelling it: its devices keep its "
            f"components until {parent}'s next revision replaces it (AWS: a new revision of "
            "the parent replaces its subdeployments)"
        )
    return TargetPlan(
        thing_group=target_key,
        target_arn=arn,
        action=TargetAction.PRUNE,
        live_deployment_id=deployment.deployment_id,
        live_revision_id=deployment.revision_id,
        live_managed=True,
        warnings=tuple(warnings),
        prune_mode=prune,
        uninstall_revision=is_uninstall_step(deployment.tags),
        parent_thing_group=parent,
    )


def _memo_key(*parts: object) -> bytes:
    """A 128-bit digest of what a target's plan depends on: a long-lived memo holds one per
    thing group, and the parts themselves (tags, ARN, fingerprint) take about 1 KB."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


def _answers(
    target: TargetPlan, spec: DeploymentSpec, arn: str, current: LiveDeployment | None
) -> bool:
    """Whether a memo's plan is one of this group, its spec and its live revision: a plan kept
    on disk by an earlier process is checked like a fact before it is used."""
    return (
        target.thing_group == spec.thing_group
        and target.target_arn == arn
        and target.spec_file == spec.source.file
        and target.live_deployment_id == (current.deployment_id if current else None)
    )


def plan_deployments(
    spec_set: SpecSet,
    live: LiveState,
    *,
    instance: str,
    commit: str | None = None,
    specs_path: str | None = None,
    memo: PlanMemo | None = None,
    compact: bool = False,
    keep_going: bool = False,
) -> Plan:
    """The plan that brings every thing group of `spec_set` to its desired revision.

    Raises `PlanError` listing every problem found (all of them, not the first). A long-lived
    caller passes the same `memo` each time: a target whose spec, live deployment and component
    versions are unchanged is then not planned again (the memo keeps only the current targets).
    A `compact` plan carries no configuration documents and no request for no-ops (see
    `plan_target`): enough to apply and to report, not to render a diff.

    With `keep_going` (the controller), a thing group that cannot be planned is left out of the
    plan's targets and listed in `Plan.failures` instead, so that one broken spec does not hold
    back every other group's change; problems of the repository's own components, which may
    concern any group, still raise. Such a group is never a prune candidate.
    """
    repo = resolve_repository_components(spec_set, live)
    errors = list(repo.errors)
    repo_key = tuple((p.name, p.version, p.content_hash) for p in repo.plans)
    used: dict[Hashable, TargetPlan] = {}

    def recipe_of(name: str, version: str) -> Mapping[str, Any] | None:
        own = repo.recipes.get((name, version))
        if own is not None:
            return own
        record = live.recipes.get((name, version))
        return record.recipe if record is not None else None

    defaults: dict[tuple[str, str], Mapping[str, Any] | None] = {}
    # A fleet's groups repeat most of their requests (a base's components, policies, tags):
    # within this plan, equal parts are one object (a 10,000-group apply holds them all).
    share = SharedValues().document
    # ...and most of their components' configuration previews (see PreviewMemo).
    previews = PreviewMemo()

    def defaults_of(name: str, version: str) -> Mapping[str, Any] | None:
        key = (name, version)
        if key not in defaults:
            recipe = recipe_of(name, version)
            defaults[key] = default_configuration(recipe) if recipe is not None else None
        return defaults[key]

    targets: list[TargetPlan] = []
    failures: list[TargetFailure] = []
    settings = spec_set.settings
    for spec in spec_set.deployments:
        arn = settings.target_arn(spec.thing_group)
        parent_arn = (
            settings.thing_group_arn(spec.parent_thing_group) if spec.parent_thing_group else None
        )
        current = live.latest.get(arn)
        # Without a memo (a one-shot plan) there is no key to compute: the spec's fingerprint
        # digests its whole repr, and the key its live tags, for every group.
        key: bytes | None = None
        if memo is not None:
            key = _memo_key(
                spec.fingerprint,
                arn,
                # Not the revision id: a revision remembered at its creation gets it from the next
                # sweep, and it only labels the plan (patched in below), it never changes it.
                (current.deployment_id, status_class(current.status)) if current else None,
                # Tags can change without a new revision (TagResource), and they are compared.
                tuple(sorted(current.tags.items())) if current else None,
                repo_key,
                instance,
                compact,
            )
        target = memo.get(key) if memo is not None and key is not None else None
        if target is not None and not _answers(target, spec, arn, current):
            target = None  # a kept plan of another group or revision (see remembered.py)
        if (
            target is not None
            and current is not None
            and target.live_revision_id != current.revision_id
        ):
            target = replace(target, live_revision_id=current.revision_id)
        if target is None:
            try:
                target = plan_target(
                    spec,
                    target_arn=arn,
                    parent_target_arn=parent_arn,
                    live=current,
                    versions=repo.versions,
                    defaults_of=defaults_of,
                    instance=instance,
                    compact=compact,
                    share=share,
                    previews=previews,
                )
            except TargetPlanningError as error:
                if keep_going:
                    failures.append(TargetFailure(spec.thing_group, arn, str(error)))
                else:
                    errors.append(str(error))
                continue
        if key is not None:
            used[key] = target
        if target.has_changes:
            problems = dependency_problems(
                target, recipe_of, live.component_versions, repo.versions
            )
            if problems and keep_going:
                failures.append(TargetFailure(spec.thing_group, arn, "\n".join(problems)))
                continue
            errors.extend(problems)
        targets.append(target)
    planned = {t.thing_group for t in targets}
    for canary, parent in _canaries(spec_set):
        if parent.thing_group not in planned:
            continue  # the parent could not be planned (listed), or a targeted plan left it out
        arn = settings.thing_group_arn(canary)
        try:
            target = replace(
                plan_target(
                    parent,
                    target_arn=arn,
                    live=live.latest.get(arn),
                    versions=repo.versions,
                    defaults_of=defaults_of,
                    instance=instance,
                    compact=compact,
                    share=share,
                    previews=previews,
                    parent_target_arn=settings.thing_group_arn(parent.thing_group),
                ),
                thing_group=canary,
                parent_thing_group=parent.thing_group,
            )
        except TargetPlanningError as error:  # the parent planned, so this is not expected
            failures.append(TargetFailure(canary, arn, str(error)))
            continue
        targets.append(target)
    if memo is not None:
        memo.clear()
        memo.update(used)
    if errors:
        raise PlanError("\n".join(errors))
    wanted = {t.target_arn for t in targets} | {f.target_arn for f in failures}
    for arn, deployment in sorted(live.latest.items()):
        target_key = target_of_arn(arn)
        if (
            target_key is not None
            and arn not in wanted
            and deployment.status != "CANCELED"
            and is_managed(deployment.tags, instance)
        ):
            targets.append(_prune_candidate(target_key, arn, deployment, spec_set.settings.prune))
    return Plan(
        targets=tuple(targets),
        component_versions=repo.plans,
        warnings=tuple(_override_warnings(spec_set, targets, recipe_of, repo.versions)),
        commit=commit,
        specs_path=specs_path,
        failures=tuple(failures),
        schedules=rollout_schedules(spec_set.rollouts, targets),
    )
