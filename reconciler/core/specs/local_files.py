"""Files that documents and recipes reference by a path relative to themselves.

A reference must stay inside the specs root: no absolute path, no `..` that climbs out, no symlink
that leads out or into a hidden path or Git directory in it (a pull request must not be able to
make `apply` upload the CI runner's secrets, such as the token in a checkout's `.git/config`).
"""

from __future__ import annotations

import posixpath
import re
from typing import NoReturn

from reconciler.core.specs.fields import check_artifact_file_name
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import SpecProblem, quoted
from reconciler.core.specs.spec_set import LocalArtifact
from reconciler.core.specs.tree import MIB, SpecTree

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# Why a file that `SpecTree.resolves_inside` refuses is not read (after its quoted path).
ESCAPING_SYMLINK = "is a symlink that leads outside the specs root, or to a hidden or Git file"


class LocalFileError(Exception):
    """A reference to a local file is unusable; `problem` says why and where."""

    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def is_hidden(path: str) -> bool:
    """Hidden files and everything under a hidden directory are not part of the specs."""
    return any(part.startswith(".") for part in path.split("/"))


def describe_size(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB else f"{size} bytes"


class LocalFiles:
    """Resolves and checks references to files of a `SpecTree`."""

    def __init__(self, tree: SpecTree, files: frozenset[str]) -> None:
        self.tree = tree
        self.files = files

    def resolve(self, node: Node, base_dir: str, reference: str, *, max_bytes: int) -> str:
        """The root-relative path `reference` (written at `node`, relative to `base_dir`) names.

        Raises `LocalFileError` when the path is absolute, leaves the root, does not exist, is a
        symlink out of the root or is larger than `max_bytes`.
        """
        if "\\" in reference:
            self._fail(node, f"{quoted(reference)}: use '/' to separate directories")
        if reference.startswith("/") or _WINDOWS_DRIVE.match(reference):
            self._fail(node, f"{quoted(reference)} is absolute; give a path relative to this file")
        path = posixpath.normpath(posixpath.join(base_dir, reference))
        if path == ".." or path.startswith("../"):
            self._fail(node, f"{quoted(reference)} leads outside the specs root")
        if path not in self.files:
            why = " (hidden files are ignored)" if is_hidden(path) else ""
            self._fail(node, f"file {path!r} not found in the specs root{why}")
        if not self.tree.resolves_inside(path):
            self._fail(node, f"{path!r} {ESCAPING_SYMLINK}")
        try:
            size = self.tree.size(path)
        except OSError as error:
            self._fail(node, f"cannot read {path!r}: {error.strerror or error}")
        if size > max_bytes:
            self._fail(
                node,
                f"{path!r} is {describe_size(size)}, more than the limit of "
                f"{describe_size(max_bytes)}",
            )
        return path

    def artifact(
        self, node: Node, base_dir: str, reference: str, label: str, *, max_bytes: int
    ) -> LocalArtifact:
        """A checked, hashed local artifact; `label` is what names it (URI or match glob)."""
        path = self.resolve(node, base_dir, reference, max_bytes=max_bytes)
        try:
            check_artifact_file_name(posixpath.basename(path))
        except ValueError as error:
            self._fail(node, str(error))
        try:
            return LocalArtifact(label, path, self.tree.size(path), self.tree.sha256(path))
        except OSError as error:
            self._fail(node, f"cannot read {path!r}: {error.strerror or error}")

    @staticmethod
    def _fail(node: Node, message: str) -> NoReturn:
        raise LocalFileError(SpecProblem.on(node, message))
