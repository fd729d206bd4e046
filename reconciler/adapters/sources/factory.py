"""`open_source`: the right `SpecSource` for a location given on the command line.

Location → source:

    https://github.com/org/fleet.git, http://..., ssh://..., git@host:org/fleet.git, file:///x
        → GitSource (cloned into the cache)
    /path/to/a/git/repository
        → GitSource cloned from that path: only *committed* changes count, exactly as they would
          once pushed (prefer="directory" reads the working tree instead)
    /path/to/a/plain/directory
        → LocalDirectorySource: the files as they are, edits count at once
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from reconciler.adapters.sources.base import SpecSource
from reconciler.adapters.sources.credentials import GitCredentials
from reconciler.adapters.sources.git import DEFAULT_TIMEOUT, GitSource
from reconciler.adapters.sources.local import LocalDirectorySource
from reconciler.adapters.sources.locations import git_dir_of, is_git_url
from reconciler.errors import SourceError

SourceMode = Literal["git", "directory"]


def open_source(
    location: str,
    *,
    branch: str = "main",
    path: str = "deploy-specs",
    cache_dir: Path,
    credentials: GitCredentials | None = None,
    prefer: SourceMode = "git",
    shallow: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    quiet_period: float = 0.3,
) -> SpecSource:
    """Open the source at `location`; nothing is fetched yet (call `fetch()`).

    `prefer` decides for a local directory that is a Git repository: "git" (the default) reads
    its committed branch, "directory" its working tree. It does not matter for URLs (always Git)
    or plain directories (always read as they are). `credentials` are used as given: the controller
    builds them from its settings (`RECONCILER_GIT_TOKEN` and friends).

    Raises `SourceError` when a local location does not exist, and ValueError for an invalid
    branch or specs path.
    """
    if prefer not in ("git", "directory"):
        raise ValueError(f"prefer must be 'git' or 'directory', not {prefer!r}")
    if is_git_url(location):
        return GitSource(
            location,
            branch,
            path,
            cache_dir=cache_dir,
            credentials=credentials,
            shallow=shallow,
            timeout=timeout,
            quiet_period=quiet_period,
        )
    local = Path(location).expanduser()
    if not local.is_dir():
        what = "is not a directory" if local.exists() else "does not exist"
        raise SourceError(f"the source {location} {what}")
    if prefer == "git" and git_dir_of(local) is not None:
        return GitSource(
            str(local.resolve()),
            branch,
            path,
            cache_dir=cache_dir,
            credentials=credentials,
            shallow=shallow,
            timeout=timeout,
            quiet_period=quiet_period,
        )
    return LocalDirectorySource(local, path, quiet_period=quiet_period)
