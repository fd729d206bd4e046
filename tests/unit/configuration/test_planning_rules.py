"""Each rule that turns a configuration difference into Greengrass merge and reset, by example.

The examples use the DefaultConfiguration of the public DLR image classification component.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from reconciler.core.configuration import (
    ConfigurationUpdate,
    JsonObject,
    JsonValue,
    apply_configuration_update,
    deep_merge,
    plan_configuration_update,
    preview_configuration_update,
)
from reconciler.core.configuration.model import ConfigurationChange

ML_DEFAULTS: JsonObject = {
    "accessControl": {
        "aws.greengrass.ipc.mqttproxy": {
            "aws.greengrass.DLRImageClassification:mqttproxy:1": {
                "policyDescription": "Allows access to publish via topic ml/dlr/...",
                "operations": ["aws.greengrass#PublishToIoTCore"],
                "resources": ["ml/dlr/image-classification"],
            }
        }
    },
    "PublishResultsOnTopic": "ml/dlr/image-classification",
    "ImageName": "cat.jpeg",
    "InferenceInterval": 3600,
    "ModelResourceKey": {"model": "DLR-resnet50"},
}
POLICY = (
    "/accessControl/aws.greengrass.ipc.mqttproxy/aws.greengrass.DLRImageClassification:mqttproxy:1"
)


def revise(
    live_overlay: Mapping[str, JsonValue] | None,
    overlay: Mapping[str, JsonValue],
    *,
    live_defaults: Mapping[str, JsonValue] = ML_DEFAULTS,
    desired_defaults: Mapping[str, JsonValue] = ML_DEFAULTS,
    explicit_reset: tuple[str, ...] = (),
) -> tuple[ConfigurationUpdate, ConfigurationChange]:
    """Plan the revision after one that deployed `live_overlay` (None: the component is new),
    and check that a device holding the live configuration converges on it."""
    live_update = None
    if live_overlay is not None:
        live_update = plan_configuration_update(
            live_defaults=None,
            live_update=None,
            desired_defaults=live_defaults,
            overlay=live_overlay,
        )
    preview = preview_configuration_update(
        live_defaults=live_defaults,
        live_update=live_update,
        desired_defaults=desired_defaults,
        overlay=overlay,
        explicit_reset=explicit_reset,
    )
    device = apply_configuration_update(preview.live, preview.update, desired_defaults)
    assert device == deep_merge(desired_defaults, overlay)
    return preview.update, preview.change


def test_a_new_component_merges_its_overlay_and_resets_nothing() -> None:
    overlay = {"InferenceInterval": "15", "ImageName": "custom.jpg"}

    update, change = revise(None, overlay)

    assert update == ConfigurationUpdate(merge=overlay)
    assert update.to_api() == {"merge": '{"ImageName":"custom.jpg","InferenceInterval":"15"}'}
    assert change == ConfigurationChange(changed=("/ImageName", "/InferenceInterval"))


def test_a_changed_key_is_merged() -> None:
    update, change = revise({"InferenceInterval": 15}, {"InferenceInterval": 30})

    assert update == ConfigurationUpdate(merge={"InferenceInterval": 30})
    assert change == ConfigurationChange(changed=("/InferenceInterval",))


def test_an_added_key_without_default_is_merged() -> None:
    update, change = revise({}, {"UseCamera": "true"})

    assert update == ConfigurationUpdate(merge={"UseCamera": "true"})
    assert change == ConfigurationChange(added=("/UseCamera",))


def test_a_removed_key_without_default_is_reset_which_removes_it() -> None:
    update, change = revise({"UseCamera": "true", "ImageName": "a.jpg"}, {"ImageName": "a.jpg"})

    assert update == ConfigurationUpdate(merge={"ImageName": "a.jpg"}, reset=("/UseCamera",))
    assert change == ConfigurationChange(removed=("/UseCamera",))


def test_a_key_returning_to_its_default_is_reset_not_merged_with_a_copy() -> None:
    update, change = revise({"InferenceInterval": 15}, {})

    assert update == ConfigurationUpdate(reset=("/InferenceInterval",))
    assert update.to_api() == {"reset": ["/InferenceInterval"]}
    assert change == ConfigurationChange(reset_to_default=("/InferenceInterval",))


def test_a_nested_key_is_reset_by_its_own_path() -> None:
    update, change = revise(
        {"ModelResourceKey": {"model": "mine", "labels": "synset.txt"}},
        {"ModelResourceKey": {"model": "mine"}},
    )

    assert update.reset == ("/ModelResourceKey/labels",)
    assert change == ConfigurationChange(removed=("/ModelResourceKey/labels",))


def test_a_change_inside_a_list_is_a_change_of_the_whole_list() -> None:
    resources = ["ml/dlr/image-classification", "ml/dlr/extra"]

    update, change = revise({}, {"accessControl": _policy(resources=resources)})

    assert change == ConfigurationChange(changed=(f"{POLICY}/resources",))
    assert update.reset == ()  # the merge replaces the list whole
    assert update.merge_document == {"accessControl": _policy(resources=resources)}


def test_a_default_list_that_changes_on_a_version_bump_is_reset_whole() -> None:
    bumped = copy.deepcopy(ML_DEFAULTS)
    bumped["accessControl"] = _policy(resources=["ml/dlr/v2"])

    update, change = revise({}, {}, desired_defaults=bumped)

    assert update == ConfigurationUpdate(reset=(f"{POLICY}/resources",))
    assert change == ConfigurationChange(reset_to_default=(f"{POLICY}/resources",))


def test_keys_with_tilde_and_slash_are_escaped_in_pointers() -> None:
    update, change = revise({"topics": {"a/b~c": 1, "keep": 2}}, {"topics": {"keep": 2}})

    assert update.reset == ("/topics/a~1b~0c",)
    assert change.removed == ("/topics/a~1b~0c",)


def test_an_object_becoming_a_value_is_reset_then_merged() -> None:
    update, change = revise({}, {"ModelResourceKey": "DLR-mobilenet"})

    assert update == ConfigurationUpdate(
        merge={"ModelResourceKey": "DLR-mobilenet"}, reset=("/ModelResourceKey",)
    )
    assert change == ConfigurationChange(changed=("/ModelResourceKey",))


def test_a_value_becoming_an_object_is_reset_then_merged() -> None:
    update, _ = revise({}, {"InferenceInterval": {"seconds": 15}})

    assert update == ConfigurationUpdate(
        merge={"InferenceInterval": {"seconds": 15}}, reset=("/InferenceInterval",)
    )


def test_a_default_changed_by_a_version_bump_reaches_devices_through_a_reset() -> None:
    # Greengrass keeps existing keys on upgrade (nucleus #1470/#1626); the reset applies it.
    bumped = {**ML_DEFAULTS, "InferenceInterval": 60}
    device_before = deep_merge(ML_DEFAULTS, {"ImageName": "dog.jpeg"})

    update, change = revise(
        {"ImageName": "dog.jpeg"}, {"ImageName": "dog.jpeg"}, desired_defaults=bumped
    )

    assert update == ConfigurationUpdate(
        merge={"ImageName": "dog.jpeg"}, reset=("/InferenceInterval",)
    )
    assert change == ConfigurationChange(reset_to_default=("/InferenceInterval",))
    assert apply_configuration_update(device_before, update, bumped)["InferenceInterval"] == 60


def test_a_default_changed_by_a_version_bump_under_an_overlay_value_needs_no_reset() -> None:
    bumped = {**ML_DEFAULTS, "InferenceInterval": 60}

    update, change = revise(
        {"InferenceInterval": 15}, {"InferenceInterval": 15}, desired_defaults=bumped
    )

    assert update == ConfigurationUpdate(merge={"InferenceInterval": 15})
    assert change.is_empty


def test_keys_added_or_dropped_by_a_version_bump_are_reset() -> None:
    bumped = {key: value for key, value in ML_DEFAULTS.items() if key != "ImageName"}
    bumped["Accelerator"] = "cpu"

    update, change = revise({}, {}, desired_defaults=bumped)

    assert update == ConfigurationUpdate(reset=("/Accelerator", "/ImageName"))
    assert change == ConfigurationChange(added=("/Accelerator",), removed=("/ImageName",))


def test_a_reset_is_carried_forward_for_devices_that_missed_the_revision_that_removed_the_key() -> (
    None
):
    revision_1 = plan(None, {"UseCamera": "true"})
    revision_2 = plan(revision_1, {})
    revision_3 = plan(revision_2, {"ImageName": "dog.jpeg"})

    assert revision_2.reset == ("/UseCamera",)
    assert revision_3 == ConfigurationUpdate(merge={"ImageName": "dog.jpeg"}, reset=("/UseCamera",))
    offline = deep_merge(ML_DEFAULTS, {"UseCamera": "true"})  # applied revision 1 only
    assert apply_configuration_update(offline, revision_3, ML_DEFAULTS) == deep_merge(
        ML_DEFAULTS, {"ImageName": "dog.jpeg"}
    )


def test_a_value_set_to_its_default_then_dropped_is_reset_for_devices_that_missed_it() -> None:
    revision_1 = plan(None, {"InferenceInterval": 15})
    revision_2 = plan(revision_1, {"InferenceInterval": 3600})  # the default, written out
    revision_3 = plan(revision_2, {})  # L and D agree, yet a device may still hold 15

    assert revision_3 == ConfigurationUpdate(reset=("/InferenceInterval",))
    offline = deep_merge(ML_DEFAULTS, {"InferenceInterval": 15})
    assert apply_configuration_update(offline, revision_3, ML_DEFAULTS) == ML_DEFAULTS


def test_an_object_the_live_merge_made_is_reset_when_the_overlay_stops_making_it() -> None:
    defaults_v1: JsonObject = {"cache": None}
    defaults_v2: JsonObject = {"cache": {}, "mode": None}
    revision_1 = plan(None, {}, defaults={})
    revision_2 = plan(revision_1, {"cache": {}}, live_defaults={}, defaults=defaults_v1)
    revision_3 = plan(revision_2, {}, live_defaults=defaults_v1, defaults=defaults_v2)

    assert revision_3.reset == ("/cache", "/mode")
    offline: JsonObject = {}  # applied revision 1 only
    assert apply_configuration_update(offline, revision_3, defaults_v2) == defaults_v2


def test_a_carried_reset_below_an_overlay_value_is_dropped_and_one_at_it_is_kept() -> None:
    live = ConfigurationUpdate(reset=("/ModelResourceKey/model", "/ImageName"))

    update = plan_configuration_update(
        live_defaults=ML_DEFAULTS,
        live_update=live,
        desired_defaults=ML_DEFAULTS,
        overlay={"ModelResourceKey": "mine", "ImageName": "dog.jpeg"},
    )

    # The merge replaces /ModelResourceKey whole; /ImageName is kept for devices that may still
    # hold an object there (resetting a value the merge writes anyway costs nothing).
    assert update.reset == ("/ImageName", "/ModelResourceKey")


def test_explicit_resets_are_always_included() -> None:
    update, _ = revise({}, {"ImageName": "dog.jpeg"}, explicit_reset=("/ModelResourceKey/model",))

    assert update.reset == ("/ModelResourceKey/model",)


def test_an_explicit_reset_below_another_reset_is_redundant() -> None:
    update, _ = revise({"ModelResourceKey": {"x": 1}}, {}, explicit_reset=("/ModelResourceKey/x",))

    assert update.reset == ("/ModelResourceKey",)


def test_identical_inputs_give_no_change_and_the_live_update_back() -> None:
    live = plan(plan(None, {"UseCamera": "true"}), {"ImageName": "dog.jpeg"})

    preview = preview_configuration_update(
        live_defaults=ML_DEFAULTS,
        live_update=live,
        desired_defaults=ML_DEFAULTS,
        overlay={"ImageName": "dog.jpeg"},
    )

    assert preview.change.is_empty
    assert preview.update == live


def test_the_replace_policy_resets_the_whole_configuration() -> None:
    update = plan_configuration_update(
        live_defaults=ML_DEFAULTS,
        live_update=ConfigurationUpdate(merge={"UseCamera": "true"}),
        desired_defaults=ML_DEFAULTS,
        overlay={"ImageName": "dog.jpeg"},
        explicit_reset=("/InferenceInterval",),
        policy="replace",
    )

    assert update.to_api() == {"merge": '{"ImageName":"dog.jpeg"}', "reset": [""]}
    runtime_state = {**ML_DEFAULTS, "UseCamera": "true", "LastRun": 17}
    assert apply_configuration_update(runtime_state, update, ML_DEFAULTS) == deep_merge(
        ML_DEFAULTS, {"ImageName": "dog.jpeg"}
    )


def test_a_hand_made_live_reset_into_a_list_is_read_as_a_reset_of_the_list() -> None:
    live = ConfigurationUpdate(reset=(f"{POLICY}/resources/0",))

    update = plan_configuration_update(
        live_defaults=ML_DEFAULTS, live_update=live, desired_defaults=ML_DEFAULTS, overlay={}
    )

    assert update.reset == (f"{POLICY}/resources",)


def plan(
    live_update: ConfigurationUpdate | None,
    overlay: Mapping[str, JsonValue],
    *,
    live_defaults: Mapping[str, JsonValue] | None = None,
    defaults: Mapping[str, JsonValue] = ML_DEFAULTS,
) -> ConfigurationUpdate:
    """The next revision's update on one component version (unless told otherwise)."""
    return plan_configuration_update(
        live_defaults=defaults if live_defaults is None else live_defaults,
        live_update=live_update,
        desired_defaults=defaults,
        overlay=overlay,
    )


def _policy(*, resources: list[str]) -> JsonObject:
    """The default accessControl with other resources for the results topic."""
    policy: Any = copy.deepcopy(ML_DEFAULTS["accessControl"])
    proxy = policy["aws.greengrass.ipc.mqttproxy"]
    proxy["aws.greengrass.DLRImageClassification:mqttproxy:1"]["resources"] = resources
    return dict(policy)


@pytest.mark.parametrize("policy", ["minimal", "replace"])
def test_inputs_are_never_modified(policy: Any) -> None:
    live_defaults = copy.deepcopy(ML_DEFAULTS)
    desired_defaults = {**copy.deepcopy(ML_DEFAULTS), "InferenceInterval": 60}
    overlay: JsonObject = {"ModelResourceKey": {"model": "mine"}, "Extra": [1, {"a": 2}]}
    snapshot = copy.deepcopy((live_defaults, desired_defaults, overlay))

    preview = preview_configuration_update(
        live_defaults=live_defaults,
        live_update=ConfigurationUpdate(merge={"UseCamera": "true"}, reset=("/ImageName",)),
        desired_defaults=desired_defaults,
        overlay=overlay,
        policy=policy,
    )
    for result in (preview.live, preview.desired, preview.update.merge):
        assert isinstance(result, dict)
        for value in result.values():
            if isinstance(value, dict):
                value["changed afterwards"] = True  # results share nothing with inputs either

    assert (live_defaults, desired_defaults, overlay) == snapshot


def test_after_a_replace_revision_minimal_revisions_keep_the_root_reset_unless_told_not_to() -> (
    None
):
    replaced = plan_configuration_update(
        live_defaults=ML_DEFAULTS,
        live_update=ConfigurationUpdate(merge={"UseCamera": "true"}),
        desired_defaults=ML_DEFAULTS,
        overlay={"ImageName": "dog.jpeg"},
        policy="replace",
    )

    # A device that missed the replace revision may hold anything: only "" is sure to fix it.
    assert plan(replaced, {"ImageName": "cow.jpeg"}).reset == ("",)
    # Planning from the live update without its resets forgets them, on purpose.
    forgetting = plan(ConfigurationUpdate(merge=replaced.merge), {"ImageName": "cow.jpeg"})
    assert forgetting == ConfigurationUpdate(merge={"ImageName": "cow.jpeg"})


def test_a_reset_at_a_number_like_key_becomes_a_reset_of_its_nearest_resettable_parent() -> None:
    # KernelConfigResolver skips "/portMap/8443"; "/portMap" is reset and the overlay merged back.
    defaults: JsonObject = {"portMap": {"443": 8443}}
    live = ConfigurationUpdate(merge={"portMap": {"8443": 443, "80": 8080}})
    update = plan_configuration_update(
        live_defaults=defaults,
        live_update=live,
        desired_defaults=defaults,
        overlay={"portMap": {"80": 8080}},
    )
    assert update.reset == ("/portMap",)
    device = apply_configuration_update({"portMap": {"8443": 443, "80": 1}}, update, defaults)
    assert device == {"portMap": {"443": 8443, "80": 8080}}


def test_a_key_spelled_differently_on_devices_is_reset_so_it_takes_the_new_spelling() -> None:
    live = ConfigurationUpdate(merge={"FOO": 1})
    update = plan_configuration_update(
        live_defaults={}, live_update=live, desired_defaults={}, overlay={"foo": 1}
    )
    assert update.reset == ("/FOO",)
    assert apply_configuration_update({"FOO": 1}, update, {}) == {"foo": 1}
