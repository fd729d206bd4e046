"""Read the live state the planner needs, at a cost that grows with change, not with history.

A long-lived reader (the controller's) keeps its caches across cycles: deployments by id and
recipes by name+version never change, and a private version's tags are ours. Version listings
can change behind our back, so they expire after `listing_ttl` seconds; the reader's owner calls
`invalidate_listings()` after it creates versions itself. A new process starts from the gateway's
persistent cache of immutable facts when it has one (see adapters/cache).

A targeted read (`ReadScope`) lists only the named thing groups: one ListDeployments call per
group scoped with `targetArn` when that is fewer calls than sweeping every page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.adapters.aws.greengrass import PAGE_SIZE, GreengrassGateway
from reconciler.concurrency import bounded_map
from reconciler.core.arns import target_of_arn
from reconciler.core.live import (
    ComponentVersionRef,
    DeploymentSummary,
    LiveDeployment,
    LiveState,
    RecipeRecord,
)
from reconciler.core.planning import live_needs, unpinned_dependencies
from reconciler.core.specs.spec_set import SpecSet
from reconciler.errors import AwsNotFoundError


@dataclass(frozen=True)
class ReadScope:
    """Read only these targets (by ARN: thing groups, and things for core-device targets);
    `fleet_size` is how many targets the specs have in all, a guess at how many pages a sweep
    of every latest deployment would take."""

    thing_group_arns: frozenset[str]
    fleet_size: int

    def scoped_listing_is_cheaper(self) -> bool:
        pages = max(1, -(-self.fleet_size // PAGE_SIZE))
        return len(self.thing_group_arns) <= pages


@dataclass
class _Expiring:
    value: Any
    at: float


@dataclass
class ReaderCaches:
    recipes: dict[tuple[str, str], RecipeRecord] = field(default_factory=dict)
    private_tags: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    listings: dict[str, _Expiring] = field(default_factory=dict)
    private_names: _Expiring | None = None


class LiveStateReader:
    def __init__(
        self,
        gateway: GreengrassGateway,
        *,
        listing_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.listing_ttl = listing_ttl
        self._clock = clock
        self._caches = ReaderCaches()
        self._lock = threading.Lock()
        self._names_lock = threading.Lock()

    def invalidate_listings(self) -> None:
        with self._lock:
            self._caches.listings.clear()
            self._caches.private_names = None

    # ------------------------------------------------------------------ pieces
    def _fresh(self, entry: _Expiring | None) -> bool:
        return entry is not None and self._clock() - entry.at < self.listing_ttl

    def private_component_names(self) -> frozenset[str]:
        # One listing however many reading threads ask at once (they all wait for it).
        with self._names_lock:
            with self._lock:
                entry = self._caches.private_names
            if entry is None or not self._fresh(entry):
                entry = _Expiring(frozenset(self.gateway.private_component_names()), self._clock())
                with self._lock:
                    self._caches.private_names = entry
        names: frozenset[str] = entry.value
        return names

    def versions(self, name: str) -> tuple[ComponentVersionRef, ...]:
        """Public and private versions of `name` (listed at most once per `listing_ttl`)."""
        with self._lock:
            entry = self._caches.listings.get(name)
        if entry is None or not self._fresh(entry):
            refs = tuple(self.gateway.component_versions(name, public=True))
            if name in self.private_component_names():
                refs += tuple(self.gateway.component_versions(name, public=False))
            entry = _Expiring(refs, self._clock())
            with self._lock:
                self._caches.listings[name] = entry
        versions: tuple[ComponentVersionRef, ...] = entry.value
        return versions

    def recipe(self, name: str, version: str) -> RecipeRecord | None:
        """The recipe of name@version, private first (an override shadows the public name)."""
        key = (name, version)
        with self._lock:
            cached = self._caches.recipes.get(key)
        if cached is not None:
            return cached
        record: RecipeRecord | None = None
        scopes = [False, True] if name in self.private_component_names() else [True]
        for public in scopes:
            try:
                record = RecipeRecord(self.gateway.recipe(name, version, public=public), public)
                break
            except AwsNotFoundError:
                continue
        if record is not None:
            with self._lock:
                self._caches.recipes[key] = record
        return record

    def public_recipe(self, name: str, version: str) -> RecipeRecord | None:
        try:
            return RecipeRecord(self.gateway.recipe(name, version, public=True), True)
        except AwsNotFoundError:
            return None

    def private_tags(self, name: str, version: str) -> dict[str, str] | None:
        """Tags of a private version, or None when it does not exist (not cached: it may come)."""
        key = (name, version)
        with self._lock:
            cached = self._caches.private_tags.get(key)
        if cached is not None:
            return cached
        if name not in self.private_component_names():
            return None
        try:
            described = self.gateway.describe_component_version(name, version)
        except AwsNotFoundError:
            return None
        tags = dict(described.get("tags") or {})
        with self._lock:
            self._caches.private_tags[key] = tags
        return tags

    def _concurrently(self, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        todo = list(items)
        if not todo:
            return []
        return list(bounded_map(work, todo, workers=min(self.gateway.concurrency, len(todo))))

    # ------------------------------------------------------------------ the whole state
    def latest_summaries(self, scope: ReadScope | None) -> dict[str, DeploymentSummary]:
        """The latest deployment of every target, or of the scope's thing groups only."""
        if scope is None:
            return self.gateway.latest_deployments()
        if not scope.scoped_listing_is_cheaper():
            everything = self.gateway.latest_deployments()
            return {arn: s for arn, s in everything.items() if arn in scope.thing_group_arns}
        arns = sorted(scope.thing_group_arns)
        summaries: dict[str, DeploymentSummary] = {}
        for arn, listed in zip(
            arns, self._concurrently(self.gateway.latest_deployments, arns), strict=True
        ):
            if arn in listed:
                summaries[arn] = listed[arn]
        return summaries

    def read(
        self,
        spec_set: SpecSet,
        *,
        scope: ReadScope | None = None,
        summaries: Mapping[str, DeploymentSummary] | None = None,
    ) -> LiveState:
        """The live state the planner needs for `spec_set`; `summaries`, when given, are the
        latest deployments a full sweep read already (engine/read_ahead.py)."""
        if summaries is None:
            summaries = self.latest_summaries(scope)
        group_ids = {
            arn: s.deployment_id for arn, s in summaries.items() if target_of_arn(arn) is not None
        }
        fetched = self.gateway.deployments(
            group_ids.values(), listed={s.deployment_id: s for s in summaries.values()}
        )
        if scope is None:  # a scoped read saw only some groups: keep the others' documents
            self.gateway.forget_deployments_except(group_ids.values())
        latest: dict[str, LiveDeployment] = {arn: fetched[i] for arn, i in group_ids.items()}
        # Status moves, and a deployment remembered at creation has no revision id yet: both
        # come from the fresh listing.
        for arn, deployment in list(latest.items()):
            summary = summaries[arn]
            status = summary.status or deployment.status
            revision = summary.revision_id or deployment.revision_id
            if (status, revision) != (deployment.status, deployment.revision_id):
                latest[arn] = replace(deployment, status=status, revision_id=revision)

        needs = live_needs(spec_set, latest)
        recipe_keys = sorted(needs.recipes)
        recipes: dict[tuple[str, str], RecipeRecord] = {}
        for key, record in zip(
            recipe_keys, self._concurrently(lambda k: self.recipe(*k), recipe_keys), strict=True
        ):
            if record is not None:
                recipes[key] = record
        for name, version in sorted(needs.public_recipes):
            record = self.public_recipe(name, version)
            if record is not None:
                recipes[(name, version)] = record

        # Versions of a dependency matter only where no Deployment pins it (see
        # `unpinned_dependencies`): a fleet that pins its dependencies lists none of them.
        def recipe_of(name: str, version: str) -> Any:
            record = recipes.get((name, version))
            return record.recipe if record is not None else None

        listed = sorted(needs.version_lists | unpinned_dependencies(spec_set, recipe_of))
        component_versions = dict(
            zip(listed, self._concurrently(self.versions, listed), strict=True)
        )

        wanted_tags = set(needs.private_versions)
        for name in needs.version_lists:
            wanted_tags.update(
                (r.name, r.version) for r in component_versions.get(name, ()) if not r.public
            )
        tag_keys = sorted(wanted_tags)
        private_version_tags = {
            key: tags
            for key, tags in zip(
                tag_keys, self._concurrently(lambda k: self.private_tags(*k), tag_keys), strict=True
            )
            if tags is not None
        }
        self.gateway.trim_facts()
        return LiveState(
            latest=latest,
            recipes=recipes,
            component_versions=component_versions,
            private_version_tags=private_version_tags,
        )
