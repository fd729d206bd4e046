"""Sample events, shaped as the engine and the rollout follower publish them."""

from __future__ import annotations

from reconciler.core.events import Event, EventKind

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def rollout_details(state: str, succeeded: int, failed: int, total: int) -> dict[str, object]:
    in_progress = total - succeeded - failed
    return {
        "state": state,
        "revisionId": "4",
        "deploymentId": "d-1",
        "devices": {
            "queued": 0,
            "inProgress": in_progress,
            "succeeded": succeeded,
            "failed": failed,
            "timedOut": 0,
            "rejected": 0,
            "canceled": 0,
            "removed": 0,
            "total": total,
        },
        "failing": [
            {
                "device": f"cam-{n}",
                "status": "FAILED",
                "errorTypes": ["DEPLOYMENT_FAILURE", "COMPONENT_BROKEN"] if n % 2 else ["NETWORK"],
                "reason": "<script>component com.acme.X broke & exited 1</script>",
            }
            for n in range(failed)
        ],
        "unhealthy": failed,
        "since": "2026-12-05T12:00:00Z",
    }


def applied(group: str = "CameraFleetProd", deployment: str = "d-1") -> Event:
    return Event(
        kind=EventKind.APPLIED,
        summary=f"{group}: new revision from commit {COMMIT[:12]}",
        thing_group=group,
        commit=COMMIT,
        deployment_id=deployment,
    )


def rollout(
    kind: EventKind,
    succeeded: int,
    failed: int,
    total: int,
    *,
    group: str = "CameraFleetProd",
    state: str = "Progressing",
    commit: str | None = COMMIT,
) -> Event:
    return Event(
        kind=kind,
        summary=f"{group}: {succeeded}/{total} devices took revision 4",
        thing_group=group,
        commit=commit,
        deployment_id="d-1",
        revision_id="4",
        details=rollout_details(state, succeeded, failed, total),  # type: ignore[arg-type]
    )
