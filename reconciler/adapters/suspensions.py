"""Where operators' stops live outside Git: one JSON file in the controller's cache dir.

It holds suspensions (`reconciler suspend`/`resume`, the HTTP API) and rollbacks (`reconciler
rollback`: which revision an operator put back, so the controller does not fight it). They write
it, the controller reads it
every cycle, so a suspension survives restarts and is seen by the next cycle whoever wrote it.
Writes replace the file atomically (a temporary file renamed over it), under an exclusive
`flock` on a side file, so two writers (the CLI and the HTTP API) never lose each other's
entry and a reader never sees half a file. A file that cannot be read as suspensions is an
error, never "nothing suspended": a broken stop button must not release the fleet.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reconciler.core.suspension import RollbackRecord, Suspension
from reconciler.errors import ReconcilerError

FILE_NAME = "suspensions.json"


class SuspensionStoreError(ReconcilerError):
    """The suspensions file cannot be read or written."""


class SuspensionStore:
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / FILE_NAME

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> tuple[dict[str, Suspension], dict[str, RollbackRecord]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, {}
        except OSError as error:
            raise SuspensionStoreError(f"cannot read {self.path}: {error.strerror}") from error
        try:
            document = json.loads(text)
            groups = document["groups"]
            rollbacks = document.get("rollbacks", {})
            return (
                {str(name): Suspension.from_json(entry) for name, entry in groups.items()},
                {str(name): RollbackRecord.from_json(entry) for name, entry in rollbacks.items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise SuspensionStoreError(
                f"{self.path} is not a suspensions file ({error}); fix or delete it "
                "(deleting it resumes every group an operator suspended or rolled back)"
            ) from error

    def load(self) -> dict[str, Suspension]:
        """Every recorded suspension by group (`*`: all groups), expired ones included."""
        return self._read()[0]

    def rollbacks(self) -> dict[str, RollbackRecord]:
        """Every recorded rollback by group."""
        return self._read()[1]

    def suspend(self, group: str, suspension: Suspension) -> None:
        with self._locked():
            current, rollbacks = self._read()
            current[group] = suspension
            self._write(current, rollbacks)

    def resume(self, group: str) -> bool:
        """Remove the operator's suspension of `group`; False when there was none."""
        with self._locked():
            current, rollbacks = self._read()
            if current.pop(group, None) is None:
                return False
            self._write(current, rollbacks)
            return True

    def record_rollback(self, group: str, record: RollbackRecord) -> None:
        with self._locked():
            current, rollbacks = self._read()
            rollbacks[group] = record
            self._write(current, rollbacks)

    def forget_rollback(self, group: str) -> bool:
        with self._locked():
            current, rollbacks = self._read()
            if rollbacks.pop(group, None) is None:
                return False
            self._write(current, rollbacks)
            return True

    def _write(
        self, suspensions: dict[str, Suspension], rollbacks: dict[str, RollbackRecord]
    ) -> None:
        document = {
            "groups": {g: s.to_json() for g, s in sorted(suspensions.items())},
            "rollbacks": {g: r.to_json() for g, r in sorted(rollbacks.items())},
        }
        handle, temporary = tempfile.mkstemp(prefix=".suspensions-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            Path(temporary).replace(self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise SuspensionStoreError(f"cannot write {self.path}: {error.strerror}") from error
