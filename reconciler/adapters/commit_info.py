"""Which commit the specs come from, for provenance tags and plan headers."""

from __future__ import annotations

import os
from pathlib import Path

import git


def describe_commit(path: Path) -> str | None:
    """The commit SHA of the repository holding `path` (`-dirty` when it has local changes).

    CI systems check out detached heads or shallow copies; their own variables win when set.
    """
    for variable in ("RECONCILER_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        repo = git.Repo(path, search_parent_directories=True)
        sha = repo.head.commit.hexsha
        dirty = repo.is_dirty(untracked_files=True, path=str(path.resolve()))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandError):
        return None
    return f"{sha}-dirty" if dirty else sha
