"""ConfigurationUpdate as a value: canonical API form, parsing, equality; ConfigurationChange."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.configuration import (
    ConfigurationChange,
    ConfigurationLimitError,
    ConfigurationUpdate,
    InvalidConfigurationError,
    InvalidPointerError,
    JsonObject,
)
from tests.unit.configuration.strategies import LIVE_UPDATES, POINTERS


def test_the_merge_is_sent_as_canonical_json() -> None:
    update = ConfigurationUpdate(
        merge={"b": 1, "a": {"d": [1, 2.5, True], "c": "日本"}}, reset=("/z", "/a/x")
    )

    assert update.to_api() == {
        "merge": '{"a":{"c":"日本","d":[1,2.5,true]},"b":1}',
        "reset": ["/a/x", "/z"],
    }


def test_an_empty_update_has_an_empty_api_form() -> None:
    assert ConfigurationUpdate().to_api() == {}
    assert ConfigurationUpdate(merge={}).is_empty
    assert ConfigurationUpdate(merge={}) == ConfigurationUpdate()


def test_equality_ignores_reset_order_and_duplicates() -> None:
    one = ConfigurationUpdate(merge={"a": 1, "b": 2}, reset=("/y", "/x", "/y"))
    other = ConfigurationUpdate(merge={"b": 2, "a": 1}, reset=("/x", "/y"))

    assert one == other
    assert hash(one) == hash(other)
    assert one.reset == ("/x", "/y")


def test_equality_tells_json_types_apart() -> None:
    assert ConfigurationUpdate(merge={"a": 1}) != ConfigurationUpdate(merge={"a": True})
    assert ConfigurationUpdate(merge={"a": 1}) != ConfigurationUpdate(merge={"a": 1.0})


def test_the_update_keeps_its_own_copy_of_the_merge() -> None:
    merge: dict[str, Any] = {"a": {"b": 1}}
    update = ConfigurationUpdate(merge=merge)

    merge["a"]["b"] = 2

    assert update.to_api() == {"merge": '{"a":{"b":1}}'}


def test_the_repr_shows_no_configuration_values() -> None:
    update = ConfigurationUpdate(merge={"password": "hunter2"}, reset=("/token",))

    assert "hunter2" not in repr(update)
    assert repr(update) == "ConfigurationUpdate(merge=<1 top-level keys>, reset=('/token',))"


@settings(max_examples=100, deadline=None)
@given(update=LIVE_UPDATES)
def test_the_api_form_round_trips(update: ConfigurationUpdate) -> None:
    assert ConfigurationUpdate.from_api(update.to_api()) == update


@settings(max_examples=50, deadline=None)
@given(merge=st.dictionaries(st.text(max_size=3), st.integers()), reset=st.lists(POINTERS))
def test_equal_updates_give_equal_api_forms(merge: dict[str, int], reset: list[str]) -> None:
    reordered = dict(reversed(list(merge.items())))

    assert (
        ConfigurationUpdate(merge=merge, reset=tuple(reset)).to_api()
        == ConfigurationUpdate(merge=reordered, reset=tuple(reversed(reset))).to_api()
    )


@pytest.mark.parametrize("data", [None, {}, {"merge": "{}"}, {"reset": []}])
def test_absent_parts_parse_as_the_empty_update(data: Any) -> None:
    assert ConfigurationUpdate.from_api(data) == ConfigurationUpdate()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"merge": "{not json"}, "merge is not valid JSON"),
        ({"merge": "[1, 2]"}, "must be a JSON object"),
        ({"merge": {"a": 1}}, "merge must be a JSON string"),
        ({"reset": "/a"}, "reset must be a list of JSON pointer strings"),
    ],
)
def test_malformed_api_data_is_rejected(data: Any, message: str) -> None:
    with pytest.raises(InvalidConfigurationError, match=message):
        ConfigurationUpdate.from_api(data)


def test_a_malformed_reset_pointer_is_rejected() -> None:
    with pytest.raises(InvalidPointerError, match="'a/b' is not a JSON pointer"):
        ConfigurationUpdate(reset=("a/b",))


def test_reset_given_as_one_string_is_rejected() -> None:
    with pytest.raises(InvalidConfigurationError, match="not the string"):
        ConfigurationUpdate(reset="/a")  # type: ignore[arg-type]


def test_api_limits_are_checked() -> None:
    ConfigurationUpdate(merge={"a": "x" * 1000}, reset=("/" + "k" * 255,)).check_api_limits()

    with pytest.raises(ConfigurationLimitError, match="10,485,760"):
        ConfigurationUpdate(merge={"a": "x" * 10_485_760}).check_api_limits()
    with pytest.raises(ConfigurationLimitError, match="256"):
        ConfigurationUpdate(reset=("/" + "k" * 256,)).check_api_limits()


def test_a_change_sorts_its_pointers_and_knows_when_it_is_empty() -> None:
    change = ConfigurationChange(added=("/b", "/a"), removed=("/z",))

    assert change.added == ("/a", "/b")
    assert change and not change.is_empty
    assert not ConfigurationChange()
    assert ConfigurationChange().is_empty


def test_an_update_keeps_a_copy_of_a_merge_it_is_given_and_hands_out_copies() -> None:
    given: dict[str, Any] = {"a": {"b": [1, 2]}}
    update = ConfigurationUpdate(merge=given)
    given["a"]["b"].append(3)
    copy: dict[str, Any] = update.merge_document
    copy["a"] = "changed"

    assert update.merge_shared == {"a": {"b": [1, 2]}}
    assert update.to_api() == {"merge": '{"a":{"b":[1,2]}}'}


def test_a_validated_merge_handed_over_is_kept_without_a_copy() -> None:
    document: JsonObject = {"a": 1}
    update = ConfigurationUpdate(merge=document, reset=("/z", "/y"), validated=True)

    assert update.merge_shared is document
    assert update.reset == ("/y", "/z")
    assert ConfigurationUpdate(merge={}, validated=True).merge is None
    assert update == ConfigurationUpdate(merge={"a": 1}, reset=("/y", "/z"))
