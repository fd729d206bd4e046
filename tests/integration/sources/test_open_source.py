"""open_source: which kind of source a location opens, and the local-repository-as-Git rule."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from reconciler.adapters.sources import GitSource, LocalDirectorySource, open_source
from reconciler.adapters.sources.locations import is_git_url, parse_remote
from reconciler.errors import SourceError
from tests.integration.sources.repos import Upstream, git
from tests.integration.sources.waiting import wait_for


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/fleet.git",
        "http://127.0.0.1:8080/fleet.git",
        "ssh://git@github.com/org/fleet.git",
        "git@github.com:org/fleet.git",
        "github.com:org/fleet.git",
        "file:///srv/git/fleet.git",
        "git://example.com/fleet.git",
    ],
)
def test_urls_open_git_sources(url: str, tmp_path: Path) -> None:
    source = open_source(url, cache_dir=tmp_path)
    assert isinstance(source, GitSource)
    assert source.path.as_posix() == "deploy-specs" and source.branch == "main"


@pytest.mark.parametrize(
    "location", ["./deploy-specs", "/srv/specs", "specs", "./a:b", "-oProxyCommand=x:y", "C/x:y"]
)
def test_paths_are_no_urls(location: str) -> None:
    assert not is_git_url(location)


def test_a_plain_directory_opens_a_local_source(tmp_path: Path) -> None:
    (tmp_path / "deploy-specs").mkdir()
    source = open_source(str(tmp_path), cache_dir=tmp_path / "cache")
    assert isinstance(source, LocalDirectorySource)
    assert source.fetch().specs_root == tmp_path.resolve() / "deploy-specs"
    assert not (tmp_path / "cache").exists()


def test_a_local_repository_counts_only_committed_changes(
    upstream: Upstream, cache_dir: Path
) -> None:
    source = open_source(str(upstream.work), cache_dir=cache_dir)
    assert isinstance(source, GitSource)
    first = source.fetch()
    assert first.revision == upstream.head()
    assert source.checkout_dir != upstream.work  # read from a clone, never the working tree

    prod = upstream.work / "deploy-specs" / "groups" / "prod.yaml"
    prod.write_text("kind: Deployment\nname: uncommitted\n")
    assert source.fetch().revision == first.revision
    assert "uncommitted" not in (first.specs_root / "groups" / "prod.yaml").read_text()

    sha = upstream.commit({}, "Commit the edit", push=False)
    assert source.fetch().revision == sha


def test_prefer_directory_reads_the_working_tree(upstream: Upstream, cache_dir: Path) -> None:
    source = open_source(str(upstream.work), cache_dir=cache_dir, prefer="directory")
    assert isinstance(source, LocalDirectorySource)
    before = source.fetch()
    (upstream.work / "deploy-specs" / "groups" / "prod.yaml").write_text("uncommitted\n")
    assert source.fetch().revision != before.revision


def test_watching_a_local_repository_notices_commits(upstream: Upstream, cache_dir: Path) -> None:
    source = open_source(str(upstream.work), cache_dir=cache_dir, quiet_period=0.2)
    calls: list[int] = []
    lock = threading.Lock()

    def record() -> None:
        with lock:
            calls.append(1)

    source.watch(record)
    try:
        (upstream.work / "deploy-specs" / "groups" / "prod.yaml").write_text("edited\n")
        git(upstream.work, "add", "--all")  # the index changes, the branch does not
        time.sleep(0.6)
        assert calls == []
        git(upstream.work, "commit", "--quiet", "-m", "Edit")
        assert wait_for(lambda: len(calls) == 1)
        assert source.fetch().revision == upstream.head()
        git(upstream.work, "reset", "--quiet", "--hard", "HEAD~1")  # the branch moves back
        assert wait_for(lambda: len(calls) == 2)
        assert source.fetch().revision == upstream.head()
    finally:
        source.close()


def test_watching_a_remote_does_nothing(tmp_path: Path) -> None:
    source = open_source("https://github.com/org/fleet.git", cache_dir=tmp_path)
    source.watch(lambda: None)
    source.close()


def test_missing_location(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        open_source(str(tmp_path / "nowhere"), cache_dir=tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(SourceError, match="is not a directory"):
        open_source(str(tmp_path / "file"), cache_dir=tmp_path)


def test_bad_prefer_value(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="prefer"):
        open_source(str(tmp_path), cache_dir=tmp_path, prefer="working-tree")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("location", "url", "username", "password"),
    [
        ("https://u:p%40ss@host/x.git", "https://host/x.git", "u", "p@ss"),
        ("https://tok@host:8443/x.git", "https://host:8443/x.git", "tok", None),
        ("ssh://git@host/x.git", "ssh://git@host/x.git", "git", None),
        ("ssh://git:pw@host/x.git", "ssh://git@host/x.git", "git", "pw"),
        ("git@host:x.git", "git@host:x.git", None, None),
        ("https://host/x.git", "https://host/x.git", None, None),
        ("file://me:pa55word@/srv/x.git", "file:///srv/x.git", None, "pa55word"),
        ("file://me:pa55word@localhost/srv/x.git", "file://localhost/srv/x.git", None, "pa55word"),
    ],
)
def test_parse_remote_takes_credentials_out_of_urls(
    location: str, url: str, username: str | None, password: str | None
) -> None:
    remote = parse_remote(location)
    assert (remote.url, remote.username, remote.password) == (url, username, password)
    if password:
        assert password not in repr(remote)


def test_local_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    remote = parse_remote("repo")
    assert remote.url == str(tmp_path.resolve() / "repo")
    assert remote.local_dir == tmp_path.resolve() / "repo"
