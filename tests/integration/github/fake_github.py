"""A local GitHub-like HTTP server for the publisher's tests.

A real threaded HTTP server on 127.0.0.1 (werkzeug) implementing the few endpoints the publisher
uses, with GitHub's answers: issue comments (list with `page`/`per_page` and `Link` headers,
create, update), each with its author (`user.login`: whom the token authenticates, a user or an
app's `<slug>[bot]`); GraphQL's `viewer { login }` (at `/graphql`, or at `/api/graphql` beside an
Enterprise `/api/v3` prefix); commit statuses; token checking (401 for an unknown token, 403
"Resource not accessible by integration" for a token without write permission), 404 for unknown
repositories and pull requests, 422 for over-long bodies, and programmable faults (rate limits,
5xx) for the next N requests. Every request is recorded.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.support.loopback import LoopbackWsgiServer

COMMENT_LIMIT = 65_536
STATUS_DESCRIPTION_LIMIT = 140
WEB_URL = "https://github.example"


@dataclass(frozen=True)
class Fault:
    """An error answer the server gives to a request.

    `method` limits the fault to requests of that method; `after_processing` serves the request
    first (a comment does get created) and answers the error all the same, as a proxy timing out
    in front of GitHub would.
    """

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    after_processing: bool = False


def secondary_rate_limit(retry_after: int | None = 0) -> Fault:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return Fault(
        403,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        headers,
    )


def primary_rate_limit(reset_in: float = 0.0) -> Fault:
    reset = math.ceil(time.time() + reset_in)
    return Fault(
        403,
        "API rate limit exceeded for installation ID 1.",
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(reset),
        },
    )


def too_many_requests(retry_after: int = 0) -> Fault:
    return Fault(429, "Too many requests", {"Retry-After": str(retry_after)})


def server_error(
    status: int = 502, *, method: str | None = None, after_processing: bool = False
) -> Fault:
    return Fault(status, "Server Error", method=method, after_processing=after_processing)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the server's prefix
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # decoded JSON, or None


@dataclass
class Token:
    can_write: bool = True
    login: str = "github-actions[bot]"  # Actions' GITHUB_TOKEN writes as this bot user


class FakeGitHub(LoopbackWsgiServer):
    """The server; use as a context manager, or `start()` / `stop()`."""

    def __init__(self, *, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix.rstrip("/")
        self.tokens: dict[str, Token] = {}
        self.pull_requests: set[tuple[str, int]] = set()
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.deployments: list[dict[str, Any]] = []
        self.deployment_statuses: list[dict[str, Any]] = []
        self.merge_commits: dict[tuple[str, int], str] = {}  # pull request -> merge commit
        self.opened_pulls: list[dict[str, Any]] = []  # pull requests opened through the API
        self.requests: list[RecordedRequest] = []
        self.edited_by_others: list[int] = []  # ids of comments edited by another identity
        self.link_base: str | None = None  # overrides the host of pagination links
        self.answer_html = False  # answer 200 with a web page, as a wrong API URL would
        self._faults: list[Fault] = []
        self._next_id = 1000
        self._lock = threading.Lock()
        self._urls = Map(
            [
                Rule("/repos/<owner>/<name>/issues/<int:number>/comments", endpoint="comments"),
                Rule("/repos/<owner>/<name>/issues/comments/<int:comment_id>", endpoint="comment"),
                Rule("/repos/<owner>/<name>/statuses/<sha>", endpoint="statuses"),
                Rule("/repos/<owner>/<name>/deployments", endpoint="deployments"),
                Rule(
                    "/repos/<owner>/<name>/deployments/<int:deployment_id>/statuses",
                    endpoint="deployment_statuses",
                ),
                Rule("/repos/<owner>/<name>/commits/<sha>/pulls", endpoint="commit_pulls"),
                Rule("/repos/<owner>/<name>/pulls", endpoint="pulls"),
            ]
        )

    # -- setup and inspection ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base URL to give the client."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    @property
    def graphql_path(self) -> str:
        if self.prefix.endswith("/api/v3"):
            return self.prefix.removesuffix("/v3") + "/graphql"
        return self.prefix + "/graphql"

    def add_token(
        self, token: str, *, can_write: bool = True, login: str = "github-actions[bot]"
    ) -> None:
        self.tokens[token] = Token(can_write, login)

    def add_pull_request(self, repo: str, number: int) -> None:
        self.pull_requests.add((repo, number))
        self.comments.setdefault((repo, number), [])

    def add_comment(self, repo: str, number: int, body: str, *, user: str = "someone") -> int:
        with self._lock:
            return self._store_comment(repo, number, body, user)["id"]  # type: ignore[no-any-return]

    def comment_authors(self, repo: str, number: int) -> list[str]:
        with self._lock:
            return [comment["user"]["login"] for comment in self.comments.get((repo, number), [])]

    def comment_bodies(self, repo: str, number: int) -> list[str]:
        with self._lock:
            return [comment["body"] for comment in self.comments.get((repo, number), [])]

    def merge_pull_request(self, repo: str, number: int, sha: str) -> None:
        """Pull request `number` was merged as commit `sha`."""
        self.merge_commits[(repo, number)] = sha

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` requests (of `fault.method`, if set) with `fault`."""
        with self._lock:
            self._faults.extend([fault] * times)

    def writes(self) -> list[RecordedRequest]:
        """Requests that change something (a GraphQL query is a POST that does not)."""
        return [
            request
            for request in self.requests
            if request.method in ("POST", "PATCH") and request.path != "/graphql"
        ]

    # -- lifecycle -----------------------------------------------------------------------------

    # -- serving -------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        path = request.path
        if path == self.graphql_path:
            path = "/graphql"
        elif path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) :]
        else:
            return _error(404, "Not Found")
        body = request.get_json(silent=True) if request.data else None
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    request.method, path, dict(request.args), dict(request.headers), body
                )
            )
            fault = next((f for f in self._faults if f.method in (None, request.method)), None)
            if fault is not None:
                self._faults.remove(fault)
        if self.answer_html:
            return Response("<html><body>Sign in</body></html>", content_type="text/html")
        if fault is not None and not fault.after_processing:
            return _error(fault.status, fault.message, fault.headers)
        response = self._serve(request, path, body)
        if fault is not None:
            return _error(fault.status, fault.message, fault.headers)
        return response

    def _serve(self, request: Request, path: str, body: Any) -> Response:
        token = self._token(request)
        if token is None:
            return _error(401, "Bad credentials")
        if path == "/graphql":
            return _graphql(request, body, token)
        try:
            endpoint, args = self._urls.bind("fake").match(path, method=request.method)
        except NotFound:
            return _error(404, "Not Found")
        except HTTPException as error:
            return _error(error.code or 400, error.description or "bad request")
        if request.method != "GET" and not token.can_write:
            return _error(403, "Resource not accessible by integration")
        handler = getattr(self, f"_{endpoint}_{request.method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found")
        with self._lock:
            return handler(request, body, token, **args)  # type: ignore[no-any-return]

    def _token(self, request: Request) -> Token | None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.tokens.get(value)

    def _store_comment(self, repo: str, number: int, body: str, user: str) -> dict[str, Any]:
        self._next_id += 1
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": user},
            "html_url": f"{WEB_URL}/{repo}/pull/{number}#issuecomment-{self._next_id}",
            "created_at": now,
            "updated_at": now,
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def _comments_get(
        self, request: Request, _body: Any, _token: Token, owner: str, name: str, number: int
    ) -> Response:
        repo = f"{owner}/{name}"
        if (repo, number) not in self.pull_requests:
            return _error(404, "Not Found")
        per_page = min(int(request.args.get("per_page", "30")), 100)
        page = int(request.args.get("page", "1"))
        comments = self.comments[(repo, number)]
        last = max(1, math.ceil(len(comments) / per_page))
        response = _json(comments[(page - 1) * per_page : page * per_page])
        base = (self.link_base or request.host_url.rstrip("/")) + request.path
        links = [(page + 1, "next"), (last, "last")] if page < last else []
        links += [(1, "first"), (page - 1, "prev")] if page > 1 else []
        if links:
            response.headers["Link"] = ", ".join(
                f'<{base}?{urlencode({"per_page": per_page, "page": target})}>; rel="{rel}"'
                for target, rel in links
            )
        return response

    def _comments_post(
        self, _request: Request, body: Any, token: Token, owner: str, name: str, number: int
    ) -> Response:
        repo = f"{owner}/{name}"
        if (repo, number) not in self.pull_requests:
            return _error(404, "Not Found")
        invalid = _invalid_comment_body(body)
        if invalid is not None:
            return invalid
        return _json(self._store_comment(repo, number, body["body"], token.login), 201)

    def _comment_patch(
        self, _request: Request, body: Any, token: Token, owner: str, name: str, comment_id: int
    ) -> Response:
        repo = f"{owner}/{name}"
        found = [
            comment
            for (comment_repo, _), comments in self.comments.items()
            if comment_repo == repo
            for comment in comments
            if comment["id"] == comment_id
        ]
        if not found:
            return _error(404, "Not Found")
        if found[0]["user"]["login"].casefold() != token.login.casefold():
            # GitHub lets a repository's collaborators (and apps with write access) edit anyone's
            # comment: the server does not stop a hijack, the client has to.
            self.edited_by_others.append(comment_id)
        invalid = _invalid_comment_body(body)
        if invalid is not None:
            return invalid
        found[0]["body"] = body["body"]
        found[0]["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return _json(found[0])

    def _statuses_post(
        self, _request: Request, body: Any, _token: Token, owner: str, name: str, sha: str
    ) -> Response:
        repo = f"{owner}/{name}"
        if repo not in {pr_repo for pr_repo, _ in self.pull_requests}:
            return _error(404, "Not Found")
        if not isinstance(body, dict) or body.get("state") not in (
            "error",
            "failure",
            "pending",
            "success",
        ):
            return _error(422, "Validation Failed")
        if len(body.get("description") or "") > STATUS_DESCRIPTION_LIMIT:
            return _error(
                422,
                "Validation Failed",
                errors=["description is too long (maximum is 140 characters)"],
            )
        status = {"id": len(self.statuses) + 1, "sha": sha, "repo": repo, **body}
        self.statuses.append(status)
        return _json(status, 201)

    # -- deployments (GitHub's REST API: repos/deployments, deployment statuses) -------------

    def _repo_known(self, owner: str, name: str) -> bool:
        return f"{owner}/{name}" in {pr_repo for pr_repo, _ in self.pull_requests}

    def _deployments_get(
        self, request: Request, _body: Any, _token: Token, owner: str, name: str
    ) -> Response:
        if not self._repo_known(owner, name):
            return _error(404, "Not Found")
        wanted = {k: request.args[k] for k in ("sha", "environment", "ref") if k in request.args}
        found = [
            d
            for d in self.deployments
            if d["repo"] == f"{owner}/{name}" and all(d[k] == v for k, v in wanted.items())
        ]
        return _json(sorted(found, key=lambda d: -int(d["id"])))  # newest first, as GitHub

    def _deployments_post(
        self, _request: Request, body: Any, _token: Token, owner: str, name: str
    ) -> Response:
        if not self._repo_known(owner, name):
            return _error(404, "Not Found")
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
            return _error(422, "Validation Failed", errors=["ref wasn't supplied."])
        if body.get("required_contexts") != []:
            # GitHub checks every status context of the ref by default; ours are pending.
            return _error(409, "Conflict: Commit status checks failed for the ref.")
        self._next_id += 1
        deployment = {
            "id": self._next_id,
            "repo": f"{owner}/{name}",
            "sha": body["ref"],
            "ref": body["ref"],
            "environment": body.get("environment", "production"),
            "description": body.get("description"),
            "payload": body.get("payload") or {},
            "auto_merge": body.get("auto_merge", True),
        }
        self.deployments.append(deployment)
        return _json(deployment, 201)

    def _deployment_statuses_post(
        self, _request: Request, body: Any, _token: Token, owner: str, name: str, deployment_id: int
    ) -> Response:
        if not any(
            d["id"] == deployment_id and d["repo"] == f"{owner}/{name}" for d in self.deployments
        ):
            return _error(404, "Not Found")
        states = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
        if not isinstance(body, dict) or body.get("state") not in states:
            return _error(422, "Validation Failed")
        if len(body.get("description") or "") > STATUS_DESCRIPTION_LIMIT:
            return _error(422, "Validation Failed", errors=["description is too long"])
        status = {"id": len(self.deployment_statuses) + 1, "deployment_id": deployment_id, **body}
        self.deployment_statuses.append(status)
        return _json(status, 201)

    def _commit_pulls_get(
        self, _request: Request, _body: Any, _token: Token, owner: str, name: str, sha: str
    ) -> Response:
        repo = f"{owner}/{name}"
        if not self._repo_known(owner, name):
            return _error(404, "Not Found")
        pulls = [
            {
                "number": number,
                "state": "closed",
                "merge_commit_sha": merged,
                "merged_at": "2026-12-05T12:00:00Z",
            }
            for (pr_repo, number), merged in sorted(self.merge_commits.items())
            if pr_repo == repo and merged == sha
        ]
        return _json(pulls)

    def _pulls_get(
        self, request: Request, _body: Any, _token: Token, owner: str, name: str
    ) -> Response:
        if not self._repo_known(owner, name):
            return _error(404, "Not Found")
        head = request.args.get("head")  # GitHub's filter: "owner:branch"
        found = [
            pull
            for pull in self.opened_pulls
            if pull["repo"] == f"{owner}/{name}"
            and pull["state"] == request.args.get("state", "open")
            and (head is None or f"{owner}:{pull['head']['ref']}" == head)
            and request.args.get("base", pull["base"]["ref"]) == pull["base"]["ref"]
        ]
        return _json(found)

    def _pulls_post(
        self, _request: Request, body: Any, _token: Token, owner: str, name: str
    ) -> Response:
        repo = f"{owner}/{name}"
        if not self._repo_known(owner, name):
            return _error(404, "Not Found")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) and body[k] for k in ("title", "head", "base")
        ):
            return _error(422, "Validation Failed", errors=["title, head and base are required"])
        if any(
            p["repo"] == repo and p["head"]["ref"] == body["head"] and p["state"] == "open"
            for p in self.opened_pulls
        ):
            return _error(
                422,
                "Validation Failed",
                errors=[f"A pull request already exists for {owner}:{body['head']}."],
            )
        number = max((n for r, n in self.pull_requests if r == repo), default=0) + 1
        self.pull_requests.add((repo, number))
        pull = {
            "number": number,
            "repo": repo,
            "state": "open",
            "title": body["title"],
            "body": body.get("body") or "",
            "head": {"ref": body["head"]},
            "base": {"ref": body["base"]},
            "html_url": f"https://github.example/{repo}/pull/{number}",
        }
        self.opened_pulls.append(pull)
        return _json(pull, 201)


def _graphql(request: Request, body: Any, token: Token) -> Response:
    """The one query the client sends: `viewer { login }`; GitHub answers 200 even to errors."""
    if request.method != "POST":
        return _error(404, "Not Found")
    query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str) or "viewer" not in query or "login" not in query:
        return _json({"errors": [{"message": "this fake only answers viewer { login }"}]})
    return _json({"data": {"viewer": {"login": token.login}}})


def _invalid_comment_body(body: Any) -> Response | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
        return _error(422, "Invalid request", errors=['"body" wasn\'t supplied.'])
    if len(body["body"]) > COMMENT_LIMIT:
        return _error(
            422, "Validation Failed", errors=["Body is too long (maximum is 65536 characters)"]
        )
    return None


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    errors: list[str] | None = None,
) -> Response:
    payload: dict[str, Any] = {
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
    }
    if errors:
        payload["errors"] = [
            {"resource": "IssueComment", "code": "custom", "message": e} for e in errors
        ]
    response = _json(payload, status)
    response.headers.update(headers or {})
    return response
