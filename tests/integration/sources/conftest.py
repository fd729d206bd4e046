"""Fixtures: an isolated Git environment, an upstream repository, a Git server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sources.git_http_server import GitHttpServer
from tests.integration.sources.repos import Upstream

TOKEN = "ghs_sourceTestToken0123456789abcdef"
USER = "ci-bot"
SPECS = {
    "deploy-specs/groups/prod.yaml": "kind: Deployment\nname: prod\n",
    "README.md": "fleet\n",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Git sees neither the developer's configuration nor a repository around the test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_SSH_COMMAND", "GIT_SSH"):
        monkeypatch.delenv(name, raising=False)
    for name in ("TOKEN", "TOKEN_FILE", "USERNAME", "SSH_KEY_FILE"):
        monkeypatch.delenv(f"RECONCILER_GIT_{name}", raising=False)
    return home


@pytest.fixture(scope="session")
def upstream_template(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    repository = Upstream(tmp_path_factory.mktemp("upstream-template"))
    repository.commit({"README.md": "fleet\n"}, "Start")
    repository.commit(SPECS, "Add prod")
    return repository


@pytest.fixture
def upstream(upstream_template: Upstream, tmp_path: Path) -> Upstream:
    """A bare repository `fleet.git` whose `main` has two commits with specs (a fresh copy)."""
    return upstream_template.copy_to(tmp_path)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def git_server(upstream: Upstream) -> Iterator[GitHttpServer]:
    with GitHttpServer(upstream.server_root, users={USER: TOKEN}) as server:
        yield server


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "git-token"
    path.parent.mkdir()
    path.write_text(TOKEN + "\n", encoding="utf-8")
    return path
