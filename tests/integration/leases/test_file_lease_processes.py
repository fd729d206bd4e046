"""FileLease across real processes: a second process holds the lease, exits or gets killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.adapters.leases import FileLease
from tests.integration.leases.conftest import DURATION, GRACE

# Where expiry is not what a test is about, a lease long enough that a slow machine starting a
# child process (boto3 is imported on the way) never lets it run out in the middle of the test.
LONG = 60.0
REPO_ROOT = Path(__file__).resolve().parents[3]

# The child takes the lease, says whether it got it, then waits for a command on stdin:
# "exit" ends the process normally (atexit releases the lease), EOF likewise.
_CHILD = """
import sys
from pathlib import Path
from reconciler.adapters.leases import FileLease

lease = FileLease(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), grace=float(sys.argv[4]))
print("acquired" if lease.try_acquire() else "refused", flush=True)
sys.stdin.readline()
"""


class Child:
    def __init__(self, path: Path, identity: str, duration: float = LONG) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), identity, str(duration), str(GRACE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert self.process.stdout is not None
        self.answer = self.process.stdout.readline().strip()

    def exit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("exit\n")
        self.process.stdin.flush()
        assert self.process.wait(timeout=10) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def lease_path(tmp_path: Path) -> Path:
    return tmp_path / "leader.lease"


def test_a_lease_held_by_another_process_is_refused_until_it_exits(lease_path: Path) -> None:
    child = Child(lease_path, "child")
    assert child.answer == "acquired"
    ours = FileLease(lease_path, "parent", LONG, grace=GRACE)
    try:
        assert ours.try_acquire() is False
    finally:
        child.exit()

    # A normal exit released the lease: no need to wait for it to expire.
    assert ours.try_acquire() is True
    record = ours.holder()
    assert record is not None
    assert record.holder == "parent"


def test_a_killed_holder_s_lease_is_taken_once_it_expires(lease_path: Path) -> None:
    child = Child(lease_path, "child", duration=DURATION)
    assert child.answer == "acquired"
    child.kill()  # no atexit: the lease stays written until it expires
    ours = FileLease(lease_path, "parent", DURATION, grace=GRACE)
    left_behind = ours.holder()
    assert left_behind is not None
    assert left_behind.holder == "child"

    deadline = time.monotonic() + DURATION + GRACE + 2.0
    while not ours.try_acquire():
        assert time.monotonic() < deadline, "the dead holder's lease never expired"
        time.sleep(0.05)
    record = ours.holder()
    assert record is not None
    assert record.holder == "parent"
    assert record.transitions == 1
    # Taken once it had expired, not before: renewedAt + duration + grace.
    assert record.acquired_at > left_behind.renewed_at + DURATION + GRACE


def test_another_process_is_refused_while_we_hold_the_lease(lease_path: Path) -> None:
    ours = FileLease(lease_path, "parent", LONG, grace=GRACE)
    assert ours.try_acquire() is True

    child = Child(lease_path, "child")
    child.exit()

    assert child.answer == "refused"
    ours.release()
    second = Child(lease_path, "second-child")
    second.exit()
    assert second.answer == "acquired"
