"""GitHub: publishing a pull request's plan as one sticky comment and a commit status.

    client      the REST client: authentication, headers, timeouts, retries, pagination
    errors      PublishError and its subclasses, and how GitHub's answers map onto them
    body        fitting a plan into GitHub's limits (comment body, status description)
    publishing  the sticky comment, the commit status, the token

docs/pr-comments.md describes the workflow that uses it.
"""

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
    RepoRef,
    find_sticky_comment,
    publish_sticky_comment,
    read_token,
    set_plan_status,
    status_description,
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
    "RepoRef",
    "RetryPolicy",
    "find_sticky_comment",
    "publish_sticky_comment",
    "read_token",
    "set_plan_status",
    "status_description",
]
