"""Load a tree again reading only what changed: the controller's loads at fleet scale.

A controller loads the specs on every commit. At 10,000 groups a full load parses 10,000 files
(about 7 s and 65 MB of transient memory), although a commit usually changes a few of them. A
successful load therefore leaves a `SpecSnapshot`: the `SpecSet`, the SHA-256 of every file it
was made from, and what resolving one Deployment needs (settings defaults, bases, declared
component versions). The next load of the tree reuses every resolved Deployment whose file is
unchanged and parses only the new and changed Deployment documents.

Reuse is all or nothing, and only on the happy path: if any other file changed (Settings,
a base, a component, a recipe, an artifact) or any new or changed file is not a Deployment that
resolves without a problem (or one uses YAML aliases: the tree's alias budget needs every file),
or the Deployments' names or targets collide, the whole tree is
loaded again, so every message is the full load's. The result is always equal to a full load
(tests/unit/specs/test_snapshot.py checks this on random sequences of edits).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from reconciler.core.specs.budget import ExpansionBudget
from reconciler.core.specs.deployments import (
    DeferredDeployment,
    DeploymentResolver,
    TargetOwner,
    subdeployment_problems,
)
from reconciler.core.specs.documents import ParsedDocument
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.spec_set import DeploymentSpec, SpecSet
from reconciler.core.specs.tree import SpecLimits, SpecTree


@dataclass(frozen=True)
class SpecSnapshot:
    """A successful load, and what the next load of the same tree needs to reuse it."""

    spec_set: SpecSet
    limits: SpecLimits
    context: Mapping[str, str]
    """SHA-256 of every file that is not a Deployment document: spec documents of the other
    kinds, and every file components use (recipes, whatever their name, and artifacts)."""
    deployments: Mapping[str, tuple[str, DeploymentSpec]]
    """By file: the SHA-256 of the Deployment document and what it resolved to."""
    defaults: Node | None
    bases: tuple[ParsedDocument, ...]
    declared: Mapping[str, str | None]
    other_kinds: Mapping[str, str]
    resolved_characters: int = 0
    """What the resolved Deployments were charged (`ExpansionBudget`); a reload starts from it,
    counting a replaced Deployment twice: it may load in full when it need not, never the
    other way."""


class Reloading(Protocol):
    """What `reload` needs of the loader: the tree, its file list, and a parse that keeps
    Deployments deferred (`document`) and records each file's digest (`digests`)."""

    tree: SpecTree
    files: frozenset[str]
    limits: SpecLimits
    digests: dict[str, str]
    budget: ExpansionBudget

    def document(
        self, path: str
    ) -> tuple[ParsedDocument | DeferredDeployment | None, list[SpecProblem]]: ...


def reload(loader: Reloading, previous: SpecSnapshot, candidates: list[str]) -> SpecSnapshot | None:
    """`previous` with the changed Deployments resolved again, or None: load in full."""
    if previous.limits != loader.limits:
        return None
    for path, digest in previous.context.items():
        if path not in loader.files or _sha256(loader.tree, path) != digest:
            return None
    kept: dict[str, tuple[str, DeploymentSpec]] = {}
    changed: deque[DeferredDeployment] = deque()
    for path in candidates:
        if path in previous.context:
            continue
        old = previous.deployments.get(path)
        if old is not None and _sha256(loader.tree, path) == old[0]:
            kept[path] = old
            continue
        document, problems = loader.document(path)
        if problems or not isinstance(document, DeferredDeployment):
            return None
        changed.append(document)
    if loader.budget.aliases_used:
        return None  # the tree's alias budget counts every file: only a full load can tell
    names = [spec.name for _, spec in kept.values()] + [d.name for d in changed]
    if not names or len(set(names)) != len(names):
        return None
    count = len(changed)
    resolver = DeploymentResolver(
        previous.defaults,
        previous.bases,
        changed,
        declared=previous.declared,
        other_kinds=previous.other_kinds,
        budget=loader.budget,
    )
    loader.budget.resolved_characters = previous.resolved_characters
    taken = {spec.thing_group: TargetOwner(spec.name, spec.source) for _, spec in kept.values()}
    resolved = resolver.resolve(check_bases=False, taken=taken)
    if resolver.problems or len(resolved) != count:
        return None
    deployments = dict(kept)
    for spec in resolved:
        deployments[spec.source.file] = (loader.digests[spec.source.file], spec)
    specs = sorted((spec for _, spec in deployments.values()), key=lambda s: s.thing_group)
    if subdeployment_problems(specs):
        return None  # the full load reports them, with every other problem
    if previous.spec_set.rollouts and {s.thing_group for s in specs} != {
        s.thing_group for s in previous.spec_set.deployments
    }:
        return None  # a Rollout names groups by their Deployments: check it in a full load
    return replace(
        previous,
        spec_set=replace(previous.spec_set, deployments=tuple(specs)),
        deployments=deployments,
        resolved_characters=loader.budget.resolved_characters,
    )


def _sha256(tree: SpecTree, path: str) -> str | None:
    try:
        return tree.sha256(path)
    except OSError:
        return None  # unreadable: the full load reports it
