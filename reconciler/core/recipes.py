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

# Greengrass reads recipe keys case-insensitively; the docs write both `URI` and `Uri`.
_URI_KEYS = ("URI", "Uri", "uri")


@dataclass(frozen=True)
class Dependency:
    name: str
    requirement: str
    dependency_type: str = "HARD"


def default_configuration(recipe: Recipe) -> dict[str, Any]:
    configuration = recipe.get("ComponentConfiguration") or {}
    defaults = configuration.get("DefaultConfiguration") or {}
    return copy.deepcopy(dict(defaults))


def dependencies(recipe: Recipe) -> dict[str, Dependency]:
    declared = recipe.get("ComponentDependencies") or {}
    return {
        name: Dependency(
            name=name,
            requirement=str(spec.get("VersionRequirement", "*")),
            dependency_type=str(spec.get("DependencyType", "HARD")),
        )
        for name, spec in sorted(declared.items())
    }


def _artifacts(recipe: Recipe) -> Iterator[Mapping[str, Any]]:
    for manifest in recipe.get("Manifests") or []:
        yield from manifest.get("Artifacts") or []


def artifact_uri(artifact: Mapping[str, Any]) -> str | None:
    for key in _URI_KEYS:
        if key in artifact:
            return str(artifact[key])
    return None


def artifact_uris(recipe: Recipe) -> list[str]:
    """Every artifact URI of every manifest, in recipe order, without duplicates."""
    seen: dict[str, None] = {}
    for artifact in _artifacts(recipe):
        uri = artifact_uri(artifact)
        if uri is not None:
            seen.setdefault(uri, None)
    return list(seen)


def artifact_file_name(uri: str) -> str:
    return posixpath.basename(uri.split("?", 1)[0].rstrip("/"))


def with_artifact_uris(recipe: Recipe, replace: Callable[[str], str]) -> dict[str, Any]:
    """A copy of `recipe` whose artifact URIs are `replace(uri)`."""
    result = copy.deepcopy(dict(recipe))
    for manifest in result.get("Manifests") or []:
        for artifact in manifest.get("Artifacts") or []:
            for key in _URI_KEYS:
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
