"""Upstream repositories for the source tests: a bare repository and a clone to push from."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_IDENTITY = [
    "-c", "user.name=Test Author",
    "-c", "user.email=author@example.com",
    "-c", "commit.gpgsign=false",
    "-c", "init.defaultBranch=main",
]  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its stdout; fail the test with Git's stderr on error."""
    result = subprocess.run(
        ["git", *_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


class Upstream:
    """A bare repository (what a server serves) and a working clone that commits and pushes."""

    def __init__(
        self, root: Path, name: str = "fleet.git", branch: str = "main", *, create: bool = True
    ) -> None:
        self.root = root
        self.server_root = root / "server"
        self.bare = self.server_root / name
        self.work = root / f"work-{name.removesuffix('.git')}"
        self.branch = branch
        if create:
            self._create()

    def copy_to(self, root: Path) -> Upstream:
        """An independent copy of both repositories under `root` (faster than building anew)."""
        shutil.copytree(self.root, root, symlinks=True, dirs_exist_ok=True)
        copy = Upstream(root, self.bare.name, self.branch, create=False)
        git(copy.work, "remote", "set-url", "origin", str(copy.bare))
        return copy

    def _create(self) -> None:
        self.bare.mkdir(parents=True)
        git(self.bare, "init", "--quiet", "--bare", f"--initial-branch={self.branch}")
        self.work.mkdir()
        git(self.work, "init", "--quiet", f"--initial-branch={self.branch}")
        git(self.work, "remote", "add", "origin", str(self.bare))

    def commit(self, files: dict[str, str | None], message: str, *, push: bool = True) -> str:
        """Write (or with None delete) `files`, commit them, push; return the commit SHA."""
        for relative, content in files.items():
            target = self.work / relative
            if content is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
        git(self.work, "add", "--all")
        git(self.work, "commit", "--quiet", "--allow-empty", "-m", message)
        if push:
            self.push()
        return self.head()

    def push(self, *, force: bool = False) -> None:
        flags = ["--force"] if force else []
        git(self.work, "push", "--quiet", *flags, "origin", f"HEAD:refs/heads/{self.branch}")

    def rewrite_last_commit(self, files: dict[str, str | None], message: str) -> str:
        """Drop the last commit, commit `files` instead and force-push: rewritten history."""
        git(self.work, "reset", "--quiet", "--hard", "HEAD~1")
        sha = self.commit(files, message, push=False)
        self.push(force=True)
        return sha

    def delete_branch(self) -> None:
        git(self.bare, "update-ref", "-d", f"refs/heads/{self.branch}")

    def head(self) -> str:
        return git(self.work, "rev-parse", "HEAD")

    def file_url(self) -> str:
        return self.bare.as_uri()
