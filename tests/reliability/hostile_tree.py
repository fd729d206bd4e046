"""Hypothesis strategies: structurally wrong spec trees built from the sample.

Wrong types anywhere a type is checked, JSON pointers that are not RFC 6901, artifact paths
that leave the specs root (`..`, absolute, other schemes, symlinks pointing out), broken
recipes, and spec sets that contradict themselves (a thing group twice, two Settings, a missing
or cyclic base). The text-level damage is in `hostile_text.py`.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.reliability.hostile_text import DOCUMENTS, ORIGINALS, RECIPE, Mutation, write_text

PROD = "groups/camera-prod.yaml"
OVERRIDE = "overrides/dlr-model-store.yaml"
UPLOADER_ARTIFACT = "components/com.acme.ImageUploader/artifacts/upload_results.py"
MODEL = "overrides/models/DLR-resnet18-x86_64-cpu-ImageClassification.tar.gz"
# Free-form parts, where any JSON value is valid: components' configuration, and the recipe's
# DefaultConfiguration, Lifecycle and Platform.
_FREE_FORM = frozenset({"configuration", "DefaultConfiguration", "Lifecycle", "Platform"})
_WORD = st.text(string.ascii_letters, min_size=1, max_size=8)


def _load(file: str) -> Any:
    return yaml.safe_load(ORIGINALS[file])


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to the scalars of a document outside its free-form parts."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _FREE_FORM:
                yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _wrong_value(current: Any) -> st.SearchStrategy[Any]:
    """Values of another type than `current` that no typed field accepts in its place."""
    containers = st.one_of(
        st.lists(st.integers(), min_size=1, max_size=2),
        st.dictionaries(_WORD, st.integers(), min_size=1, max_size=2),
    )
    if isinstance(current, bool):
        return st.one_of(containers, st.sampled_from(["yes", "true", "on"]))
    if isinstance(current, int | float):
        return st.one_of(containers, _WORD, st.booleans())
    return st.one_of(containers, st.integers(), st.booleans())


@st.composite
def type_errors(draw: st.DrawFn) -> Mutation:
    file = draw(st.sampled_from((*DOCUMENTS, RECIPE)))
    data = _load(file)
    path = draw(st.sampled_from(sorted(_leaves(data), key=repr)))
    value = draw(_wrong_value(_get(data, path)))
    _set(data, path, value)
    where = ".".join(map(str, path))
    return Mutation(
        "type-error", file, f"{file}: {where} = {value!r}", write_text(file, _dump(data))
    )


@st.composite
def invalid_pointers(draw: st.DrawFn) -> Mutation:
    tail = draw(st.text(max_size=6))
    how = draw(st.sampled_from(("no-slash", "bad-escape", "trailing-tilde", "empty", "number")))
    pointer: Any
    if how == "no-slash":
        pointer = draw(st.text(min_size=1, max_size=6).filter(lambda t: not t.startswith("/")))
    elif how == "bad-escape":
        pointer = "/" + tail + "~" + draw(st.characters(exclude_characters="01"))
    elif how == "trailing-tilde":
        pointer = "/" + tail + "~"
    elif how == "empty":
        pointer = ""  # a secret path of "" would hide everything; a reset of "" is valid
    else:
        pointer = draw(st.integers())
    field = "secretPaths" if how == "empty" else draw(st.sampled_from(("secretPaths", "reset")))
    component = draw(
        st.sampled_from(("com.acme.ImageUploader", "aws.greengrass.DLRImageClassification"))
    )
    data = _load(PROD)
    entry = data["spec"]["components"][component]
    entry[field] = [*entry.get(field, []), pointer]
    detail = f"{component}.{field} gets {pointer!r} ({how})"
    return Mutation("json-pointer", PROD, detail, write_text(PROD, _dump(data)))


def _escaping_paths(depth: int) -> st.SearchStrategy[str]:
    """Paths that leave the specs root from a file `depth` directories below it."""
    name = st.text(string.ascii_lowercase + "-_.", min_size=1, max_size=12).filter(
        lambda n: n not in (".", "..")
    )
    climbs = st.integers(depth + 1, depth + 6)
    return st.one_of(
        st.builds(lambda k, n: "../" * k + n, climbs, name),
        st.builds(lambda k, n: "artifacts/" + "../" * (k + 1) + n, climbs, name),
        st.builds(lambda n: "/" + n, name),
        st.sampled_from(
            (
                "/etc/passwd",
                "file:///etc/passwd",
                "https://example.com/evil.tar.gz",
                "ftp://example.com/x",
                "C:\\Windows\\win.ini",
                "\\\\server\\share\\x",
                "",
            )
        ),
    )


@st.composite
def artifact_paths(draw: st.DrawFn) -> Mutation:
    if draw(st.booleans()):
        path = draw(_escaping_paths(2))
        quoted = json.dumps(path)  # a YAML double-quoted scalar
        text = ORIGINALS[RECIPE].replace("URI: artifacts/upload_results.py", f"URI: {quoted}")
        return Mutation("artifact-path", RECIPE, f"recipe URI {path!r}", write_text(RECIPE, text))
    path = draw(_escaping_paths(1))
    data = _load(OVERRIDE)
    data["spec"]["artifacts"][draw(st.integers(0, 1))]["file"] = path
    return Mutation(
        "artifact-path", OVERRIDE, f"override file {path!r}", write_text(OVERRIDE, _dump(data))
    )


@st.composite
def artifact_symlinks(draw: st.DrawFn) -> Mutation:
    artifact, named_by = draw(st.sampled_from(((UPLOADER_ARTIFACT, RECIPE), (MODEL, OVERRIDE))))
    how = draw(st.sampled_from(("absolute", "relative", "chain", "directory")))
    detail = f"{artifact} is a symlink out of the root ({how})"

    def write(root: Path) -> None:
        outside = root.parent / "outside"
        outside.mkdir(exist_ok=True)
        target = outside / Path(artifact).name
        target.write_bytes(b"what an attacker wants published\n")
        link = root / artifact
        link.unlink()
        depth = len(Path(artifact).parts)  # directories between the link and the root, + 1
        if how == "absolute":
            link.symlink_to(target)
        elif how == "relative":
            link.symlink_to("../" * depth + f"outside/{target.name}")
        elif how == "chain":  # through a link that stays inside the root
            hop = root / "innocent-link"
            hop.symlink_to(target)
            link.symlink_to("../" * (depth - 1) + "innocent-link")
        else:  # the artifact's directory itself leads out
            directory = link.parent
            for child in directory.iterdir():
                child.unlink()
            directory.rmdir()
            directory.symlink_to(outside, target_is_directory=True)

    return Mutation("symlink", named_by, detail, write)


_RECIPE_DAMAGE: tuple[tuple[tuple[Any, ...], st.SearchStrategy[Any]], ...] = (
    (("RecipeFormatVersion",), st.sampled_from(["2020-01-26", "2019-01-25", "1", ""])),
    (("ComponentName",), _WORD.map(lambda w: f"com.other.{w}")),
    (
        ("ComponentVersion",),
        st.sampled_from(["1.0", "1", "01.0.0", "1.0.0.0", "v1.0.0", "1.0.0-", "1234567.0.0"]),
    ),
    (
        ("ComponentDependencies", "aws.greengrass.DLRImageClassification", "VersionRequirement"),
        st.sampled_from([">=banana", "~", "^^1.0.0", "<>1.0.0", "=>2.1.0", "1.0.0 || ?"]),
    ),
    (
        ("ComponentDependencies", "aws.greengrass.DLRImageClassification", "DependencyType"),
        _WORD.map(str.upper).filter(lambda w: w not in ("HARD", "SOFT")),
    ),
    (
        ("Manifests", 0, "Artifacts", 0, "Unarchive"),
        _WORD.map(str.upper).filter(lambda w: w not in ("NONE", "ZIP")),
    ),
    (
        ("Manifests", 0, "Artifacts", 0, "Permission", "Read"),
        _WORD.map(str.upper).filter(lambda w: w not in ("NONE", "OWNER", "ALL")),
    ),
    (("ComponentType",), _WORD.map(lambda w: f"aws.greengrass.{w}")),
    (("Manifests",), st.sampled_from([{}, "linux", 7])),
    (("Manifests", 0, "Artifactz"), st.just([])),
)


@st.composite
def broken_recipes(draw: st.DrawFn) -> Mutation:
    path, values = draw(st.sampled_from(_RECIPE_DAMAGE))
    value = draw(values)
    data = _load(RECIPE)
    _set(data, path, value)
    where = ".".join(map(str, path))
    return Mutation("recipe", RECIPE, f"{where} = {value!r}", write_text(RECIPE, _dump(data)))


_CONTRADICTIONS = (
    "group-twice", "two-settings", "missing-base", "base-cycle", "kind", "api-version",
    "stray-recipe",
)  # fmt: skip


@st.composite
def contradictions(draw: st.DrawFn) -> Mutation:
    how = draw(st.sampled_from(_CONTRADICTIONS))
    name = draw(_WORD.map(str.lower))
    if how == "group-twice":
        file = f"groups/{name}-copy.yaml"
        text = ORIGINALS[PROD].replace("name: camera-prod", f"name: {name}-copy", 1)
    elif how == "two-settings":
        file = f"{name}-settings.yaml"
        text = ORIGINALS["reconciler.yaml"].replace("name: acme-vision", f"name: {name}", 1)
    elif how == "missing-base":
        file, text = PROD, ORIGINALS[PROD].replace("extends: camera-fleet", f"extends: {name}-base")
    elif how == "base-cycle":
        file = "bases/camera-fleet.yaml"
        text = ORIGINALS[file].replace("spec:\n", "spec:\n  extends: camera-fleet\n", 1)
    elif how == "kind":
        file = PROD
        text = ORIGINALS[PROD].replace("kind: Deployment", f"kind: Deployment{name}", 1)
    elif how == "api-version":
        file = PROD
        text = ORIGINALS[PROD].replace("greengrass-reconciler/v1", f"greengrass-reconciler/{name}")
    else:  # a recipe no Component names, as if copied and forgotten
        file = f"components/{name}/recipe.yaml"
        text = ORIGINALS[RECIPE]
    relational = how in ("group-twice", "two-settings")
    return Mutation(
        "contradiction", file, f"{how} ({file})", write_text(file, text), not relational
    )


TREE_MUTATIONS = st.one_of(
    type_errors(),
    invalid_pointers(),
    artifact_paths(),
    artifact_symlinks(),
    broken_recipes(),
    contradictions(),
)
