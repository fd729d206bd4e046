"""Reading a document as plain values (`parse_values`) is reading it with locations
(`parse_file`) without them: the same values, the same problems, the same charge to the tree's
expansion budget, and the lines of the first levels' keys where the located values have them.

The loader reads every spec document as plain values and parses it again with locations only for
a message; this holds the two readings together over the mutated trees of
test_problem_reference.py (broken YAML and JSON, aliases, merge keys, odd scalars, bad bytes).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler.core.specs import InvalidSpecsError, SpecLimits
from reconciler.core.specs.budget import ExpansionBudget
from reconciler.core.specs.parsing import (
    FASTEST_LOADER,
    located_key_lines,
    parse_file,
    parse_values,
)
from tests.unit.specs.test_problem_reference import base_trees, cases

LIMITS = SpecLimits(max_alias_values=2_000)  # small: some documents run out of budget
LOADERS = sorted({FASTEST_LOADER, yaml.SafeLoader}, key=lambda loader: loader.__name__)


def located(file: str, data: bytes, loader: type[yaml.SafeLoader]) -> tuple[Any, ...]:
    budget = ExpansionBudget(LIMITS)
    try:
        root = parse_file(file, data, LIMITS, loader=loader, budget=budget)
    except InvalidSpecsError as error:
        return ("problems", error.problems, budget.alias_values, budget.alias_characters)
    if root is None:
        return ("empty", budget.alias_values)
    return (
        "values",
        root.plain(),
        root.location.line,
        budget.alias_values,
        located_key_lines(root),
    )


def plain(file: str, data: bytes, loader: type[yaml.SafeLoader]) -> tuple[Any, ...]:
    budget = ExpansionBudget(LIMITS)
    try:
        values = parse_values(file, data, LIMITS, loader=loader, budget=budget)
    except InvalidSpecsError as error:
        return ("problems", error.problems, budget.alias_values, budget.alias_characters)
    if values is None:
        return ("empty", budget.alias_values)
    return ("values", values.value, values.root_line, budget.alias_values, values.key_lines)


@pytest.mark.parametrize("loader", LOADERS, ids=[loader.__name__ for loader in LOADERS])
@pytest.mark.parametrize("tree", sorted(base_trees()))
def test_plain_values_are_the_located_values_without_locations(
    tree: str, loader: type[yaml.SafeLoader]
) -> None:
    compared = exact = 0
    # Every third case keeps this under half a minute on one core.
    for name, files in list(cases(tree, base_trees()[tree]))[::3]:
        for path, data in files.items():
            if not path.endswith((".yaml", ".yml", ".json")):
                continue
            ours, reference = plain(path, data, loader), located(path, data, loader)
            if ours[0] == "values" and reference[0] == "values":
                values = parse_values(path, data, LIMITS, loader=loader)
                assert values is not None
                if not values.exact_lines:  # aliases: the located reading knows the lines
                    ours, reference = ours[:-1], reference[:-1]
                else:
                    exact += 1
            assert ours == reference, (name, path)
            compared += 1
    assert compared >= 20 and exact >= 3
