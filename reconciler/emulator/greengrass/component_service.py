"""The rules of Greengrass v2 components: create, read, list, delete, artifacts, resolution."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import semantic_version

from reconciler.emulator.greengrass import arns
from reconciler.emulator.greengrass.artifacts import (
    find_artifact,
    inspect_artifacts,
    presigned_get_url,
    split_s3_uri,
    unreadable_artifacts_error,
)
from reconciler.emulator.greengrass.catalog import public_store
from reconciler.emulator.greengrass.components import (
    DEPLOYABLE,
    ComponentStore,
    ComponentVersion,
)
from reconciler.emulator.greengrass.context import BackendContext
from reconciler.emulator.greengrass.exceptions import (
    AccessDeniedError,
    ConflictError,
    ResourceNotFoundError,
    ValidationError,
)
from reconciler.emulator.greengrass.idempotency import Remembered, fingerprint
from reconciler.emulator.greengrass.recipes import (
    RecipeError,
    parse_recipe,
    platform_matches,
    recipe_from_document,
    with_artifact_digests,
)
from reconciler.emulator.greengrass.resolution import (
    Requirement,
    ResolutionConflictError,
    UnknownComponentError,
    resolve,
)
from reconciler.emulator.protocol.validation import FieldProblem

COMPONENT = "component"
COMPONENT_VERSION = "componentVersion"


@dataclass(frozen=True)
class ComponentSummary:
    """A component and its highest version, as ListComponents shows it."""

    arn: str
    name: str
    latest: ComponentVersion


class ComponentService:
    def __init__(self, context: BackendContext) -> None:
        self.context = context
        self.private = ComponentStore()
        self.public = public_store(context.region)

    # -- create -------------------------------------------------------------------------------

    def create_version(self, params: dict[str, Any]) -> ComponentVersion:
        if params.get("lambdaFunction") is not None:
            raise ValidationError(
                "Creating components from Lambda functions (lambdaFunction) is not supported by "
                "the emulator; pass the component's recipe as inlineRecipe",
                reason="OTHER",
            )
        raw = params.get("inlineRecipe")
        if raw is None:
            raise ValidationError(
                "Exactly one of inlineRecipe or lambdaFunction must be specified",
                reason="FIELD_VALIDATION_FAILED",
                fields=[FieldProblem("inlineRecipe", "inlineRecipe is required")],
            )
        now = self.context.clock()
        token = params.get("clientToken")
        digest = fingerprint(params)
        if token:
            earlier = self.context.tokens.lookup("CreateComponentVersion", token, digest, now)
            found = self.find_by_arn(earlier) if earlier else None
            if found is not None:
                return found
        try:
            recipe = parse_recipe(bytes(raw))
        except RecipeError as error:
            raise ValidationError(
                f"The recipe is not valid: {error}",
                reason="FIELD_VALIDATION_FAILED",
                fields=[FieldProblem("inlineRecipe", p) for p in error.problems],
            ) from error
        context = self.context
        existing = self.private.get(recipe.name, recipe.version)
        if existing is not None:
            raise ConflictError(
                f"Component [{recipe.name} : {recipe.version}] for account [{context.account}] "
                f"already exists with state: [{existing.state(now)}]",
                resource_id=existing.arn,
                resource_type=COMPONENT_VERSION,
            )
        report = inspect_artifacts(recipe, context.region, context.world)
        if report.errors:
            # Refused at once, and nothing is kept: the name and version stay free for a retry
            # once the artifacts are in place (and the token is not remembered either).
            raise unreadable_artifacts_error(report.errors)
        if report.digests:
            # The service computes each artifact's digest and returns it in the recipe.
            recipe = recipe_from_document(with_artifact_digests(recipe.document, report.digests))
        version = ComponentVersion(
            arn=arns.component_version_arn(
                context.region, context.account, recipe.name, recipe.version
            ),
            name=recipe.name,
            version=recipe.version,
            account=context.account,
            region=context.region,
            created=now,
            recipe=recipe,
            ready_at=now + context.settings.component_ready_seconds,
        )
        self.private.put(version)
        context.changed(
            "component.put", lambda: {"region": context.region, "record": version.to_record()}
        )
        if token:
            remembered = Remembered("CreateComponentVersion", token, digest, version.arn, now)
            context.tokens.remember(remembered)
            context.changed(
                "token.put", lambda: {"region": context.region, "record": remembered.to_record()}
            )
        return version

    # -- read ---------------------------------------------------------------------------------

    def version_by_arn(self, arn: str) -> ComponentVersion:
        """The component version of a version ARN, or the service's error."""
        parsed = self._parse(arn)
        if parsed.version is None:
            raise ValidationError(
                f"{arn} is a component ARN; this operation needs a component version ARN "
                "(…:components:NAME:versions:VERSION)",
                reason="FIELD_VALIDATION_FAILED",
                fields=[FieldProblem("arn", "Expected a component version ARN")],
            )
        found = self.find_by_arn(arn)
        if found is None:
            raise ResourceNotFoundError(
                f"Component version {parsed.name} {parsed.version} was not found ({arn})",
                resource_id=arn,
                resource_type=COMPONENT_VERSION,
            )
        return found

    def find_by_arn(self, arn: str) -> ComponentVersion | None:
        parsed = arns.parse_component_arn(arn)
        if parsed is None or parsed.version is None or not self._is_ours(parsed):
            return None
        return self._store(parsed).get(parsed.name, parsed.version)

    def versions_by_component_arn(self, arn: str) -> list[ComponentVersion]:
        parsed = self._parse(arn)
        versions = self._store(parsed).versions(parsed.name) if self._is_ours(parsed) else []
        if not versions:
            raise ResourceNotFoundError(
                f"Component {parsed.name} was not found ({arn})",
                resource_id=arn,
                resource_type=COMPONENT,
            )
        return versions

    def summaries(self, scope: str) -> Iterator[ComponentSummary]:
        store = self.public if scope == "PUBLIC" else self.private
        account = arns.PUBLIC_ACCOUNT if scope == "PUBLIC" else self.context.account
        for name in store.names():
            latest = store.latest(name)
            if latest is not None:
                arn = arns.component_arn(self.context.region, account, name)
                yield ComponentSummary(arn=arn, name=name, latest=latest)

    def exists(self, arn: str) -> bool:
        """Whether a component ARN (any version) or component version ARN names something."""
        parsed = arns.parse_component_arn(arn)
        if parsed is None or not self._is_ours(parsed):
            return False
        store = self._store(parsed)
        if parsed.version is None:
            return bool(store.versions(parsed.name))
        return store.get(parsed.name, parsed.version) is not None

    def deployable(self, name: str, version: str) -> ComponentVersion | None:
        """The version a deployment may use: private first, then public; only if DEPLOYABLE."""
        now = self.context.clock()
        for store in (self.private, self.public):
            found = store.get(name, version)
            if found is not None and found.state(now) == DEPLOYABLE:
                return found
        return None

    def any_version(self, name: str, version: str) -> ComponentVersion | None:
        return self.private.get(name, version) or self.public.get(name, version)

    # -- delete -------------------------------------------------------------------------------

    def delete(self, arn: str) -> None:
        version = self.version_by_arn(arn)
        if version.public:
            raise AccessDeniedError(
                f"{arn} is a public component published by AWS; it cannot be deleted"
            )
        self.private.delete(version.name, version.version)
        self.context.changed(
            "component.delete",
            lambda: {
                "region": self.context.region,
                "name": version.name,
                "version": version.version,
            },
        )

    # -- artifacts ----------------------------------------------------------------------------

    def artifact_url(self, arn: str, artifact_name: str, endpoint_url: str) -> str:
        version = self.version_by_arn(arn)
        uri = find_artifact(version.recipe, artifact_name)
        location = split_s3_uri(uri) if uri else None
        if location is None:
            raise ResourceNotFoundError(
                f"Component version {version.name} {version.version} has no S3 artifact named "
                f"{artifact_name}",
                resource_id=artifact_name,
                resource_type="artifact",
            )
        return presigned_get_url(endpoint_url, self.context.region, *location)

    # -- dependency resolution ----------------------------------------------------------------

    def resolve_candidates(
        self, platform: dict[str, Any] | None, candidates: list[dict[str, Any]]
    ) -> list[ComponentVersion]:
        attributes = dict((platform or {}).get("attributes") or {})
        roots: dict[str, list[Requirement]] = {}
        for candidate in candidates:
            name = candidate.get("componentName")
            if not name:
                raise ValidationError(
                    "Every component candidate needs a componentName",
                    reason="FIELD_VALIDATION_FAILED",
                )
            roots[name] = _root_requirements(candidate)
        try:
            chosen = resolve(roots, lambda name: self._usable_versions(name, attributes))
        except UnknownComponentError as error:
            raise ResourceNotFoundError(
                str(error), resource_id=error.name, resource_type=COMPONENT
            ) from error
        except ResolutionConflictError as error:
            raise ConflictError(
                str(error), resource_id=error.name, resource_type=COMPONENT
            ) from error
        return list(chosen.values())

    def _usable_versions(self, name: str, attributes: dict[str, str]) -> list[ComponentVersion]:
        now = self.context.clock()
        seen: set[str] = set()
        usable: list[ComponentVersion] = []
        # Private versions count alongside public ones; on a tie of version, the private wins.
        merged = self.private.versions(name) + self.public.versions(name)
        merged.sort(key=lambda v: (v.semver, not v.public), reverse=True)
        for version in merged:
            if version.version in seen or version.state(now) != DEPLOYABLE:
                continue
            if not version.recipe.manifests or any(
                platform_matches(m.get("Platform"), attributes) for m in version.recipe.manifests
            ):
                seen.add(version.version)
                usable.append(version)
        return usable

    # -- helpers ------------------------------------------------------------------------------

    def _parse(self, arn: str) -> arns.ComponentArn:
        parsed = arns.parse_component_arn(arn)
        if parsed is None:
            raise ValidationError(
                f"{arn} is not a component ARN",
                reason="FIELD_VALIDATION_FAILED",
                fields=[
                    FieldProblem(
                        "arn", "Expected arn:aws:greengrass:REGION:ACCOUNT:components:NAME"
                    )
                ],
            )
        return parsed

    def _is_ours(self, parsed: arns.ComponentArn) -> bool:
        return parsed.region == self.context.region and parsed.account in (
            arns.PUBLIC_ACCOUNT,
            self.context.account,
        )

    def _store(self, parsed: arns.ComponentArn) -> ComponentStore:
        return self.public if parsed.is_public else self.private


def _root_requirements(candidate: dict[str, Any]) -> list[Requirement]:
    ranges = dict(candidate.get("versionRequirements") or {})
    if not ranges and candidate.get("componentVersion"):
        ranges = {"the request": f"={candidate['componentVersion']}"}
    requirements: list[Requirement] = []
    for requirer, text in (ranges or {"the request": "*"}).items():
        try:
            spec = semantic_version.NpmSpec(text)
        except ValueError as error:
            raise ValidationError(
                f"Version requirement {text!r} of {requirer} on {candidate['componentName']} is "
                "not a valid npm-style range",
                reason="FIELD_VALIDATION_FAILED",
            ) from error
        requirements.append(Requirement(requirer, text, spec))
    return requirements
