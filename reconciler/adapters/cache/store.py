"""Immutable facts read from AWS, kept on disk between processes: a deployment revision's
document by deploymentId, a public component version's recipe by ARN.

Only facts that can never change for their key belong here: never a status, a listing or
"the latest" of anything. Every rule below keeps the cache from ever being needed for
correctness: any entry may vanish at any time and is then read from AWS again.

- One file per entry, `<root>/<kind>/<2 hex>/<sha256 of the key>`, holding a header line (format
  tag and the sha256 of the body) and a JSON body that repeats the kind and the key. An entry
  whose checksum, JSON or key does not verify is deleted and counts as a miss: a torn write, a
  flipped bit or a file copied under another name is never served.
- Writes go to a temporary file in the same directory, then an atomic rename: readers (of this
  or any other process) see the old entry, the new one or none, never half of one. Two
  processes writing the same key write the same fact; the last rename wins.
- Bounded: a hit touches the file's modification time, and `trim()` deletes the least recently
  used entries once the total size passes `max_bytes`.
- Nothing here raises: an unreadable, unwritable or deleted directory makes every read a miss
  and every write a no-op (the process then pays the API calls it would pay without a cache).

A checksum detects corruption, not a lie: an entry rewritten with a valid checksum is served.
Callers check what they can against fresh data (see `GreengrassGateway`), and the cache is
trusted like the rest of the machine's disk; docs/cache.md says what that means.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _log() -> Any:
    """The cache's logger. structlog is imported when the cache first logs (a discarded entry,
    a failed write, a trim): a CLI plan logs nothing here, and importing structlog (which
    imports rich where it is installed) is a tenth of that process's start."""
    import structlog

    return structlog.get_logger("reconciler.cache")


_MAGIC = b"greengrass-reconciler-fact/1"
_TEMP_PREFIX = ".tmp-"
_STALE_TEMP_SECONDS = 3600.0  # a temporary file this old belongs to a process that died


@dataclass
class CacheCounts:
    hits: int = 0
    misses: int = 0
    discarded: int = 0
    writes: int = 0
    evicted: int = 0


class FactCache:
    """A directory of checksummed, atomically written, size-bounded immutable facts."""

    def __init__(self, root: Path, *, max_bytes: int = 256 * 1024 * 1024) -> None:
        if max_bytes < 1:
            raise ValueError("the cache's size bound must be positive")
        self.root = root.expanduser()
        self._root_text = os.fspath(self.root)
        self.max_bytes = max_bytes
        self.counts = CacheCounts()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ entries
    def path_of(self, kind: str, key: str) -> Path:
        return Path(self._file_of(kind, key))

    def _file_of(self, kind: str, key: str) -> str:
        # As text: a plan reads thousands of entries, and pathlib's joins cost a third of a read.
        digest = hashlib.sha256(f"{kind}\0{key}".encode()).hexdigest()
        return os.path.join(self._root_text, kind, digest[:2], digest)  # noqa: PTH118

    def get(self, kind: str, key: str) -> Any | None:
        """The value stored under (kind, key), or None (missing, or failed verification)."""
        path = self._file_of(kind, key)
        try:
            with open(path, "rb") as file:  # noqa: PTH123  (a text path, see _file_of)
                data = file.read()
        except OSError:
            self._count("misses")
            return None
        value = _decode(data, kind, key)
        if value is None:
            _log().warning("cache entry failed verification, discarded", path=path)
            self.discard(kind, key)
            self._count("misses")
            self._count("discarded")
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently *used*: a hit makes the entry young again
        self._count("hits")
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store a JSON value under (kind, key); failures are logged, never raised."""
        path = self.path_of(kind, key)
        body = json.dumps(
            {"kind": kind, "key": key, "value": value}, sort_keys=True, separators=(",", ":")
        ).encode()
        data = _MAGIC + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                Path(temporary).replace(path)
            except BaseException:
                _unlink(Path(temporary))
                raise
        except OSError as error:
            _log().debug("cache write failed", path=str(path), error=str(error))
            return
        self._count("writes")

    def discard(self, kind: str, key: str) -> None:
        _unlink(self.path_of(kind, key))

    # ------------------------------------------------------------------ the bound
    def trim(self) -> int:
        """Delete the least recently used entries while the cache holds more than `max_bytes`
        (down to 90% of it, so that every write does not trim again); return how many."""
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        for path in _files(self.root):
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted meanwhile (another process trimmed)
            if path.name.startswith(_TEMP_PREFIX):
                if now - stat.st_mtime > _STALE_TEMP_SECONDS:
                    _unlink(path)
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return 0
        goal = self.max_bytes * 9 // 10
        evicted = 0
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= goal:
                break
            _unlink(path)
            total -= size
            evicted += 1
        self._count("evicted", evicted)
        _log().info("cache trimmed", evicted=evicted, bytes=total, bound=self.max_bytes)
        return evicted

    def size_bytes(self) -> int:
        total = 0
        for path in _files(self.root):
            try:
                total += path.stat().st_size
            except OSError:
                continue
        return total

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self.counts, name, getattr(self.counts, name) + amount)


def _decode(data: bytes, kind: str, key: str) -> Any | None:
    header, newline, body = data.partition(b"\n")
    magic, _, checksum = header.partition(b" ")
    if not newline or magic != _MAGIC or hashlib.sha256(body).hexdigest().encode() != checksum:
        return None
    try:
        entry = json.loads(body)
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("kind") != kind or entry.get("key") != key:
        return None  # a valid entry of another key, copied or renamed onto this one
    return entry.get("value")


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for directory, _subdirectories, names in os.walk(root):
        found.extend(Path(directory) / name for name in names)
    return found


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
