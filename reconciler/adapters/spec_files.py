"""Read deploy-specs from a directory: `LocalSpecTree` and `load_spec_set`.

The pure loader (`reconciler.core.specs`) sees the directory only through the `SpecTree`
interface implemented here.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from reconciler.core.specs import (
    InvalidSpecsError,
    SpecLimits,
    SpecProblem,
    SpecSet,
    SpecSnapshot,
    load_specs,
    reload_specs,
)
from reconciler.core.specs.fields import AccountId, Region
from reconciler.core.specs.local_files import is_hidden
from reconciler.core.specs.parsing import parse_values
from reconciler.errors import SpecError

_HASH_CHUNK = 1024 * 1024


class LocalSpecTree:
    """The regular files under `root`, as POSIX paths relative to it.

    Hidden files and directories (`.git`, `.github`, ...) are skipped, symlinked directories are
    not followed, and special files (FIFOs, devices) are left out: reading them could block.
    A listed file that is a symlink must resolve to a file of the tree itself: not outside the
    root, not into a hidden path (a CI checkout's `.git/config` may hold the job's token), not
    into a Git directory of any name (`resolves_inside`).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root = root.resolve()
        self._digests: dict[str, str] = {}
        # Whether each directory is a Git directory, asked once per tree (a tree serves one
        # load): every file of a directory would otherwise stat its ancestors again.
        self._git_directories: dict[Path, bool] = {}

    def list_files(self) -> Sequence[str]:
        found: list[str] = []
        for directory, subdirectories, names in os.walk(self.root, followlinks=False):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            for name in sorted(names):
                if name.startswith("."):
                    continue
                path = Path(directory, name)
                try:
                    is_regular = stat.S_ISREG(path.stat().st_mode)
                except OSError:  # a dangling symlink: not a file of the tree
                    continue
                if is_regular:
                    found.append(path.relative_to(self.root).as_posix())
        return found

    def read_bytes(self, path: str) -> bytes:
        return self._path(path).read_bytes()

    def size(self, path: str) -> int:
        return self._path(path).stat().st_size

    def sha256(self, path: str) -> str:
        if path not in self._digests:
            digest = hashlib.sha256()
            with self._path(path).open("rb") as stream:
                while chunk := stream.read(_HASH_CHUNK):
                    digest.update(chunk)
            self._digests[path] = digest.hexdigest()
        return self._digests[path]

    def resolves_inside(self, path: str) -> bool:
        try:
            target = self._path(path).resolve(strict=True)
            relative = target.relative_to(self._real_root)
        except (ValueError, OSError, RuntimeError):  # outside, dangling, or a symlink loop
            return False
        if is_hidden(relative.as_posix()):
            return False
        return not any(
            self._is_git_directory(self._real_root / parent) for parent in relative.parents
        )

    def _is_git_directory(self, directory: Path) -> bool:
        known = self._git_directories.get(directory)
        if known is None:
            known = self._git_directories[directory] = _is_git_directory(directory)
        return known

    def _path(self, path: str) -> Path:
        return self.root / path


def _is_git_directory(directory: Path) -> bool:
    # What Git itself looks for; a bare repository or a `.git` renamed carries no dot.
    return (
        (directory / "HEAD").is_file()
        and (directory / "objects").is_dir()
        and (directory / "refs").is_dir()
    )


SETTINGS_FILES = ("reconciler.yaml", "reconciler.yml")
_REGION: TypeAdapter[str] = TypeAdapter(Region)
_ACCOUNT: TypeAdapter[str] = TypeAdapter(AccountId)
"""Where a specs root conventionally keeps its Settings (any file may hold them)."""


def settings_hint(root: Path, limits: SpecLimits | None = None) -> tuple[str, str] | None:
    """(region, account) as the conventional Settings file states them, read before the specs
    load (so that reads which do not depend on them can start); None when that file is not
    there, not a Settings document, or not readable. Only a hint: the loaded Settings decide."""
    for name in SETTINGS_FILES:
        path = root / name
        try:
            if path.is_symlink() or not path.is_file():
                continue
            limits = limits or SpecLimits()
            if path.stat().st_size > limits.max_document_bytes:
                return None
            parsed = parse_values(name, path.read_bytes(), limits)
        except (OSError, SpecError):
            return None
        document = parsed.value if parsed is not None else None
        spec = document.get("spec") if isinstance(document, dict) else None
        if not isinstance(document, dict) or document.get("kind") != "Settings":
            return None
        try:  # checked as the Settings are: no call goes to a region the specs would refuse
            region = _REGION.validate_python(spec.get("region") if isinstance(spec, dict) else None)
            account = _ACCOUNT.validate_python(
                spec.get("accountId") if isinstance(spec, dict) else None
            )
        except ValidationError:
            return None
        return region, account
    return None


def load_spec_set(root: Path, limits: SpecLimits | None = None) -> SpecSet:
    """Load, check and resolve the specs under `root` (e.g. `deploy-specs`).

    Raises `InvalidSpecsError` (a `SpecError`) listing every problem, including a `root` that is
    not a directory.
    """
    _check_root(root)
    return load_specs(LocalSpecTree(root), limits).spec_set


class SpecDirectoryLoader:
    """Loads one directory again and again, parsing only the Deployments that changed since
    the last load that succeeded: the controller's load on every commit (at 10,000 groups a
    full load takes seconds and tens of MB; a commit usually touches a few files)."""

    def __init__(self, limits: SpecLimits | None = None) -> None:
        self.limits = limits
        self._last: SpecSnapshot | None = None

    def load(self, root: Path) -> SpecSet:
        _check_root(root)
        tree = LocalSpecTree(root)
        last, self._last = self._last, None
        snapshot = reload_specs(tree, last, self.limits) if last is not None else None
        # A full load must not hold the last spec set too: drop it first.
        del last
        if snapshot is None:
            snapshot = load_specs(tree, self.limits)
        self._last = snapshot
        return snapshot.spec_set


def _check_root(root: Path) -> None:
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a directory"
        raise InvalidSpecsError([SpecProblem("", 0, "", f"the specs root {str(root)!r} {what}")])
