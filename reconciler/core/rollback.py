"""Rollback: which earlier revision of a group to put back, and the request that does it.

"The last good revision" is the newest earlier revision whose rollout succeeded: read from its
IoT job (DescribeJob's counts, as rollout truth reads them), every device it targeted took it
and none failed, none was left pending or canceled (a revision replaced before its devices took
it did not succeed). A revision no device was targeted by counts as good: nothing failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.live import LiveDeployment
from reconciler.core.planning.content import client_token, live_content, request_hash
from reconciler.core.provenance import COMMIT, RESETS_SENT, SPEC, provenance_tags
from reconciler.core.rollouts import DeviceCounts


class RollbackError(ValueError):
    """No revision to roll back to; the message says why."""


def rollout_succeeded(counts: DeviceCounts) -> bool:
    return (
        counts.failures == 0
        and counts.pending == 0
        and counts.canceled == 0
        and counts.succeeded == counts.targeted
    )


def rollback_request(
    earlier: LiveDeployment, *, latest_deployment_id: str, instance: str
) -> tuple[dict[str, Any], str]:
    """CreateDeployment's request for a new revision with `earlier`'s content, and its content
    hash. It carries the provenance of the revision it restores (its commit and spec file), so
    the controller reads it as its own work, not as drift."""
    request = live_content(earlier)
    digest = request_hash(request)
    tags: Mapping[str, str] = earlier.tags
    request["tags"] = {
        **dict(request.get("tags") or {}),
        **provenance_tags(
            instance=instance,
            content_hash=digest,
            commit=tags.get(COMMIT),
            spec=tags.get(SPEC),
            resets_sent=tags.get(RESETS_SENT, ""),
        ),
    }
    request["clientToken"] = client_token(earlier.target_arn, digest, latest_deployment_id)
    return request, digest
