"""A plain local directory as the source of desired state (the working tree, edits count at once).

There is no history to fall back on: the specs are whatever the directory holds when they are
read, and `last_good` names the directory and digest of the last successful `fetch()` (the files
themselves are live). The revision is a digest of the spec files, so `changed_since` tells real
edits from mere events (an editor saving an unchanged file, a swap file coming and going).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from reconciler.adapters.sources.base import SourceRevision, normalize_specs_path
from reconciler.adapters.sources.digest import TreeDigest, TreeDigester, is_ignored
from reconciler.adapters.sources.watching import ChangeWatcher, WatchedDirectory
from reconciler.errors import SourceError

_READ_ATTEMPTS = 3  # files renamed or deleted while we read them: read the tree again

_log = logging.getLogger(__name__)


class LocalDirectorySource:
    """The specs in `root / path` of a local directory, watched with watchdog when asked."""

    def __init__(
        self,
        root: Path,
        path: str = ".",
        *,
        quiet_period: float = 0.3,
        max_delay: float = 3.0,
    ) -> None:
        self.root = root.expanduser().resolve()
        self.specs_root = self.root.joinpath(*normalize_specs_path(path).parts)
        self._quiet_period = quiet_period
        self._max_delay = max_delay
        self._digester = TreeDigester()
        self._lock = threading.Lock()
        self._last_good: SourceRevision | None = None
        self._watcher: ChangeWatcher | None = None

    @property
    def last_good(self) -> SourceRevision | None:
        return self._last_good

    def fetch(self) -> SourceRevision:
        """Digest the spec files now. Raises `SourceError` when the directory cannot be read."""
        with self._lock:
            self._require_directory()
            digest = self._read_digest()
            revision = SourceRevision(
                specs_root=self.specs_root,
                revision=digest.value,
                description=f"local dir {self.specs_root} (digest {digest.value[:12]})",
                committed_at=None,
                content_id=digest.value,
            )
            self._last_good = revision
            return revision

    def watch(self, on_change: Callable[[], None]) -> None:
        """Call `on_change` once per burst of edits to spec files (hidden and temporary files
        do not count). Raises `SourceError` when the directory does not exist."""
        with self._lock:
            if self._watcher is not None:
                raise RuntimeError(f"already watching {self.specs_root}")
            self._require_directory()
            watched = WatchedDirectory(self.specs_root, self._is_spec_path)
            try:
                self._watcher = ChangeWatcher(
                    [watched],
                    on_change,
                    quiet_period=self._quiet_period,
                    max_delay=self._max_delay,
                )
            except OSError as err:
                raise SourceError(f"cannot watch {self.specs_root}: {err}") from None
            _log.info("watching %s for changes", self.specs_root)

    def close(self) -> None:
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def _require_directory(self) -> None:
        if self.specs_root.is_dir():
            return
        hint = ""
        if self.specs_root != self.root and self.root.is_dir():
            hint = f" (inside {self.root}; if that directory holds the specs itself, use path '.')"
        raise SourceError(f"the specs directory {self.specs_root} does not exist{hint}")

    def _read_digest(self) -> TreeDigest:
        for _ in range(_READ_ATTEMPTS):
            try:
                return self._digester.digest(self.specs_root)
            except FileNotFoundError:
                continue  # an editor replaced a file under our feet; the next walk sees it
            except OSError as err:
                raise SourceError(f"cannot read the specs in {self.specs_root}: {err}") from None
        raise SourceError(
            f"the specs in {self.specs_root} kept changing while being read; will try again"
        )

    def _is_spec_path(self, path: Path) -> bool:
        try:
            relative = path.relative_to(self.specs_root)
        except ValueError:
            return False
        return not is_ignored(PurePosixPath(relative.as_posix()))
