"""Publishing the plan of a pull request to GitHub as one sticky comment (and a commit status).

The comment is *sticky*: it carries a hidden marker (`reconciler.core.markers`), so each run
finds the comment it wrote before and edits it in place instead of adding another. A body GitHub
would reject for its size is truncated first (`body`). Everything GitHub can answer is
mapped onto `PublishError` and its subclasses (`errors`); retries and pagination live in
`GitHubClient` (`client`).

    with GitHubClient(token, api_url=api_url) as client:
        result = publish_sticky_comment(client, RepoRef.parse("octo/app"), 12, markdown, "prod")
        print(result.outcome, result.url)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reconciler.adapters.github.body import (
    COMMENT_LIMIT,
    FittedBody,
    fit_comment_body,
    shorten_description,
)
from reconciler.adapters.github.client import GitHubClient
from reconciler.adapters.github.errors import (
    COMMENT_PERMISSION,
    DEPLOYMENT_PERMISSION,
    STATUS_PERMISSION,
    PublishAuthError,
    PublishError,
    PublishServerError,
    PublishUncertainError,
    Purpose,
)
from reconciler.core.markers import DEFAULT_KEY, has_marker, marker_line, with_marker

__all__ = [
    "PULL_REQUEST_PERMISSION",
    "STATUS_CONTEXT",
    "IssueComment",
    "PublishOutcome",
    "PublishResult",
    "PullRequest",
    "RepoRef",
    "edit_sticky_comment",
    "ensure_deployment",
    "ensure_pull_request",
    "find_deployment",
    "find_sticky_comment",
    "merged_pull_requests",
    "publish_sticky_comment",
    "read_token",
    "set_commit_status",
    "set_deployment_status",
    "set_plan_status",
]

STATUS_CONTEXT = "greengrass-reconciler/plan"

_NAME = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RepoRef:
    """A repository, `owner/name`."""

    owner: str
    name: str

    @classmethod
    def parse(cls, text: str) -> RepoRef:
        """Parse `OWNER/NAME`; raise `ValueError` with an example otherwise."""
        owner, _, name = text.strip().partition("/")
        if not (_NAME.fullmatch(owner) and _NAME.fullmatch(name)):
            raise ValueError(f"invalid repository {text!r}: expected OWNER/NAME, e.g. octo/app")
        return cls(owner, name)

    @property
    def api_path(self) -> str:
        return f"/repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}"

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"


class PublishOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # the comment already said exactly this: nothing was written


@dataclass(frozen=True)
class PublishResult:
    outcome: PublishOutcome
    comment_id: int
    url: str  # the comment on github.com (html_url)
    omitted_lines: int = 0  # lines of the plan cut to fit GitHub's size limit

    @property
    def truncated(self) -> bool:
        return self.omitted_lines > 0


@dataclass(frozen=True)
class IssueComment:
    """A comment as GitHub lists it: its id, Markdown body and html_url."""

    id: int
    body: str
    url: str

    @classmethod
    def from_api(cls, payload: Any) -> IssueComment:
        return cls(int(payload["id"]), str(payload.get("body") or ""), str(payload["html_url"]))


def read_token(token_file: Path | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """The token from `token_file` if given, else `GITHUB_TOKEN`; `PublishAuthError` if none."""
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise PublishAuthError(f"Cannot read the token file {token_file}: {error}") from error
        if not token:
            raise PublishAuthError(f"The token file {token_file} is empty.")
        return token
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise PublishAuthError(
            "No GitHub token: set GITHUB_TOKEN (in GitHub Actions: `env: GITHUB_TOKEN: "
            "${{ secrets.GITHUB_TOKEN }}`) or pass --token-file. It needs "
            f"{COMMENT_PERMISSION} permission."
        )
    return token


def _comment_purpose(action: str, repo: RepoRef, pr: int) -> Purpose:
    return Purpose(
        action=f"{action} {repo}#{pr}",
        target=f"repository {repo} or pull request #{pr}",
        permission=COMMENT_PERMISSION,
    )


def _author(payload: Any) -> str | None:
    user = payload.get("user")
    login = user.get("login") if isinstance(user, dict) else None  # null: a deleted account
    return login if isinstance(login, str) else None


def find_sticky_comment(
    client: GitHubClient, repo: RepoRef, pr: int, key: str = DEFAULT_KEY
) -> IssueComment | None:
    """The oldest comment of pull request `pr` that carries the marker of `key` and was written
    by the token's own identity, if any.

    Anyone who can comment can write the marker: a comment of someone else's is never taken
    for ours (editing it would publish the plan under their name, and let them choose which
    comment reviewers take for the plan). Whom the token acts as is asked only once a comment
    with the marker is found. Pages are read only until ours is found; an older plan comment is
    always the one kept.
    """
    purpose = _comment_purpose("list the comments of", repo, pr)
    own: str | None = None
    for payload in client.paginate(f"{repo.api_path}/issues/{pr}/comments", purpose):
        if not has_marker(str(payload.get("body") or ""), key):
            continue
        own = own or client.authenticated_login().casefold()  # logins ignore case
        if (_author(payload) or "").casefold() == own:
            return IssueComment.from_api(payload)
    return None


def _normalised(text: str) -> str:
    # Comments edited in the browser come back with CRLF line endings.
    return text.replace("\r\n", "\n")


def publish_sticky_comment(
    client: GitHubClient,
    repo: RepoRef,
    pr: int,
    body: str,
    key: str = DEFAULT_KEY,
    *,
    full_plan_location: str | None = None,
) -> PublishResult:
    """Create or update the one comment of `pr` that carries the plan for `key`.

    The marker of `key` is added to `body` if it lacks it; a body over GitHub's limit is cut at
    a line boundary with a note naming `full_plan_location`. Nothing is written when the existing
    comment already has exactly this body.

    When creating the comment fails with a server error, GitHub may have created it anyway, so
    the retry starts over from looking for the comment rather than posting a second one.
    """
    fitted = fit_comment_body(
        with_marker(body, key), marker_line(key), full_plan_location=full_plan_location
    )
    uncertain_creates: list[PublishUncertainError] = []

    def attempt() -> PublishResult:
        try:
            result = _create_or_update(client, repo, pr, key, fitted)
        except PublishUncertainError as error:
            uncertain_creates.append(error)
            raise
        if uncertain_creates and result.outcome is PublishOutcome.UNCHANGED:
            # The failed create had in fact succeeded: report what this run did.
            return replace(result, outcome=PublishOutcome.CREATED)
        return result

    result: PublishResult = client.retrying(lambda error: isinstance(error, PublishUncertainError))(
        attempt
    )
    return result


def _create_or_update(
    client: GitHubClient, repo: RepoRef, pr: int, key: str, fitted: FittedBody
) -> PublishResult:
    existing = find_sticky_comment(client, repo, pr, key)
    if existing is None:
        try:
            payload = client.request(
                "POST",
                f"{repo.api_path}/issues/{pr}/comments",
                _comment_purpose("comment on", repo, pr),
                json={"body": fitted.text},
            )
        except PublishServerError as error:
            raise PublishUncertainError(
                f"{error} The comment may have been created all the same; retries and reruns "
                "look for it before posting again.",
                status=error.status,
            ) from error
        created = IssueComment.from_api(payload)
        return PublishResult(PublishOutcome.CREATED, created.id, created.url, fitted.omitted_lines)
    if _normalised(existing.body) == _normalised(fitted.text):
        return PublishResult(
            PublishOutcome.UNCHANGED, existing.id, existing.url, fitted.omitted_lines
        )
    payload = client.request(
        "PATCH",
        f"{repo.api_path}/issues/comments/{existing.id}",
        _comment_purpose("update the plan comment of", repo, pr),
        json={"body": fitted.text},
    )
    updated = IssueComment.from_api(payload)
    return PublishResult(PublishOutcome.UPDATED, updated.id, updated.url, fitted.omitted_lines)


def _status_purpose(repo: RepoRef, sha: str) -> Purpose:
    return Purpose(
        action=f"set the commit status of {sha[:12]} in {repo}",
        target=f"repository {repo} or commit {sha}",
        permission=STATUS_PERMISSION,
    )


def set_commit_status(
    client: GitHubClient,
    repo: RepoRef,
    sha: str,
    *,
    state: str,
    context: str,
    description: str,
    target_url: str | None = None,
) -> None:
    """Set the status `context` of commit `sha` to `state` (error, failure, pending, success);
    `description` is cut to GitHub's 140 characters."""
    payload: dict[str, str] = {
        "state": state,
        "context": context,
        "description": shorten_description(description),
    }
    if target_url:
        payload["target_url"] = target_url
    client.request(
        "POST",
        f"{repo.api_path}/statuses/{sha}",
        _status_purpose(repo, sha),
        json=payload,
        idempotent=True,  # a repeated status only repeats the same state for the same context
    )


def set_plan_status(
    client: GitHubClient,
    repo: RepoRef,
    sha: str,
    description: str,
    *,
    target_url: str | None = None,
) -> None:
    """Mark commit `sha` with a successful `greengrass-reconciler/plan` status.

    `description` is cut to GitHub's 140 characters; `status_description(markdown)` makes one
    from a plan. `target_url` is where the status links to (the plan comment).
    """
    set_commit_status(
        client,
        repo,
        sha,
        state="success",
        context=STATUS_CONTEXT,
        description=description,
        target_url=target_url,
    )


# ---------------------------------------------------------------- deployments (Git feedback)


def _deployment_purpose(action: str, repo: RepoRef) -> Purpose:
    return Purpose(
        action=f"{action} in {repo}",
        target=f"repository {repo}",
        permission=DEPLOYMENT_PERMISSION,
    )


def find_deployment(client: GitHubClient, repo: RepoRef, sha: str, environment: str) -> int | None:
    """The id of the oldest GitHub deployment of commit `sha` to `environment`, if any."""
    purpose = _deployment_purpose(f"list the deployments of {sha[:12]} to {environment}", repo)
    found: list[int] = [
        int(payload["id"])
        for payload in client.paginate(
            f"{repo.api_path}/deployments",
            purpose,
            params={"sha": sha, "environment": environment},
        )
        # GitHub matches `sha` by prefix on some servers: keep exact matches only.
        if payload.get("sha") == sha and payload.get("environment") == environment
    ]
    return min(found) if found else None


def ensure_deployment(
    client: GitHubClient,
    repo: RepoRef,
    sha: str,
    environment: str,
    *,
    description: str,
    payload: Mapping[str, Any],
) -> int:
    """The id of the GitHub deployment of commit `sha` to `environment`, created if missing.

    Creating is looked up first and after a failed create, so retries and restarts never add a
    second deployment. The deployment is a record only: `auto_merge` off (GitHub would merge
    the default branch into the ref) and no required status contexts (our own pending statuses
    would make GitHub refuse it).
    """

    def attempt() -> int:
        existing = find_deployment(client, repo, sha, environment)
        if existing is not None:
            return existing
        try:
            created = client.request(
                "POST",
                f"{repo.api_path}/deployments",
                _deployment_purpose(f"create a deployment of {sha[:12]} to {environment}", repo),
                json={
                    "ref": sha,
                    "environment": environment,
                    "description": shorten_description(description),
                    "payload": dict(payload),
                    "auto_merge": False,
                    "required_contexts": [],
                    "transient_environment": False,
                },
            )
        except PublishServerError as error:
            raise PublishUncertainError(
                f"{error} The deployment may have been created all the same; the retry looks "
                "for it first.",
                status=error.status,
            ) from error
        return int(created["id"])

    deployment_id: int = client.retrying(lambda error: isinstance(error, PublishUncertainError))(
        attempt
    )
    return deployment_id


def set_deployment_status(
    client: GitHubClient,
    repo: RepoRef,
    deployment_id: int,
    *,
    state: str,
    description: str,
    log_url: str | None = None,
) -> None:
    """Add a status (in_progress, success, failure, error...) to a GitHub deployment."""
    body: dict[str, Any] = {
        "state": state,
        "description": shorten_description(description),
        "auto_inactive": False,  # other groups' deployments share the commit, not the env
    }
    if log_url:
        body["log_url"] = log_url
    client.request(
        "POST",
        f"{repo.api_path}/deployments/{deployment_id}/statuses",
        _deployment_purpose(f"set the status of deployment {deployment_id}", repo),
        json=body,
        idempotent=True,  # a repeated status only repeats the deployment's state
    )


def merged_pull_requests(client: GitHubClient, repo: RepoRef, sha: str) -> list[int]:
    """The pull requests whose merge (or squash, or rebase) commit is `sha`."""
    purpose = Purpose(
        action=f"list the pull requests of commit {sha[:12]} in {repo}",
        target=f"repository {repo} or commit {sha}",
        permission="`pull-requests: read`",
    )
    return sorted(
        int(payload["number"])
        for payload in client.paginate(f"{repo.api_path}/commits/{sha}/pulls", purpose)
        if payload.get("merge_commit_sha") == sha and payload.get("merged_at")
    )


def edit_sticky_comment(
    client: GitHubClient,
    repo: RepoRef,
    pr: int,
    edit: Callable[[str], str],
    key: str = DEFAULT_KEY,
) -> PublishOutcome | None:
    """Rewrite the sticky plan comment of `pr` as `edit(body)`; None when there is no such
    comment (nothing is created: the plan comes first). A body that would exceed GitHub's
    limit is not written (`PublishError`)."""
    existing = find_sticky_comment(client, repo, pr, key)
    if existing is None:
        return None
    body = edit(_normalised(existing.body))
    if body == _normalised(existing.body):
        return PublishOutcome.UNCHANGED
    if len(body) > COMMENT_LIMIT:
        raise PublishError(
            f"The plan comment of {repo}#{pr} would exceed GitHub's {COMMENT_LIMIT:,} characters "
            "with the rollout follow-up; it was left as it was."
        )
    client.request(
        "PATCH",
        f"{repo.api_path}/issues/comments/{existing.id}",
        _comment_purpose("update the plan comment of", repo, pr),
        json={"body": body},
    )
    return PublishOutcome.UPDATED


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str  # the page people open (html_url)


PULL_REQUEST_PERMISSION = "`pull-requests: write` (and `contents: write` to push the branch)"


def ensure_pull_request(
    client: GitHubClient, repo: RepoRef, *, head: str, base: str, title: str, body: str
) -> tuple[PullRequest, bool]:
    """The open pull request from branch `head` into `base`, opened if there is none; and
    whether this call opened it. Looked up first and after a failed create, so a retry or a
    second run never opens two."""
    purpose = Purpose(
        action=f"open a pull request from {head} into {base} in {repo}",
        target=f"repository {repo} or branch {head}",
        permission=PULL_REQUEST_PERMISSION,
    )

    def existing() -> PullRequest | None:
        for payload in client.paginate(
            f"{repo.api_path}/pulls",
            purpose,
            params={"head": f"{repo.owner}:{head}", "base": base, "state": "open"},
        ):
            if payload.get("head", {}).get("ref") == head:
                return PullRequest(int(payload["number"]), str(payload.get("html_url", "")))
        return None

    def attempt() -> tuple[PullRequest, bool]:
        found = existing()
        if found is not None:
            return found, False
        try:
            created = client.request(
                "POST",
                f"{repo.api_path}/pulls",
                purpose,
                json={"title": title, "head": head, "base": base, "body": body},
            )
        except PublishServerError as error:
            raise PublishUncertainError(
                f"{error} The pull request may have been opened all the same; the retry looks "
                "for it first.",
                status=error.status,
            ) from error
        return PullRequest(int(created["number"]), str(created.get("html_url", ""))), True

    result: tuple[PullRequest, bool] = client.retrying(
        lambda error: isinstance(error, PublishUncertainError)
    )(attempt)
    return result
