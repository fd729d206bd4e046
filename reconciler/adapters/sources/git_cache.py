"""Where a Git source keeps its checkout, and the lock that makes it one process's at a time.

    <cache_dir>/
      fleet-3f9a1c2b7d4e5f60/            the checkout of one (url, branch, shallow)
      fleet-3f9a1c2b7d4e5f60.partial/    a clone in progress; never read; deleted when found
      fleet-3f9a1c2b7d4e5f60.old/        the previous checkout while a new clone is swapped in
      fleet-3f9a1c2b7d4e5f60.lock        flock()ed during every fetch
      known_hosts                        SSH host keys accepted on first use

A clone is built in `.partial` and renamed into place only once it is complete and checked out,
so a crash in the middle of a clone never leaves a half-cloned checkout behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from reconciler.errors import SourceError

_SLUG_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class CacheLayout:
    """The paths a Git source uses inside `cache_dir`."""

    def __init__(self, cache_dir: Path, url: str, branch: str, *, shallow: bool) -> None:
        self.cache_dir = cache_dir.expanduser().resolve()
        identity = f"{url}\n{branch}\n{'shallow' if shallow else 'full'}"
        key = hashlib.sha256(identity.encode()).hexdigest()[:16]
        # The name is shown in messages: from the URL's path only, never its query.
        path = url.split("?", 1)[0].split("#", 1)[0]
        name = path.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
        slug = _SLUG_CHARS.sub("-", name).strip(".-")[:40] or "repo"
        self.checkout = self.cache_dir / f"{slug}-{key}"
        self.partial = self.cache_dir / f"{slug}-{key}.partial"
        self.previous = self.cache_dir / f"{slug}-{key}.old"
        self.lock_file = self.cache_dir / f"{slug}-{key}.lock"
        self.known_hosts = self.cache_dir / "known_hosts"

    def prepare(self) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SourceError(
                f"cannot create the Git cache directory {self.cache_dir}: {err}"
            ) from None

    def start_partial(self) -> Path:
        """An empty directory for a new clone (a leftover of an interrupted clone is removed)."""
        remove_tree(self.partial)
        self.partial.mkdir(parents=True)
        return self.partial

    def install_partial(self) -> None:
        """Make the completed clone in `partial` the checkout, replacing the previous one."""
        remove_tree(self.previous)
        if self.checkout.exists():
            self.checkout.rename(self.previous)
        self.partial.rename(self.checkout)
        remove_tree(self.previous)

    @contextlib.contextmanager
    def locked(self, timeout: float) -> Iterator[None]:
        """Hold the checkout's lock; another process using the same cache waits its turn.

        Raises `SourceError` when the lock is not free within `timeout` seconds.
        """
        self.prepare()
        descriptor = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SourceError(
                            f"the Git cache {self.checkout} is in use by another process "
                            f"(lock {self.lock_file} held for over {timeout:g} s)"
                        ) from None
                    time.sleep(0.1)
            yield
        finally:
            os.close(descriptor)  # closing the descriptor releases the lock


def remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
