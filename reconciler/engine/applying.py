"""Apply a plan: artifacts, then component versions, then one revision per changed thing group.

Every write is idempotent, so a retry, a re-run, or a restart after kill -9 at any point
converges on the same end state without duplicates:
- artifacts are skipped when an object with the same digest is there;
- component versions carry a deterministic clientToken and a content-hash tag; a version that
  exists with our hash counts as created (once DEPLOYABLE: a run killed while the service was
  still processing it leaves it REQUESTED, and the next apply waits for it as its creator would);
- CreateDeployment carries a clientToken derived from the target, the revision's content and
  the live revision it replaces (see `core.planning.content.client_token`).
Independent targets run concurrently; one that keeps failing is reported and blocks no other.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from reconciler.adapters.aws.artifacts import ArtifactStore
from reconciler.adapters.aws.greengrass import GreengrassGateway
from reconciler.adapters.aws.rollouts import RolloutReader
from reconciler.concurrency import bounded_map
from reconciler.core.plan import ComponentVersionPlan, Plan, PruneMode, TargetAction, TargetPlan
from reconciler.core.provenance import CONTENT_HASH, PRUNE_STEP, UNINSTALL_STEP, provenance_tags
from reconciler.core.recipes import canonical_recipe_bytes
from reconciler.core.rollouts import RolloutPolicy, rollout_state
from reconciler.errors import AwsConflictError, ReconcilerError


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    PRUNED = "pruned"
    # `prune: uninstall` under way: the empty revision was created, or is still rolling out.
    UNINSTALLING = "uninstalling"
    SKIPPED = "skipped"  # prune candidate without prune enabled, or filtered out
    FAILED = "failed"


@dataclass(frozen=True)
class TargetResult:
    thing_group: str
    outcome: Outcome
    deployment_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class VersionResult:
    name: str
    version: str
    outcome: Outcome
    reason: str | None = None


@dataclass(frozen=True)
class ApplyReport:
    targets: tuple[TargetResult, ...]
    versions: tuple[VersionResult, ...] = ()
    artifacts_uploaded: int = 0
    artifacts_skipped: int = 0

    @property
    def failed(self) -> bool:
        return any(r.outcome is Outcome.FAILED for r in self.targets) or any(
            v.outcome is Outcome.FAILED for v in self.versions
        )

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.targets if r.outcome is outcome)


@dataclass(frozen=True)
class ApplyOptions:
    instance: str
    commit: str | None = None
    specs_root: Path = Path()
    # What pruning does (see PruneMode); `True` is `cancel`, `False` `off`, as prune always was.
    prune: PruneMode | bool = False
    only_groups: frozenset[str] | None = None
    concurrency: int = 8
    version_ready_timeout: float = 300.0
    poll_interval: float = 1.0


_LOST_LEASE = "not written: this replica is no longer the leader"


def _token(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


class Applier:
    def __init__(
        self,
        gateway: GreengrassGateway,
        artifacts: ArtifactStore,
        *,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        may_write: Callable[[], bool] | None = None,
        rollouts: RolloutReader | None = None,
    ) -> None:
        self.gateway = gateway
        # Rollout truth of an uninstall revision (`prune: uninstall` cancels it once it ended).
        self._rollouts = rollouts
        self.artifacts = artifacts
        self._emit = progress or (lambda _line: None)
        self._sleep = sleep
        # Asked right before every write: a replica that lost its lease mid-apply stops writing
        # at once instead of finishing the plan it started.
        self._may_write = may_write or (lambda: True)

    # ------------------------------------------------------------------ component versions
    def _create_version(self, version: ComponentVersionPlan, options: ApplyOptions) -> None:
        tags = provenance_tags(
            instance=options.instance,
            content_hash=version.content_hash,
            commit=options.commit,
            spec=None,
        )
        try:
            self.gateway.create_component_version(
                canonical_recipe_bytes(version.recipe),
                tags=tags,
                client_token=_token(version.name, version.version, version.content_hash),
            )
        except AwsConflictError:
            # Created by an earlier run that died before it could record it: fine if ours.
            described = self.gateway.describe_component_version(version.name, version.version)
            if (described.get("tags") or {}).get(CONTENT_HASH) != version.content_hash:
                raise
        self._wait_deployable(version, options)

    def _wait_deployable(self, version: ComponentVersionPlan, options: ApplyOptions) -> None:
        deadline = time.monotonic() + options.version_ready_timeout
        while True:
            described = self.gateway.describe_component_version(version.name, version.version)
            status = described.get("status") or {}
            state = status.get("componentState")
            if state == "DEPLOYABLE":
                return
            if state == "FAILED":
                errors = status.get("errors") or {}
                detail = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
                raise ReconcilerError(
                    f"component {version.name} {version.version} FAILED: "
                    f"{status.get('message') or ''} {detail}".strip()
                )
            if time.monotonic() > deadline:
                raise ReconcilerError(
                    f"component {version.name} {version.version} is still {state} after "
                    f"{options.version_ready_timeout:.0f} s"
                )
            self._sleep(options.poll_interval)

    def _apply_versions(
        self, plan: Plan, options: ApplyOptions
    ) -> tuple[list[VersionResult], int, int]:
        uploaded = skipped = 0
        results: list[VersionResult] = []
        needed = {
            (c.name, c.desired_version)
            for t in _selected(plan.targets, options.only_groups)
            for c in t.components
        }
        deploying = {
            (c.name, c.desired_version)
            for t in _selected(plan.targets, options.only_groups)
            if t.action in (TargetAction.CREATE, TargetAction.UPDATE)
            for c in t.components
        }
        for version in plan.component_versions:
            if version.exists and (version.name, version.version) in deploying:
                # Ours, but maybe still being processed: a run that created it was killed
                # before it became DEPLOYABLE. Deploying it now would fail; wait like its creator.
                try:
                    self._wait_deployable(version, options)
                except ReconcilerError as error:
                    results.append(
                        VersionResult(version.name, version.version, Outcome.FAILED, str(error))
                    )
                    self._emit(f"FAILED component {version.name} {version.version}: {error}")
        for version in plan.versions_to_create:
            if options.only_groups is not None and (version.name, version.version) not in needed:
                continue
            if not self._may_write():
                results.append(
                    VersionResult(version.name, version.version, Outcome.SKIPPED, _LOST_LEASE)
                )
                continue
            try:
                for artifact in version.artifacts:
                    if self.artifacts.upload(artifact, options.specs_root):
                        uploaded += 1
                        self._emit(f"uploaded {artifact.local_path} → {artifact.uri}")
                    else:
                        skipped += 1
                self._create_version(version, options)
            except ReconcilerError as error:
                results.append(
                    VersionResult(version.name, version.version, Outcome.FAILED, str(error))
                )
                self._emit(f"FAILED component {version.name} {version.version}: {error}")
                continue
            results.append(VersionResult(version.name, version.version, Outcome.APPLIED))
            self._emit(f"created component {version.name} {version.version}")
        return results, uploaded, skipped

    # ------------------------------------------------------------------ targets
    def _apply_target(
        self, target: TargetPlan, options: ApplyOptions, blocked: dict[str, str]
    ) -> TargetResult:
        if target.action is TargetAction.NOOP:
            return TargetResult(target.thing_group, Outcome.UNCHANGED, target.live_deployment_id)
        if target.action is TargetAction.PRUNE:
            return self._prune(target, options)
        if not self._may_write():
            return TargetResult(target.thing_group, Outcome.SKIPPED, reason=_LOST_LEASE)
        missing = sorted(
            f"{c.name} {c.desired_version}"
            for c in target.components
            if f"{c.name}@{c.desired_version}" in blocked
        )
        if missing:
            return TargetResult(
                target.thing_group,
                Outcome.FAILED,
                reason=f"blocked: component version(s) not created: {', '.join(missing)}",
            )
        assert target.request is not None and target.content_hash and target.client_token
        request = dict(target.request)
        request["tags"] = {
            **dict(request.get("tags") or {}),
            **provenance_tags(
                instance=options.instance,
                content_hash=target.content_hash,
                commit=options.commit,
                spec=target.spec_file,
                resets_sent=target.resets_sent,
            ),
        }
        request["clientToken"] = target.client_token
        deployment_id = self._create(target.thing_group, request)
        if isinstance(deployment_id, TargetResult):
            return deployment_id
        self._emit(f"deployed {target.thing_group}: {deployment_id}")
        return TargetResult(target.thing_group, Outcome.APPLIED, deployment_id)

    def _prune(self, target: TargetPlan, options: ApplyOptions) -> TargetResult:
        """Cancel the group's latest revision; with `uninstall`, first deploy a revision with no
        components (devices remove what only that group deployed) and cancel it once its
        rollout ended. Each step is decided from the live revision alone (its prune-step tag),
        so a later cycle or a restarted controller carries on where this one stopped."""
        mode = PruneMode.of(options.prune)
        if mode is PruneMode.UNINSTALL and target.parent_thing_group is not None:
            mode = PruneMode.CANCEL  # a subdeployment is cancelled, never emptied (planning)
        deployment_id = target.live_deployment_id
        if mode is PruneMode.OFF or deployment_id is None:
            return TargetResult(target.thing_group, Outcome.SKIPPED, reason="prune is not enabled")
        if mode is PruneMode.UNINSTALL and not target.uninstall_revision:
            return self._deploy_uninstall_revision(target, options)
        if mode is PruneMode.UNINSTALL:
            waiting = self._uninstall_pending(target.thing_group, deployment_id)
            if waiting is not None:
                return TargetResult(
                    target.thing_group, Outcome.UNINSTALLING, deployment_id, reason=waiting
                )
        if not self._may_write():
            return TargetResult(target.thing_group, Outcome.SKIPPED, reason=_LOST_LEASE)
        try:
            self.gateway.cancel_deployment(deployment_id)
        except ReconcilerError as error:
            return TargetResult(target.thing_group, Outcome.FAILED, reason=str(error))
        self._emit(f"pruned {target.thing_group} (cancelled {deployment_id})")
        return TargetResult(target.thing_group, Outcome.PRUNED, deployment_id)

    def _create(self, thing_group: str, request: Mapping[str, object]) -> str | TargetResult:
        """CreateDeployment: the new deployment's id, or the failed result to report."""
        try:
            created = self.gateway.create_deployment(request)
        except ReconcilerError as error:
            self._emit(f"FAILED {thing_group}: {error}")
            return TargetResult(thing_group, Outcome.FAILED, reason=str(error))
        return str(created.get("deploymentId"))

    def _deploy_uninstall_revision(self, target: TargetPlan, options: ApplyOptions) -> TargetResult:
        if not self._may_write():
            return TargetResult(target.thing_group, Outcome.SKIPPED, reason=_LOST_LEASE)
        digest = _token("uninstall", target.target_arn, target.live_deployment_id or "")
        tags = provenance_tags(
            instance=options.instance, content_hash=digest, commit=options.commit, spec=None
        )
        request = {
            "targetArn": target.target_arn,
            "deploymentName": f"{target.thing_group} (uninstall)"[:256],
            "components": {},
            "tags": {**tags, PRUNE_STEP: UNINSTALL_STEP},
            # One empty revision per revision it replaces, however often a cycle retries.
            "clientToken": digest[:64],
        }
        deployment_id = self._create(target.thing_group, request)
        if isinstance(deployment_id, TargetResult):
            return deployment_id
        self._emit(f"uninstalling {target.thing_group}: deployed empty revision {deployment_id}")
        return TargetResult(
            target.thing_group,
            Outcome.UNINSTALLING,
            deployment_id,
            reason="deployed a revision with no components; cancelled once it rolled out",
        )

    def _uninstall_pending(self, thing_group: str, deployment_id: str) -> str | None:
        """Why the uninstall revision cannot be cancelled yet (None: its rollout ended: every
        device of the group reported, none pending)."""
        if self._rollouts is None:
            return "no rollout reader: cannot tell whether the uninstall revision rolled out"
        try:
            facts = self._rollouts.deployment(deployment_id)
            if facts.iot_job_id is None:
                return "the uninstall revision has no IoT job yet"
            job = self._rollouts.job(facts.iot_job_id)
            counts = job.counts
            members = self._rollouts.group_members(thing_group) if counts.pending == 0 else None
        except ReconcilerError as error:
            return f"rollout of the uninstall revision unknown: {error}"
        state = rollout_state(job, RolloutPolicy(), members=members)
        if counts.pending == 0 and state.terminal:
            return None
        return f"uninstall revision rolling out ({counts.pending} device(s) pending)"

    def _apply_targets(
        self, targets: list[TargetPlan], options: ApplyOptions, blocked: dict[str, str]
    ) -> list[TargetResult]:
        return list(
            bounded_map(
                lambda t: self._apply_target(t, options, blocked),
                targets,
                workers=min(options.concurrency, len(targets) or 1),
            )
        )

    def apply(self, plan: Plan, options: ApplyOptions) -> ApplyReport:
        versions, uploaded, skipped = self._apply_versions(plan, options)
        blocked = {
            f"{v.name}@{v.version}": v.reason or "" for v in versions if v.outcome is Outcome.FAILED
        }
        targets = _selected(plan.targets, options.only_groups)
        # Subdeployments after every other target: a subdeployment is made within its parent's
        # deployment, so the parent's new revision (if any) comes first.
        subdeployments = [t for t in targets if _deploys_subdeployment(t)]
        first = [t for t in targets if not _deploys_subdeployment(t)]
        results = self._apply_targets(first, options, blocked)
        failed = {r.thing_group: r for r in results if r.outcome in _NOT_DEPLOYED}
        for target in subdeployments:
            parent = failed.get(target.parent_thing_group or "")
            if parent is not None:
                blocked_by = f"its parent group {parent.thing_group} was not deployed"
                reason = f"{blocked_by}: {parent.reason}" if parent.reason else blocked_by
                results.append(TargetResult(target.thing_group, Outcome.SKIPPED, reason=reason))
        ready = [t for t in subdeployments if (t.parent_thing_group or "") not in failed]
        results += self._apply_targets(ready, options, blocked)
        position = {t.thing_group: i for i, t in enumerate(targets)}
        results.sort(key=lambda r: position[r.thing_group])  # in the plan's order, as before
        return ApplyReport(
            targets=tuple(results),
            versions=tuple(versions),
            artifacts_uploaded=uploaded,
            artifacts_skipped=skipped,
        )


# What keeps a subdeployment from being deployed after its parent's new revision.
_NOT_DEPLOYED = (Outcome.FAILED, Outcome.SKIPPED)


def _deploys_subdeployment(target: TargetPlan) -> bool:
    return target.parent_thing_group is not None and target.action in (
        TargetAction.CREATE,
        TargetAction.UPDATE,
    )


def _selected(targets: Iterable[TargetPlan], only: frozenset[str] | None) -> list[TargetPlan]:
    return [t for t in targets if only is None or t.thing_group in only]
