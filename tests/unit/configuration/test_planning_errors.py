"""Invalid input is rejected with a ConfigurationError that says what is wrong and what to do."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.configuration import (
    ConfigurationError,
    ConfigurationLimitError,
    ConfigurationUpdate,
    ConflictingResetError,
    IndexSegmentResetError,
    InvalidConfigurationError,
    InvalidPointerError,
    PointerIntoListError,
    plan_configuration_update,
)
from reconciler.errors import PlanError

DEFAULTS = {"topics": ["a", "b"], "interval": 10, "model": {"name": "resnet"}}


def plan(**changes: Any) -> ConfigurationUpdate:
    inputs: dict[str, Any] = {
        "live_defaults": DEFAULTS,
        "live_update": ConfigurationUpdate(),
        "desired_defaults": DEFAULTS,
        "overlay": {},
    }
    inputs.update(changes)
    return plan_configuration_update(**inputs)


def test_configuration_errors_are_permanent_plan_errors_and_value_errors() -> None:
    with pytest.raises(ConfigurationError) as raised:
        plan(overlay=["not", "an", "object"])

    assert isinstance(raised.value, PlanError)
    assert isinstance(raised.value, ValueError)
    assert raised.value.temporary is False


def test_an_overlay_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(InvalidConfigurationError, match=r"overlay must be a JSON object.*list"):
        plan(overlay=["interval", 5])


def test_null_in_an_overlay_is_rejected_with_its_location() -> None:
    with pytest.raises(InvalidConfigurationError, match=r"null at /model/name.*explicit reset"):
        plan(overlay={"model": {"name": None}})


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        ({"interval": float("nan")}, "nan at /interval"),
        ({"model": {1: "x"}}, "key 1 at /model"),
        ({"tags": {"a", "b"}}, "a set at /tags"),
    ],
)
def test_values_json_cannot_carry_are_rejected(overlay: Any, message: str) -> None:
    with pytest.raises(InvalidConfigurationError, match=message):
        plan(overlay=overlay)


@pytest.mark.parametrize("pointer", ["interval", "/a~2b", "/trailing~"])
def test_an_invalid_explicit_pointer_is_rejected(pointer: str) -> None:
    with pytest.raises(InvalidPointerError, match=r"is not a JSON pointer.*~0.*~1"):
        plan(explicit_reset=[pointer])


def test_an_explicit_reset_into_a_list_is_rejected() -> None:
    expected = r"'/topics/first' leads into the list at '/topics'.*reset '/topics' instead"
    with pytest.raises(PointerIntoListError, match=expected):
        plan(explicit_reset=["/topics/first"])
    with pytest.raises(PointerIntoListError, match="list at '/TOPICS'"):
        plan(explicit_reset=["/TOPICS/first"])  # the device finds keys whatever their case


@pytest.mark.parametrize(
    ("pointer", "instead"),
    [("/portMap/8443", "'/portMap'"), ("/0", "''"), ("/a/2147483647/b", "'/a'")],
)
def test_an_explicit_reset_with_a_segment_that_reads_as_a_number_is_rejected(
    pointer: str, instead: str
) -> None:
    # KernelConfigResolver skips such a pointer: widening it silently would reset more than asked.
    with pytest.raises(
        IndexSegmentResetError, match=rf"reads as a number.*reset {instead} instead"
    ):
        plan(explicit_reset=[pointer])


@pytest.mark.parametrize("pointer", ["/portMap/08443", "/a/2147483648", "/a/-1", "/a/1e3", "/a/٣"])
def test_an_explicit_reset_with_segments_jackson_does_not_read_as_indexes_is_planned(
    pointer: str,
) -> None:
    assert pointer in plan(explicit_reset=[pointer]).reset


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        ({"_cache": 1}, r"at '/_cache'.*begins with '_'"),
        ({"model": {"_tmp": {"x": 1}}}, r"at '/model/_tmp'.*begins with '_'"),
        ({"Port": 1, "port": 2}, r"at '/port'.*'port' differs from 'Port' only by case"),
        ({"m": {"a": {"X": 1, "x": {}}}}, r"at '/m/a/x'.*differs from 'X' only by case"),
    ],
)
def test_overlay_keys_a_device_cannot_hold_are_rejected(overlay: Any, message: str) -> None:
    with pytest.raises(InvalidConfigurationError, match=message):
        plan(overlay=overlay)


def test_keys_inside_lists_are_values_and_are_not_checked() -> None:
    overlay = {"topics": [{"_a": 1, "B": 1, "b": 2}]}
    assert plan(overlay=overlay).merge == overlay


def test_an_explicit_reset_below_an_overlay_value_is_rejected() -> None:
    with pytest.raises(ConflictingResetError, match=r"'/model/name' lies below '/model'"):
        plan(overlay={"model": "mobilenet"}, explicit_reset=["/model/name"])


def test_explicit_resets_given_as_one_string_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="sequence of JSON pointers"):
        plan(explicit_reset="/interval")


def test_an_unknown_policy_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown configuration policy 'merge'.*minimal"):
        plan(policy="merge")


def test_a_live_update_needs_the_live_defaults() -> None:
    with pytest.raises(ConfigurationError, match=r"live_defaults .* is required"):
        plan(live_defaults=None)


def test_a_new_component_needs_no_live_defaults() -> None:
    update = plan(live_defaults=None, live_update=None, overlay={"interval": 5})

    assert update == ConfigurationUpdate(merge={"interval": 5})


def test_a_reset_pointer_longer_than_greengrass_accepts_is_rejected() -> None:
    long_key = "k" * 300

    with pytest.raises(ConfigurationLimitError, match="at most 256"):
        plan(live_update=ConfigurationUpdate(merge={long_key: 1}))
