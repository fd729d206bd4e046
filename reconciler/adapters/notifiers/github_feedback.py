"""Git feedback: the rollout of each applied commit, shown on GitHub as it moves.

A notification sink (`adapters.notifiers`) fed the same events as the others. For each thing
group a commit was applied to it keeps, on that commit:
- a commit status `greengrass-reconciler/rollout/<group>`: pending "applied, rolling out", then
  "rolling out: 37/120 devices", then success, or failure with the top error codes;
- a GitHub deployment to the environment `<group>` with deployment statuses in_progress, then
  success or failure, carrying the same descriptions;
- and, when the commit is a pull request's merge commit, a follow-up section in that pull
  request's sticky plan comment with every group's state and device counts
  (`core.rendering.rollout_followup`).

GitHub is called through `GitHubClient`, which retries rate limits and server errors; the
client is paced by a token bucket, a group's progress updates are spaced by
`progress_interval`, and an update that would say the same again is not sent.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from reconciler.adapters.github.client import GitHubClient
from reconciler.adapters.github.errors import PublishError
from reconciler.adapters.github.publishing import (
    RepoRef,
    edit_sticky_comment,
    ensure_deployment,
    merged_pull_requests,
    set_commit_status,
    set_deployment_status,
)
from reconciler.adapters.notifiers.sinks import DeliveryError
from reconciler.core.events import Event, EventKind
from reconciler.core.markers import DEFAULT_KEY
from reconciler.core.rendering.rollout_followup import (
    RolloutRow,
    render_section,
    section_rows,
    with_section,
)

log = structlog.get_logger("reconciler.github")

STATUS_CONTEXT_PREFIX = "greengrass-reconciler/rollout/"
FEEDBACK_KINDS = frozenset(
    {
        EventKind.APPLIED,
        EventKind.ROLLOUT_PROGRESSED,
        EventKind.ROLLOUT_SUCCEEDED,
        EventKind.ROLLOUT_FAILED,
    }
)
_TOP_ERRORS = 3
_REMEMBERED_COMMITS = 32


@dataclass(frozen=True)
class Feedback:
    """What one event shows on GitHub."""

    status_state: str  # commit status: pending, success, failure
    deployment_state: str  # deployment status: in_progress, success, failure
    description: str
    row: RolloutRow


def _count(devices: Mapping[str, Any], name: str) -> int | None:
    value = devices.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def top_errors(details: Mapping[str, Any], limit: int = _TOP_ERRORS) -> list[str]:
    """The most frequent error codes among the failing devices, most frequent first."""
    counts: Counter[str] = Counter()
    failing = details.get("failing")
    for entry in failing if isinstance(failing, list) else []:
        codes = entry.get("errorTypes") if isinstance(entry, dict) else None
        for code in codes if isinstance(codes, list) else []:
            counts[str(code)] += 1
        if isinstance(entry, dict) and not codes and entry.get("status"):
            counts[str(entry["status"])] += 1
    return [code for code, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))][
        :limit
    ]


def feedback_for(event: Event) -> Feedback:
    """The statuses and descriptions `event` (one of `FEEDBACK_KINDS`) sets."""
    details = dict(event.details)
    raw_devices = details.get("devices")
    devices: Mapping[str, Any] = raw_devices if isinstance(raw_devices, dict) else {}
    succeeded, failed, total = (_count(devices, n) for n in ("succeeded", "failed", "total"))
    # Every execution that ended badly counts as failed in the summary.
    bad = sum(_count(devices, n) or 0 for n in ("failed", "timedOut", "rejected")) or failed
    errors = top_errors(details)
    state = str(details.get("state") or "")
    revision = f"revision {event.revision_id}" if event.revision_id else "the revision"
    if event.kind is EventKind.APPLIED:
        feedback = ("pending", "in_progress", f"applied {revision}; rolling out", "Applied")
    elif event.kind is EventKind.ROLLOUT_PROGRESSED:
        counts = f"{succeeded or 0}/{total} devices" if total is not None else "devices pending"
        more = f", {bad} failed" if bad else ""
        feedback = ("pending", "in_progress", f"rolling out: {counts}{more}", "Progressing")
    elif event.kind is EventKind.ROLLOUT_SUCCEEDED:
        counts = f": {succeeded or 0}/{total} devices" if total is not None else ""
        more = f" ({bad} failed, under the threshold)" if bad else ""
        feedback = ("success", "success", f"rolled out{counts}{more}", state or "Succeeded")
    elif event.kind is EventKind.ROLLOUT_FAILED:
        counts = f": {bad or 0}/{total} devices failed" if total is not None else ""
        codes = f" ({', '.join(errors)})" if errors else ""
        feedback = ("failure", "failure", f"rollout failed{counts}{codes}", state or "Failed")
    else:
        raise ValueError(f"no Git feedback for {event.kind.value} events")
    status_state, deployment_state, description, row_state = feedback
    row = RolloutRow(
        thing_group=event.thing_group or "",
        state=row_state,
        revision_id=event.revision_id,
        deployment_id=event.deployment_id,
        succeeded=succeeded,
        failed=bad,
        total=total,
        top_errors=", ".join(errors),
    )
    return Feedback(status_state, deployment_state, description, row)


@dataclass
class _GroupFeedback:
    """What this sink last did for one thing group: the revision it follows on GitHub."""

    commit: str
    aws_deployment_id: str | None = None
    github_deployment_id: int | None = None
    shown: str | None = None  # the last description sent
    progress_at: float | None = None


class GitHubFeedbackSink:
    """The sink; see the module's notes. One worker calls `deliver`, one event at a time."""

    def __init__(
        self,
        client: GitHubClient,
        repo: RepoRef,
        *,
        comment_key: str = DEFAULT_KEY,
        progress_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = "github"
        self.kinds = FEEDBACK_KINDS
        self._client = client
        self._repo = repo
        self._comment_key = comment_key
        self._progress_interval = progress_interval
        self._clock = clock
        # Per thing group, its latest revision only; a restart finds the deployments and the
        # follow-up rows on GitHub again.
        self._groups: dict[str, _GroupFeedback] = {}
        self._pulls: dict[str, list[int]] = {}  # commit -> pull requests it merged
        # Follow-up rows not written yet, per commit, and since when the oldest waits.
        self._pending: dict[str, dict[str, RolloutRow]] = {}
        self._pending_since: float | None = None

    def _record(self, event: Event) -> _GroupFeedback | None:
        """The group's record for `event`, started afresh by a new revision; None when the
        event's commit is unknown (a rollout this process did not apply, without one)."""
        group = event.thing_group or ""
        record = self._groups.get(group)
        commit = event.commit
        if (
            commit is None
            and record is not None
            and event.deployment_id in (None, record.aws_deployment_id)
        ):
            commit = record.commit
        if not group or commit is None:
            return None
        if (
            record is None
            or record.commit != commit
            or (event.kind is EventKind.APPLIED and record.aws_deployment_id != event.deployment_id)
        ):
            record = _GroupFeedback(commit=commit, aws_deployment_id=event.deployment_id)
            self._groups[group] = record
        return record

    def deliver(self, event: Event, delivery_id: str) -> None:
        del delivery_id
        record = self._record(event)
        if record is None:
            log.debug("no Git feedback: no commit known", kind=event.kind.value)
            return
        feedback = feedback_for(event)
        if record.shown == feedback.description:
            return  # GitHub already says exactly this
        now = self._clock()
        if event.kind is EventKind.ROLLOUT_PROGRESSED:
            last = record.progress_at
            if last is not None and now - last < self._progress_interval:
                return  # the next progress or the end will say more
            record.progress_at = now
        group = feedback.row.thing_group
        try:
            self._publish(record, group, event, feedback)
        except PublishError as error:
            # GitHubClient has already retried what was worth retrying.
            raise DeliveryError(f"Git feedback for {group}: {error}", temporary=False) from None
        record.shown = feedback.description

    def _publish(
        self, record: _GroupFeedback, group: str, event: Event, feedback: Feedback
    ) -> None:
        set_commit_status(
            self._client,
            self._repo,
            record.commit,
            state=feedback.status_state,
            context=STATUS_CONTEXT_PREFIX + group,
            description=f"{group}: {feedback.description}",
        )
        if record.github_deployment_id is None:
            record.github_deployment_id = ensure_deployment(
                self._client,
                self._repo,
                record.commit,
                group,
                description=f"Greengrass deployment of {group}",
                payload={"thingGroup": group, "deploymentId": event.deployment_id},
            )
        set_deployment_status(
            self._client,
            self._repo,
            record.github_deployment_id,
            state=feedback.deployment_state,
            description=feedback.description,
        )
        self._follow_up(record.commit, feedback.row)

    def _follow_up(self, commit: str, row: RolloutRow) -> None:
        """Queue `row` for the follow-up of `commit`'s pull requests; write the queued rows
        when they have waited `progress_interval`, or when the sink is idle (`idle`): a commit
        touching a hundred groups costs one comment edit per burst, not a hundred."""
        self._pending.setdefault(commit, {})[row.thing_group] = row
        self._pending_since = self._pending_since or self._clock()
        if self._clock() - self._pending_since >= self._progress_interval:
            self._write_follow_ups()

    def idle(self) -> None:
        self._write_follow_ups()

    def _write_follow_ups(self) -> None:
        pending, self._pending, self._pending_since = self._pending, {}, None
        for commit, rows in pending.items():
            try:
                self._write_follow_up(commit, rows)
            except PublishError as error:
                # Rows of other commits still go; these come back with the group's next event.
                log.warning("rollout follow-up not written", commit=commit[:12], error=str(error))

    def _write_follow_up(self, commit: str, new_rows: dict[str, RolloutRow]) -> None:
        pulls = self._pulls.get(commit)
        if pulls is None:
            pulls = merged_pull_requests(self._client, self._repo, commit)
            if len(self._pulls) >= _REMEMBERED_COMMITS:
                del self._pulls[next(iter(self._pulls))]
            self._pulls[commit] = pulls

        def edit(body: str) -> str:
            rows = section_rows(body)
            rows.update(new_rows)
            return with_section(body, render_section(commit, rows))

        for pr in pulls:
            outcome = edit_sticky_comment(self._client, self._repo, pr, edit, self._comment_key)
            if outcome is None:
                log.info("no plan comment to follow up", pr=pr, commit=commit[:12])

    def close(self) -> None:
        try:
            self._write_follow_ups()
        except Exception:  # best effort on the way out
            log.exception("rollout follow-up not written at shutdown")
        self._client.close()
