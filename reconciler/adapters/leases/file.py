"""A lease in a local file, for replicas on one machine (local runs, the README demo).

Every read-modify-write of the file happens under an exclusive `fcntl.flock`, so of two
processes (or two lease objects in one process: each opens its own file description) racing for
a free lease exactly one writes itself in. The holder and its renewal time are written in the
file as JSON, which is what makes expiry work: a holder that hangs or is killed stops renewing,
and once `renewedAt + durationSeconds + grace` has passed another replica takes the lease.

The lock is held only for the few microseconds of each update, never for the whole tenure: a
tenure-long lock could not be taken from a hung holder. A holder that exits normally releases
the lease (an `atexit` hook backs up `LeaderElector.stop()`), so a successor need not wait.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from reconciler.adapters.leases.base import (
    DEFAULT_GRACE_SECONDS,
    LeaseError,
    LeaseRecord,
    new_record,
    record_from_document,
    record_to_document,
)

_log = logging.getLogger(__name__)


class FileLease:
    """A lease kept in `path`; `identity` must be unique to the process (see default_identity)."""

    def __init__(
        self,
        path: Path,
        identity: str,
        duration: float,
        *,
        grace: float = DEFAULT_GRACE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if duration <= 0:
            raise ValueError("a lease duration must be positive")
        self.path = Path(path)
        self.identity = identity
        self.duration = duration
        self.grace = grace
        self._clock = clock
        self._exit_hook_registered = False

    def try_acquire(self) -> bool:
        with self._locked() as handle:
            record = _read(handle, self.path)
            now = self._clock()
            if record is not None and not record.free_for(self.identity, now=now, grace=self.grace):
                return False
            if record is None:
                taken = new_record(self.identity, now=now, duration=self.duration)
            else:
                taken = record.taken_by(self.identity, now=now, duration=self.duration)
            _write(handle, taken)
        self._register_exit_hook()
        return True

    def renew(self) -> bool:
        with self._locked() as handle:
            record = _read(handle, self.path)
            if record is None or record.holder != self.identity:
                return False
            _write(handle, record.renewed(now=self._clock()))
        return True

    def release(self) -> None:
        with self._locked() as handle:
            record = _read(handle, self.path)
            if record is not None and record.holder == self.identity:
                _write(handle, record.released(now=self._clock()))
        self._unregister_exit_hook()

    def holder(self) -> LeaseRecord | None:
        """The record in the file now (for status pages and tests); None when there is none."""
        with self._locked() as handle:
            return _read(handle, self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # "a+b" creates the file without truncating it; reads and rewrites seek explicitly.
            handle = self.path.open("a+b")
        except OSError as error:
            raise LeaseError(
                f"cannot open the lease file {self.path}: {error.strerror}; check that its "
                "directory exists and is writable by this user",
                temporary=False,
            ) from error
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _register_exit_hook(self) -> None:
        if not self._exit_hook_registered:
            atexit.register(self._release_at_exit)
            self._exit_hook_registered = True

    def _unregister_exit_hook(self) -> None:
        if self._exit_hook_registered:
            atexit.unregister(self._release_at_exit)
            self._exit_hook_registered = False

    def _release_at_exit(self) -> None:
        try:
            self.release()
        except LeaseError as error:  # exiting anyway: the lease will expire on its own
            _log.warning("could not release the lease file at exit: %s", error)


def _read(handle: IO[bytes], path: Path) -> LeaseRecord | None:
    handle.seek(0)
    raw = handle.read()
    if not raw.strip():
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    record = record_from_document(document)
    if record is None:
        _log.warning("the lease file %s holds no lease record; treating the lease as free", path)
    return record


def _write(handle: IO[bytes], record: LeaseRecord) -> None:
    # Append mode would ignore the seek, so truncate and write the whole document anew; readers
    # take the same lock and never see it half-written.
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(record_to_document(record), indent=2).encode() + b"\n")
    handle.flush()
