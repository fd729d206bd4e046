"""The read-only file tree the spec loader reads, and the limits it enforces while reading.

The loader never touches the filesystem itself: a directory (`reconciler.adapters.spec_files`),
a Git commit, or a dictionary in a test all present the same small interface.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

MIB = 1024 * 1024


class SpecTree(Protocol):
    """A read-only tree of files addressed by POSIX paths relative to the specs root.

    `read_bytes`, `size` and `sha256` raise `OSError` when a listed file cannot be read; the
    loader reports that as a problem of the file instead of crashing.
    """

    def list_files(self) -> Sequence[str]:
        """Every regular file of the tree (e.g. `groups/prod.yaml`), in any order."""
        ...

    def read_bytes(self, path: str) -> bytes:
        """The content of a listed file."""
        ...

    def size(self, path: str) -> int:
        """The size in bytes of a listed file (cheap: the loader checks it before reading)."""
        ...

    def sha256(self, path: str) -> str:
        """The hex SHA-256 digest of a listed file's content."""
        ...

    def resolves_inside(self, path: str) -> bool:
        """False when the file is a symlink (or lies under one) that leads outside the root, or
        to a hidden path or a Git directory inside it (`.git/config`): only files of the specs
        are read, hashed or uploaded."""
        ...


@dataclass(frozen=True)
class SpecLimits:
    """Guards against oversized or hostile input; the defaults suit any real repository."""

    max_document_bytes: int = 1 * MIB
    """Spec documents and recipes larger than this are rejected unread."""
    max_artifact_bytes: int = 512 * MIB
    """Local artifact files (uploaded by `apply`) larger than this are rejected."""
    max_nodes: int = 100_000
    """Values per file, counting every expansion of a YAML alias (stops alias bombs)."""
    max_depth: int = 100
    """Nesting depth of mappings and lists per file."""
    max_characters: int = 2 * MIB
    """Characters of keys and strings per file, counting every expansion of a YAML alias (a
    large string anchored once and aliased many times is small on disk, huge in memory). The
    same bound holds for a Deployment or DeploymentBase merged with what it `extends`."""
    max_alias_values: int = 500_000
    """Values that YAML aliases add, summed over every file of the tree: the per-file bounds
    alone would let many small files each expand to the limit."""
    max_alias_characters: int = 16 * MIB
    """Characters that YAML aliases add, summed over every file of the tree."""
    max_resolved_characters: int = 32 * MIB
    """JSON text of the distinct configurations and tags the resolved Deployments hold, summed
    over the tree: `extends` lets every small Deployment copy a large base and change one key."""
    max_extends_depth: int = 32
    """DeploymentBases one document may reach through `extends`, itself excluded."""


class InMemorySpecTree:
    """A `SpecTree` over a mapping of path -> content (tests, sources read into memory)."""

    def __init__(self, files: Mapping[str, bytes], *, escaping: frozenset[str] = frozenset()):
        """`escaping` names files to treat as symlinks that leave the specs (see
        `SpecTree.resolves_inside`)."""
        self._files = dict(files)
        self._escaping = escaping

    def list_files(self) -> Sequence[str]:
        return sorted(self._files)

    def read_bytes(self, path: str) -> bytes:
        return self._content(path)

    def size(self, path: str) -> int:
        return len(self._content(path))

    def sha256(self, path: str) -> str:
        return hashlib.sha256(self._content(path)).hexdigest()

    def resolves_inside(self, path: str) -> bool:
        return path not in self._escaping

    def _content(self, path: str) -> bytes:
        try:
            return self._files[path]
        except KeyError:
            raise FileNotFoundError(path) from None
