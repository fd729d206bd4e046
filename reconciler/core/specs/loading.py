"""`parse_spec_tree`: read every spec document of a tree, check it, and resolve the `SpecSet`.

Every YAML/JSON file under the root is a spec document, except hidden files and files that a
Component or ComponentOverride uses as a recipe or artifact. All problems are collected and raised
together (`InvalidSpecsError`, sorted by file and line); no input makes this raise anything else.
"""

from __future__ import annotations

import hashlib
from collections import deque

from pydantic import ValidationError

from reconciler.core.plan import PruneMode
from reconciler.core.specs.budget import ExpansionBudget
from reconciler.core.specs.components import ComponentDocuments
from reconciler.core.specs.composing import PlainComposition
from reconciler.core.specs.deployments import (
    DeferredDeployment,
    DeploymentResolver,
    TargetOwner,
    subdeployment_problems,
)
from reconciler.core.specs.documents import (
    KINDS,
    DocumentEnvelope,
    ParsedDocument,
    SettingsSpec,
    read_envelope,
)
from reconciler.core.specs.local_files import (
    ESCAPING_SYMLINK,
    LocalFiles,
    describe_size,
    is_hidden,
)
from reconciler.core.specs.located import Node, SourceLocation
from reconciler.core.specs.merging import merge_patch
from reconciler.core.specs.parsing import parse_file, parse_values
from reconciler.core.specs.problems import InvalidSpecsError, ProblemLog, SpecProblem
from reconciler.core.specs.rollout_models import RolloutSpec, check_rollouts
from reconciler.core.specs.snapshot import SpecSnapshot, reload
from reconciler.core.specs.spec_set import RepositorySettings, SpecSet
from reconciler.core.specs.tree import SpecLimits, SpecTree
from reconciler.core.specs.validation import validate_node
from reconciler.core.waves import Rollout
from reconciler.core.windows import SyncWindow, parse_cron, parse_window_duration

DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")


def parse_spec_tree(tree: SpecTree, limits: SpecLimits | None = None) -> SpecSet:
    """Load, check and resolve the specs in `tree`.

    Raises `InvalidSpecsError` (a `SpecError`) listing every problem found.
    """
    return _Loader(tree, limits or SpecLimits()).load().spec_set


def load_specs(
    tree: SpecTree, limits: SpecLimits | None = None, *, previous: SpecSnapshot | None = None
) -> SpecSnapshot:
    """`parse_spec_tree`, reusing what `previous` (an earlier load of the same tree) resolved
    for Deployment documents that did not change (see `reconciler.core.specs.snapshot`).

    The result equals a full load's; raises `InvalidSpecsError` like `parse_spec_tree`.
    """
    reloaded = reload_specs(tree, previous, limits) if previous is not None else None
    return reloaded or _Loader(tree, limits or SpecLimits()).load()


def reload_specs(
    tree: SpecTree, previous: SpecSnapshot, limits: SpecLimits | None = None
) -> SpecSnapshot | None:
    """`load_specs` when only Deployment documents changed since `previous` and they resolve
    without a problem; None when the tree must be loaded in full (then drop `previous` first:
    a full load next to it holds two spec sets)."""
    loader = _Loader(tree, limits or SpecLimits())
    return reload(loader, previous, loader.candidates())


class _Loader:
    def __init__(self, tree: SpecTree, limits: SpecLimits) -> None:
        self.tree = tree
        self.limits = limits
        self.log = ProblemLog()
        self.files = frozenset(path for path in tree.list_files() if not is_hidden(path))
        self.parsed: dict[str, Node | InvalidSpecsError | None] = {}  # read with locations
        self.unreadable: dict[str, InvalidSpecsError] = {}  # what reading its values raised
        self.charged: set[str] = set()  # files whose aliases the budget was charged with
        self.contents: dict[str, bytes] = {}  # what each file held when it was read
        self.digests: dict[str, str] = {}  # the SHA-256 of each file read
        self.budget = ExpansionBudget(limits)

    def values(self, path: str) -> PlainComposition | None:
        """The plain values of the document `path` (None when empty); raises
        `InvalidSpecsError`. The one place a spec document's bytes become its values: a cache
        of parsed documents wraps this (`parse_values` of the bytes, limits and budget)."""
        try:
            return parse_values(path, self._data(path), self.limits, budget=self.budget)
        except InvalidSpecsError as error:
            self.unreadable[path] = error
            raise
        finally:
            self.charged.add(path)

    def read(self, path: str) -> Node | None:
        """The located content of `path` (None when empty), for documents a message may point
        into and for recipes; raises `InvalidSpecsError`. Cached."""
        if path not in self.parsed:
            try:
                self.parsed[path] = self._parse(path)
            except InvalidSpecsError as error:
                self.parsed[path] = error
        result = self.parsed[path]
        if isinstance(result, InvalidSpecsError):
            raise result
        return result

    def _parse(self, path: str) -> Node | None:
        if path in self.unreadable:
            raise self.unreadable[path]  # the same problems, the budget's included
        # A document whose values were read was charged then: reading it again charges nothing.
        budget = None if path in self.charged else self.budget
        self.charged.add(path)
        return parse_file(path, self._data(path), self.limits, budget=budget)

    def _data(self, path: str) -> bytes:
        """The bytes of `path`, read once; raises `InvalidSpecsError` when it cannot be read."""
        if path in self.contents:
            return self.contents[path]
        if not self.tree.resolves_inside(path):
            raise _file_problem(path, ESCAPING_SYMLINK)
        try:
            size = self.tree.size(path)
            if size > self.limits.max_document_bytes:
                raise _file_problem(
                    path,
                    f"is {describe_size(size)}; spec documents and recipes may be at most "
                    f"{describe_size(self.limits.max_document_bytes)}",
                )
            data = self.tree.read_bytes(path)
        except OSError as error:
            raise _file_problem(path, f"cannot be read: {error.strerror or error}") from None
        self.contents[path] = data
        self.digests[path] = hashlib.sha256(data).hexdigest()
        return data

    def candidates(self) -> list[str]:
        """The files that may be spec documents, in the order they are read."""
        return sorted(p for p in self.files if p.lower().endswith(DOCUMENT_SUFFIXES))

    def load(self) -> SpecSnapshot:
        candidates = self.candidates()
        # Problems of a file are reported only once it is known to be a document, not a recipe.
        first_pass = {path: self.document(path) for path in candidates}
        components = ComponentDocuments(LocalFiles(self.tree, self.files), self.read, self.limits)
        for document, _ in first_pass.values():
            if isinstance(document, ParsedDocument) and document.kind == "Component":
                components.add_component(document)
            elif isinstance(document, ParsedDocument) and document.kind == "ComponentOverride":
                components.add_override(document)
        results = components.results
        by_kind: dict[str, list[ParsedDocument]] = {kind: [] for kind in KINDS}
        deployments: deque[DeferredDeployment] = deque()
        # The first document of each (kind, name): a lookup, so that checking 10,000
        # Deployments for duplicate names is not 10,000 scans of the list.
        first_named: dict[tuple[str, str], TargetOwner] = {}
        unknown_kind = 0  # unreadable documents, or of no known kind: maybe Deployments
        for path in candidates:
            if path in results.referenced:
                continue
            document, problems = first_pass[path]
            self.log.extend(problems)
            unknown_kind += document is None
            if document is not None:
                if document.kind != "Settings":  # a second Settings is reported on its own
                    self._check_unique_name(document, first_named)
                if isinstance(document, DeferredDeployment):
                    deployments.append(document)
                else:
                    by_kind[document.kind].append(document)
        # From here on `deployments` alone holds the Deployment documents, and resolving them
        # consumes it: each one is freed as soon as it is resolved.
        first_pass.clear()
        any_deployment = bool(deployments)
        self.log.extend(results.problems)
        settings, defaults = self._settings(by_kind["Settings"])
        resolver = DeploymentResolver(
            defaults,
            by_kind["DeploymentBase"],
            deployments,
            declared=_declared_versions(by_kind),
            other_kinds={
                d.name: kind
                for kind in KINDS
                for d in (deployments if kind == "Deployment" else by_kind[kind])
            },
            budget=self.budget,
        )
        resolved = resolver.resolve()
        self.log.extend(resolver.problems)
        self.log.extend(subdeployment_problems(resolved))
        if not unknown_kind:
            self._check_not_empty(settings, any_deployment)
        self._check_declared_once(by_kind)
        rollouts = self._rollouts(by_kind["Rollout"], {spec.thing_group for spec in resolved})
        self.log.raise_if_any()
        assert settings is not None  # a missing Settings document is a problem, raised above
        spec_set = SpecSet(
            settings=settings,
            deployments=tuple(resolved),
            components=tuple(sorted(results.components, key=lambda c: c.name)),
            overrides=tuple(sorted(results.overrides, key=lambda o: o.name)),
            rollouts=tuple(rollouts),
        )
        deployment_files = {spec.source.file: spec for spec in resolved}
        context = {p: self.digests[p] for p in candidates if p not in deployment_files}
        # Recipes (of any name) and artifacts the components use are context as well.
        for path in results.referenced - context.keys():
            context[path] = self.digests.get(path) or self.tree.sha256(path)
        return SpecSnapshot(
            spec_set=spec_set,
            limits=self.limits,
            context=context,
            deployments={p: (self.digests[p], spec) for p, spec in deployment_files.items()},
            defaults=defaults,
            bases=tuple(by_kind["DeploymentBase"]),
            declared=resolver.declared,
            other_kinds=resolver.other_kinds,
            resolved_characters=self.budget.resolved_characters,
        )

    def document(
        self, path: str
    ) -> tuple[ParsedDocument | DeferredDeployment | None, list[SpecProblem]]:
        try:
            values = self.values(path)
        except InvalidSpecsError as error:
            return None, list(error.problems)
        if values is None:
            return None, [SpecProblem(path, 0, "", "the file is empty (expected a spec document)")]
        # A Deployment is kept as plain values (see reconciler/core/specs/deployments.py); its
        # located form is parsed again from the same bytes if a message needs it.
        deployment = self._plain_deployment(path, values)
        if deployment is not None:
            return deployment, []
        # Another kind, or a Deployment whose envelope has a problem: read with locations.
        root = self.read(path)
        assert root is not None  # its values were read
        document, problems = read_envelope(root)
        if document is None or document.kind != "Deployment":
            return document, problems
        data = self.contents.pop(path)
        del self.parsed[path]
        return DeferredDeployment.of(document, lambda: self._located(path, data)), problems

    def _plain_deployment(self, path: str, values: PlainComposition) -> DeferredDeployment | None:
        """The Deployment document `values` is, if its envelope is right and its lines are its
        own (no aliases); else None (read it with locations)."""
        root = values.value
        if not values.exact_lines or not isinstance(root, dict) or root.get("kind") != "Deployment":
            return None
        try:
            DocumentEnvelope.model_validate(root)
        except ValidationError:
            return None  # worded by read_envelope, with locations
        spec, metadata = root["spec"], root["metadata"]
        assert isinstance(spec, dict) and isinstance(metadata, dict)  # the envelope says so
        name = metadata["name"]
        assert isinstance(name, str)
        components = spec.get("components")
        data = self.contents.pop(path)
        return DeferredDeployment(
            name=name,
            location=SourceLocation(path, values.root_line),
            spec=spec,
            component_locations={
                component: SourceLocation(path, values.key_lines[("spec", "components", component)])
                for component, entry in (components if isinstance(components, dict) else {}).items()
                if entry is not None
            },
            located=lambda: self._located(path, data),
        )

    def _located(self, path: str, data: bytes) -> ParsedDocument:
        root = parse_file(path, data, self.limits)
        assert root is not None
        document, _ = read_envelope(root)
        assert document is not None  # it was a Deployment document a moment ago
        return document

    def _check_unique_name(
        self,
        document: ParsedDocument | DeferredDeployment,
        first_named: dict[tuple[str, str], TargetOwner],
    ) -> None:
        key = (document.kind, document.name)
        first = first_named.get(key)
        if first is None:
            # Only its name and place: holding the document would keep every one in memory.
            first_named[key] = TargetOwner(document.name, document.location)
            return
        if document.name_node is None:
            return
        self.log.add(
            SpecProblem.on(
                document.name_node,
                f"another {document.kind} is already named {document.name!r} "
                f"({first.location}); names must be unique per kind",
            )
        )

    def _rollouts(
        self, documents: list[ParsedDocument], deployment_groups: set[str]
    ) -> list[Rollout]:
        """Each Rollout document checked alone, then the rules across documents."""
        checked: list[tuple[str, Node, RolloutSpec]] = []
        for document in documents:
            spec, problems = validate_node(RolloutSpec, document.spec)
            self.log.extend(problems)
            if spec is not None:
                checked.append((document.name, document.spec, spec))
        if len(checked) != len(documents):
            return []
        rollouts, problems = check_rollouts(checked, deployment_groups)
        self.log.extend(problems)
        return rollouts

    def _settings(
        self, documents: list[ParsedDocument]
    ) -> tuple[RepositorySettings | None, Node | None]:
        if not documents:
            self.log.add(
                SpecProblem(
                    "",
                    0,
                    "",
                    "no Settings document found: add reconciler.yaml with kind: Settings "
                    "(region, accountId, artifacts.bucket)",
                )
            )
            return None, None
        for extra in documents[1:]:
            self.log.add(
                SpecProblem.at(
                    extra.root.location,
                    ("kind",),
                    f"a second Settings document (the first is {documents[0].root.location}); "
                    "keep exactly one per specs root",
                )
            )
        document = documents[0]
        # Nulls in the defaults delete nothing (they are the bottom layer): drop them first.
        defaults = document.spec.child("defaults")
        if defaults is not None and defaults.mapping() is not None:
            defaults = merge_patch(None, defaults)
            entries = dict(document.spec.mapping() or {}, defaults=defaults)
            spec_node = Node(entries, document.spec.location, document.spec.path)
        else:
            spec_node = document.spec
        spec, problems = validate_node(SettingsSpec, spec_node)
        self.log.extend(problems)
        if spec is None:
            return None, None
        settings = RepositorySettings(
            region=spec.region,
            account_id=spec.account_id,
            artifact_bucket=spec.artifacts.bucket,
            artifact_prefix=spec.artifacts.prefix,
            allow_empty=spec.allow_empty,
            source=document.root.location,
            prune=PruneMode.of(
                spec.defaults.sync_policy.prune
                if spec.defaults and spec.defaults.sync_policy
                else None
            ),
            sync_windows=tuple(
                SyncWindow(
                    kind=w.kind,
                    schedule=parse_cron(w.schedule),
                    duration=parse_window_duration(w.duration),
                    time_zone=w.time_zone,
                    groups=tuple(w.groups or ()),
                    duration_text=w.duration,
                )
                for w in spec.sync_windows or ()
            ),
        )
        return settings, defaults

    def _check_not_empty(self, settings: RepositorySettings | None, any_deployment: bool) -> None:
        if any_deployment or settings is None or settings.allow_empty:
            return
        self.log.add(
            SpecProblem.at(
                settings.source,
                ("spec", "allowEmpty"),
                "there is no Deployment document: applying this would leave every thing group "
                "without a deployment; add Deployments, or set spec.allowEmpty: true if that is "
                "intended",
            )
        )

    def _check_declared_once(self, by_kind: dict[str, list[ParsedDocument]]) -> None:
        components = {d.name: d for d in by_kind["Component"]}
        for override in by_kind["ComponentOverride"]:
            component = components.get(override.name)
            if component is not None and override.name_node is not None:
                self.log.add(
                    SpecProblem.on(
                        override.name_node,
                        f"{override.name!r} is also declared as a Component "
                        f"({component.root.location}); declare a component once",
                    )
                )


def _declared_versions(by_kind: dict[str, list[ParsedDocument]]) -> dict[str, str | None]:
    """Versions of components declared in the repository; None: the planner picks it."""
    declared: dict[str, str | None] = {}
    for document in by_kind["ComponentOverride"] + by_kind["Component"]:
        version = document.spec.child("version")
        text = version.value if version is not None and isinstance(version.value, str) else None
        declared[document.name] = text
    return declared


def _file_problem(path: str, message: str) -> InvalidSpecsError:
    return InvalidSpecsError([SpecProblem(path, 0, "", f"the file {message}")])
