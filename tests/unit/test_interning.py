"""The one hash-consing helper: equal keys give one object, bounded and weak tables behave."""

from __future__ import annotations

import gc

from reconciler.core.interning import InternTable


class _Value:
    def __init__(self, text: str) -> None:
        self.text = text


def test_equal_keys_give_the_first_value() -> None:
    table: InternTable[dict[str, int]] = InternTable()
    first, second = {"a": 1}, {"a": 1}
    assert table.intern("a=1", first) is first
    assert table.intern("a=1", second) is first
    assert table.intern("a=2", second) is second
    assert len(table) == 2


def test_a_full_table_starts_over_instead_of_growing() -> None:
    table: InternTable[str] = InternTable(max_size=2)
    table.intern(1, "one")
    table.intern(2, "two")
    assert table.intern(2, "again") == "two"  # a known key never clears the table
    assert table.intern(3, "three") == "three"
    assert len(table) == 1 and 1 not in table and 3 in table


def test_a_weak_table_lets_a_value_go_with_its_last_user() -> None:
    table: InternTable[_Value] = InternTable(weak=True)
    kept = table.intern("k", _Value("first"))
    assert table.intern("k", _Value("second")) is kept
    del kept
    gc.collect()
    assert "k" not in table
    assert table.intern("k", _Value("third")).text == "third"
