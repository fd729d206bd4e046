"""What every source of desired state delivers: the specs at one revision.

A source (a local directory, a Git repository) is asked to `fetch()`; it answers with a
`SourceRevision` naming the directory that holds the specs and an identity for that state. A
failed fetch raises `reconciler.errors.SourceError` (temporary: the controller retries later) and
leaves the last good revision readable, so the controller can keep serving what it had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol


@dataclass(frozen=True)
class SourceRevision:
    """The specs of a source at one revision."""

    specs_root: Path
    """The directory holding the specs at this revision (inside a checkout for Git)."""
    revision: str
    """The commit SHA for Git; a content digest of the spec files for a plain directory."""
    description: str
    """For people: `main@1a2b3c4 (Fix interval)`, `local dir /x/specs (digest ab12cd34ef56)`."""
    committed_at: float | None
    """The commit's committer time (Unix seconds) for Git; None for a plain directory."""
    content_id: str | None = None
    """Identity of the specs content alone: the Git tree id of the specs path, or the digest of a
    plain directory. Two revisions with the same content_id hold byte-identical specs, even when
    their commits differ (a commit that only touched the README). None when unknown."""
    author: str | None = None
    """The commit's author name for Git (shown by the dashboard); None for a plain directory."""
    subject: str | None = None
    """The commit's subject line for Git (at most 72 characters); None for a plain directory."""


class SpecSource(Protocol):
    """A place the desired state comes from."""

    def fetch(self) -> SourceRevision:
        """Bring the source up to date and describe what it holds now.

        Raises `SourceError` on failure, leaving `last_good` (and its files) intact.
        """
        ...

    @property
    def last_good(self) -> SourceRevision | None:
        """The revision of the last successful `fetch()` of this object, if any."""
        ...

    def watch(self, on_change: Callable[[], None]) -> None:
        """Call `on_change` (from another thread) soon after the source changes.

        Optional per source: a local directory notices edits, a local Git repository notices
        commits on the branch; a remote Git repository does nothing here (the controller polls
        or receives webhooks). `on_change` only says "fetch again"; it carries no revision.
        """
        ...

    def close(self) -> None:
        """Stop watching and release resources. Idempotent."""
        ...


def changed_since(previous: SourceRevision | None, current: SourceRevision) -> bool:
    """Whether the specs in `current` may differ from those in `previous`.

    Compares content, not history: a new commit that leaves the specs path untouched is not a
    change (both revisions carry the same `content_id`). Without content ids on both sides the
    revisions themselves are compared. A first revision (`previous` None) is always a change.
    """
    if previous is None or previous.specs_root != current.specs_root:
        return True
    if previous.content_id is not None and current.content_id is not None:
        return previous.content_id != current.content_id
    return previous.revision != current.revision


def normalize_specs_path(path: str) -> PurePosixPath:
    """Check the specs path inside a source (`deploy-specs`, `fleet/specs`, `.` for the root).

    Raises ValueError for an absolute path or one that climbs out with `..`: the specs of a
    source must lie inside it.
    """
    cleaned = PurePosixPath(path.strip() or ".")
    if cleaned.is_absolute():
        raise ValueError(f"the specs path {path!r} must be relative to the source's root")
    if ".." in cleaned.parts:
        raise ValueError(f"the specs path {path!r} must not contain '..'")
    return cleaned
