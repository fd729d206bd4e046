"""Properties of the whole planner, over random specs and live states.

1. Determinism: planning twice from the same inputs gives equal plans.
2. Convergence: after "applying" a plan (the live state rebuilt from its requests, with our
   tags), planning the same specs again finds nothing to do, for every thing group, whatever
   the live state was before: nothing, an earlier revision of ours, or one made by hand.

`PLANNER_EXAMPLES=1000` explores further than the default run, which takes a few seconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.core.arns import thing_group_arn
from reconciler.core.configuration import ConfigurationUpdate
from reconciler.core.live import (
    ComponentVersionRef,
    LiveComponent,
    LiveDeployment,
    LiveState,
    RecipeRecord,
)
from reconciler.core.plan import Plan, TargetAction
from reconciler.core.planning import PlanMemo, plan_deployments
from reconciler.core.specs import InMemorySpecTree, SpecSet, parse_spec_tree
from tests.unit.configuration.strategies import LIVE_UPDATES, OVERLAYS, objects
from tests.unit.planning.applying import after_apply

EXAMPLES = int(os.environ.get("PLANNER_EXAMPLES", "50"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

REGION, ACCOUNT, INSTANCE = "us-east-1", "123456789012", "greengrass-reconciler"
PUBLIC = ("com.example.Alpha", "com.example.Beta")
VERSIONS = ("1.0.0", "1.1.0")
CUSTOM = "com.example.Custom"
MODEL = "com.example.Model"  # public, overridden by the repository; Alpha 1.1.0 depends on it
GROUPS = ("GroupA", "GroupB", "GroupC")

RUN_WITH_SET = st.fixed_dictionaries(
    {"posixUser": st.sampled_from(["ggc_user", "root"])},
    optional={
        "systemResourceLimits": st.fixed_dictionaries(
            {"memory": st.sampled_from([1024, 2048])}, optional={"cpus": st.just(0.5)}
        ),
    },
)
RUN_WITH = st.one_of(st.none(), RUN_WITH_SET)
POLICIES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "failureHandlingPolicy": st.sampled_from(["ROLLBACK", "DO_NOTHING"]),
            "componentUpdatePolicy": st.fixed_dictionaries(
                {}, optional={"timeoutInSeconds": st.sampled_from([60, 120])}
            ),
        },
    ),
)


def public_component() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"version": st.sampled_from(VERSIONS), "configuration": OVERLAYS},
        optional={
            "configurationPolicy": st.sampled_from(["minimal", "replace"]),
            "runWith": RUN_WITH_SET,
        },
    )


def custom_component() -> st.SearchStrategy[dict[str, Any]]:
    # No version: the repository's Component document declares it.
    return st.fixed_dictionaries({"configuration": OVERLAYS})


GROUP_SPECS = st.fixed_dictionaries(
    {
        "components": st.dictionaries(
            st.sampled_from(PUBLIC), public_component(), min_size=1, max_size=2
        ),
        "custom": st.one_of(st.none(), custom_component()),
        # The override, its version chosen by the planner (never pinned to the public one here:
        # that would be a genuine dependency conflict with Alpha 1.1.0's range).
        "model": st.booleans(),
        "deploymentPolicies": POLICIES,
        "tags": st.dictionaries(st.sampled_from(["env", "team"]), st.sampled_from(["a", "b"])),
        "deploymentName": st.sampled_from([None, "fleet-a", "fleet-b"]),
    }
)

SPEC_SETS = st.dictionaries(st.sampled_from(GROUPS), GROUP_SPECS, max_size=3)


@st.composite
def manual_deployments(draw: st.DrawFn) -> dict[str, LiveDeployment]:
    """Deployments made by hand (console, CLI): any versions, any configuration update."""
    found: dict[str, LiveDeployment] = {}
    for group in draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=3)):
        names = draw(st.lists(st.sampled_from((*PUBLIC, "com.example.Gone")), unique=True))
        components = {}
        for name in names:
            update: ConfigurationUpdate = draw(LIVE_UPDATES)
            components[name] = LiveComponent(
                name=name,
                version=draw(st.sampled_from(VERSIONS)),
                configuration_update=dict(update.to_api()) or None,
                run_with=draw(RUN_WITH),
            )
        arn = thing_group_arn(REGION, ACCOUNT, group)
        found[arn] = LiveDeployment(
            deployment_id=f"d-manual-{group}",
            target_arn=arn,
            revision_id="1",
            deployment_name=f"Deployment for {group}",
            components=components,
            deployment_policies=draw(POLICIES),
        )
    return found


@dataclass(frozen=True)
class World:
    recipes: Mapping[tuple[str, str], RecipeRecord]
    custom_recipe: dict[str, Any]
    artifact: bytes
    models: tuple[bytes, bytes]  # the override's model file before and after


@st.composite
def worlds(draw: st.DrawFn) -> World:
    recipes = {
        (name, version): RecipeRecord(
            recipe={
                "RecipeFormatVersion": "2020-01-25",
                "ComponentName": name,
                "ComponentVersion": version,
                "ComponentConfiguration": {"DefaultConfiguration": draw(objects())},
                # Alpha 1.1.0 depends on the overridden component, as inference on a model.
                **(
                    {"ComponentDependencies": {MODEL: {"VersionRequirement": "~1.0.0"}}}
                    if (name, version) == (PUBLIC[0], "1.1.0")
                    else {}
                ),
            },
            public=True,
        )
        for name in PUBLIC
        for version in VERSIONS
    }
    recipes[(MODEL, "1.0.0")] = RecipeRecord(
        recipe={
            "RecipeFormatVersion": "2020-01-25",
            "ComponentName": MODEL,
            "ComponentVersion": "1.0.0",
            "ComponentConfiguration": {"DefaultConfiguration": draw(objects())},
            "Manifests": [
                {
                    "Platform": {"os": "linux"},
                    "Artifacts": [
                        {"URI": "s3://aws-models/model.bin", "Digest": "x", "Algorithm": "SHA-256"}
                    ],
                }
            ],
        },
        public=True,
    )
    custom_recipe = {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": CUSTOM,
        "ComponentVersion": "1.0.0",
        "ComponentConfiguration": {"DefaultConfiguration": draw(OVERLAYS)},
        "Manifests": [{"Platform": {"os": "linux"}, "Artifacts": [{"URI": "run.py"}]}],
    }
    model = st.sampled_from([b"model-1", b"model-2"])
    return World(recipes, custom_recipe, draw(st.binary(max_size=8)), (draw(model), draw(model)))


def _document(kind: str, name: str, spec: Mapping[str, Any]) -> bytes:
    # JSON is YAML: the loader reads it like any other spec file.
    envelope = {"apiVersion": "greengrass-reconciler/v1", "kind": kind, "metadata": {"name": name}}
    return json.dumps({**envelope, "spec": spec}).encode()


def spec_set(groups: Mapping[str, Mapping[str, Any]], world: World, model: bytes) -> SpecSet:
    override = {"baseVersion": "1.0.0", "artifacts": [{"match": "*.bin", "file": "model.bin"}]}
    files = {
        "overrides/model.yaml": _document("ComponentOverride", MODEL, override),
        "overrides/model.bin": model,
        "reconciler.yaml": _document(
            "Settings",
            "properties",
            {
                "region": REGION,
                "accountId": ACCOUNT,
                "artifacts": {"bucket": "test-artifacts"},
                "allowEmpty": True,
            },
        ),
        "components/custom/component.yaml": _document(
            "Component", CUSTOM, {"version": "1.0.0", "recipe": "recipe.json"}
        ),
        "components/custom/recipe.json": json.dumps(world.custom_recipe).encode(),
        "components/custom/run.py": world.artifact,
    }
    for group, spec in groups.items():
        components: dict[str, Any] = dict(spec["components"])
        if spec["custom"] is not None:
            components[CUSTOM] = spec["custom"]
        if spec["model"]:
            components[MODEL] = {}
        document: dict[str, Any] = {"thingGroup": group, "components": components}
        for key in ("deploymentPolicies", "deploymentName"):
            if spec[key] is not None:
                document[key] = spec[key]
        if spec["tags"]:
            document["tags"] = spec["tags"]
        files[f"groups/{group}.yaml"] = _document("Deployment", group.lower(), document)
    return parse_spec_tree(InMemorySpecTree(files))


def plan(specs: SpecSet, live: LiveState, memo: PlanMemo | None = None) -> Plan:
    return plan_deployments(specs, live, instance=INSTANCE, commit="0000000", memo=memo)


def apply(result: Plan, live: LiveState) -> LiveState:
    return after_apply(
        result, live, instance=INSTANCE, commit="0000000", region=REGION, account=ACCOUNT
    )


@PROPERTY_SETTINGS
@given(world=worlds(), before=SPEC_SETS, after=SPEC_SETS, manual=manual_deployments())
def test_planning_is_deterministic_and_applying_converges(
    world: World,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    manual: dict[str, LiveDeployment],
) -> None:
    # The account: hand-made deployments, then an earlier apply of `before` by the reconciler.
    public_model = ComponentVersionRef(MODEL, "1.0.0", f"arn:aws:greengrass:{MODEL}", public=True)
    live = LiveState(
        latest=manual, recipes=world.recipes, component_versions={MODEL: (public_model,)}
    )
    # A long-lived controller keeps a memo of target plans across cycles: it must never change
    # a plan, only save the work.
    memo: PlanMemo = {}
    earlier = spec_set(before, world, world.models[0])
    assert plan(earlier, live, memo) == plan(earlier, live)
    live = apply(plan(earlier, live), live)

    specs = spec_set(after, world, world.models[1])
    first = plan(specs, live)
    assert plan(specs, live) == first  # deterministic
    assert plan(spec_set(after, world, world.models[1]), live) == first  # from a fresh load
    assert plan(specs, live, memo) == first
    assert plan(specs, live, memo) == first  # the memo's answer this time
    assert {t.thing_group for t in first.targets if t.action is not TargetAction.PRUNE} == set(
        after
    )

    for version in first.component_versions:
        event(f"{version.origin.value} version {'created' if version.needs_create else 'reused'}")
    for target in first.targets:
        event(f"target {target.action.value}{' with drift' if target.drift else ''}")

    converged = plan(specs, apply(first, live))
    assert plan(specs, apply(first, live), memo) == converged
    assert [t.action for t in converged.targets] == [TargetAction.NOOP] * len(after)
    assert not converged.versions_to_create
    assert not converged.has_changes
    for target in converged.targets:
        assert not target.drift
        assert target.client_token is not None
