"""`python -m reconciler ...` as a real child process, its output kept in a file.

Output goes to a file rather than a pipe, so a chatty child never blocks on a full pipe and a
test can read what it said so far while it runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ReconcilerProcess:
    def __init__(self, args: list[str], output: Path, env: dict[str, str] | None = None) -> None:
        self.output = output
        self._file = output.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_for(
        self,
        condition: Callable[[], bool],
        what: str,
        timeout: float = 60.0,
        interval: float = 0.05,
    ) -> None:
        """Poll `condition` until it holds; fail with the child's output if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if not self.running():
                break
            time.sleep(interval)
        if condition():
            return
        raise AssertionError(
            f"{what}: not seen within {timeout:.0f} s (child exit code {self.process.poll()}); "
            f"its output:\n{self.text()[-4000:]}"
        )

    def kill(self) -> None:
        """kill -9: no cleanup, no atexit, no flush."""
        if self.running():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._file.close()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as an orchestrator stops a container; SIGKILL if it does not exit."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._file.close()
        return self.process.returncode

    def wait(self, timeout: float = 120.0) -> int:
        code = self.process.wait(timeout=timeout)
        self._file.close()
        return code
