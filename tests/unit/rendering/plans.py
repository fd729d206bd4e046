"""Plans built directly as values, for renderer tests that need shapes no small case has
(thousands of thing groups, huge configurations, every action at once)."""

from __future__ import annotations

from typing import Any

from reconciler.core.configuration.model import ConfigurationChange
from reconciler.core.plan import (
    ArtifactUpload,
    ComponentAction,
    ComponentOrigin,
    ComponentPlan,
    ComponentVersionPlan,
    FieldChange,
    Plan,
    TargetAction,
    TargetPlan,
)

ARN_PREFIX = "arn:aws:iot:us-east-1:123456789012:thinggroup/"


def big_configuration(seed: int, keys: int) -> dict[str, Any]:
    return {f"Key{k:03d}": f"value-{seed}-{k}-" + "x" * 40 for k in range(keys)}


def changed_component(seed: int, keys: int = 20) -> ComponentPlan:
    """A component whose every key changes: one change line per key, with long values."""
    before = big_configuration(seed, keys)
    after = {k: v.replace("value", "other") for k, v in before.items()}
    return ComponentPlan(
        name=f"com.example.Big{seed % 7}",
        action=ComponentAction.CHANGE,
        live_version="1.0.0",
        desired_version="1.0.1",
        merge_preview=after,
        configuration_change=ConfigurationChange(changed=tuple(f"/{k}" for k in after)),
        effective_configuration=after,
        live_effective_configuration=before,
    )


def updated_target(index: int, *, keys: int = 20, warnings: tuple[str, ...] = ()) -> TargetPlan:
    group = f"Group{index:05d}"
    return TargetPlan(
        thing_group=group,
        target_arn=ARN_PREFIX + group,
        action=TargetAction.UPDATE,
        spec_name=group.lower(),
        spec_file=f"groups/{group.lower()}.yaml",
        live_deployment_id=f"d-{index}",
        live_revision_id="1",
        live_managed=True,
        components=(changed_component(index, keys),),
        content_hash=f"{index:064x}",
        client_token=f"{index:064x}",
        warnings=warnings,
    )


def unchanged_target(index: int) -> TargetPlan:
    group = f"Quiet{index:05d}"
    return TargetPlan(
        thing_group=group,
        target_arn=ARN_PREFIX + group,
        action=TargetAction.NOOP,
        spec_name=group.lower(),
        spec_file=f"groups/{group.lower()}.yaml",
        live_deployment_id=f"d-q{index}",
        live_revision_id="3",
        live_managed=True,
        components=(
            ComponentPlan(
                name="com.example.Quiet",
                action=ComponentAction.UNCHANGED,
                live_version="2.0.0",
                desired_version="2.0.0",
                effective_configuration={"Interval": 5},
                live_effective_configuration={"Interval": 5},
            ),
        ),
    )


def big_plan(groups: int, *, keys: int = 20, warnings: tuple[str, ...] = ()) -> Plan:
    targets = tuple(updated_target(i, keys=keys, warnings=warnings) for i in range(groups))
    return Plan(targets=targets, commit="abc1234")


def mixed_plan() -> Plan:
    """Every target action, a version to create with an artifact, warnings on both levels."""
    created = TargetPlan(
        thing_group="NewGroup",
        target_arn=ARN_PREFIX + "NewGroup",
        action=TargetAction.CREATE,
        spec_name="new-group",
        spec_file="groups/new-group.yaml",
        components=(
            ComponentPlan(
                name="com.example.Fresh",
                action=ComponentAction.ADD,
                live_version=None,
                desired_version="1.0.0",
                merge_preview={"Interval": 10},
                configuration_change=ConfigurationChange(changed=("/Interval",)),
                effective_configuration={"Interval": 10},
                live_effective_configuration={"Interval": 60},
            ),
        ),
    )
    pruned = TargetPlan(
        thing_group="OldGroup",
        target_arn=ARN_PREFIX + "OldGroup",
        action=TargetAction.PRUNE,
        live_deployment_id="d-old",
        live_revision_id="6",
        live_managed=True,
        warnings=("no spec targets this group any more",),
    )
    renamed = TargetPlan(
        thing_group="RenamedGroup",
        target_arn=ARN_PREFIX + "RenamedGroup",
        action=TargetAction.UPDATE,
        spec_name="renamed-group",
        spec_file="groups/renamed-group.yaml",
        live_deployment_id="d-renamed",
        live_revision_id="2",
        live_managed=True,
        field_changes=(FieldChange("deploymentName", "old-name", "new-name"),),
    )
    version = ComponentVersionPlan(
        name="com.example.Fresh",
        version="1.0.0",
        origin=ComponentOrigin.CUSTOM,
        exists=False,
        recipe={"ComponentName": "com.example.Fresh", "ComponentVersion": "1.0.0"},
        content_hash="f" * 64,
        artifacts=(
            ArtifactUpload(
                local_path="components/fresh/run.py",
                bucket="bucket",
                key="greengrass-reconciler/com.example.Fresh/1.0.0/run.py",
                sha256="a" * 64,
                size=12,
            ),
        ),
    )
    return Plan(
        targets=(created, updated_target(1), unchanged_target(2), renamed, pruned),
        component_versions=(version,),
        warnings=("an account-wide warning",),
        commit="abc1234",
    )


def unchanged_plan() -> Plan:
    return Plan(targets=(unchanged_target(1), unchanged_target(2)), commit="abc1234")
