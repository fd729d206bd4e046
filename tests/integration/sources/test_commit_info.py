"""`describe_commit` reads a repository the reconciler did not create without running any of
the programs that repository's configuration names (fsmonitor, hooks, filters)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reconciler.adapters.commit_info import describe_commit
from tests.integration.sources.repos import git


@pytest.fixture(autouse=True)
def no_ci_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("RECONCILER_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA"):
        monkeypatch.delenv(variable, raising=False)


def _program(path: Path, marker: Path, name: str, then: str = "") -> Path:
    """An executable that records `name` in `marker` when run."""
    path.write_text(f"#!/bin/sh\necho {name} >> '{marker}'\n{then}", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def booby_trapped(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose configuration runs programs on `git status`, and the file they write.

    `core.fsmonitor` runs on every index refresh, the `post-index-change` hook whenever the
    refreshed index is written, and the clean filter for every file whose timestamp changed.
    """
    repo, marker = tmp_path / "checkout", tmp_path / "ran.txt"
    (repo / "deploy-specs").mkdir(parents=True)
    (repo / "deploy-specs" / "fleet.yaml").write_text("kind: Deployment\n", encoding="utf-8")
    (repo / ".gitattributes").write_text("*.yaml filter=evil\n", encoding="utf-8")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "Specs")
    fsmonitor = _program(tmp_path / "fsmonitor", marker, "fsmonitor", "exit 1\n")
    filter_program = _program(tmp_path / "clean", marker, "filter", "exec cat\n")
    git(repo, "config", "core.fsmonitor", str(fsmonitor))
    git(repo, "config", "filter.evil.clean", str(filter_program))
    _program(repo / ".git" / "hooks" / "post-index-change", marker, "hook")
    time.sleep(1.1)  # a new timestamp: Git must look at the file's content again
    os.utime(repo / "deploy-specs" / "fleet.yaml")
    # The traps are armed: plain `git status` in this repository runs all three.
    git(repo, "status", "--porcelain")
    assert set(marker.read_text().split()) == {"fsmonitor", "filter", "hook"}
    marker.unlink()
    time.sleep(1.1)
    os.utime(repo / "deploy-specs" / "fleet.yaml")
    return repo, marker


def test_reading_the_commit_runs_no_program_of_the_repository(
    booby_trapped: tuple[Path, Path],
) -> None:
    repo, marker = booby_trapped

    described = describe_commit(repo / "deploy-specs")

    assert described == git(repo, "rev-parse", "HEAD")  # clean: the content did not change
    assert not marker.exists(), marker.read_text()


def test_changes_still_make_the_commit_dirty(booby_trapped: tuple[Path, Path]) -> None:
    repo, marker = booby_trapped
    head = git(repo, "rev-parse", "HEAD")
    specs = repo / "deploy-specs"

    (specs / "fleet.yaml").write_text("kind: Deployment\nname: x\n", encoding="utf-8")
    assert describe_commit(specs) == f"{head}-dirty"
    (specs / "fleet.yaml").write_text("kind: Deployment\n", encoding="utf-8")
    assert describe_commit(specs) == head
    (specs / "new.yaml").write_text("kind: Deployment\n", encoding="utf-8")
    assert describe_commit(specs) == f"{head}-dirty"
    (specs / "new.yaml").unlink()
    (repo / "elsewhere.txt").write_text("outside the specs\n", encoding="utf-8")
    assert describe_commit(specs) == head
    assert not marker.exists(), marker.read_text()


def test_outside_a_repository_there_is_no_commit(tmp_path: Path) -> None:
    assert describe_commit(tmp_path) is None
    assert describe_commit(tmp_path / "missing") is None
