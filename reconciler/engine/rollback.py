"""`reconciler rollback`: put an earlier revision of a group back now, and record it so that the
controller does not fight it (docs/controller.md "Stopping a group")."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from reconciler.adapters.suspensions import SuspensionStore
from reconciler.core.live import DeploymentSummary
from reconciler.core.provenance import COMMIT, CONTENT_HASH
from reconciler.core.rollback import RollbackError, rollback_request, rollout_succeeded
from reconciler.core.suspension import RollbackRecord
from reconciler.engine.runtime import Runtime


@dataclass(frozen=True)
class RollbackResult:
    thing_group: str
    from_revision: str
    to_revision: str
    deployment_id: str
    # The commit the restored revision was made from (its provenance tag), when it has one.
    to_commit: str | None = None


def revision_job_id(runtime: Runtime, deployment_id: str | None) -> str | None:
    """The IoT job of a revision: from the gateway's cache, else GetDeployment (a revision
    recalled from the fact cache does not keep it: the job is not part of its document)."""
    if not deployment_id:
        return None
    cached = runtime.gateway.cached_deployment(deployment_id)
    if cached is not None and cached.iot_job_id is not None:
        return cached.iot_job_id
    return runtime.rollouts.deployment(deployment_id).iot_job_id


def _last_good(runtime: Runtime, earlier: list[DeploymentSummary]) -> DeploymentSummary:
    """The newest of `earlier` whose rollout succeeded (one DescribeJob each, newest first)."""
    for summary in earlier:
        job_id = revision_job_id(runtime, summary.deployment_id)
        if job_id is None:
            continue
        if rollout_succeeded(runtime.rollouts.job(job_id).counts):
            return summary
    raise RollbackError(
        f"no earlier revision's rollout succeeded on its devices (of {len(earlier)} read): "
        "name one with --to REVISION"
    )


def last_good_revision(
    runtime: Runtime, thing_group: str, target_arn: str
) -> tuple[DeploymentSummary, DeploymentSummary]:
    """The group's latest revision and the newest earlier one whose rollout succeeded (what
    `--last-good` restores; a failed wave's revert too)."""
    history = runtime.gateway.deployment_history(target_arn)
    if not history:
        raise RollbackError(f"{thing_group} has no deployment to roll back")
    return history[0], _last_good(runtime, history[1:])


def roll_back(
    runtime: Runtime,
    thing_group: str,
    *,
    target_arn: str,
    to_revision: str | None,
    instance: str,
    store: SuspensionStore,
    now: datetime | None = None,
    parent_target_arn: str | None = None,
) -> RollbackResult:
    """Create a revision of `thing_group` (a target key) with the content of `to_revision`
    (None: the last revision whose rollout succeeded), and record it in `store`. For a
    subdeployment, `parent_target_arn` names its parent: its history is its subdeployments."""
    history = runtime.gateway.deployment_history(target_arn, parent_target_arn)
    if not history:
        raise RollbackError(f"{thing_group} has no deployment to roll back")
    latest, earlier = history[0], history[1:]
    if to_revision is None:
        chosen = _last_good(runtime, earlier)
    else:
        found = [s for s in history if s.revision_id == to_revision]
        if not found:
            known = ", ".join(s.revision_id for s in history[:10])
            raise RollbackError(
                f"{thing_group} has no revision {to_revision} (newest first: {known})"
            )
        chosen = found[0]
        if chosen is latest:
            raise RollbackError(
                f"revision {to_revision} is {thing_group}'s latest already: name an earlier one"
            )
    replaced = runtime.gateway.deployment(latest.deployment_id)
    restored = runtime.gateway.deployment(chosen.deployment_id)
    request, digest = rollback_request(
        restored, latest_deployment_id=latest.deployment_id, instance=instance
    )
    record = RollbackRecord(
        content_hash=digest,
        deployment_id="",
        to_revision=chosen.revision_id,
        from_revision=latest.revision_id,
        replaced_hash=replaced.tags.get(CONTENT_HASH),
        at=now or datetime.now(UTC),
    )
    # Recorded first: a controller cycle between the two steps must already leave it alone.
    store.record_rollback(thing_group, record)
    try:
        created = runtime.gateway.create_deployment(request)
    except BaseException:
        store.forget_rollback(thing_group)
        raise
    deployment_id = str(created["deploymentId"])
    store.record_rollback(thing_group, replace(record, deployment_id=deployment_id))
    commit = restored.tags.get(COMMIT)
    return RollbackResult(
        thing_group,
        latest.revision_id,
        chosen.revision_id,
        deployment_id,
        to_commit=commit if commit and commit != "uncommitted" else None,
    )
