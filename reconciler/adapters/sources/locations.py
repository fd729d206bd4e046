"""Telling Git remotes from local directories, and taking credentials out of remote URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

GIT_URL_SCHEMES = frozenset({"http", "https", "ssh", "git", "file", "git+ssh", "ssh+git"})
_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://")
# Git's own rule for the scp-like form `[user@]host:path`: a colon before any slash.
# A host starting with "-" would be read by ssh as an option: such a location is no Git URL.
_SCP_LIKE = re.compile(r"^(?:[^@/:\s]+@)?(?P<host>(?!-)[^@/:\s]+):(?!//)")


def is_git_url(location: str) -> bool:
    """True for `https://`, `http://`, `ssh://`, `git://`, `file://` URLs and `git@host:path`."""
    scheme = _SCHEME.match(location)
    if scheme is not None:
        return scheme.group("scheme").lower() in GIT_URL_SCHEMES
    return _SCP_LIKE.match(location) is not None


def is_ssh_url(url: str) -> bool:
    scheme = _SCHEME.match(url)
    if scheme is not None:
        return scheme.group("scheme").lower() in {"ssh", "git+ssh", "ssh+git"}
    return _SCP_LIKE.match(url) is not None


def is_http_url(url: str) -> bool:
    scheme = _SCHEME.match(url)
    return scheme is not None and scheme.group("scheme").lower() in {"http", "https"}


@dataclass(frozen=True)
class Remote:
    """A remote as Git is given it: `url` holds no password; `local_dir` is set for local repos.

    `url` may still hold a query (`?access_token=...`): Git needs it as given, so it is shown
    only through a `Redactor` (which hides every URL's query whole).
    """

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    local_dir: Path | None = None


def parse_remote(location: str) -> Remote:
    """Split a location (URL or local repository path) into a clean URL and its credentials.

    A password in the URL (`https://user:token@host/repo.git`) is taken out, so that Git never
    stores or prints it; the caller hands it to Git the same way as a token file's content. A
    local path becomes an absolute path, so the cache stays valid whatever the working directory.
    """
    if not is_git_url(location):
        local = Path(location).expanduser().resolve()
        return Remote(url=str(local), local_dir=local)
    if _SCHEME.match(location) is None:  # scp-like: `user@host:path` has no password syntax
        return Remote(url=location)
    parts = urlsplit(location)
    if parts.scheme.lower() == "file":
        # A file URL has no use for user info; any given is dropped (and kept from messages).
        userinfo, _, host = parts.netloc.rpartition("@")
        password = unquote(userinfo.partition(":")[2]) or None
        # Not urlunsplit: it would turn `file:///x` into `file:/x`.
        clean = location.replace(f"//{parts.netloc}", f"//{host}", 1)
        return Remote(url=clean, password=password, local_dir=Path(unquote(parts.path)))
    if "@" not in parts.netloc:
        return Remote(url=location)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, has_password, password = userinfo.partition(":")
    # For SSH the user name is part of the address (`ssh://git@host/...`): keep it in the URL.
    if not has_password and is_ssh_url(location):
        return Remote(url=location, username=unquote(username) or None)
    netloc = f"{username}@{hostport}" if is_ssh_url(location) and username else hostport
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return Remote(
        url=clean,
        username=unquote(username) or None,
        password=unquote(password) if has_password else None,
    )


def git_dir_of(local_repo: Path) -> Path | None:
    """The Git directory holding the refs of a local repository (`x/.git`, `x` itself when bare,
    the main repository's for a linked worktree); None when `local_repo` is no repository."""
    dot_git = local_repo / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a linked worktree or submodule: "gitdir: <path>"
        content = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if content.startswith("gitdir:"):
            target = Path(content.removeprefix("gitdir:").strip())
            return _common_dir(target if target.is_absolute() else (local_repo / target).resolve())
        return None
    if (local_repo / "HEAD").is_file() and (local_repo / "objects").is_dir():
        return local_repo
    return None


def _common_dir(git_dir: Path) -> Path:
    # A linked worktree keeps its branches in the main repository, named by `commondir`.
    common = git_dir / "commondir"
    if not common.is_file():
        return git_dir
    target = Path(common.read_text(encoding="utf-8", errors="replace").strip())
    return target if target.is_absolute() else (git_dir / target).resolve()
