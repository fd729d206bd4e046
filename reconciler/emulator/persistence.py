"""Crash-safe persistence of the emulator's state: a snapshot plus an append-only journal.

    STATE            {"format": 1, "generation": N, "changes": [[kind, payload], ...]}
    STATE.journal    {"generation": N}            first line: which snapshot it continues
                     {"k": kind, "p": payload}    one line per change, fsync'd (`sync`) before
                     ...                          the client gets its answer

Every change is a full record of what changed ("this deployment is now ..."), so replaying a
change twice gives the same state. A request's changes cost one line each plus one fsync, O(1)
in the size of the state, and concurrent requests share their fsyncs. Compaction writes a new
snapshot (temp file, fsync, `os.replace`, fsync of the directory) with generation N+1, then
starts a new journal for N+1 the same way; a journal of an older generation than the snapshot
is already contained in it and is skipped. A last journal line without its newline (the
process was killed while writing it) was never acknowledged and is dropped; damage anywhere
else is reported, never silently repaired.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FORMAT = 1
Change = tuple[str, dict[str, Any]]


class StateFileError(Exception):
    """The state file cannot be read; the message says which file and what is wrong."""


class StateFile:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self._lock = threading.Lock()  # guards the file and the counters
        self._sync_lock = threading.Lock()  # one fsync at a time; taken before `_lock`
        self._fd: int | None = None
        self._written = 0  # journal lines written so far
        self._synced = 0  # of which known to be on disk
        self._generation = 0
        self.lines_since_compaction = 0

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> list[Change]:
        """Every change to replay, snapshot first, then the journal that continues it."""
        changes: list[Change] = []
        if self.path.exists():
            snapshot = self._read_snapshot()
            self._generation = int(snapshot["generation"])
            changes.extend((kind, payload) for kind, payload in snapshot["changes"])
        if self.journal_path.exists():
            changes.extend(self._read_journal())
        return changes

    def _read_snapshot(self) -> dict[str, Any]:
        try:
            snapshot = json.loads(self.path.read_bytes())
        except (OSError, ValueError) as error:
            raise StateFileError(f"State file {self.path} cannot be read: {error}") from error
        if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
            raise StateFileError(
                f"State file {self.path} is not an emulator state file (format {FORMAT})"
            )
        return snapshot

    def _read_journal(self) -> list[Change]:
        raw = self.journal_path.read_bytes()
        lines = raw.split(b"\n")
        # Everything after the last newline is a line whose write was cut short: drop it.
        complete, torn = lines[:-1], lines[-1]
        if torn:
            self._truncate_journal(len(raw) - len(torn))
        if not complete:
            return []
        header = self._parse_line(complete[0], 1)
        if int(header.get("generation", -1)) < self._generation:
            return []  # compacted into the snapshot already
        changes: list[Change] = []
        for number, line in enumerate(complete[1:], start=2):
            entry = self._parse_line(line, number)
            changes.append((entry["k"], entry["p"]))
        self.lines_since_compaction = len(changes)
        return changes

    def _parse_line(self, line: bytes, number: int) -> dict[str, Any]:
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not a JSON object")
            return entry
        except ValueError as error:
            raise StateFileError(
                f"Journal {self.journal_path} is damaged at line {number} ({error}); "
                "it was not written by the emulator or was modified since"
            ) from error

    def _truncate_journal(self, size: int) -> None:
        with self.journal_path.open("r+b") as handle:
            handle.truncate(size)
            handle.flush()
            os.fsync(handle.fileno())

    # -- writing ------------------------------------------------------------------------------

    def append(self, kind: str, payload: dict[str, Any]) -> None:
        """Write one change to the journal; `sync()` makes it durable."""
        line = json.dumps({"k": kind, "p": payload}, separators=(",", ":")).encode("utf-8")
        with self._lock:
            if self._fd is None:
                self._open_journal()
            assert self._fd is not None
            _write_all(self._fd, line + b"\n")
            self._written += 1
            self.lines_since_compaction += 1

    def sync(self) -> None:
        """Return once every change written so far is on disk (call before acknowledging).

        Requests that wrote concurrently share one fsync (group commit): the count of lines
        covered is taken before the fsync, so a line written during it gets a later one.
        """
        with self._sync_lock:
            with self._lock:
                target, fd = self._written, self._fd
            if target <= self._synced or fd is None:
                return
            os.fsync(fd)
            self._synced = target

    def compact(self, changes: Iterable[Change]) -> None:
        """Replace snapshot and journal by a snapshot of `changes` (the whole current state)."""
        with self._sync_lock, self._lock:
            generation = self._generation + 1
            snapshot = {
                "format": FORMAT,
                "generation": generation,
                "changes": [[kind, payload] for kind, payload in changes],
            }
            _atomic_write(self.path, json.dumps(snapshot, separators=(",", ":")).encode("utf-8"))
            self._close_journal()
            header = json.dumps({"generation": generation}).encode("utf-8") + b"\n"
            _atomic_write(self.journal_path, header)
            self._generation = generation
            self._synced = self._written  # all of it is in the snapshot, which is on disk
            self.lines_since_compaction = 0

    def close(self) -> None:
        with self._sync_lock, self._lock:
            self._close_journal()

    def _open_journal(self) -> None:
        if self._journal_generation() != self._generation:
            # Missing, emptied by a torn header, or already compacted into the snapshot: a new
            # journal must say which snapshot it continues before the first change goes in.
            header = json.dumps({"generation": self._generation}).encode("utf-8") + b"\n"
            _atomic_write(self.journal_path, header)
        self._fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)

    def _journal_generation(self) -> int | None:
        try:
            with self.journal_path.open("rb") as handle:
                first = handle.readline()
            return int(json.loads(first)["generation"]) if first.endswith(b"\n") else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _close_journal(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
