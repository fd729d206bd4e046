"""Which private component versions the desired state needs: custom recipes and overrides.

Versions are immutable, so an existing version is reused only when its content-hash tag says it
holds exactly this content; the same version with other content is an error telling the team to
bump it. An override's version is chosen so that every dependant's range still admits it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.live import ComponentVersionRef, LiveState
from reconciler.core.plan import ArtifactUpload, ComponentOrigin, ComponentVersionPlan
from reconciler.core.provenance import CONTENT_HASH
from reconciler.core.recipes import (
    artifact_file_name,
    artifact_uris,
    content_hash,
    dependencies,
    manifest_artifacts,
    recipe_key,
    with_artifact_uris,
)
from reconciler.core.specs.spec_set import (
    ComponentOverride,
    CustomComponent,
    RepositorySettings,
    SpecSet,
)
from reconciler.core.versions import (
    NoVersionFitsError,
    Requirement,
    highest,
    next_override_version,
    parse_version,
    satisfies,
)

# Artifact digests in a public recipe describe AWS's files, not the team's replacements; the
# service computes digests of the new artifacts itself.
_DIGEST_KEYS = ("Digest", "Algorithm")


@dataclass(frozen=True)
class RepositoryComponents:
    """The repository's components resolved against the account."""

    versions: Mapping[str, str]  # name -> the version deployments get when they omit one
    recipes: Mapping[tuple[str, str], Mapping[str, Any]]  # final recipes by (name, version)
    plans: tuple[ComponentVersionPlan, ...]
    errors: tuple[str, ...]


def _upload(
    settings: RepositorySettings, name: str, version: str, path: str, sha256: str, size: int
) -> ArtifactUpload:
    file_name = path.rsplit("/", 1)[-1]
    return ArtifactUpload(
        local_path=path,
        bucket=settings.artifact_bucket,
        key=settings.artifact_key(name, version, file_name),
        sha256=sha256,
        size=size,
    )


def _existing_state(
    live: LiveState, name: str, version: str, digest: str
) -> tuple[bool, str | None]:
    """(exists with this content, error) for a private version we would create."""
    tags = live.private_version_tags.get((name, version))
    if tags is None:
        return False, None
    if tags.get(CONTENT_HASH) == digest:
        return True, None
    return False, (
        f"component {name} version {version} already exists in the account with different "
        "content; component versions are immutable, so bump the version (in the Component "
        "document and the recipe's ComponentVersion)"
    )


def resolve_custom(
    settings: RepositorySettings, component: CustomComponent, live: LiveState
) -> tuple[ComponentVersionPlan, str | None]:
    uploads = {
        a.reference: _upload(settings, component.name, component.version, a.path, a.sha256, a.size)
        for a in component.local_artifacts
    }
    recipe = with_artifact_uris(
        component.recipe, lambda uri: uploads[uri].uri if uri in uploads else uri
    )
    digest = content_hash(
        {"recipe": recipe, "artifacts": {u.uri: u.sha256 for u in uploads.values()}}
    )
    exists, error = _existing_state(live, component.name, component.version, digest)
    plan = ComponentVersionPlan(
        name=component.name,
        version=component.version,
        origin=ComponentOrigin.CUSTOM,
        exists=exists,
        recipe=recipe,
        content_hash=digest,
        artifacts=tuple(uploads[k] for k in sorted(uploads)),
    )
    return plan, (f"{component.source}: {error}" if error else None)


def _dependants(
    name: str,
    roots: Iterable[tuple[str, str]],
    recipe_of: Mapping[tuple[str, str], Mapping[str, Any]],
) -> list[Requirement]:
    found: dict[str, Requirement] = {}
    for dependant, version in roots:
        recipe = recipe_of.get((dependant, version))
        if recipe is None:
            continue
        dependency = dependencies(recipe).get(name)
        if dependency is not None:
            label = f"{dependant}@{version}"
            found[label] = Requirement(label, dependency.requirement)
    return [found[k] for k in sorted(found)]


def _replacement_uris(
    settings: RepositorySettings,
    override: ComponentOverride,
    base: Mapping[str, Any],
    version: str,
) -> tuple[dict[str, str], dict[str, str], list[ArtifactUpload], list[str]]:
    """(original uri -> new uri, original uri -> content id, uploads, unmatched originals)."""
    new_uris: dict[str, str] = {}
    content: dict[str, str] = {}
    uploads: dict[str, ArtifactUpload] = {}
    unmatched: list[str] = []
    for uri in artifact_uris(base):
        file_name = artifact_file_name(uri)
        rule = next(
            (r for r in override.artifact_rules if fnmatch.fnmatchcase(file_name, r.match)), None
        )
        if rule is None:
            unmatched.append(file_name)
        elif rule.uri is not None:
            new_uris[uri] = rule.uri
            content[uri] = rule.uri
        elif rule.local is not None:
            upload = _upload(
                settings,
                override.name,
                version,
                rule.local.path,
                rule.local.sha256,
                rule.local.size,
            )
            uploads[upload.uri] = upload
            new_uris[uri] = upload.uri
            content[uri] = f"sha256:{rule.local.sha256}"
    return new_uris, content, [uploads[k] for k in sorted(uploads)], unmatched


def _override_recipe(
    base: Mapping[str, Any], override: ComponentOverride, version: str, new_uris: Mapping[str, str]
) -> dict[str, Any]:
    recipe = with_artifact_uris(base, lambda uri: new_uris.get(uri, uri))
    # Written under the spelling the base recipe uses: a second spelling would be a second key.
    recipe[recipe_key(recipe, "ComponentVersion")] = version
    if override.publisher:
        recipe[recipe_key(recipe, "ComponentPublisher")] = override.publisher
    for artifact in manifest_artifacts(recipe):
        for key in _DIGEST_KEYS:
            artifact.pop(recipe_key(artifact, key), None)
    return recipe


def _reusable_version(
    refs: Iterable[ComponentVersionRef],
    ours: set[str],
    override: ComponentOverride,
    requirements: list[Requirement],
) -> str | None:
    """The version an earlier apply created with this very content, if it may be used again.

    Only the newest version of the override's line qualifies (the base's minor line for patch
    bumps, its major line for minor bumps), and only while every dependant's range admits it:
    Greengrass resolves a dependant's range to the newest version in the account, so an older
    one (say 2.1.10 after a revert, with 2.1.11 holding the reverted change) would not be the
    version groups that merely depend on the component get. Such a revert gets a new version.
    """
    base = parse_version(override.base_version)

    def in_line(version: str) -> bool:
        parsed = parse_version(version)
        return parsed.major == base.major and (
            override.bump == "minor" or parsed.minor == base.minor
        )

    newest = highest(r.version for r in refs if in_line(r.version))
    if newest is None or newest not in {str(parse_version(v)) for v in ours}:
        return None
    if not all(satisfies(newest, r.requirement) for r in requirements):
        return None
    return newest


def resolve_override(
    settings: RepositorySettings,
    override: ComponentOverride,
    live: LiveState,
    roots: Iterable[tuple[str, str]],
    own_recipes: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> tuple[ComponentVersionPlan | None, str | None]:
    """The override's version plan, or the error that prevents one. `own_recipes` are the
    repository's custom recipes: a custom dependant's range counts like a public one's."""
    where = f"{override.source}: override of {override.name}"
    record = live.recipes.get((override.name, override.base_version))
    if record is None or not record.public:
        return None, (
            f"{where}: public version {override.base_version} was not found in the "
            "public component catalog of this region"
        )
    base = record.recipe
    _, content, _, unmatched = _replacement_uris(settings, override, base, "0.0.0")
    if unmatched:
        return None, (
            f"{where}: no artifact rule matches {', '.join(sorted(unmatched))} of "
            f"public version {override.base_version}; every artifact must be replaced "
            "(add a rule whose `match` glob matches the file name)"
        )
    digest = content_hash(
        {
            "base": f"{override.name}@{override.base_version}",
            "publisher": override.publisher,
            "artifacts": content,
        }
    )
    refs = live.component_versions.get(override.name, ())
    ours = {
        r.version
        for r in refs
        if not r.public
        and live.private_version_tags.get((override.name, r.version), {}).get(CONTENT_HASH)
        == digest
    }
    recipes = {**{k: r.recipe for k, r in live.recipes.items()}, **(own_recipes or {})}
    requirements = _dependants(override.name, roots, recipes)
    reusable = _reusable_version(refs, ours, override, requirements)
    if override.version is not None:
        version, exists = override.version, override.version in ours
        if not exists and any(r.version == version for r in refs):
            return None, (
                f"{where}: version {version} already exists; versions are immutable, "
                "choose another `version` or use `bump`"
            )
    elif reusable is not None:
        version, exists = reusable, True
    else:
        try:
            version = next_override_version(
                base_version=override.base_version,
                bump=override.bump,
                existing=[r.version for r in refs],
                requirements=requirements,
            )
        except NoVersionFitsError as error:
            return None, f"{where}: {error}"
        exists = False
    new_uris, _, uploads, _ = _replacement_uris(settings, override, base, version)
    plan = ComponentVersionPlan(
        name=override.name,
        version=version,
        origin=ComponentOrigin.OVERRIDE,
        exists=exists,
        recipe=_override_recipe(base, override, version, new_uris),
        content_hash=digest,
        artifacts=tuple(uploads),
        base_version=override.base_version,
    )
    return plan, None


def resolve_repository_components(spec_set: SpecSet, live: LiveState) -> RepositoryComponents:
    roots = sorted(
        {
            (c.name, c.version)
            for d in spec_set.deployments
            for c in d.components.values()
            if c.version is not None
        }
    )
    plans: list[ComponentVersionPlan] = []
    errors: list[str] = []
    for component in spec_set.components:
        plan, error = resolve_custom(spec_set.settings, component, live)
        plans.append(plan)
        if error:
            errors.append(error)
    for override in spec_set.overrides:
        own = {(p.name, p.version): p.recipe for p in plans if p.origin is ComponentOrigin.CUSTOM}
        maybe_plan, error = resolve_override(spec_set.settings, override, live, roots, own)
        if maybe_plan is not None:
            plans.append(maybe_plan)
        if error:
            errors.append(error)
    return RepositoryComponents(
        versions={p.name: p.version for p in plans},
        recipes={(p.name, p.version): p.recipe for p in plans},
        plans=tuple(sorted(plans, key=lambda p: (p.name, p.version))),
        errors=tuple(errors),
    )
