"""A small GitHub REST client: authentication, standard headers, timeouts, retries, pagination.

Policy lives here, in one place: which answers are worth retrying (rate limits, 5xx, network
failures), how long to wait (what GitHub asked for, else exponential backoff, plus jitter so that
parallel jobs do not retry in lockstep), and when to give up (a bounded number of attempts, and
never a wait longer than `max_wait`: a CI job should fail with a clear message rather
than sleep for most of an hour until a primary rate limit resets).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import tenacity

from reconciler import __version__
from reconciler.adapters.aws.ratelimit import TokenBucket
from reconciler.adapters.github.errors import (
    PublishError,
    PublishRateLimitedError,
    Purpose,
    error_for_exception,
    error_for_response,
)
from reconciler.retrying import GITHUB_RETRY, RetryPolicy
from reconciler.settings import DEFAULT_GITHUB_API_URL

DEFAULT_API_URL = DEFAULT_GITHUB_API_URL
# The login of whoever the token authenticates: a user (personal tokens) or an app's bot user,
# `<app-slug>[bot]` (installation tokens, Actions' GITHUB_TOKEN: `github-actions[bot]`). REST
# `GET /user` refuses installation tokens; GraphQL's `viewer` answers for both kinds.
_VIEWER_QUERY = "query { viewer { login } }"
API_VERSION = "2022-11-28"
PAGE_SIZE = 100  # the most GitHub serves per page

_log = logging.getLogger(__name__)


# GitHub's advice for a secondary rate limit without Retry-After: wait at least a minute, then
# exponentially longer.
SECONDARY_LIMIT_DELAY = 60.0
# A longer wait (one GitHub asks for, or a back-off) fails at once instead of sleeping.
MAX_WAIT = 300.0
JITTER_RATIO = 0.2  # each wait grows by a random 0..20 %, so parallel jobs do not retry in step


def _decoded(response: requests.Response, purpose: Purpose) -> Any:
    try:
        return response.json()
    except ValueError as error:  # e.g. a proxy's HTML page in front of GitHub Enterprise
        raise PublishError(
            f"GitHub's answer to the request to {purpose.action} is not JSON "
            f"({response.headers.get('Content-Type', 'no content type')}); is the API URL right?"
        ) from error


class _BearerAuth(requests.auth.AuthBase):
    """Token authentication that keeps the token out of `repr()` and of session headers.

    Being the session's `auth` also stops requests from replacing the header with ~/.netrc
    credentials, and from resending it when GitHub redirects to another host.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<hidden>)"


class GitHubClient:
    """Calls the GitHub REST API at `api_url` (github.com or a GitHub Enterprise Server)."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (10.0, 30.0),
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
        secondary_limit_delay: float = SECONDARY_LIMIT_DELAY,
        max_wait: float = MAX_WAIT,
        rate_limit: TokenBucket | None = None,
    ) -> None:
        """`on_retry` receives a one-line notice before each retry (default: a log warning).
        `retry` defaults to `GITHUB_RETRY`; a wait longer than `max_wait` seconds is not made:
        the request fails at once with a message saying so. `rate_limit` paces every attempt
        (a long-running controller stays well under GitHub's secondary limits instead of
        hitting them and waiting)."""
        if not token.strip():
            raise ValueError("GitHubClient needs a non-empty token")
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"invalid GitHub API URL {api_url!r}: expected https://host[/path]")
        self.api_url = api_url.rstrip("/")
        self.retry = retry or GITHUB_RETRY
        self.secondary_limit_delay = secondary_limit_delay
        self.max_wait = max_wait
        self._origin = (parts.scheme, parts.netloc)
        self._timeout = timeout
        self._sleep = sleep
        self._on_retry = on_retry or _log.warning
        self._rate_limit = rate_limit
        self._login: str | None = None
        self._session = requests.Session()
        self._session.auth = _BearerAuth(token.strip())
        self._session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"greengrass-reconciler/{__version__}",
            }
        )

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        purpose: Purpose,
        *,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send `method path` (path relative to the API URL); return the decoded JSON answer.

        Rate-limited requests are always retried: GitHub refused them before doing anything.
        Server errors and timeouts are retried only for idempotent requests (by default every
        method but POST), since a failed POST may have taken effect all the same.
        """
        if idempotent is None:
            idempotent = method.upper() != "POST"
        url = self.api_url + path
        response = self._send(method, url, purpose, json=json, idempotent=idempotent)
        return _decoded(response, purpose) if response.content else None

    @property
    def graphql_url(self) -> str:
        """GitHub's GraphQL endpoint: `/graphql` beside the REST root on github.com, and
        `/api/graphql` on GitHub Enterprise Server, whose REST root is `/api/v3`."""
        if self.api_url.endswith("/api/v3"):
            return self.api_url.removesuffix("/v3") + "/graphql"
        return self.api_url + "/graphql"

    def authenticated_login(self) -> str:
        """The login the token acts as (asked once per client): a user's, or `<app>[bot]`."""
        if self._login is None:
            purpose = Purpose(
                action="find out whom the token belongs to (GraphQL viewer)",
                target=f"the GraphQL API at {self.graphql_url}",
                permission="no particular permission (any valid token may ask)",
            )
            response = self._send(
                "POST", self.graphql_url, purpose, json={"query": _VIEWER_QUERY}, idempotent=True
            )
            answer = _decoded(response, purpose)
            viewer = (answer.get("data") or {}).get("viewer") if isinstance(answer, dict) else None
            login = viewer.get("login") if isinstance(viewer, dict) else None
            if not isinstance(login, str) or not login:
                errors = answer.get("errors") if isinstance(answer, dict) else None
                raise PublishError(
                    "GitHub did not say whom the token belongs to "
                    f"({errors or 'no viewer login in the answer'}); the plan comment is only "
                    "updated when that identity wrote it."
                )
            self._login = login
        return self._login

    def retrying(self, retry_on: Callable[[BaseException], bool]) -> tenacity.Retrying:
        """A retry loop with this client's policy, for a step of several requests.

        for attempt in client.retrying(lambda error: isinstance(error, SomeError)):
            with attempt:
                ...
        """
        return tenacity.Retrying(
            stop=self._should_stop,
            wait=self._wait,
            retry=tenacity.retry_if_exception(retry_on),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
            reraise=True,
        )

    def paginate(
        self, path: str, purpose: Purpose, *, params: dict[str, str] | None = None
    ) -> Iterator[Any]:
        """Yield the items of every page of a list endpoint, following `Link: rel="next"`."""
        url: str | None = self.api_url + path
        query: dict[str, str] | None = {"per_page": str(PAGE_SIZE), **(params or {})}
        while url is not None:
            response = self._send("GET", url, purpose, params=query)
            items = _decoded(response, purpose)
            if not isinstance(items, list):
                raise PublishError(f"GitHub answered a non-list page trying to {purpose.action}.")
            yield from items
            url = response.links.get("next", {}).get("url")
            if url is not None:
                self._check_same_origin(url, purpose)
            query = None  # the next link carries the query already

    def _check_same_origin(self, url: str, purpose: Purpose) -> None:
        # The session attaches the token to every request it sends; a next link pointing at
        # another host must not receive it.
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            raise PublishError(
                f"Refusing to follow a pagination link to {parts.scheme}://{parts.netloc} while "
                f"trying to {purpose.action}: it is not the API host {self.api_url}."
            )

    def _send(
        self,
        method: str,
        url: str,
        purpose: Purpose,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        def worth_retrying(error: BaseException) -> bool:
            if isinstance(error, PublishRateLimitedError):
                return True
            return idempotent and isinstance(error, PublishError) and error.temporary

        response: requests.Response = self.retrying(worth_retrying)(
            self._send_once, method, url, purpose, json=json, params=params
        )
        return response

    def _send_once(
        self,
        method: str,
        url: str,
        purpose: Purpose,
        *,
        json: Any,
        params: dict[str, str] | None,
    ) -> requests.Response:
        if self._rate_limit is not None:
            self._rate_limit.acquire()
        try:
            response = self._session.request(
                method, url, json=json, params=params, timeout=self._timeout
            )
        except requests.RequestException as error:
            raise error_for_exception(error, purpose) from error
        if response.status_code >= 400:
            raise error_for_response(response, purpose)
        return response

    def _failure(self, state: tenacity.RetryCallState) -> PublishError:
        error = state.outcome.exception() if state.outcome else None
        if not isinstance(error, PublishError):
            raise TypeError(f"only PublishErrors can be retried, not {error!r}")
        return error

    def _delay_for(self, error: PublishError, attempt: int) -> float:
        """The wait before retrying after `error` ended attempt number `attempt` (1-based)."""
        if isinstance(error, PublishRateLimitedError):
            if error.retry_after is not None:
                return error.retry_after
            if error.secondary:
                return self.secondary_limit_delay * 2.0 ** (attempt - 1)
        return self.retry.backoff(attempt)

    def _should_stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.retry.max_attempts:
            return True
        delay = self._delay_for(self._failure(state), state.attempt_number)
        return delay > self.max_wait

    def _wait(self, state: tenacity.RetryCallState) -> float:
        delay = self._delay_for(self._failure(state), state.attempt_number)
        return delay + random.uniform(0.0, delay * JITTER_RATIO)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        self._on_retry(
            f"{self._failure(state)} Retrying in {wait:.1f} s "
            f"(attempt {state.attempt_number + 1} of {self.retry.max_attempts})."
        )

    def _give_up(self, state: tenacity.RetryCallState) -> None:
        error = self._failure(state)
        delay = self._delay_for(error, state.attempt_number)
        if delay > self.max_wait:
            reason = (
                f"Not waiting {delay:.0f} s for it: that is longer than the "
                f"{self.max_wait:.0f} s allowed; run again later."
            )
        else:
            reason = f"Gave up after {state.attempt_number} attempts."
        # Keep the error's class and attributes (retry_after...) and only extend its message.
        error.args = (f"{error} {reason}",)
        raise error
