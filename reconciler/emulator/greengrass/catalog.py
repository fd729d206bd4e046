"""The public component catalog (scope PUBLIC, publisher AWS), seeded from `emulator/catalog/`.

Each YAML file holds one component: a recipe template and the versions published from it. The
loader inserts `ComponentVersion` after `ComponentName`, replaces `@VERSION@` in strings and
deep-merges per-version `overrides`, then validates the result like any other recipe, so a
broken catalog file fails loudly at start rather than at the first request.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import yaml

from reconciler.emulator.greengrass.arns import PUBLIC_ACCOUNT, component_version_arn
from reconciler.emulator.greengrass.components import ComponentStore, ComponentVersion
from reconciler.emulator.greengrass.recipes import Recipe, RecipeError, recipe_from_document

VERSION_TOKEN = "@VERSION@"


@cache
def catalog_recipes() -> tuple[tuple[Recipe, float], ...]:
    """Every public recipe with its publication time, parsed once per process."""
    entries: list[tuple[Recipe, float]] = []
    folder = resources.files("reconciler.emulator").joinpath("catalog")
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if not item.name.endswith(".yaml"):
            continue
        document = yaml.safe_load(item.read_text(encoding="utf-8"))
        entries.extend(_expand(document, item.name))
    return tuple(entries)


def public_store(region: str) -> ComponentStore:
    """The catalog as a store of component versions of the account `aws` in `region`."""
    store = ComponentStore()
    for recipe, published in catalog_recipes():
        store.put(
            ComponentVersion(
                arn=component_version_arn(region, PUBLIC_ACCOUNT, recipe.name, recipe.version),
                name=recipe.name,
                version=recipe.version,
                account=PUBLIC_ACCOUNT,
                region=region,
                created=published,
                recipe=recipe,
                ready_at=published,
            )
        )
    return store


def _expand(document: dict[str, Any], source: str) -> list[tuple[Recipe, float]]:
    template = document["recipe"]
    result: list[tuple[Recipe, float]] = []
    for entry in document["versions"]:
        version = str(entry["version"])
        recipe = _with_version(_replace_token(template, version), version)
        recipe = _deep_merge(recipe, entry.get("overrides") or {})
        published = dt.datetime.fromisoformat(str(entry["published"]).replace("Z", "+00:00"))
        try:
            parsed = recipe_from_document(recipe)
        except RecipeError as error:  # pragma: no cover - a broken catalog is a packaging bug
            raise RuntimeError(f"catalog/{source} version {version} is invalid: {error}") from error
        result.append((parsed, published.timestamp()))
    return result


def _with_version(recipe: dict[str, Any], version: str) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    for key, value in recipe.items():
        ordered[key] = value
        if key == "ComponentName":
            ordered["ComponentVersion"] = version
    return ordered


def _replace_token(value: Any, version: str) -> Any:
    if isinstance(value, str):
        return value.replace(VERSION_TOKEN, version)
    if isinstance(value, dict):
        return {k: _replace_token(v, version) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_token(v, version) for v in value]
    return value


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
