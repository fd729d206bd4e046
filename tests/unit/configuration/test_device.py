"""The device simulation: reset against the defaults first, then merge."""

from __future__ import annotations

import copy
from collections.abc import Mapping

import pytest

from reconciler.core.configuration import (
    ConfigurationUpdate,
    JsonObject,
    JsonValue,
    PointerIntoListError,
    apply_configuration_update,
    deep_merge,
    effective_configuration,
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
    assert apply({"model": {"name": "mine", "size": 50}}, None, "/model/name") == {
        "model": {"name": "resnet", "size": 50}
    }


def test_resetting_a_key_without_a_default_removes_it() -> None:
    assert apply({"interval": 5, "extra": {"x": 1}}, None, "/extra") == {"interval": 5}


def test_resetting_a_missing_key_restores_its_default_with_the_objects_above_it() -> None:
    assert apply({}, None, "/model/name", "/nothing/here") == {"model": {"name": "resnet"}}


def test_merge_adds_keys_recursively_and_replaces_lists_whole() -> None:
    merged = apply(DEFAULTS, {"model": {"labels": "synset"}, "topics": ["b"]})

    assert merged["model"] == {"name": "resnet", "size": 50, "labels": "synset"}
    assert merged["topics"] == ["b"]


def test_merge_changes_types_both_ways() -> None:
    merged = apply(DEFAULTS, {"model": "mobilenet", "interval": {"seconds": 10}})

    assert merged["model"] == "mobilenet"
    assert merged["interval"] == {"seconds": 10}


def test_a_reset_pointer_into_a_list_is_refused() -> None:
    with pytest.raises(PointerIntoListError, match="list at '/topics' of the default"):
        apply({}, None, "/topics/0")
    with pytest.raises(PointerIntoListError, match="of the device's configuration"):
        apply({"runtime": [{"a": 1}]}, None, "/runtime/0/a")


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


def test_deep_merge_is_the_device_merge() -> None:
    assert deep_merge({"a": {"b": 1}, "c": 1}, {"a": {"d": 2}, "c": {"e": 3}}) == {
        "a": {"b": 1, "d": 2},
        "c": {"e": 3},
    }
