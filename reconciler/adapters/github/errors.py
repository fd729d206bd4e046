"""Errors of the GitHub publisher, and how GitHub's HTTP answers map onto them.

    ReconcilerError
    └── PublishError                 publishing to GitHub failed                    permanent
        ├── PublishAuthError         no token, bad credentials (401), forbidden (403)
        ├── PublishNotFoundError     404: no such repository / pull request, or not visible
        ├── PublishRateLimitedError  403/429 rate limits; `retry_after` in seconds   temporary
        └── PublishServerError       5xx, timeouts, connection failures             temporary
            └── PublishUncertainError  a create failed that GitHub may have done anyway

Messages say what was being done, what GitHub answered and what to change. They never contain
the token: nothing here sees it.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import requests

from reconciler.errors import ReconcilerError

# The permissions a workflow's `permissions:` block must grant for each kind of call.
COMMENT_PERMISSION = "`pull-requests: write` (or `issues: write`)"
STATUS_PERMISSION = "`statuses: write`"
DEPLOYMENT_PERMISSION = "`deployments: write`"

_RATE_LIMIT_PHRASES = ("rate limit", "abuse detection")


class PublishError(ReconcilerError):
    """Publishing the plan to GitHub failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PublishAuthError(PublishError):
    """The token is missing, invalid, or lacks a permission the call needs."""


class PublishNotFoundError(PublishError):
    """GitHub answered 404: the target does not exist or the token cannot see it."""


class PublishRateLimitedError(PublishError):
    """GitHub rate-limited the call; `retry_after` is the wait it asked for, when it said."""

    temporary = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        secondary: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.secondary = secondary


class PublishServerError(PublishError):
    """GitHub failed (5xx), timed out, or could not be reached."""

    temporary = True


class PublishUncertainError(PublishServerError):
    """A non-idempotent write (creating a comment) failed in a way that may hide its success.

    Retrying the write blindly could duplicate the comment; callers look again first.
    """


@dataclass(frozen=True)
class Purpose:
    """What a request is for, so that a failure can say so and name the fix.

    `action` completes "trying to ..." (e.g. "list the comments of octo/app#12"), `target` names
    what a 404 means is missing, `permission` what the token needs.
    """

    action: str
    target: str
    permission: str


def _message_of(response: requests.Response) -> str:
    try:
        payload: Any = response.json()
    except ValueError:
        return response.reason or "no message"
    if not isinstance(payload, dict):
        return response.reason or "no message"
    message = str(payload.get("message") or response.reason or "no message").rstrip(".")
    details = [
        str(error.get("message") or error.get("code"))
        for error in payload.get("errors") or []
        if isinstance(error, dict)
    ]
    return f"{message}: {'; '.join(details)}" if details else message


def _retry_after_seconds(response: requests.Response, now: float) -> float | None:
    """The wait GitHub asked for: `Retry-After` first, then the primary limit's reset time."""
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - now)
    if response.headers.get("x-ratelimit-remaining") == "0":
        try:
            reset = float(response.headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return None
        # At least a second: clocks differ, and retrying at once would only burn an attempt.
        return max(1.0, reset - now)
    return None


def _is_rate_limited(response: requests.Response, message: str) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    if response.headers.get("x-ratelimit-remaining") == "0":
        return True
    return any(phrase in message.lower() for phrase in _RATE_LIMIT_PHRASES)


def error_for_response(response: requests.Response, purpose: Purpose) -> PublishError:
    """The error for GitHub's non-2xx `response` to a request made for `purpose`."""
    status = response.status_code
    message = _message_of(response)
    answer = f"{status}: {message}"
    if _is_rate_limited(response, message):
        retry_after = _retry_after_seconds(response, time.time())
        wait = f"; GitHub asks to wait {retry_after:.0f} s" if retry_after is not None else ""
        return PublishRateLimitedError(
            f"GitHub rate limit hit while trying to {purpose.action} ({answer}{wait}).",
            status=status,
            retry_after=retry_after,
            secondary=response.headers.get("x-ratelimit-remaining") != "0",
        )
    if status == 401:
        return PublishAuthError(
            f"GitHub rejected the token while trying to {purpose.action} ({answer}). Check "
            f"GITHUB_TOKEN or --token-file: it must be a valid, unexpired token with "
            f"{purpose.permission} permission on {purpose.target}.",
            status=status,
        )
    if status == 403:
        return PublishAuthError(
            f"GitHub refused to {purpose.action} ({answer}). The token needs "
            f"{purpose.permission} permission on {purpose.target}; in GitHub Actions grant it "
            "in the job's `permissions:` block.",
            status=status,
        )
    if status == 404:
        return PublishNotFoundError(
            f"GitHub found no {purpose.target} while trying to {purpose.action} ({answer}): "
            "it does not exist, or the token cannot see it (GitHub answers 404 rather than 403 "
            "to tokens without access to a private repository).",
            status=status,
        )
    if status >= 500:
        return PublishServerError(
            f"GitHub failed while trying to {purpose.action} ({answer}).", status=status
        )
    return PublishError(
        f"GitHub rejected the request to {purpose.action} ({answer}).", status=status
    )


def error_for_exception(error: requests.RequestException, purpose: Purpose) -> PublishError:
    """The error for a request that got no answer at all (connection refused, timeout...)."""
    kind = "timed out" if isinstance(error, requests.Timeout) else "could not reach GitHub"
    return PublishServerError(f"Trying to {purpose.action}: {kind} ({error}).")
