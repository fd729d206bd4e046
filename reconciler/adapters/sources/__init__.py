"""Sources of desired state: the specs at a revision, from a local directory or a Git repository.

Typical use (the controller):

    source = open_source("https://github.com/org/fleet.git", cache_dir=Path("~/.cache/reconciler"),
                         credentials=GitCredentials.given(token_file=Path("/run/secrets/git-token")))
    revision = source.fetch()          # SourceError (temporary) on failure; last_good is kept
    if changed_since(previous, revision):
        ...                            # read the specs under revision.specs_root

The names below are imported on first use (PEP 562): a CLI plan needs only this package's Git
helpers (`git_commands`, `git_environment`, for the commit of the specs), not the sources and
their file watcher (watchdog), which would cost its start a few hundredths of a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.adapters.sources.base import SourceRevision, SpecSource, changed_since
    from reconciler.adapters.sources.credentials import GitCredentials
    from reconciler.adapters.sources.factory import SourceMode, open_source
    from reconciler.adapters.sources.git import GitSource
    from reconciler.adapters.sources.local import LocalDirectorySource

# Each exported name and the module that defines it.
_HOMES = {
    "GitCredentials": "credentials",
    "GitSource": "git",
    "LocalDirectorySource": "local",
    "SourceMode": "factory",
    "SourceRevision": "base",
    "SpecSource": "base",
    "changed_since": "base",
    "open_source": "factory",
}

__all__ = [
    "GitCredentials",
    "GitSource",
    "LocalDirectorySource",
    "SourceMode",
    "SourceRevision",
    "SpecSource",
    "changed_since",
    "open_source",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
