"""The benchmark fleet as a Git repository, the way a controller follows it.

`FleetRepo` keeps the generated specs under `deploy-specs/` of a local repository and commits
changes to it. `GitDaemon` serves that repository over `git://` so that a controller can follow
it as a *remote*: a local path would also be watched for commits (inotify), and the webhook and
polling latencies must be measured without that shortcut.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import free_port, stop
from bench.workload import group_name, write_fleet, write_group

SPECS_PATH = "deploy-specs"
_IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@greengrass-reconciler.invalid"]


@dataclass(frozen=True)
class Commit:
    sha: str
    done_at: float  # epoch seconds right after `git commit` returned: the commit exists


class FleetRepo:
    """A local Git repository holding a generated fleet of `groups` thing groups."""

    def __init__(self, path: Path, groups: int) -> None:
        self.path = path
        self.groups = groups

    @property
    def specs_root(self) -> Path:
        return self.path / SPECS_PATH

    @classmethod
    def create(cls, path: Path, groups: int) -> FleetRepo:
        path.mkdir(parents=True, exist_ok=True)
        write_fleet(path / SPECS_PATH, groups)
        repo = cls(path, groups)
        repo._git("init", "--quiet", "--initial-branch=main")
        repo._git("add", SPECS_PATH)
        repo._git("commit", "--quiet", "-m", f"{groups} thing groups")
        return repo

    def change_group(self, index: int, *, interval: int) -> Commit:
        """Commit a new InferenceInterval for one group: one revision to create."""
        write_group(self.specs_root, index, interval=interval)
        return self._commit(f"{group_name(index)}: InferenceInterval {interval}")

    def touch_without_change(self, note: str, *, group: int | None = None) -> Commit:
        """Commit a YAML comment: the specs tree changes, the desired state does not, so the
        controller plans every group and finds nothing to do (a warm no-op, as a full cycle).

        In the base by default (the controller loads every file again), or in one group's
        file (it parses that one only)."""
        if group is None:
            path = self.specs_root / "base.yaml"
        else:
            path = self.specs_root / "groups" / f"group-{group:05d}.yaml"
        path.write_text(path.read_text() + f"# {note}\n")
        return self._commit(f"Comment only: {note}")

    def head(self) -> str:
        return self._git("rev-parse", "HEAD").strip()

    def _commit(self, message: str) -> Commit:
        self._git("commit", "--quiet", "-a", "-m", message)
        done_at = time.time()
        return Commit(self.head(), done_at)

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *_IDENTITY, *args],
            cwd=self.path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout


class GitDaemon:
    """`git daemon` serving the repositories under `base` on a free local port."""

    def __init__(self, base: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                f"--base-path={base}",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                str(base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_listening()

    def url(self, repository: str) -> str:
        return f"git://127.0.0.1:{self.port}/{repository}"

    def _wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"git daemon exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                    return
            except OSError:
                time.sleep(0.05)
        stop(self.process)
        raise SystemExit("git daemon did not start listening")

    def close(self) -> None:
        stop(self.process, timeout=5.0)
