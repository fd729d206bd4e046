"""No input crashes the loader: whatever the bytes, it returns a SpecSet or raises
InvalidSpecsError (a SpecError) whose problems point into the tree, and `validate` never prints a
traceback."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.core.specs import InMemorySpecTree, InvalidSpecsError, SpecSet, parse_spec_tree
from tests.unit.specs.support import sample_files

SAMPLE = sample_files()
DOCUMENTS = sorted(path for path in SAMPLE if path.endswith(".yaml"))
YAML_NOISE = st.sampled_from([*":-[]{}&*!|>'\"#%@`,?~\n\t ", "---", "<<", "null", "0x", "1e9"])
# 150 examples per property keep the suite fast; SPECS_FUZZ_EXAMPLES=5000 for a longer hunt.
EXAMPLES = int(os.environ.get("SPECS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_counter = itertools.count()


def check(files: dict[str, bytes]) -> SpecSet | None:
    """Load `files`; anything but a SpecSet or InvalidSpecsError fails the test."""
    try:
        spec_set = parse_spec_tree(InMemorySpecTree(files))
    except InvalidSpecsError as error:
        assert error.problems, "an error without problems"
        for problem in error.problems:
            assert problem.file == "" or problem.file in files
            assert problem.line >= 0 and problem.message
        return None
    return spec_set


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(path=st.sampled_from(DOCUMENTS), content=st.binary(max_size=2000))
def test_random_bytes_in_place_of_a_document(path: str, content: bytes) -> None:
    check({**SAMPLE, path: content})


@FUZZ
@given(
    path=st.sampled_from(DOCUMENTS),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 8), st.lists(YAML_NOISE, max_size=4)),
        min_size=1,
        max_size=6,
    ),
)
def test_text_mutations_of_sample_documents(
    path: str, edits: list[tuple[int, int, list[str]]]
) -> None:
    text = SAMPLE[path].decode()
    for position, deleted, inserted in edits:
        at = position % (len(text) + 1)
        text = text[:at] + "".join(inserted) + text[at + deleted :]
    check({**SAMPLE, path: text.encode()})


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@FUZZ
@given(path=st.sampled_from(DOCUMENTS), data=st.data(), replacement=json_values)
def test_structural_mutations_of_sample_documents(
    path: str, data: st.DataObject, replacement: Any
) -> None:
    document = yaml.safe_load(SAMPLE[path])
    target = data.draw(st.sampled_from(_paths(document)[1:]))
    parent = document
    for part in target[:-1]:
        parent = parent[part]
    parent[target[-1]] = replacement
    text = yaml.safe_dump(document, allow_unicode=True)
    json_path = path.removesuffix(".yaml") + ".json"  # also through the JSON reader
    check({**SAMPLE, path: text.encode()})
    check({**{k: v for k, v in SAMPLE.items() if k != path}, json_path: _as_json(document)})


def _as_json(document: Any) -> bytes:
    return json.dumps(document, allow_nan=True, default=str).encode()


@FUZZ
@given(depth=st.integers(0, 5000), opener=st.sampled_from(["[", "{a: ", "- ", "{"]))
def test_deep_nesting(depth: int, opener: str) -> None:
    text = "apiVersion: greengrass-reconciler/v1\nkind: DeploymentBase\nmetadata: {name: x}\n"
    text += "spec:\n  tags: "
    check({**SAMPLE, "deep.yaml": (text + opener * depth).encode()})


@FUZZ
@given(width=st.integers(1, 12), levels=st.integers(1, 10), inline=st.booleans())
def test_alias_expansion(width: int, levels: int, inline: bool) -> None:
    lines = ["spec:", "  x0: &x0 [1, 2, 3]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*x{level - 1}"] * width)
        lines.append(f"  x{level}: &x{level} [{aliases}]")
    if inline:
        lines.append(f"  merged: {{<<: [*x0], y: *x{levels - 1}}}")
    header = "apiVersion: greengrass-reconciler/v1\nkind: DeploymentBase\nmetadata: {name: x}\n"
    assert check({**SAMPLE, "aliases.yaml": (header + "\n".join(lines) + "\n").encode()}) is None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(DOCUMENTS),
    content=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
)
def test_validate_never_prints_a_traceback(tmp_path: Path, path: str, content: bytes) -> None:
    root = tmp_path / f"case-{next(_counter)}"
    for name, data in {**SAMPLE, path: content}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
