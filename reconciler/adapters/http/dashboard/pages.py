"""The dashboard's pages: the fleet table, a group's page, and their static files.

Every page is rendered on the server with Jinja2 from the same documents /status serves
(`ControllerStatus.snapshot()`, and `group_detail()` for one group): there is no second copy
of the state. Nothing here writes: every route is GET, and no page has a form that posts.

Safety: Jinja2 escapes every value (autoescape), and every string first goes through
`printable`, so a spec's control or bidirectional characters show as escapes instead of acting
on the page. The Content-Security-Policy allows only this server's own script and style files
(no inline script or style at all), and forbids framing. An optional bearer token, compared in
constant time, guards every dashboard route.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from werkzeug.wrappers import Request, Response

from reconciler.adapters.http.dashboard import views
from reconciler.core.printable import printable

_log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_STATIC_TYPES = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
DEFAULT_REFRESH_SECONDS = 3


@dataclass(frozen=True)
class DashboardSource:
    """Where the pages read: the /status document, and one group's detail (None: unknown)."""

    fleet: Callable[[], Mapping[str, Any]]
    group: Callable[[str], Mapping[str, Any] | None]


def _shown(value: Any) -> Any:
    """Jinja2's `finalize`: strings with their control characters written as escapes."""
    if isinstance(value, Markup):  # the templates' own markup (macros), not data
        return value
    return printable(value) if isinstance(value, str) else value


def _when(epoch: Any) -> str:
    if not isinstance(epoch, int | float) or epoch <= 0:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(epoch: Any, now: float) -> str:
    if not isinstance(epoch, int | float) or epoch <= 0:
        return ""
    seconds = max(0, int(now - epoch))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _short(value: Any) -> str:
    return str(value or "")[:12]


class Dashboard:
    """Renders the dashboard's routes; `handle` answers one request."""

    def __init__(
        self,
        source: DashboardSource,
        *,
        token: str | None = None,
        repository_url: str | None = None,
        refresh_seconds: int = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self._token = token.encode("utf-8") if token else None
        self.repository_url = repository_url
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        # Rows of the groups whose status documents did not change (views.fleet_rows).
        self._rows: dict[str, tuple[Any, views.GroupRow]] = {}
        self._rows_lock = threading.Lock()
        self._env = Environment(
            loader=PackageLoader("reconciler.adapters.http.dashboard", "templates"),
            autoescape=True,
            finalize=_shown,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(when=_when, short=_short, path=lambda v: quote(str(v), safe=""))
        self._env.globals.update(
            segments=views.device_segments,
            sync_states=views.SYNC_STATES,
            rollout_states=views.ROLLOUT_STATES,
            sort_keys=views.SORT_KEYS,
            page_sizes=views.PAGE_SIZES,
            urlencode=urlencode,
        )
        files = resources.files("reconciler.adapters.http.dashboard") / "static"
        self._static = {name: (files / name).read_bytes() for name in _STATIC_TYPES}

    # ------------------------------------------------------------------ requests
    def handle(self, request: Request, endpoint: str, values: Mapping[str, Any]) -> Response:
        if not self._authorized(request):
            return Response(
                "a bearer token is required\n",
                status=401,
                content_type="text/plain; charset=utf-8",
                headers={**_PAGE_HEADERS, "WWW-Authenticate": 'Bearer realm="dashboard"'},
            )
        if endpoint == "ui_static":
            return self._static_file(values.get("name", ""))
        partial = request.args.get("partial") == "1"
        try:
            if endpoint == "ui_group":
                return self._group(values.get("name", ""), partial=partial)
            return self._fleet(request, partial=partial)
        except Exception:
            _log.exception("the dashboard could not render %s", endpoint)
            return self._html(500, "error.html", message="the page could not be rendered")

    def _authorized(self, request: Request) -> bool:
        if self._token is None:
            return True
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        # compare_digest takes as long whatever the first differing byte: no timing oracle.
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8"), self._token
        )

    def _static_file(self, name: str) -> Response:
        body = self._static.get(name)
        if body is None:
            return self._html(404, "error.html", message="no such file")
        return Response(
            body,
            status=200,
            content_type=f"{_STATIC_TYPES[name]}; charset=utf-8",
            headers={**_PAGE_HEADERS, "Cache-Control": "max-age=300"},
        )

    def _html(self, status: int, template: str, **context: Any) -> Response:
        text = self._env.get_template(template).render(
            now=self._clock(), refresh=self.refresh_seconds, **context
        )
        return Response(
            text, status=status, content_type="text/html; charset=utf-8", headers=_PAGE_HEADERS
        )

    # ------------------------------------------------------------------ pages
    def fleet_page(self, args: Mapping[str, str], *, partial: bool = False) -> str:
        """The fleet table's HTML for the query `args` (the whole page, or its live part)."""
        snapshot = self.source.fleet()
        with self._rows_lock:  # waitress serves requests on several threads
            rows = views.fleet_rows(snapshot, self._rows)
        page = views.select(rows, views.FleetQuery.from_args(args))
        template = "fleet_live.html" if partial else "fleet.html"
        now = self._clock()
        return self._env.get_template(template).render(
            now=now,
            ago=lambda epoch: _ago(epoch, now),
            refresh=self.refresh_seconds,
            status=snapshot,
            page=page,
        )

    def _fleet(self, request: Request, *, partial: bool) -> Response:
        text = self.fleet_page(request.args.to_dict(), partial=partial)
        return Response(
            text, status=200, content_type="text/html; charset=utf-8", headers=_PAGE_HEADERS
        )

    def _group(self, name: str, *, partial: bool) -> Response:
        detail = self.source.group(name)
        if detail is None:
            return self._html(404, "error.html", message=f"no thing group {name!r} is planned")
        now = self._clock()
        rollout = views.rollout_of(detail.get("rollout"))
        change = detail.get("lastChange")
        revisions = [dict(r) for r in detail.get("revisions") or []]
        text = self._env.get_template("group_live.html" if partial else "group.html").render(
            now=now,
            ago=lambda epoch: _ago(epoch, now),
            refresh=self.refresh_seconds,
            name=name,
            group=detail,
            rollout=rollout,
            change=change,
            links=views.commit_links(self.repository_url, change),
            revisions=[
                {**r, "links": views.commit_links(self.repository_url, r)}
                for r in reversed(revisions)
            ],
            plan_lines=str(detail.get("planText") or "").splitlines(),
            plot=views.rollout_plot(detail.get("rolloutSamples") or []),
        )
        return Response(
            text, status=200, content_type="text/html; charset=utf-8", headers=_PAGE_HEADERS
        )
