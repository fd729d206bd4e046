"""Every problem message of the loader, pinned over a broad corpus of bad (and good) trees.

The corpus: the sample specs (deploy-specs/), every fixture tree under tests/data/specs and a
chain of Deployments on bases, each mutated by a seeded random generator (structural edits of
the YAML values, edits of the text: deleted and repeated lines, aliases, tabs, bad bytes, JSON
instead of YAML...). What loading each tree gives, every problem's file, line, field and message
or a digest of the resolved `SpecSet`, is pinned byte for byte in
tests/data/specs-reference.json, written from the loader of commit 4a42db2, which had two routes
for a Deployment (plain values, and located values for a document with a problem). The loader
must keep giving exactly that.

After an intended change of wording, write the file again and review its diff:

    .venv/bin/python -m tests.unit.specs.test_problem_reference
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from reconciler.core.specs import InMemorySpecTree, InvalidSpecsError, parse_spec_tree
from tests.unit.specs.support import FIXTURES, REPO, SAMPLE, read_tree

REFERENCE = REPO / "tests" / "data" / "specs-reference.json"
CASES_PER_TREE = 60
CASES_PER_VALID_TREE = 150  # the sample and the chain: most of the valid trees
Files = dict[str, bytes]


def chain_tree() -> Files:
    """Settings with defaults, bases a -> b -> c, and Deployments on each (valid)."""

    def doc(kind: str, name: str, spec: dict[str, Any]) -> bytes:
        body: dict[str, Any] = {"apiVersion": "greengrass-reconciler/v1", "kind": kind}
        body |= {"metadata": {"name": name}, "spec": spec}
        return yaml.safe_dump(body, sort_keys=False).encode()

    nucleus = {"version": "2.12.0", "configuration": {"logging": {"level": "INFO"}}}
    files = {
        "reconciler.yaml": doc(
            "Settings",
            "s",
            {
                "region": "us-east-1",
                "accountId": "123456789012",
                "artifacts": {"bucket": "test-artifacts"},
                "defaults": {"components": {"aws.greengrass.Nucleus": nucleus}},
            },
        ),
        "bases/a.yaml": doc(
            "DeploymentBase",
            "base-a",
            {"extends": "base-b", "components": {"aws.greengrass.Cli": {"version": "2.12.0"}}},
        ),
        "bases/b.yaml": doc(
            "DeploymentBase", "base-b", {"extends": "base-c", "tags": {"env": "prod"}}
        ),
        "bases/c.yaml": doc(
            "DeploymentBase",
            "base-c",
            {"suspend": {"reason": "maintenance"}, "syncPolicy": {"prune": True}},
        ),
    }
    for index, base in enumerate(["base-a", "base-b", "base-c", None]):
        spec: dict[str, Any] = {"thingGroup": f"Group{index}"}
        if base is not None:
            spec["extends"] = base
        spec["components"] = {
            "com.acme.App": {"version": "1.0.0", "configuration": {"n": index, "on": True}}
        }
        files[f"groups/g{index}.yaml"] = doc("Deployment", f"group-{index}", spec)
    return files


def base_trees() -> dict[str, Files]:
    trees = {"sample": read_tree(SAMPLE), "chain": chain_tree()}
    for root in sorted(path for path in FIXTURES.iterdir() if path.is_dir()):
        trees[f"fixture-{root.name}"] = read_tree(root)
    return trees


# --- Mutations: each takes the tree, a document's path and a random source ---------------------

ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "x" * 300,
    [],
    {},
    [1, "two"],
    {"a": 1},
    "2.0.0",
    "not a version",
    "Group0",
    "CameraFleetProd",
    "base-a",
    "camera-fleet",
    "line\x07bell",
    "2026-12-06T00:00:00Z",
    {"version": "2.0.0"},
    {"configuration": {"a": None}},
    {"thingGroup": "Group1"},
]
ODD_KEYS = ["extra", "thingGroup", "thing", "parentThingGroup", "extends", "suspend", "versoin"]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _plain_value(data: bytes) -> tuple[bool, Any]:
    """(True, the value) of a YAML text without aliases (an alias bomb is not expanded here)."""
    try:
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(data, Loader=yaml.SafeLoader)):
            return False, None
        return True, yaml.safe_load(data)
    except (yaml.YAMLError, RecursionError):
        return False, None


def _structural(edit: Callable[[Any, tuple[Any, ...], random.Random], Any]) -> Mutation:
    def mutate(files: Files, path: str, rng: random.Random) -> Files:
        readable, value = _plain_value(files[path])
        if not readable:
            return files
        paths = list(_paths(value))
        value = edit(value, rng.choice(paths), rng)
        text = (
            json.dumps(value, indent=2)
            if path.endswith(".json")
            else yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
        )
        return {**files, path: text.encode()}

    return mutate


def _set(value: Any, where: tuple[Any, ...], new: Any) -> Any:
    if not where:
        return new
    parent = value
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1]] = new
    return value


def _replace(value: Any, where: tuple[Any, ...], rng: random.Random) -> Any:
    return _set(value, where, rng.choice(ODD_VALUES))


def _tweak(value: Any, where: tuple[Any, ...], rng: random.Random) -> Any:
    """A change of a value that often keeps the tree valid: another number, string or bool."""
    target = value
    for part in where:
        target = target[part]
    if isinstance(target, bool):
        return _set(value, where, not target)
    if isinstance(target, int | float):
        return _set(value, where, target + 1)
    if isinstance(target, str) and where and where[-1] not in ("apiVersion", "kind"):
        return _set(value, where, target + rng.choice(["1", "-x", ""]))
    return value


def _delete(value: Any, where: tuple[Any, ...], rng: random.Random) -> Any:
    if not where:
        return value
    parent = value
    for part in where[:-1]:
        parent = parent[part]
    del parent[where[-1]]
    return value


def _add_key(value: Any, where: tuple[Any, ...], rng: random.Random) -> Any:
    target = value
    for part in where:
        target = target[part]
    if isinstance(target, dict):
        target[rng.choice(ODD_KEYS)] = rng.choice(ODD_VALUES)
    return value


def _rename_key(value: Any, where: tuple[Any, ...], rng: random.Random) -> Any:
    if not where or not isinstance(where[-1], str):
        return value
    parent = value
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1][::-1] or "x"] = parent.pop(where[-1])
    return value


def _lines(edit: Callable[[list[bytes], random.Random], list[bytes]]) -> Mutation:
    def mutate(files: Files, path: str, rng: random.Random) -> Files:
        lines = files[path].splitlines(keepends=True) or [b"\n"]
        return {**files, path: b"".join(edit(lines, rng))}

    return mutate


def _delete_line(lines: list[bytes], rng: random.Random) -> list[bytes]:
    del lines[rng.randrange(len(lines))]
    return lines


def _repeat_line(lines: list[bytes], rng: random.Random) -> list[bytes]:
    index = rng.randrange(len(lines))
    lines.insert(index, lines[index])
    return lines


def _indent_line(lines: list[bytes], rng: random.Random) -> list[bytes]:
    index = rng.randrange(len(lines))
    lines[index] = rng.choice([b" ", b"\t", b"   "]) + lines[index]
    return lines


def _insert_line(lines: list[bytes], rng: random.Random) -> list[bytes]:
    inserted = rng.choice(
        [
            b"---\n",
            b"  extra: &a [1, 2, 3]\n",
            b"  alias: *a\n",
            b"  <<: {thingGroup: Merged}\n",
            b"  !!python/object:os.system x: 1\n",
            b"  bad: \xff\xfe\n",
            b"  1: one\n",
            b"  nan: .nan\n",
            b"  'k\\x07': v\n",
            b"  when: 2026-12-06\n",
            b"  big: 123456789012345678901234567890\n",
            b"  {\n",
        ]
    )
    lines.insert(rng.randrange(len(lines) + 1), inserted)
    return lines


def _truncate(lines: list[bytes], rng: random.Random) -> list[bytes]:
    text = b"".join(lines)
    return [text[: rng.randrange(len(text) + 1)]]


def _as_json(files: Files, path: str, rng: random.Random) -> Files:
    readable, value = _plain_value(files[path])
    try:
        text = json.dumps(value, indent=rng.choice([None, 2]))
    except (TypeError, ValueError, RecursionError):
        return files
    if not readable:
        return files
    new_path = path.rsplit(".", 1)[0] + ".json"
    rest = {name: data for name, data in files.items() if name != path}
    return {**rest, new_path: text.encode()}


def _copy_document(files: Files, path: str, rng: random.Random) -> Files:
    return {**files, f"copies/{rng.randrange(3)}-{path.replace('/', '-')}": files[path]}


def _drop_file(files: Files, path: str, rng: random.Random) -> Files:
    return {name: data for name, data in files.items() if name != path}


Mutation = Callable[[Files, str, random.Random], Files]
MUTATIONS: list[Mutation] = [
    _structural(_tweak),
    _structural(_tweak),
    _structural(_replace),
    _structural(_replace),
    _structural(_delete),
    _structural(_add_key),
    _structural(_rename_key),
    _lines(_delete_line),
    _lines(_repeat_line),
    _lines(_indent_line),
    _lines(_insert_line),
    _lines(_insert_line),
    _lines(_truncate),
    _as_json,
    _copy_document,
    _drop_file,
]


def mutated(files: Files, seed: int) -> Files:
    """`files` with one to three random mutations of its spec documents (not of recipes)."""
    rng = random.Random(seed)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        documents = sorted(
            path
            for path, data in files.items()
            if path.endswith((".yaml", ".yml", ".json"))
            and b"recipeformatversion" not in data.lower()
        )
        if not documents:
            break
        # Deployment documents are most of a fleet: mutate them most often.
        deployments = [p for p in documents if b"kind: Deployment\n" in files[p]]
        path = rng.choice(deployments if deployments and rng.random() < 0.6 else documents)
        files = rng.choice(MUTATIONS)(files, path, rng)
    return files


def corpus() -> Iterator[tuple[str, Files]]:
    for name, files in base_trees().items():
        yield from cases(name, files)


def cases(name: str, files: Files) -> Iterator[tuple[str, Files]]:
    yield name, files
    count = CASES_PER_TREE if name.startswith("fixture-") else CASES_PER_VALID_TREE
    for seed in range(count):
        yield f"{name}/{seed}", mutated(files, seed)


def ours(message: str) -> str:
    """`message` without the YAML parser's own wording after "invalid YAML:" (libyaml's or
    PyYAML's, whichever is installed; as in test_fixtures.py)."""
    head, marker, _ = message.partition("invalid YAML:")
    return head + marker


def outcome(files: Files) -> dict[str, Any]:
    """What loading `files` gives: every problem (file, line, field, message) in order, or the
    resolved spec set's digest (its repr holds every value and every source location)."""
    try:
        spec_set = parse_spec_tree(InMemorySpecTree(files))
    except InvalidSpecsError as error:
        return {"problems": [[p.file, p.line, p.field, ours(p.message)] for p in error.problems]}
    digest = hashlib.sha256(repr(spec_set).encode()).hexdigest()
    return {"deployments": len(spec_set.deployments), "spec_set": digest}


def reference() -> dict[str, dict[str, Any]]:
    return {name: outcome(files) for name, files in corpus()}


@pytest.fixture(scope="module")
def pinned() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return loaded


def test_the_corpus_holds_both_valid_and_invalid_trees_of_every_kind(
    pinned: dict[str, dict[str, Any]],
) -> None:
    problems = [p for case in pinned.values() for p in case.get("problems", [])]
    assert sum("spec_set" in case for case in pinned.values()) >= 50
    assert len(problems) >= 1000
    messages = " ".join(p[3] for p in problems)
    for wording in [
        "invalid YAML",
        "invalid JSON",
        "duplicate key",
        "no DeploymentBase named",
        "is already the target of Deployment",
        "already named",
        "a second YAML document",
        "keys must be strings",
        "not valid UTF-8",
        "unsupported YAML tag",
        "unknown field",
        "extends cycle",
        "more than 100000 values",
    ]:
        assert wording in messages, wording
    # Problems inside documents, with a line and a field, are most of them.
    assert sum(bool(p[1] and p[2]) for p in problems) >= len(problems) // 2


@pytest.mark.parametrize("tree", sorted(base_trees()))
def test_every_problem_is_worded_and_located_as_pinned(
    tree: str, pinned: dict[str, dict[str, Any]]
) -> None:
    for name, case in cases(tree, base_trees()[tree]):
        assert outcome(case) == pinned[name], name


if __name__ == "__main__":
    REFERENCE.write_text(json.dumps(reference(), indent=1, ensure_ascii=False) + "\n")
    sys.exit(0)
