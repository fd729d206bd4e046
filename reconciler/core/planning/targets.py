"""Plan one thing group: compare the desired revision with the live one, component by component."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from reconciler.core.configuration import (
    ConfigurationError,
    ConfigurationPreview,
    ConfigurationUpdate,
    kind_changes,
    redact,
    redact_pointers,
)
from reconciler.core.configuration.documents import canonical_json
from reconciler.core.configuration.planning import preview_configuration_update
from reconciler.core.configuration.pointers import Path, find, format_pointer, nodes
from reconciler.core.live import LiveComponent, LiveDeployment
from reconciler.core.plan import (
    ComponentAction,
    ComponentPlan,
    FieldChange,
    TargetAction,
    TargetPlan,
)
from reconciler.core.planning.content import (
    canonical_request,
    client_token,
    component_entry,
    live_content,
    parse_update,
    request_hash,
)
from reconciler.core.planning.resets import (
    NOTHING_SENT,
    recorded_resets,
    resets_sent_tag,
    sent_resets,
    unsent,
    without_sent,
)
from reconciler.core.provenance import CONTENT_HASH, is_managed
from reconciler.core.specs.spec_set import DeploymentComponent, DeploymentSpec

RecipeLookup = Callable[[str, str], Mapping[str, Any] | None]
DefaultsLookup = Callable[[str, str], Mapping[str, Any] | None]
T = TypeVar("T")
"""(name, version) -> the recipe's DefaultConfiguration, None when the recipe is unknown.
Shared documents: callers must not mutate them (the configuration planner copies its inputs)."""

Share = Callable[[dict[str, Any]], dict[str, Any]]
"""Hands back one object for equal request parts (see `plan_deployments`); read-only after."""

_COMPARED_FIELDS = (
    "deploymentName",
    "deploymentPolicies",
    "iotJobConfiguration",
    "tags",
    "parentTargetArn",
)
_SHARED_PARTS = ("iotJobConfiguration", "tags")


def _own(part: dict[str, Any]) -> dict[str, Any]:
    return part


def status_class(status: str) -> str:
    """What of a live deployment's status a plan depends on: only CANCELED (deploy again) and
    FAILED (warn) change it; ACTIVE, COMPLETED and the rest plan alike. Memo keys use this, so
    rollouts completing do not make a long-lived controller re-plan every group."""
    return status if status in ("CANCELED", "FAILED") else "other"


class PreviewMemo:
    """The configuration previews of one plan, by everything a preview depends on.

    The groups of a fleet repeat their base's components with the same configuration, and a
    preview (defaults, merge, reset, diff: `preview_configuration_update`) is most of the time
    a target's planning takes: a fresh plan of 1,000 groups of 5 components made 5,000 of them,
    4,000 of which repeated one of four. Bounded (least recently used go first), so that a
    10,000-group plan of unique configurations holds no more than `size` of them."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.hits = 0
        self._previews: OrderedDict[Hashable, ConfigurationPreview] = OrderedDict()
        # The kind changes of a preview's desired configuration against its defaults (the
        # warning `_desired_component` gives), by the preview's key: as repeated as the previews.
        self._kind_changes: OrderedDict[Hashable, tuple[Path, ...]] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], ConfigurationPreview]) -> ConfigurationPreview:
        return self._recall(self._previews, key, make)

    def kind_changes(self, key: Hashable, make: Callable[[], tuple[Path, ...]]) -> tuple[Path, ...]:
        return self._recall(self._kind_changes, key, make)

    def _recall(self, store: OrderedDict[Hashable, T], key: Hashable, make: Callable[[], T]) -> T:
        if key in store:
            store.move_to_end(key)
            self.hits += 1
            return store[key]
        made = make()
        store[key] = made
        if len(store) > self.size:
            store.popitem(last=False)
        return made


def _overlay_text(overlay: Mapping[str, Any]) -> str | None:
    """The overlay's canonical JSON (1, 1.0 and true differ), or None if it is not JSON (the
    preview then reports the error, unmemoized)."""
    try:
        return canonical_json(dict(overlay))
    except (TypeError, ValueError):
        return None


class TargetPlanningError(ValueError):
    """The target cannot be planned; the message names the group, component and cause."""


def _desired_component(
    spec: DeploymentSpec,
    desired: DeploymentComponent,
    version: str,
    live: LiveComponent | None,
    defaults_of: DefaultsLookup,
    previews: bool,
    sent: frozenset[str] = NOTHING_SENT,
    memo: PreviewMemo | None = None,
) -> tuple[ComponentPlan, dict[str, Any], list[str], list[str]]:
    """The component's plan, request entry, warnings, and the digests of its one-off resets to
    record (see resets.py; `sent`: those the live revision records)."""
    where = f"{desired.source}: {spec.thing_group}: {desired.name}"
    warnings: list[str] = []
    desired_defaults = defaults_of(desired.name, version)
    if desired_defaults is None:
        raise TargetPlanningError(
            f"{where}: version {version} exists neither in the account nor in the public catalog"
        )
    live_update = parse_update(live.configuration_update) if live else None
    live_defaults: Mapping[str, Any] | None = None
    if live is not None:
        live_defaults = defaults_of(live.name, live.version)
        if live_defaults is None:
            warnings.append(
                f"{desired.name}: the live version {live.version} has no readable recipe; its "
                "defaults are taken to be those of the desired version"
            )
            live_defaults = desired_defaults
    recorded: list[str] = []
    carried = without_sent(desired.name, live_update, sent)
    explicit = unsent(desired.name, desired.reset, sent)

    def compute(resets: tuple[str, ...]) -> ConfigurationPreview:
        return preview_configuration_update(
            live_defaults=live_defaults,
            live_update=carried,
            desired_defaults=desired_defaults,
            overlay=desired.configuration,
            explicit_reset=resets,
            policy=desired.configuration_policy,
        )

    overlay_text = _overlay_text(desired.configuration) if memo is not None else None

    def key_of(resets: tuple[str, ...]) -> Hashable:
        # The defaults are those of (name, version), the same for every group of one plan.
        return (
            desired.name,
            version,
            (live.name, live.version) if live is not None else None,
            (carried.merge_text, carried.reset) if carried is not None else None,
            overlay_text,
            tuple(resets),
            desired.configuration_policy,
        )

    def preview_with(resets: tuple[str, ...]) -> ConfigurationPreview:
        if memo is None or overlay_text is None:
            return compute(resets)
        return memo.get(key_of(resets), lambda: compute(resets))

    try:
        if len(explicit) != len(desired.reset):
            # Checked as listed, sent already or not: a bad pointer is an error every time.
            preview_with(desired.reset)
        preview = preview_with(explicit)
        if desired.reset:
            computed = preview_with(()).update.reset
            recorded = recorded_resets(desired.name, desired.reset, computed)
    except ConfigurationError as error:
        raise TargetPlanningError(f"{where}: {error}") from error
    if memo is None or overlay_text is None:
        unstable = tuple(kind_changes(desired_defaults, preview.desired))
    else:
        unstable = memo.kind_changes(
            key_of(explicit), lambda: tuple(kind_changes(desired_defaults, preview.desired))
        )
    if unstable:
        shown = redact_pointers(tuple(format_pointer(p) for p in unstable), desired.secret_paths)
        warnings.append(
            f"{desired.name}: {', '.join(shown)} change(s) kind from the recipe's default (an "
            "object against a value): a device that also takes deployments from another target "
            "(another thing group, its own thing) puts the default back each time it applies one "
            "(the nucleus merges every component's defaults at every deployment), until this "
            "group's next revision"
        )
    run_with = desired.run_with_api()
    entry = component_entry(version, preview.update, run_with)
    live_entry = (
        component_entry(live.version, live_update, live.run_with) if live is not None else None
    )
    if live is None:
        action = ComponentAction.ADD
    elif entry != live_entry:
        action = ComponentAction.CHANGE
    else:
        action = ComponentAction.UNCHANGED
    plan = ComponentPlan(
        name=desired.name,
        action=action,
        live_version=live.version if live else None,
        desired_version=version,
        # What renderers print of the reset: names below a secret path are hidden (the request
        # keeps the real pointers).
        reset=redact_pointers(preview.update.reset, desired.secret_paths),
        run_with_before=live.run_with if live and live.run_with else None,
        run_with_after=run_with,
        secret_paths=desired.secret_paths,
    )
    if previews:
        plan = _with_previews(plan, preview, live_update, desired)
    return plan, entry, warnings, recorded


def _with_previews(
    plan: ComponentPlan,
    preview: ConfigurationPreview,
    live_update: ConfigurationUpdate | None,
    desired: DeploymentComponent,
) -> ComponentPlan:
    """`plan` with the documents renderers print, secret values redacted."""
    shown = preview.redacted(desired.secret_paths) if desired.secret_paths else preview
    # Values the live revision set and the specs no longer set may have been secret under a
    # secretPaths entry that went with them: their old values are never shown.
    dropped = _dropped_values(live_update, desired.configuration)
    return replace(
        plan,
        configuration_change=shown.change,
        merge_preview=shown.update.merge,  # read-only, shared like the other documents
        effective_configuration=shown.desired,
        # For a component new to the group, "live" is its defaults: what a device starts from.
        live_effective_configuration=redact(shown.live, dropped) if dropped else shown.live,
    )


def _dropped_values(
    live_update: ConfigurationUpdate | None, overlay: Mapping[str, Any]
) -> list[str]:
    if live_update is None or not live_update.merge:
        return []
    return [
        format_pointer(path)
        for path, value in nodes(live_update.merge_shared)
        if (not isinstance(value, dict) or not value) and not find(dict(overlay), path)[0]
    ]


def _field_changes(live: Mapping[str, Any], desired: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, live.get(name), desired.get(name))
        for name in _COMPARED_FIELDS
        if live.get(name) != desired.get(name)
    )


def desired_state_digest(spec: DeploymentSpec, versions: Mapping[str, str]) -> bytes:
    """A 128-bit digest of what the specs ask of one thing group, whatever the live state:
    two commits with equal digests ask the same of it. `versions` are the resolved component
    versions. Where it is written (files, lines, key order) and `syncPolicy` (how the
    controller acts, not what the group gets) are left out."""
    document = {
        "deploymentName": spec.deployment_name,
        "components": {
            name: {
                "version": versions.get(name),
                "configuration": component.configuration,
                "configurationPolicy": component.configuration_policy,
                "reset": list(component.reset),
                "runWith": component.run_with_api(),
                "secretPaths": list(component.secret_paths),
            }
            for name, component in spec.components.items()
        },
        "deploymentPolicies": spec.deployment_policies.to_api(),
        "iotJobConfiguration": spec.iot_job_configuration.to_api(),
        "tags": dict(spec.tags),
    }
    if spec.parent_thing_group is not None:  # absent otherwise: earlier digests stay valid
        document["parentThingGroup"] = spec.parent_thing_group
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _canceled_outside_git(
    live: LiveDeployment,
    current: Mapping[str, Any],
    request: Mapping[str, Any],
    digest: str,
    managed: bool,
) -> bool:
    """Whether a CANCELED latest revision is an operator's stop the controller must honour:
    the specs still ask for what it carried. "What it carried" is its content, or, for a
    revision this reconciler made, the `content-hash` tag it put on it (the request it sent):
    a commit that changes what the specs ask of the group changes the request, so neither
    matches and the new revision is deployed. A canceled revision made by someone else is
    honoured too: the operator stopped the group, whatever was running."""
    if not managed:
        return True
    return current == request or live.tags.get(CONTENT_HASH) == digest


def plan_target(
    spec: DeploymentSpec,
    *,
    target_arn: str,
    parent_target_arn: str | None = None,
    live: LiveDeployment | None,
    versions: Mapping[str, str],
    defaults_of: DefaultsLookup,
    instance: str,
    compact: bool = False,
    share: Share = _own,
    previews: PreviewMemo | None = None,
) -> TargetPlan:
    """The plan of one thing group (with `parent_target_arn`, a subdeployment of the spec's
    revision to `target_arn`, a group whose devices are in that parent). `versions` gives the
    repo's version of components whose spec omits one; `defaults_of(name, version)` gives a
    recipe's DefaultConfiguration.

    A `compact` plan is `TargetPlan.compact()` of the full one, built without the parts it
    leaves out (the configuration documents and change summaries only renderers show: most of
    a plan's memory). `share` lets the groups of one plan hold one copy of equal request parts
    (component entries, job configuration, tags).

    Explicit resets the live revision sent already are neither sent nor carried again (see
    resets.py); but a revision is never made only to drop them: when the group would be
    unchanged with them kept, the live revision stays (planned as before, a no-op)."""
    arguments: dict[str, Any] = {
        "target_arn": target_arn,
        "parent_target_arn": parent_target_arn,
        "live": live,
        "versions": versions,
        "defaults_of": defaults_of,
        "instance": instance,
        "compact": compact,
        "share": share,
        "previews": previews,
    }
    sent = sent_resets(live, instance)
    target = _plan_target(spec, sent=sent, **arguments)
    if sent and target.action is TargetAction.UPDATE:
        unchanged = _plan_target(spec, sent=NOTHING_SENT, **arguments)
        if unchanged.action is TargetAction.NOOP:
            return unchanged
    return target


def _plan_target(
    spec: DeploymentSpec,
    *,
    target_arn: str,
    parent_target_arn: str | None,
    live: LiveDeployment | None,
    versions: Mapping[str, str],
    defaults_of: DefaultsLookup,
    instance: str,
    compact: bool,
    share: Share,
    sent: frozenset[str],
    previews: PreviewMemo | None,
) -> TargetPlan:
    components: list[ComponentPlan] = []
    entries: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    resolved: dict[str, str] = {}
    recorded: list[str] = []
    live_components = dict(live.components) if live else {}
    for name, desired in spec.components.items():
        version = desired.version or versions.get(name)
        if version is None:
            # The loader only lets a version be omitted for components the repository
            # declares, so this is an override whose version could not be chosen: its own
            # error comes first; this line says which groups it blocks.
            raise TargetPlanningError(
                f"{desired.source}: {spec.thing_group}: {name} has no version because its "
                "ComponentOverride could not be planned (see that error)"
            )
        resolved[name] = version
        plan, entry, notes, one_off = _desired_component(
            spec,
            desired,
            version,
            live_components.get(name),
            defaults_of,
            not compact,
            sent,
            previews,
        )
        recorded.extend(one_off)
        components.append(plan)
        entries[name] = entry
        warnings.extend(notes)
    for name, gone in sorted(live_components.items()):
        if name not in spec.components:
            components.append(
                ComponentPlan(
                    name=name,
                    action=ComponentAction.REMOVE,
                    live_version=gone.version,
                    desired_version=None,
                )
            )
    request = canonical_request(
        target_arn=target_arn,
        deployment_name=spec.deployment_name,
        components=entries,
        deployment_policies=spec.deployment_policies.to_api(),
        iot_job_configuration=spec.iot_job_configuration.to_api(),
        tags=spec.tags,
        parent_target_arn=parent_target_arn,
    )
    request["components"] = {n: share(entry) for n, entry in request["components"].items()}
    for part in _SHARED_PARTS:
        if part in request:
            request[part] = share(request[part])
    digest = request_hash(request)
    field_changes: tuple[FieldChange, ...] = ()
    managed = drift = canceled = False
    if live is None:
        action = TargetAction.CREATE
    else:
        current = live_content(live)
        managed = is_managed(live.tags, instance)
        field_changes = _field_changes(current, request)
        if live.status == "CANCELED":
            action = TargetAction.UPDATE
            canceled = _canceled_outside_git(live, current, request, digest, managed)
            if canceled:
                warnings.append(
                    f"the latest revision {live.revision_id} was canceled outside Git and the "
                    "specs still ask for it: the controller leaves the group halted (selfHeal: "
                    "true, a commit that changes the group, or `reconciler apply` deploys it)"
                )
            else:
                warnings.append(
                    f"the latest revision {live.revision_id} was canceled; the specs changed "
                    "since it was made, so the new revision is deployed"
                )
        elif current == request:
            action = TargetAction.NOOP
        else:
            action = TargetAction.UPDATE
            drift = not managed or live.tags.get(CONTENT_HASH) != request_hash(current)
            if not managed:
                warnings.append(
                    "the live revision was not made by greengrass-reconciler (console, CLI or "
                    "another tool); applying replaces it"
                )
            elif drift:
                warnings.append("the live revision was changed outside Git (drift)")
        if action is TargetAction.NOOP and live.status == "FAILED":
            warnings.append(
                f"the latest revision {live.revision_id} FAILED on devices; it matches the specs, "
                "so nothing is re-applied — fix the specs or the devices"
            )
    if spec.suspension is not None and action is not TargetAction.NOOP:
        warnings.append(
            f"{spec.suspension.describe()} — the controller plans this group but does not "
            "apply it while suspended"
        )
    return TargetPlan(
        thing_group=spec.thing_group,
        target_arn=target_arn,
        parent_thing_group=spec.parent_thing_group,
        action=action,
        spec_name=spec.name,
        spec_file=spec.source.file,
        live_deployment_id=live.deployment_id if live else None,
        live_revision_id=live.revision_id if live else None,
        live_managed=managed,
        drift=drift,
        canceled_outside_git=canceled,
        components=tuple(components),
        field_changes=field_changes,
        request=None if compact and action is TargetAction.NOOP else request,
        content_hash=digest,
        client_token=client_token(target_arn, digest, live.deployment_id if live else None),
        warnings=tuple(warnings),
        desired_digest=desired_state_digest(spec, resolved),
        resets_sent=resets_sent_tag(recorded),
    )
