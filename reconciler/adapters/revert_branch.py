"""The Git side of `reconciler rollback --revert-pr`: the commits since a given one that touched
the specs, and a branch that reverts some of them on top of the checkout's HEAD, pushed to a
remote.

The branch is made in a temporary worktree (`git worktree add`), so the operator's checkout,
index and working tree are never touched; the worktree is removed afterwards (the branch
stays, and a second run reuses it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.adapters.sources.git_commands import require_git
from reconciler.adapters.spec_history import export_specs_at
from reconciler.errors import ReconcilerError

# A rollback reverts what a few pull requests did; past this many commits since the good one,
# reverting them all is not what anyone means, and reading each commit's specs costs time.
MAX_COMMITS = 50


class RevertBranchError(ReconcilerError):
    """The revert branch cannot be made or pushed (with Git's reason)."""


@dataclass(frozen=True)
class SpecCommit:
    sha: str
    subject: str


class SpecRepository:
    """The Git repository holding the specs directory `specs_path`."""

    def __init__(self, specs_path: Path) -> None:
        require_git()
        import git  # only now: GitPython refuses to be imported without the `git` program

        try:
            self._repo: Any = git.Repo(specs_path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
            raise RevertBranchError(
                f"--revert-pr needs the specs in a Git checkout; {specs_path} is not in one"
            ) from error
        if self._repo.working_tree_dir is None:
            raise RevertBranchError(f"{specs_path} is in a bare Git repository")
        self.top = Path(self._repo.working_tree_dir).resolve()
        self.specs_path = specs_path.resolve()
        self.relative = PurePosixPath(self.specs_path.relative_to(self.top).as_posix())

    def close(self) -> None:
        self._repo.close()

    def head(self) -> str:
        return str(self._repo.head.commit.hexsha)

    def branch(self) -> str | None:
        """The branch checked out, None on a detached HEAD."""
        return None if self._repo.head.is_detached else str(self._repo.active_branch.name)

    def commits_since(self, since: str) -> list[SpecCommit]:
        """The commits after `since` up to HEAD that touched the specs, oldest first (merge
        commits left out: their changes are in the commits they merged)."""
        import git

        try:
            self._repo.commit(since)
        except (git.BadName, ValueError, git.GitCommandError) as error:
            raise RevertBranchError(
                f"commit {since[:12]} (recorded on the good revision) is not in {self.top}: "
                "fetch it, or roll back without --revert-pr"
            ) from error
        if not self._repo.is_ancestor(since, "HEAD"):
            raise RevertBranchError(
                f"commit {since[:12]} is not an ancestor of HEAD: check out the branch the "
                "controller follows"
            )
        commits = [
            SpecCommit(c.hexsha, str(c.summary))
            for c in self._repo.iter_commits(
                f"{since}..HEAD", paths=str(self.relative), no_merges=True
            )
        ]
        if len(commits) > MAX_COMMITS:
            raise RevertBranchError(
                f"{len(commits)} commits touched the specs since {since[:12]} (at most "
                f"{MAX_COMMITS} are reverted): revert by hand"
            )
        return list(reversed(commits))

    def parent(self, sha: str) -> str | None:
        parents = self._repo.commit(sha).parents
        return str(parents[0].hexsha) if parents else None

    def export(self, sha: str, into: Path) -> Path | None:
        """The specs directory as of `sha`, written under `into` (None: it did not exist)."""
        return export_specs_at(self.specs_path, sha, into)

    @contextmanager
    def reverting(self, branch: str, commits: Sequence[SpecCommit]) -> Iterator[Path]:
        """A worktree on a new `branch` from HEAD with `commits` reverted (newest first), one
        revert commit each; yields the specs directory in it. A revert that conflicts stops
        everything (nothing is left behind)."""
        with tempfile.TemporaryDirectory(prefix="reconciler-revert-") as scratch:
            tree = Path(scratch) / "tree"
            self._git("worktree", "add", "-B", branch, str(tree), "HEAD", action="worktree")
            reverted = False
            try:
                worktree = self._repo.__class__(tree)
                try:
                    for commit in reversed(commits):
                        try:
                            worktree.git.revert("--no-edit", commit.sha)
                        except Exception as error:
                            worktree.git.revert("--abort")
                            raise RevertBranchError(
                                f"reverting {commit.sha[:12]} ({commit.subject}) conflicts with "
                                "later commits: revert by hand"
                            ) from error
                    reverted = True
                    yield tree / str(self.relative)
                finally:
                    worktree.close()
            finally:
                self._git("worktree", "remove", "--force", str(tree), action="worktree")
                if not reverted:
                    self._git("branch", "-D", branch, action="branch")

    def push(self, remote: str, branch: str) -> None:
        self._git("push", "--force-with-lease", remote, f"{branch}:{branch}", action="push")

    def _git(self, *args: str, action: str) -> str:
        import git

        try:
            return str(self._repo.git.execute(["git", *args]))
        except git.GitCommandError as error:
            detail = str(error.stderr or error).strip().splitlines()
            raise RevertBranchError(
                f"git {action} failed: {detail[-1] if detail else error}"
            ) from error
