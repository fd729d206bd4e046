"""A deterministic digest of the spec files in a directory: the "revision" of a plain directory.

The digest covers the relative path and the content of every file that can be part of the specs,
in a fixed order, so it changes exactly when the specs can have changed. Hidden files (and
everything under a hidden directory, `.git` included) are no specs (the loader skips them too),
and neither are editors' temporary files, which come and go while someone types.

Hashing every file at every fetch would be slow for a directory of large artifacts, so each
file's content digest is remembered together with its size, inode, mtime and ctime and reused
while those are unchanged (a content change always moves the ctime).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_TEMPORARY_SUFFIXES = (
    "~",  # Emacs, gedit, nano backups
    ".swp", ".swo", ".swx",  # Vim swap files
    ".tmp",  # atomic-save temporary files of many tools
    "___jb_tmp___", "___jb_old___",  # JetBrains "safe write"
)  # fmt: skip
_EMACS_AUTOSAVE = re.compile(r"^#.*#$")
_VIM_WRITE_PROBE = "4913"  # Vim creates and deletes this file to test if a directory is writable
_CHUNK = 1024 * 1024


def is_ignored(relative: PurePosixPath) -> bool:
    """Whether a path (relative to the specs root) is outside the specs: hidden or temporary."""
    if any(part.startswith(".") for part in relative.parts):
        return True
    name = relative.name
    return (
        name.endswith(_TEMPORARY_SUFFIXES)
        or _EMACS_AUTOSAVE.match(name) is not None
        or name == _VIM_WRITE_PROBE
    )


@dataclass(frozen=True)
class TreeDigest:
    value: str
    """Hex SHA-256 over the sorted (path, content digest) pairs."""
    file_count: int


_Signature = tuple[int, int, int, int, int]  # device, inode, size, mtime_ns, ctime_ns


class TreeDigester:
    """Computes `TreeDigest`s of directories, reusing file digests while files are unchanged.

    Not thread-safe; one per source, used under the source's lock.
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[_Signature, str]] = {}

    def digest(self, root: Path) -> TreeDigest:
        """Digest the spec files under `root`. Raises OSError when the tree cannot be read."""
        entries = sorted(self._files(root))
        seen: dict[str, tuple[_Signature, str]] = {}
        overall = hashlib.sha256()
        for relative, absolute in entries:
            file_digest = self._file_digest(absolute, seen)
            encoded = relative.encode("utf-8", "surrogateescape")
            # Length-prefixed, so no choice of file names can make two trees hash alike.
            overall.update(b"%d:%s %s\n" % (len(encoded), encoded, file_digest.encode()))
        self._known = seen  # forget files that are gone
        return TreeDigest(value=overall.hexdigest(), file_count=len(entries))

    def _file_digest(self, path: Path, seen: dict[str, tuple[_Signature, str]]) -> str:
        info = path.stat()
        signature = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        key = str(path)
        known = self._known.get(key)
        if known is not None and known[0] == signature:
            seen[key] = known
            return known[1]
        content = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                content.update(chunk)
        seen[key] = (signature, content.hexdigest())
        return content.hexdigest()

    @staticmethod
    def _files(root: Path) -> list[tuple[str, Path]]:
        """(relative POSIX path, absolute path) of every spec file; symlinks are followed once."""
        found: list[tuple[str, Path]] = []
        visited: set[tuple[int, int]] = set()

        def on_error(err: OSError) -> None:
            raise err

        for directory, subdirectories, files in os.walk(root, followlinks=True, onerror=on_error):
            here = Path(directory)
            info = here.stat()
            if (info.st_dev, info.st_ino) in visited:  # a symlink loop: do not walk it again
                subdirectories.clear()
                continue
            visited.add((info.st_dev, info.st_ino))
            relative_dir = PurePosixPath(here.relative_to(root).as_posix())
            subdirectories[:] = sorted(
                name for name in subdirectories if not is_ignored(relative_dir / name)
            )
            for name in files:
                relative = relative_dir / name
                absolute = here / name
                if is_ignored(relative) or not _is_regular_file(absolute):
                    continue
                found.append((relative.as_posix(), absolute))
        return found


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:  # a dangling symlink, or a file deleted while we walk
        return False
