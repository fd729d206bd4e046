"""GitHub: publishing a pull request's plan as one sticky comment and a commit status.

    client      the REST client: authentication, headers, timeouts, retries, pagination
    errors      PublishError and its subclasses, and how GitHub's answers map onto them
    body        fitting a plan into GitHub's limits (comment body, status description)
    publishing  the sticky comment, the commit status, the token; deployments and their
                statuses, merged pull requests (what rollout feedback writes through);
                the revert pull request of `reconciler rollback --revert-pr`

docs/pr-comments.md describes the workflow that uses it; the notification sink that follows
rollouts on GitHub through it is `adapters.notifiers.github_feedback`.
"""

from reconciler.adapters.github.body import status_description
from reconciler.adapters.github.client import DEFAULT_API_URL, GitHubClient
from reconciler.adapters.github.errors import (
    PublishAuthError,
    PublishError,
    PublishNotFoundError,
    PublishRateLimitedError,
    PublishServerError,
    PublishUncertainError,
)
from reconciler.adapters.github.publishing import (
    STATUS_CONTEXT,
    IssueComment,
    PublishOutcome,
    PublishResult,
    PullRequest,
    RepoRef,
    edit_sticky_comment,
    ensure_deployment,
    ensure_pull_request,
    find_deployment,
    find_sticky_comment,
    merged_pull_requests,
    publish_sticky_comment,
    read_token,
    set_commit_status,
    set_deployment_status,
    set_plan_status,
)
from reconciler.retrying import RetryPolicy

__all__ = [
    "DEFAULT_API_URL",
    "STATUS_CONTEXT",
    "GitHubClient",
    "IssueComment",
    "PublishAuthError",
    "PublishError",
    "PublishNotFoundError",
    "PublishOutcome",
    "PublishRateLimitedError",
    "PublishResult",
    "PublishServerError",
    "PublishUncertainError",
    "PullRequest",
    "RepoRef",
    "RetryPolicy",
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
    "status_description",
]
