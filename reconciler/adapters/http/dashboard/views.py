"""What the dashboard shows, computed from the status documents `/status` serves.

Pure functions over plain dicts (ControllerStatus snapshots): the fleet table's rows, their
filtering, sorting and paging, the device bar's segments and the rollout plot's points. A
rollout may be the documented object (`state`, `devices`, `failing`...), an older controller's
plain string, or null: every reader here takes all three.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SYNC_STATES = (
    "Synced",
    "OutOfSync",
    "Drifted",
    "Failed",
    "Pruning",
    "Pruned",
    "Unknown",
    "Halted",
    "Suspended",
    "RolledBack",
    "Waiting",
)
ROLLOUT_STATES = ("Progressing", "Succeeded", "Degraded", "Failed", "Superseded", "Canceled")
SORT_KEYS = ("group", "sync", "rollout", "progress", "failed", "unhealthy", "changed")
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50

# The device bar's segments, in the order drawn: (count key, CSS class, label).
DEVICE_SEGMENTS = (
    ("succeeded", "ok", "succeeded"),
    ("inProgress", "busy", "in progress"),
    ("queued", "queued", "queued"),
    ("failed", "bad", "failed"),
    ("timedOut", "late", "timed out"),
    ("rejected", "refused", "rejected"),
)
_FAILURE_KEYS = ("failed", "timedOut", "rejected")


def rollout_of(value: Any) -> dict[str, Any]:
    """The documented rollout object from what /status holds: the object itself, a plain state
    string (older controllers), or null."""
    if isinstance(value, Mapping):
        devices = value.get("devices")
        return {
            "state": str(value.get("state") or ""),
            "revisionId": value.get("revisionId"),
            "deploymentId": value.get("deploymentId"),
            "devices": dict(devices) if isinstance(devices, Mapping) else {},
            "failing": [f for f in value.get("failing") or [] if isinstance(f, Mapping)],
            "unhealthy": _count(value.get("unhealthy")),
            "since": value.get("since"),
            "topError": value.get("topError"),
        }
    state = str(value) if isinstance(value, str) else ""
    return {"state": state, "revisionId": None, "deploymentId": None, "devices": {},
            "failing": [], "unhealthy": 0, "since": None, "topError": None}  # fmt: skip


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and value > 0 else 0


@dataclass(frozen=True)
class Segment:
    css: str
    label: str
    count: int
    x: float  # percent of the bar
    width: float


@dataclass(frozen=True)
class GroupRow:
    name: str
    spec_file: str
    sync: str
    live_revision: str
    rollout: dict[str, Any]
    last_change: dict[str, Any] | None
    error: str | None

    @property
    def devices(self) -> Mapping[str, Any]:
        return self.rollout["devices"]  # type: ignore[no-any-return]

    @property
    def targeted(self) -> int:
        return max(0, _count(self.devices.get("total")) - _count(self.devices.get("removed")))

    @property
    def failures(self) -> int:
        return sum(_count(self.devices.get(key)) for key in _FAILURE_KEYS)

    @property
    def progress(self) -> float:
        targeted = self.targeted
        return _count(self.devices.get("succeeded")) / targeted if targeted else 0.0

    @property
    def segments(self) -> list[Segment]:
        return device_segments(self.devices)


def device_segments(devices: Mapping[str, Any]) -> list[Segment]:
    """The bar's segments, as percentages of the devices drawn (REMOVED and CANCELED are not)."""
    counts = [(css, label, _count(devices.get(key))) for key, css, label in DEVICE_SEGMENTS]
    total = sum(count for _, _, count in counts)
    segments: list[Segment] = []
    x = 0.0
    for css, label, count in counts:
        if count and total:
            width = 100.0 * count / total
            segments.append(Segment(css, label, count, round(x, 3), round(width, 3)))
            x += width
    return segments


def fleet_rows(
    snapshot: Mapping[str, Any], known: dict[str, tuple[Any, GroupRow]] | None = None
) -> list[GroupRow]:
    """A row per group of the /status document. `known` keeps rows between calls: a group whose
    document is the very object of the previous call (ControllerStatus shares unchanged ones)
    keeps its row."""
    targets = snapshot.get("targets")
    rows: list[GroupRow] = []
    for name, target in (targets or {}).items():
        if not isinstance(target, Mapping):
            continue
        if known is not None:
            previous = known.get(name)
            if previous is not None and previous[0] is target:
                rows.append(previous[1])
                continue
        row = _row(str(name), target)
        rows.append(row)
        if known is not None:
            known[name] = (target, row)
    if known is not None and len(known) > len(rows):
        names = {row.name for row in rows}
        for name in [n for n in known if n not in names]:
            del known[name]
    return rows


def _row(name: str, target: Mapping[str, Any]) -> GroupRow:
    change = target.get("lastChange")
    return GroupRow(
        name=name,
        spec_file=str(target.get("specFile") or ""),
        sync=str(target.get("sync") or ""),
        live_revision=str(target.get("revisionId") or ""),
        rollout=rollout_of(target.get("rollout")),
        last_change=dict(change) if isinstance(change, Mapping) else None,
        # The row's "why" mark: the last error, else why a held group is not applied.
        error=str(target.get("lastError") or target.get("reason") or "") or None,
    )


@dataclass(frozen=True)
class FleetQuery:
    """The table's filter, sort and page, from the query string (unknown values: defaults)."""

    search: str = ""
    sync: str = ""
    rollout: str = ""
    sort: str = "group"
    descending: bool = False
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> FleetQuery:
        def number(name: str, default: int) -> int:
            text = args.get(name, "")
            return int(text) if text.isdigit() and len(text) < 7 else default

        size = number("size", DEFAULT_PAGE_SIZE)
        sort = args.get("sort", "group")
        return cls(
            search=args.get("q", "")[:200],
            sync=args.get("sync", "") if args.get("sync") in SYNC_STATES else "",
            rollout=args.get("rollout", "") if args.get("rollout") in ROLLOUT_STATES else "",
            sort=sort if sort in SORT_KEYS else "group",
            descending=args.get("dir") == "desc",
            page=max(1, number("page", 1)),
            size=size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        )

    def args(self, **changes: Any) -> dict[str, str]:
        """The query string of this view with `changes`, defaults left out (for links)."""
        values = {
            "q": self.search,
            "sync": self.sync,
            "rollout": self.rollout,
            "sort": self.sort if self.sort != "group" else "",
            "dir": "desc" if self.descending else "",
            "page": str(self.page) if self.page != 1 else "",
            "size": str(self.size) if self.size != DEFAULT_PAGE_SIZE else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class FleetPage:
    rows: list[GroupRow]
    matched: int
    total: int
    page: int
    pages: int
    query: FleetQuery
    by_sync: dict[str, int] = field(default_factory=dict)
    by_rollout: dict[str, int] = field(default_factory=dict)


def _sort_key(sort: str) -> Any:
    keys: dict[str, Any] = {
        "group": lambda r: r.name.lower(),
        "sync": lambda r: (r.sync, r.name.lower()),
        "rollout": lambda r: (r.rollout["state"], r.name.lower()),
        "progress": lambda r: (r.progress, r.name.lower()),
        "failed": lambda r: (r.failures, r.name.lower()),
        "unhealthy": lambda r: (r.rollout["unhealthy"], r.name.lower()),
        "changed": lambda r: ((r.last_change or {}).get("at") or 0.0, r.name.lower()),
    }
    return keys[sort]


def select(rows: Sequence[GroupRow], query: FleetQuery) -> FleetPage:
    """Filter, sort and cut one page: the browser only ever gets `query.size` rows."""
    needle = query.search.lower()
    matched = [
        row
        for row in rows
        if (not needle or needle in row.name.lower() or needle in row.spec_file.lower())
        and (not query.sync or row.sync == query.sync)
        and (not query.rollout or row.rollout["state"] == query.rollout)
    ]
    matched.sort(key=_sort_key(query.sort), reverse=query.descending)
    pages = max(1, -(-len(matched) // query.size))
    page = min(query.page, pages)
    start = (page - 1) * query.size
    by_sync: dict[str, int] = {}
    by_rollout: dict[str, int] = {}
    for row in rows:
        by_sync[row.sync] = by_sync.get(row.sync, 0) + 1
        if row.rollout["state"]:
            by_rollout[row.rollout["state"]] = by_rollout.get(row.rollout["state"], 0) + 1
    return FleetPage(
        rows=matched[start : start + query.size],
        matched=len(matched),
        total=len(rows),
        page=page,
        pages=pages,
        query=query,
        by_sync=by_sync,
        by_rollout=by_rollout,
    )


@dataclass(frozen=True)
class Plot:
    """The rollout over time as SVG polylines in a `width` x `height` box."""

    width: int
    height: int
    succeeded: str  # "x,y x,y ..." for <polyline points>
    failed: str
    top: int  # the device count at the top of the box
    seconds: float  # the time the box spans


def rollout_plot(
    samples: Sequence[Sequence[float]], *, width: int = 480, height: int = 120
) -> Plot | None:
    """Devices succeeded and failed against time, from `[epoch, succeeded, failed, pending]`
    samples (None with fewer than one sample)."""
    points = [s for s in samples if len(s) >= 3]
    if not points:
        return None
    start, end = float(points[0][0]), float(points[-1][0])
    span = max(end - start, 1.0)
    top = max(1, *(int(max(s[1], s[2])) for s in points))

    def line(index: int) -> str:
        coordinates: list[str] = []
        previous: float | None = None
        for sample in points:
            x = round((float(sample[0]) - start) / span * width, 1)
            y = round(height - float(sample[index]) / top * height, 1)
            if previous is not None:
                coordinates.append(f"{x},{previous}")  # a step: counts hold until they move
            coordinates.append(f"{x},{y}")
            previous = y
        if len(points) == 1:
            coordinates.append(f"{width},{previous}")
        return " ".join(coordinates)

    return Plot(width, height, line(1), line(2), top, end - start)


# A pull request number in a merge commit's subject, as GitHub and GitLab write them:
# "Merge pull request #12 from ...", "Title (#12)", "See merge request group/repo!12".
_PULL_REQUEST = re.compile(r"^Merge pull request #(\d+) |\(#(\d+)\)$")


def repository_web_url(source: str) -> str | None:
    """The web page of a Git source on an https or scp-style URL (credentials removed); None
    for a local directory or a URL whose host has no such page."""
    text = source.strip()
    match = re.fullmatch(r"[\w.-]+@([\w.-]+):([\w./-]+?)(?:\.git)?/?", text)
    if match:
        return f"https://{match.group(1)}/{match.group(2)}"
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http", "ssh") or not parts.hostname:
        return None
    path = parts.path.rstrip("/").removesuffix(".git")
    if not re.fullmatch(r"(/[\w.-]+){2,}", path):
        return None
    port = f":{parts.port}" if parts.port and parts.scheme != "ssh" else ""
    scheme = "https" if parts.scheme == "ssh" else parts.scheme
    return f"{scheme}://{parts.hostname}{port}{path}"


def commit_links(repository: str | None, change: Mapping[str, Any] | None) -> dict[str, str]:
    """Links to a change's commit and pull request, when the repository has web pages and the
    commit subject names the pull request."""
    if not repository or not change:
        return {}
    links: dict[str, str] = {}
    commit = str(change.get("commit") or "")
    if re.fullmatch(r"[0-9a-f]{7,64}", commit):
        links["commit"] = f"{repository}/commit/{commit}"
    match = _PULL_REQUEST.search(str(change.get("subject") or ""))
    if match:
        links["pull"] = f"{repository}/pull/{match.group(1) or match.group(2)}"
    return links
