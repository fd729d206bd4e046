"""The fleet repository of a test: a bare remote (served as `file://`) and a clone to push from.

Built on the source tests' `Upstream`; adds what the reliability tests do to a fleet repository:
edit a spec and push, rewrite history and force-push, and take the remote away for a while; and
`follow`, a controller's reconcile cycle on it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.adapters.sources.credentials import GitCredentials
from reconciler.adapters.sources.factory import open_source
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.status import ControllerStatus
from reconciler.settings import ReconcilerSettings
from tests.integration.sources.git_http_server import GitHttpServer
from tests.integration.sources.repos import Upstream, git

SPECS_DIR = "deploy-specs"
HTTP_USER, HTTP_TOKEN = "fleet-ci", "reliability-git-token"


class FleetRepo:
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    @classmethod
    def create(cls, root: Path, specs: Path) -> FleetRepo:
        """A remote whose `main` holds a copy of `specs` under deploy-specs/, in one commit."""
        upstream = Upstream(root)
        shutil.copytree(specs, upstream.work / SPECS_DIR)
        upstream.commit({}, "Sample fleet")
        return cls(upstream)

    @property
    def url(self) -> str:
        return self.upstream.file_url()

    def head(self) -> str:
        return self.upstream.head()

    def spec_path(self, relative: str) -> Path:
        return self.upstream.work / SPECS_DIR / relative

    def edit(self, relative: str, old: str, new: str, message: str = "Edit") -> str:
        """Replace `old` by `new` in one spec file, commit, push; return the commit SHA."""
        text = self.spec_path(relative).read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {relative}"
        return self.write({relative: text.replace(old, new)}, message)

    def write(self, files: dict[str, str | None], message: str) -> str:
        """Write (None: delete) spec files, commit, push; return the commit SHA."""
        return self.upstream.commit(
            {f"{SPECS_DIR}/{relative}": content for relative, content in files.items()}, message
        )

    def rewrite_last(self, relative: str, old: str, new: str, message: str) -> str:
        """Drop the last commit, commit this edit in its place, force-push; return its SHA."""
        previous = self.upstream.head()
        git(self.upstream.work, "reset", "--quiet", "--hard", "HEAD~1")
        text = self.spec_path(relative).read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {relative}"
        self.spec_path(relative).write_text(text.replace(old, new), encoding="utf-8")
        sha = self.upstream.commit({}, message, push=False)
        self.upstream.push(force=True)
        assert sha != previous
        return sha

    @contextmanager
    def over_http(self) -> Iterator[tuple[str, GitCredentials]]:
        """The remote served by `git http-backend` on loopback: a remote nobody watches, so
        only polls and webhooks bring its commits (a `file://` remote is watched locally)."""
        with GitHttpServer(self.upstream.server_root, users={HTTP_USER: HTTP_TOKEN}) as server:
            yield (
                server.url(self.upstream.bare.name),
                GitCredentials(token=HTTP_TOKEN, username=HTTP_USER),
            )

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        """The remote is gone (as a server that went away) inside the block, back after it."""
        moved = self.upstream.bare.with_name(self.upstream.bare.name + ".away")
        self.upstream.bare.rename(moved)
        try:
            yield
        finally:
            moved.rename(self.upstream.bare)


def follow(repo: FleetRepo, cache: Path, endpoint_url: str | None = None) -> Reconciler:
    """A controller's reconcile cycle following `main` of the repository (no leader lease)."""
    settings = ReconcilerSettings(cache_dir=cache, lock="none", endpoint_url=endpoint_url)
    source = open_source(repo.url, branch="main", path=SPECS_DIR, cache_dir=cache)
    return Reconciler(source=source, settings=settings, status=ControllerStatus())
