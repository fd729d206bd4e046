"""What a Deployment targets: a thing group, one core device (`thing`), or a subdeployment
(`parentThingGroup`), and the target keys every later step keys by (core/arns.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.arns import target_arn, target_of_arn, target_thing, thing_target
from tests.unit.specs.support import document, load, only_settings, rendered

COMPONENTS = "components: {x.Y: {version: 1.0.0}}"


def deployment(name: str, target: str) -> str:
    return document("Deployment", name, f"{target}\n{COMPONENTS}")


def test_a_core_device_and_a_subdeployment_resolve_to_their_target_keys() -> None:
    spec_set = load(
        only_settings(
            prod=deployment("prod", "thingGroup: Prod"),
            canary=deployment("canary", "thingGroup: Canary\nparentThingGroup: Prod"),
            bench=deployment("bench", "thing: bench-1"),
            # A group named like the device: its key is its name, the device's is thing/bench-1.
            lab=deployment("lab", "thingGroup: bench-1"),
        )
    )
    by_key = {d.thing_group: d for d in spec_set.deployments}
    assert sorted(by_key) == ["Canary", "Prod", "bench-1", "thing/bench-1"]
    assert by_key["thing/bench-1"].thing == "bench-1"
    assert by_key["bench-1"].thing is None
    assert by_key["Canary"].parent_thing_group == "Prod"
    assert by_key["Prod"].parent_thing_group is None
    settings = spec_set.settings
    assert (
        settings.target_arn("thing/bench-1") == "arn:aws:iot:us-east-1:123456789012:thing/bench-1"
    )
    assert settings.target_arn("bench-1") == (
        "arn:aws:iot:us-east-1:123456789012:thinggroup/bench-1"
    )


def test_a_deployment_names_exactly_one_target() -> None:
    files = only_settings(
        neither=document("Deployment", "neither", COMPONENTS),
        both=deployment("both", "thingGroup: G\nthing: d-1"),
    )
    assert rendered(files) == [
        "both.yaml:7: spec.thing: give either 'thingGroup' or 'thing', not both: a Deployment "
        "targets one thing group or one core device (write a second Deployment for the other)",
        "neither.yaml:5: spec: a Deployment targets exactly one of 'thingGroup' (a thing group's "
        "name) or 'thing' (a core device's thing name): give one",
    ]


def test_a_subdeployment_targets_another_thing_group_with_a_deployment() -> None:
    files = only_settings(
        device=deployment("device", "thing: d-1\nparentThingGroup: Prod"),
        itself=deployment("itself", "thingGroup: Prod\nparentThingGroup: Prod"),
        orphan=deployment("orphan", "thingGroup: Canary\nparentThingGroup: Nowhere"),
    )
    assert rendered(files) == [
        "device.yaml:7: spec.parentThingGroup: a subdeployment targets a thing group, never a "
        "core device (AWS: the target of a subdeployment can only be a thing group): use "
        "'parentThingGroup' with 'thingGroup', or drop it",
        "itself.yaml:7: spec.parentThingGroup: 'Prod' is the target group itself: a "
        "subdeployment deploys to another group, whose devices are in the parent group",
        "orphan.yaml:1: spec.parentThingGroup: no Deployment targets the parent group "
        "'Nowhere': a subdeployment is made within its parent's deployment, so give the parent "
        "group a Deployment (or drop 'parentThingGroup')",
    ]


def test_a_subdeployment_is_one_level_deep() -> None:
    files = only_settings(
        prod=deployment("prod", "thingGroup: Prod"),
        canary=deployment("canary", "thingGroup: Canary\nparentThingGroup: Prod"),
        inner=deployment("inner", "thingGroup: Inner\nparentThingGroup: Canary"),
    )
    assert rendered(files) == [
        "inner.yaml:1: spec.parentThingGroup: the parent group 'Canary' is itself a "
        "subdeployment (of 'Prod', in canary.yaml:1): a subdeployment's parent must be a plain "
        "thing group deployment",
    ]


def test_one_deployment_per_target_things_and_subdeployments_included() -> None:
    files = only_settings(
        a=deployment("a", "thing: d-1"),
        b=deployment("b", "thing: d-1"),
        c=deployment("c", "thingGroup: Prod"),
        d=deployment("d", "thingGroup: Canary"),
        e=deployment("e", "thingGroup: Canary\nparentThingGroup: Prod"),
    )
    assert rendered(files) == [
        "b.yaml:6: spec.thing: core device (thing) 'd-1' is already the target of Deployment "
        "'a' (a.yaml:1); a core device has exactly one Deployment",
        "e.yaml:6: spec.thingGroup: thing group 'Canary' is already the target of Deployment "
        "'d' (d.yaml:1); a thing group has exactly one Deployment (its subdeployment counts as "
        "one)",
    ]


def test_only_a_deployment_names_a_target() -> None:
    files = only_settings(
        base=document("DeploymentBase", "base", "thing: d-1\nparentThingGroup: Prod"),
        a=document("Deployment", "a", f"extends: base\nthingGroup: G\n{COMPONENTS}"),
    )
    # Told once, where it is written (not again on every Deployment that extends the base).
    assert rendered(files) == [
        "base.yaml:6: spec.thing: 'thing' is not allowed here: only a Deployment targets a core "
        "device; a DeploymentBase is abstract",
        "base.yaml:7: spec.parentThingGroup: 'parentThingGroup' is not allowed here: only a "
        "Deployment can be a subdeployment",
    ]


def test_a_thing_name_is_checked_like_a_thing_group_name() -> None:
    files = only_settings(a=deployment("a", "thing: arn:aws:iot:us-east-1:1:thing/x"))
    [message] = rendered(files)
    assert "is not a valid thing name" in message and "not its ARN" in message


NAMES = st.from_regex(r"[A-Za-z0-9:_-]{1,128}", fullmatch=True)


@given(NAMES, st.booleans())
def test_target_keys_round_trip_through_arns_and_never_collide(name: str, thing: bool) -> None:
    key = thing_target(name) if thing else name
    arn = target_arn("eu-west-1", "123456789012", key)
    assert target_of_arn(arn) == key
    assert target_thing(key) == (name if thing else None)
    assert thing_target(name) != name  # a device's key is never a group's
