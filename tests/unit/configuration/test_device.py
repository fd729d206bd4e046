"""The device simulation, after aws-greengrass-nucleus's KernelConfigResolver: reset, merge the
defaults under what is left, merge the update over it, drop `_` keys; keys are case-insensitive."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from reconciler.core.configuration import (
    ConfigurationUpdate,
    InvalidConfigurationError,
    JsonObject,
    JsonValue,
    apply_configuration_update,
    deep_merge,
    desired_configuration,
    device_defaults,
    effective_configuration,
    kind_changes,
)

DEFAULTS: JsonObject = {"interval": 10, "model": {"name": "resnet", "size": 50}, "topics": ["a"]}


def apply(
    current: Mapping[str, JsonValue], merge: Mapping[str, JsonValue] | None = None, *reset: str
) -> JsonObject:
    update = ConfigurationUpdate(merge=merge, reset=reset)
    return apply_configuration_update(current, update, DEFAULTS)


def test_reset_runs_before_merge() -> None:
    assert apply({"interval": 5}, {"interval": 7}, "/interval")["interval"] == 7


def test_resetting_the_root_restores_all_defaults_and_drops_everything_else() -> None:
    current: JsonObject = {"interval": 5, "model": {"name": "mine"}, "runtime": {"cache": 1}}

    assert apply(current, None, "") == DEFAULTS


def test_resetting_a_key_with_a_default_restores_it() -> None:
    assert apply({"model": {"name": "mine", "size": 50}}, None, "/model/name")["model"] == {
        "name": "resnet",
        "size": 50,
    }


def test_resetting_a_key_without_a_default_removes_it() -> None:
    assert apply({"interval": 5, "extra": {"x": 1}}, None, "/extra") == {**DEFAULTS, "interval": 5}


def test_missing_defaults_are_added_and_existing_values_kept() -> None:
    # KernelConfigResolver merges the defaults with timestamp 1: under what the device holds.
    assert apply({"interval": 5, "model": {"size": 18}}) == {
        "interval": 5,
        "model": {"name": "resnet", "size": 18},
        "topics": ["a"],
    }


def test_a_default_replaces_a_value_only_where_one_side_is_an_object() -> None:
    held: JsonObject = {"interval": {"seconds": 5}, "model": "mobilenet", "topics": {"x": 1}}

    assert apply(held) == DEFAULTS


def test_merge_adds_keys_recursively_and_replaces_lists_whole() -> None:
    merged = apply(DEFAULTS, {"model": {"labels": "synset"}, "topics": ["b"]})

    assert merged["model"] == {"name": "resnet", "size": 50, "labels": "synset"}
    assert merged["topics"] == ["b"]


def test_merge_changes_types_both_ways() -> None:
    merged = apply(DEFAULTS, {"model": "mobilenet", "interval": {"seconds": 10}})

    assert merged["model"] == "mobilenet"
    assert merged["interval"] == {"seconds": 10}


def test_a_reset_pointer_into_a_list_does_nothing() -> None:
    # The nucleus finds no object there (Topics.find returns null) and removes nothing.
    held: JsonObject = {**DEFAULTS, "runtime": [{"a": 1}], "topics": ["x"]}

    assert apply(held, None, "/runtime/x/a", "/topics/first") == held


def test_a_reset_pointer_with_a_segment_that_reads_as_a_number_is_skipped() -> None:
    # removeKeysFromConfigWhichAreReset skips a pointer when Jackson's JsonPointer
    # mayMatchElement() holds for any segment: "8443" and "0" do, "08" and "-1" do not.
    held: JsonObject = {**DEFAULTS, "portMap": {"8443": 1, "0": 2, "08": 3, "-1": 4, "x": 5}}

    after = apply(held, None, "/portMap/8443", "/portMap/0", "/portMap/08", "/portMap/-1")

    assert after["portMap"] == {"8443": 1, "0": 2, "x": 5}
    assert "portMap" not in apply(held, None, "/portMap")


def test_keys_match_case_insensitively_and_keep_their_first_spelling() -> None:
    held: JsonObject = {"Interval": 5, "MODEL": {"Name": "mine"}}

    after = apply(held, {"interval": 7, "model": {"name": "yours", "Extra": 1}})

    assert after == {
        "Interval": 7,
        "MODEL": {"Name": "yours", "size": 50, "Extra": 1},
        "topics": ["a"],
    }
    # A reset finds the key whatever its spelling; the default brings the default's spelling.
    assert apply(held, None, "/interval", "/model/NAME") == {
        "interval": 10,
        "MODEL": {"name": "resnet", "size": 50},
        "topics": ["a"],
    }


def test_an_object_replacing_a_value_takes_the_spelling_of_the_merge() -> None:
    assert apply({"Interval": 5}, {"INTERVAL": {"s": 1}})["INTERVAL"] == {"s": 1}
    assert "Interval" not in apply({"Interval": 5}, {"INTERVAL": {"s": 1}})


def test_keys_beginning_with_an_underscore_are_dropped_at_every_object_level() -> None:
    after = apply({"_cache": 1}, {"_secret": "x", "model": {"_tmp": 1}, "list": [{"_kept": 1}]})

    assert "_cache" not in after and "_secret" not in after
    assert after["model"] == {"name": "resnet", "size": 50}
    assert after["list"] == [{"_kept": 1}]  # list items are values: the nucleus keeps them


def test_defaults_with_keys_differing_by_case_collapse_the_way_the_device_merges_them() -> None:
    assert device_defaults({"a": 1, "A": 2, "_b": 3, "c": {"D": 1, "d": {"e": 1}}}) == {
        "a": 2,
        "c": {"d": {"e": 1}},
    }


def test_defaults_seen_before_give_an_independent_copy_each_time() -> None:
    # Each version's defaults are collapsed once per process and shared by the plan's readers;
    # what a caller gets must still be its own, and modifying it changes no later answer.
    first: Any = device_defaults({"Model": {"name": "resnet"}, "topics": ["a"]})
    first["Model"]["name"] = "changed"
    first["topics"].append("b")
    again = device_defaults({"Model": {"name": "resnet"}, "topics": ["a"]})
    assert again == {"Model": {"name": "resnet"}, "topics": ["a"]}
    after = apply_configuration_update({}, None, {"Model": {"name": "resnet"}, "topics": ["a"]})
    assert after == again


def test_defaults_that_only_json_text_confuses_with_known_ones_are_still_validated() -> None:
    assert device_defaults({"1": "a", "x": True}) == {"1": "a", "x": True}
    with pytest.raises(InvalidConfigurationError, match="must be strings"):
        device_defaults({1: "a", "x": True})  # type: ignore[dict-item]
    # Equal text, other JSON types: served as given, not as the earlier input's answer.
    pair: Any = (1, 2)
    assert device_defaults({"1": "a", "x": pair}) == {"1": "a", "x": [1, 2]}
    assert device_defaults({"1": "a", "x": [1, 2]}) == {"1": "a", "x": [1, 2]}
    with pytest.raises(InvalidConfigurationError, match="not valid JSON"):
        device_defaults({"x": float("nan")})


def test_inputs_are_not_modified() -> None:
    current: JsonObject = {"model": {"name": "mine"}, "topics": ["x"]}
    defaults_before = copy.deepcopy(DEFAULTS)
    current_before = copy.deepcopy(current)
    merge: JsonObject = {"model": {"size": 18}}

    result = apply(current, merge, "/model/name", "/topics")
    model = result["model"]
    assert isinstance(model, dict)
    model["size"] = 0  # the result shares nothing with the inputs either

    assert current == current_before
    assert defaults_before == DEFAULTS
    assert merge == {"model": {"size": 18}}


def test_the_effective_configuration_starts_from_the_defaults() -> None:
    assert effective_configuration(DEFAULTS, None) == DEFAULTS
    assert effective_configuration(DEFAULTS, ConfigurationUpdate(merge={"interval": 1})) == {
        **DEFAULTS,
        "interval": 1,
    }


def test_the_desired_configuration_is_a_fresh_device_with_the_overlay_merged() -> None:
    assert desired_configuration({"Port": 1, "_x": 2}, {"port": 3, "extra": {"a": 1}}) == {
        "Port": 3,
        "extra": {"a": 1},
    }


def test_deep_merge_is_the_device_merge() -> None:
    assert deep_merge({"a": {"b": 1}, "c": 1}, {"a": {"d": 2}, "c": {"e": 3}}) == {
        "a": {"b": 1, "d": 2},
        "c": {"e": 3},
    }
    assert deep_merge({"A": {"b": 1}}, {"a": {"B": 2}}) == {"A": {"b": 2}}


def test_values_of_the_other_kind_than_their_default_are_found() -> None:
    defaults: JsonObject = {"Model": {"name": "resnet"}, "interval": 10, "topics": ["a"]}
    desired = desired_configuration(defaults, {"model": "mobilenet", "Interval": {"s": 5}})
    assert kind_changes(defaults, desired) == [("model",), ("Interval",)]
    assert kind_changes(defaults, desired_configuration(defaults, {"interval": 5})) == []


def test_a_deployment_from_another_target_puts_the_default_kind_back() -> None:
    # What kind_changes warns about: the nucleus merges the defaults of every component at every
    # deployment, with no update for those the deployment does not configure; a node of the
    # other kind is replaced whatever its timestamp, a value of the same kind stays.
    desired = desired_configuration(DEFAULTS, {"model": "mobilenet", "interval": 5})
    after_another = apply_configuration_update(desired, None, DEFAULTS)
    assert after_another == {**desired, "model": {"name": "resnet", "size": 50}}
    assert kind_changes(DEFAULTS, desired) == [("model",)]
