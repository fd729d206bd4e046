"""Sources of desired state: the specs at a revision, from a local directory or a Git repository.

Typical use (the controller):

    source = open_source("https://github.com/org/fleet.git", cache_dir=Path("~/.cache/reconciler"),
                         credentials=GitCredentials.given(token_file=Path("/run/secrets/git-token")))
    revision = source.fetch()          # SourceError (temporary) on failure; last_good is kept
    if changed_since(previous, revision):
        ...                            # read the specs under revision.specs_root
"""

from reconciler.adapters.sources.base import SourceRevision, SpecSource, changed_since
from reconciler.adapters.sources.credentials import GitCredentials
from reconciler.adapters.sources.factory import SourceMode, open_source
from reconciler.adapters.sources.git import GitSource
from reconciler.adapters.sources.local import LocalDirectorySource

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
