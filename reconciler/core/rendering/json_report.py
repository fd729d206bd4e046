"""The plan as JSON: a stable, documented schema (docs/plan-json.md) for tools and CI.

Only printable fields are serialised: the raw CreateDeployment requests, which hold unredacted
configuration, are left out on purpose.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.arns import target_thing
from reconciler.core.metric_checks import MetricCheck
from reconciler.core.plan import (
    ComponentPlan,
    ComponentVersionPlan,
    Plan,
    PruneMode,
    TargetAction,
    TargetPlan,
)
from reconciler.core.printable import printable_json
from reconciler.core.rendering.changes import prune_note
from reconciler.core.schedule import RolloutSchedule, ScheduledWave
from reconciler.core.waves import Gate

SCHEMA_VERSION = 1


def _component(component: ComponentPlan) -> dict[str, Any]:
    change = component.configuration_change
    return {
        "name": component.name,
        "action": component.action.value,
        "liveVersion": component.live_version,
        "desiredVersion": component.desired_version,
        "configurationUpdate": {"merge": component.merge_preview, "reset": list(component.reset)},
        "configurationChange": {
            "added": list(change.added),
            "changed": list(change.changed),
            "removed": list(change.removed),
            "resetToDefault": list(change.reset_to_default),
        },
        "effectiveConfiguration": component.effective_configuration,
        "runWith": {"before": component.run_with_before, "after": component.run_with_after},
    }


def _target(target: TargetPlan) -> dict[str, Any]:
    document: dict[str, Any] = {
        "thingGroup": target.thing_group,
        "targetArn": target.target_arn,
        "action": target.action.value,
        "specName": target.spec_name,
        "specFile": target.spec_file,
        "liveDeploymentId": target.live_deployment_id,
        "liveRevisionId": target.live_revision_id,
        "liveManagedByReconciler": target.live_managed,
        "drift": target.drift,
        "canceledOutsideGit": target.canceled_outside_git,
        "prune": None
        if target.action is not TargetAction.PRUNE
        else {
            "mode": (target.prune_mode or PruneMode.OFF).value,
            "uninstallRevision": target.uninstall_revision,
            "devices": target.devices,
            "note": prune_note(target),
        },
        "contentHash": target.content_hash,
        "components": [_component(c) for c in target.components],
        "fieldChanges": [
            {"field": c.field, "before": c.before, "after": c.after} for c in target.field_changes
        ],
        "warnings": list(target.warnings),
    }
    # Only on the targets they concern, so that a thing group's entry is what it always was.
    thing = target_thing(target.thing_group)
    if thing is not None:
        document["thing"] = thing
    if target.parent_thing_group is not None:
        document["parentThingGroup"] = target.parent_thing_group
    return document


def _version(version: ComponentVersionPlan) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "origin": version.origin.value,
        "baseVersion": version.base_version,
        "action": "create" if version.needs_create else "exists",
        "contentHash": version.content_hash,
        "artifacts": [
            {"localPath": a.local_path, "uri": a.uri, "sha256": a.sha256, "size": a.size}
            for a in version.artifacts
        ],
    }


def _metric_check(check: MetricCheck) -> dict[str, Any]:
    return {
        "namespace": check.namespace,
        "metricName": check.metric_name,
        "dimensions": dict(check.dimensions),
        "statistic": check.statistic,
        "periodSeconds": check.period_seconds,
        "comparison": check.comparison.value,
        "threshold": check.threshold,
        "overSeconds": check.over_seconds,
        "datapointsToFail": check.datapoints_to_fail,
        "treatMissingData": check.treat_missing_data.value,
    }


def _gate(gate: Gate) -> dict[str, Any]:
    return {
        "minDevices": gate.min_devices,
        "successRatio": gate.success_ratio,
        "bakeSeconds": gate.bake_seconds,
        "maxFailedDevices": gate.max_failed_devices,
        "metrics": [_metric_check(check) for check in gate.metrics],
        "approval": gate.approval,
    }


def _wave(wave: ScheduledWave) -> dict[str, Any]:
    return {
        "name": wave.name,
        "canary": wave.canary,
        "changes": wave.changes,
        "devices": wave.devices,
        "groups": [
            {
                "thingGroup": group.thing_group,
                "parentThingGroup": group.parent,
                "changes": group.changes,
                "devices": group.devices,
            }
            for group in wave.groups
        ],
        "gate": _gate(wave.gate),
    }


def _schedule(schedule: RolloutSchedule) -> dict[str, Any]:
    return {
        "rollout": schedule.rollout,
        "onFailure": schedule.on_failure.value,
        "waves": [_wave(wave) for wave in schedule.waves],
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "commit": plan.commit,
        "specsPath": plan.specs_path,
        "hasChanges": plan.has_changes,
        "summary": {
            **{action.value: plan.count(action) for action in TargetAction},
            "componentVersionsToCreate": len(plan.versions_to_create),
            "artifactsToUpload": len(plan.artifacts_to_upload),
        },
        "componentVersions": [_version(v) for v in plan.component_versions],
        "targets": [_target(t) for t in plan.targets],
        "rollouts": [_schedule(s) for s in plan.schedules],
        "warnings": list(plan.warnings),
    }


def render_json(plan: Plan) -> str:
    text = json.dumps(plan_document(plan), indent=2, sort_keys=True, ensure_ascii=False)
    return printable_json(text) + "\n"
