"""Configuration a Greengrass device cannot hold as written, found while the specs load.

The nucleus reads configuration keys case-insensitively, drops keys that begin with `_`, and skips
reset pointers with a segment that reads as an array index (docs/configuration-updates.md). A
spec that relies on any of them would plan a revision that does something else on devices than
it says, so the loader reports each one with its file, line and field. The rules themselves live
in `reconciler.core.configuration.keys`, which the planner also applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from reconciler.core.configuration.documents import JsonValue
from reconciler.core.configuration.keys import index_segment_problem, key_problems
from reconciler.core.configuration.pointers import parse_pointer
from reconciler.core.specs.located import FieldPath, Node
from reconciler.core.specs.problems import SpecProblem

Finding = tuple[FieldPath, str]
"""Where (relative to the document checked) and what."""


def configuration_key_findings(
    configuration: Mapping[str, JsonValue], at: FieldPath = ()
) -> Iterator[Finding]:
    """Keys of a configuration document (an overlay, a DefaultConfiguration) that begin with `_`
    or differ from another key of the same object only by case."""
    for problem in key_problems(configuration):
        yield (*at, *problem.path), problem.message


def reset_findings(pointers: list[str], at: FieldPath) -> Iterator[Finding]:
    """Explicit reset pointers that no device would apply (a segment reads as an index)."""
    for index, pointer in enumerate(pointers):
        problem = index_segment_problem(parse_pointer(pointer))
        if problem is not None:
            yield (*at, index), f"the reset pointer {problem}"


def located_problems(root: Node, findings: Iterator[Finding]) -> list[SpecProblem]:
    """Each finding as a problem at the deepest node of `root` its path leads to."""
    problems: list[SpecProblem] = []
    for path, message in findings:
        node, rest = root, path
        while rest:
            child = node.child(rest[0])
            if child is None:
                break
            node, rest = child, rest[1:]
        problems.append(SpecProblem.on(node, message, *rest))
    return problems
