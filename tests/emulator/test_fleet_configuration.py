"""The device's configuration rules (fleet/configuration.py), written from the nucleus."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.emulator.fleet.configuration import is_array_index, resolve_configuration

keys = st.sampled_from(["a", "A", "b", "_c", "port", "Port", "8443"])
leaves = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner)),
    max_leaves=8,
)
documents = st.dictionaries(keys, values, max_size=4)
# What a device can hold: the outcome of an earlier resolution (one spelling per key, no "_").
held = documents.map(lambda raw: resolve_configuration(None, {}, None, raw))
pointers = st.lists(st.sampled_from(["", "/a", "/A/b", "/port/8443", "/b", "/8443"]), max_size=3)


def test_array_index_segments_are_the_ones_jackson_reads_as_indexes() -> None:
    assert [is_array_index(s) for s in ("0", "8443", "08", "-1", "a1", "", "99999999999")] == [
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_a_reset_pointer_with_a_number_is_skipped_whole() -> None:
    running = {"portMap": {"8443": "https"}, "x": 1}
    assert resolve_configuration(running, {}, ["/portMap/8443"]) == running


def test_defaults_of_another_kind_replace_the_value() -> None:
    # Topics.updateChild: a mapping where a value is (or the reverse) is replaced, whatever
    # the timestamps; values of the same kind are not overwritten by defaults.
    running = {"a": 1, "b": {"c": 1}, "d": "kept"}
    defaults = {"a": {"x": 1}, "b": 2, "d": "default"}
    assert resolve_configuration(running, defaults) == {"a": {"x": 1}, "b": 2, "d": "kept"}


def test_a_node_replaced_by_one_of_the_other_kind_takes_the_new_spelling() -> None:
    # Topics.updateChild removes a node that meets a value of the other kind and creates the new
    # one with the merged document's spelling; a node of the same kind keeps its own.
    defaults = {"ModelResourceKey": {"x86_64": "resnet"}, "Port": 1}
    assert resolve_configuration(None, defaults, None, {"modelresourcekey": 0, "port": 2}) == {
        "modelresourcekey": 0,
        "Port": 2,
    }
    running = {"Topic": "t"}
    assert resolve_configuration(running, {"topic": {"qos": 1}}) == {"topic": {"qos": 1}}
    assert resolve_configuration(running, None, None, {"TOPIC": {"qos": 1}}) == {
        "TOPIC": {"qos": 1}
    }


@given(held, documents, pointers, documents)
def test_applying_the_same_update_twice_changes_nothing(
    running: dict[str, Any], defaults: dict[str, Any], reset: list[str], merge: dict[str, Any]
) -> None:
    once = resolve_configuration(running, defaults, reset, merge)
    assert resolve_configuration(once, defaults, [p for p in reset if p], merge) == once


@given(held, held, documents)
def test_resetting_everything_forgets_the_running_configuration(
    first: dict[str, Any], second: dict[str, Any], defaults: dict[str, Any]
) -> None:
    assert resolve_configuration(first, defaults, [""]) == resolve_configuration(
        second, defaults, [""]
    )


@given(held, documents, documents)
def test_no_key_starting_with_an_underscore_is_kept(
    running: dict[str, Any], defaults: dict[str, Any], merge: dict[str, Any]
) -> None:
    def keys_of(value: Any) -> list[str]:
        if not isinstance(value, dict):
            return []
        return [k for k in value] + [k for v in value.values() for k in keys_of(v)]

    resolved = resolve_configuration(running, defaults, None, merge)
    assert not any(key.startswith("_") for key in keys_of(resolved))
    assert len({k.lower() for k in resolved}) == len(resolved)  # one spelling per key
