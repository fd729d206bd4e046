"""Helpers for the spec tests: the sample specs as an editable in-memory tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from reconciler.core.specs import (
    InMemorySpecTree,
    InvalidSpecsError,
    SpecLimits,
    SpecProblem,
    SpecSet,
    parse_spec_tree,
)

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "deploy-specs"
FIXTURES = REPO / "tests" / "data" / "specs"

SETTINGS = b"""\
apiVersion: greengrass-reconciler/v1
kind: Settings
metadata:
  name: test
spec:
  region: us-east-1
  accountId: "123456789012"
  artifacts:
    bucket: test-artifacts
  allowEmpty: true
"""


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by POSIX path relative to it."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def sample_files() -> dict[str, bytes]:
    return read_tree(SAMPLE)


def edit(files: Mapping[str, bytes], path: str, old: str, new: str) -> dict[str, bytes]:
    """A copy of `files` with `old` replaced by `new` in `path` (which must contain `old`)."""
    text = files[path].decode()
    assert old in text, f"{old!r} not in {path}"
    return {**files, path: text.replace(old, new, 1).encode()}


def load(files: Mapping[str, bytes | str], limits: SpecLimits | None = None) -> SpecSet:
    tree = {path: v.encode() if isinstance(v, str) else v for path, v in files.items()}
    return parse_spec_tree(InMemorySpecTree(tree), limits)


def problems(
    files: Mapping[str, bytes | str], limits: SpecLimits | None = None
) -> tuple[SpecProblem, ...]:
    """The problems loading `files` raises (the test fails if it loads)."""
    with pytest.raises(InvalidSpecsError) as raised:
        load(files, limits)
    return raised.value.problems


def rendered(files: Mapping[str, bytes | str], limits: SpecLimits | None = None) -> list[str]:
    return [p.render() for p in problems(files, limits)]


def only_settings(settings_extra: str = "", **documents: str) -> dict[str, bytes]:
    """The minimal Settings (allowEmpty, plus `settings_extra` lines under spec) and `documents`
    (file name without .yaml -> YAML text)."""
    files = {"reconciler.yaml": SETTINGS + settings_extra.encode()}
    files.update({f"{name}.yaml": text.encode() for name, text in documents.items()})
    return files


def document(kind: str, name: str, spec: str) -> str:
    """A spec document; `spec` is the YAML under `spec:`, indented by two spaces."""
    header = (
        f"apiVersion: greengrass-reconciler/v1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n"
    )
    return header + "".join(f"  {line}\n" for line in spec.splitlines())
