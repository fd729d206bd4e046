"""Pure helpers over Greengrass component recipes (RecipeFormatVersion 2020-01-25) as dicts."""

from __future__ import annotations

import copy
import hashlib
import json
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Recipe = Mapping[str, Any]


@dataclass(frozen=True)
class Dependency:
    name: str
    requirement: str
    dependency_type: str = "HARD"


def recipe_key(mapping: Mapping[str, Any], key: str) -> str:
    """The spelling under which `mapping` holds the recipe key `key`, or `key` when it holds
    none. Greengrass reads recipe keys case-insensitively (`Manifests`, `manifests`: the spec
    loader checks them the same way), and the docs write both `URI` and `Uri`."""
    if key in mapping:
        return key
    wanted = key.lower()
    return next(
        (found for found in mapping if isinstance(found, str) and found.lower() == wanted), key
    )


def recipe_field(mapping: object, key: str) -> Any:
    """The value of the recipe key `key` in `mapping`, matched case-insensitively; None when
    `mapping` is not a mapping or has no such key."""
    if not isinstance(mapping, Mapping):
        return None
    return mapping.get(recipe_key(mapping, key))


def default_configuration(recipe: Recipe) -> dict[str, Any]:
    defaults = recipe_field(recipe_field(recipe, "ComponentConfiguration"), "DefaultConfiguration")
    return copy.deepcopy(dict(defaults or {}))


def dependencies(recipe: Recipe) -> dict[str, Dependency]:
    declared = recipe_field(recipe, "ComponentDependencies") or {}
    found: dict[str, Dependency] = {}
    for name, spec in sorted(declared.items()):
        requirement = recipe_field(spec, "VersionRequirement")
        kind = recipe_field(spec, "DependencyType")
        found[name] = Dependency(
            name=name,
            requirement=str("*" if requirement is None else requirement),
            dependency_type=str("HARD" if kind is None else kind),
        )
    return found


def manifest_artifacts(recipe: Recipe) -> Iterator[dict[str, Any]]:
    """Every artifact entry of every manifest, in recipe order (the recipe's own objects)."""
    for manifest in recipe_field(recipe, "Manifests") or []:
        yield from recipe_field(manifest, "Artifacts") or []


def artifact_uri(artifact: Mapping[str, Any]) -> str | None:
    uri = recipe_field(artifact, "URI")
    return None if uri is None else str(uri)


def artifact_uris(recipe: Recipe) -> list[str]:
    """Every artifact URI of every manifest, in recipe order, without duplicates."""
    seen: dict[str, None] = {}
    for artifact in manifest_artifacts(recipe):
        uri = artifact_uri(artifact)
        if uri is not None:
            seen.setdefault(uri, None)
    return list(seen)


def artifact_file_name(uri: str) -> str:
    return posixpath.basename(uri.split("?", 1)[0].rstrip("/"))


def with_artifact_uris(recipe: Recipe, replace: Callable[[str], str]) -> dict[str, Any]:
    """A copy of `recipe` whose artifact URIs are `replace(uri)`."""
    result = copy.deepcopy(dict(recipe))
    for artifact in manifest_artifacts(result):
        key = recipe_key(artifact, "URI")
        if key in artifact:
            artifact[key] = replace(str(artifact[key]))
    return result


def canonical_recipe_bytes(recipe: Recipe) -> bytes:
    """The recipe as canonical JSON: what gets uploaded, hashed and compared."""
    return json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(document: Any) -> str:
    """sha256 of the canonical JSON of `document`: equal content, equal hash."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
