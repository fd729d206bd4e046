"""A Git repository (remote, or local and committed) as the source of desired state.

Each `fetch()` brings one cached checkout to the tip of the branch:

    git fetch --depth=1 origin +refs/heads/<branch>:refs/remotes/origin/<branch>
    git reset --hard <tip>          (after checking that the specs path exists at <tip>)
    git clean -ffdx

The `+` refspec and the hard reset follow a force-pushed (rewritten) branch like any other move.
The checkout is only touched after the new commit has been fetched and checked, so a failure at
any step before leaves the last good checkout as it was. A cache that Git cannot use (a crash
mid-reset left a lock, objects went missing, someone edited it) is cloned again from scratch, in
a separate directory that replaces the broken one only when complete.

Failures are told apart so the message says what to fix: after a failed fetch,
`git ls-remote` from a fresh repository asks the remote directly. If it fails too, the remote is
at fault (unreachable, authentication); if it answers without the branch, the branch is gone; if
it answers with the branch, our cache is broken and gets cloned again.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.adapters.sources.base import SourceRevision, normalize_specs_path
from reconciler.adapters.sources.credentials import GitCredentials, Redactor
from reconciler.adapters.sources.git_cache import CacheLayout, remove_tree
from reconciler.adapters.sources.git_commands import GitRunError, GitRunner, require_git
from reconciler.adapters.sources.git_environment import git_access
from reconciler.adapters.sources.locations import git_dir_of, parse_remote
from reconciler.adapters.sources.watching import ChangeWatcher, WatchedDirectory
from reconciler.errors import SourceError

DEFAULT_TIMEOUT = 120.0  # seconds per Git command: a shallow fetch of a specs repo takes ~1 s
_SUBJECT_CHARS = 60
# What `git check-ref-format --branch` refuses, plus a leading "-" (it would read as an option).
_INVALID_BRANCH = re.compile(r"^[-/.]|/$|\.\.|//|/\.|@\{|\.lock$|\.lock/|[\x00-\x20\x7f~^:?*\[\\]")

_log = logging.getLogger(__name__)


def check_branch_name(branch: str) -> str:
    """Return `branch` if Git accepts it as a branch name; raise ValueError otherwise."""
    if not branch or branch == "@" or _INVALID_BRANCH.search(branch):
        raise ValueError(f"{branch!r} is not a valid Git branch name")
    return branch


# SHA, committer time, author name, subject: NUL-separated (none of them can hold a NUL).
_COMMIT_FORMAT = "--format=%H%x00%ct%x00%an%x00%s"


@dataclass(frozen=True)
class _Commit:
    sha: str
    committed_at: float
    subject: str
    specs_tree: str
    author: str = ""


class _CacheBrokenError(Exception):
    """The cached repository is unusable although the remote is fine: clone again."""


class GitSource:
    """The specs at `path` on `branch` of the Git repository at `url`, cached in `cache_dir`."""

    def __init__(
        self,
        url: str,
        branch: str = "main",
        path: str = "deploy-specs",
        *,
        cache_dir: Path,
        credentials: GitCredentials | None = None,
        shallow: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        quiet_period: float = 0.3,
    ) -> None:
        """Raises `GitNotFoundError` when Git is not installed: better now than at each fetch."""
        require_git()
        self.remote = parse_remote(url)
        self.branch = check_branch_name(branch)
        self.path = normalize_specs_path(path)
        self.shallow = shallow
        self._credentials = credentials
        self._layout = CacheLayout(cache_dir, self.remote.url, branch, shallow=shallow)
        self._redact = Redactor([self.remote.password, credentials.token if credentials else None])
        self._git = GitRunner(timeout=timeout, redact=self._redact)
        self._quiet_period = quiet_period
        self._lock = threading.Lock()
        self._last_good: SourceRevision | None = None
        self._watcher: ChangeWatcher | None = None
        # parse_remote() took any password out of the URL; a query (which may hold a token) is
        # hidden here. Every message about the source names it by this.
        self.display_url = self._redact(self.remote.url)
        self.display = f"{self.display_url} (branch '{branch}')"

    @property
    def checkout_dir(self) -> Path:
        """The cached checkout (its content is that of `last_good` once a fetch succeeded)."""
        return self._layout.checkout

    @property
    def last_good(self) -> SourceRevision | None:
        return self._last_good

    def fetch(self) -> SourceRevision:
        """Fetch the branch tip and check it out. Raises `SourceError` (no secrets in it) on any
        failure; the previous checkout and `last_good` stay as they were."""
        with self._lock, self._layout.locked(self._git.timeout):
            try:
                access = git_access(
                    self.remote,
                    self._credentials,
                    known_hosts=self._layout.known_hosts,
                    timeout=self._git.timeout,
                )
                self._redact.add(access.secret)
                commit = self._update(access.env)
            except OSError as err:
                _log.warning("updating the Git cache of %s failed: %s", self.display, err)
                raise SourceError(
                    f"cannot update the Git cache {self._layout.checkout}: {err}"
                ) from None
            except SourceError as err:
                _log.warning("fetching %s failed: %s", self.display, err)
                raise
            revision = self._revision(commit)
            if self._last_good is None or self._last_good.revision != revision.revision:
                _log.info("%s is at %s", self.display, revision.description)
            self._last_good = revision
            return revision

    def watch(self, on_change: Callable[[], None]) -> None:
        """For a repository on this machine, call `on_change` when the branch moves (a commit,
        a reset, a pull); for a remote repository do nothing (poll `fetch()` instead)."""
        with self._lock:
            if self._watcher is not None:
                raise RuntimeError(f"already watching {self.display}")
            if self.remote.local_dir is None:
                _log.debug("%s is remote: changes are found by fetching", self.display)
                return
            self._watcher = self._watch_local_refs(self.remote.local_dir.resolve(), on_change)

    def close(self) -> None:
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    # -- updating the checkout ---------------------------------------------------------------

    def _update(self, env: dict[str, str]) -> _Commit:
        checkout = self._layout.checkout
        problem = self._unusable_reason(checkout, env)
        if problem is None:
            try:
                return self._advance(checkout, env)
            except _CacheBrokenError as broken:
                problem = str(broken)
        if checkout.exists():
            _log.warning("the Git cache %s is unusable (%s); cloning again", checkout, problem)
        return self._clone(env)

    def _unusable_reason(self, checkout: Path, env: dict[str, str]) -> str | None:
        """Why the cached checkout cannot be fetched into (None when it can)."""
        if not (checkout / ".git").is_dir():
            return "no repository"
        try:
            self._git.run(checkout, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                          action="read HEAD", env=env)  # fmt: skip
            url = self._git.run(checkout, ["config", "--get", "remote.origin.url"],
                                action="read the remote", env=env)  # fmt: skip
        except GitRunError as failure:
            return str(failure)
        return None if url.strip() == self.remote.url else "it was cloned from another URL"

    def _advance(self, checkout: Path, env: dict[str, str]) -> _Commit:
        try:
            self._git.run(checkout, self._fetch_args(), action=f"fetch {self.branch}", env=env)
        except GitRunError as failure:
            if failure.timed_out:
                raise self._fetch_error(failure) from None
            remote_problem = self._ask_remote(failure, env)
            if remote_problem is not None:
                raise remote_problem from None
            raise _CacheBrokenError(str(failure)) from None
        return self._check_out(checkout, env)

    def _clone(self, env: dict[str, str]) -> _Commit:
        partial = self._layout.start_partial()
        try:
            self._init_repository(partial, env)
            try:
                self._git.run(partial, self._fetch_args(), action=f"fetch {self.branch}", env=env)
            except GitRunError as failure:
                problem = None if failure.timed_out else self._ask_remote(failure, env, partial)
                raise (problem or self._fetch_error(failure)) from None
            try:
                commit = self._check_out(partial, env)
            except _CacheBrokenError as broken:
                raise SourceError(f"cannot check out {self.display}: {broken}") from None
            self._layout.install_partial()
        except BaseException:
            remove_tree(self._layout.partial)
            raise
        return commit

    def _init_repository(self, directory: Path, env: dict[str, str]) -> None:
        try:
            self._git.run(directory, ["init", "--quiet"], action="create the cache", env=env)
            self._git.run(directory, ["remote", "add", "origin", self.remote.url],
                          action="configure the remote", env=env)  # fmt: skip
        except GitRunError as failure:
            raise SourceError(f"cannot create a Git cache in {directory}: {failure}") from None

    def _fetch_args(self) -> list[str]:
        depth = ["--depth=1"] if self.shallow else []
        refspec = f"+refs/heads/{self.branch}:refs/remotes/origin/{self.branch}"
        return [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-recurse-submodules",
            *depth,
            "origin",
            refspec,
        ]

    def _ask_remote(
        self, failure: GitRunError, env: dict[str, str], scratch: Path | None = None
    ) -> SourceError | None:
        """Explain a failed fetch by asking the remote directly; None when the remote is fine
        (the cache is at fault). `scratch` is a healthy repository to ask from."""
        if scratch is None:
            # The cache itself may be what is broken: ask from a new, empty repository.
            scratch = self._layout.start_partial()
            try:
                self._init_repository(scratch, env)
                return self._ask_remote(failure, env, scratch)
            finally:
                remove_tree(scratch)
        ref = f"refs/heads/{self.branch}"
        try:
            heads = self._git.run(scratch, ["ls-remote", "--heads", "origin", ref],
                                  action="list the branches", env=env)  # fmt: skip
        except GitRunError:
            return self._fetch_error(failure)
        if ref not in heads.split():
            return SourceError(
                f"branch '{self.branch}' does not exist in {self.display_url} (deleted or renamed?)"
            )
        return None

    def _fetch_error(self, failure: GitRunError) -> SourceError:
        return SourceError(f"cannot fetch {self.display}: {failure.detail}")

    def _check_out(self, repository: Path, env: dict[str, str]) -> _Commit:
        """Check out the fetched tip in `repository` once its specs path is known to exist."""
        commit = self._read_fetched_commit(repository, env)
        try:
            self._git.run(repository, ["reset", "--quiet", "--hard", commit.sha],
                          action="check out", env=env)  # fmt: skip
            self._git.run(repository, ["clean", "-ffdxq"], action="clean", env=env)
        except GitRunError as failure:
            raise _CacheBrokenError(str(failure)) from None
        return commit

    def _read_fetched_commit(self, repository: Path, env: dict[str, str]) -> _Commit:
        ref = f"refs/remotes/origin/{self.branch}"
        try:
            line = self._git.run(repository, ["log", "-1", _COMMIT_FORMAT, ref, "--"],
                                 action="read the fetched commit", env=env)  # fmt: skip
        except GitRunError as failure:
            raise _CacheBrokenError(str(failure)) from None
        sha, committed_at, author, subject = line.strip().split("\0", 3)
        spec = f"{sha}^{{tree}}" if not self.path.parts else f"{sha}:{self.path.as_posix()}"
        try:
            kind = self._git.run(repository, ["cat-file", "-t", spec],
                                 action="look up the specs path", env=env)  # fmt: skip
            tree = self._git.run(repository, ["rev-parse", "--verify", spec],
                                 action="look up the specs path", env=env)  # fmt: skip
        except GitRunError:
            kind = tree = ""
        if kind.strip() != "tree":
            what = "is a file, not a directory" if kind.strip() == "blob" else "does not exist"
            raise SourceError(
                f"the specs path '{self.path}' {what} at commit {sha[:12]} of {self.display}"
            )
        return _Commit(sha, float(committed_at), subject, tree.strip(), author)

    def _revision(self, commit: _Commit) -> SourceRevision:
        subject = commit.subject
        if len(subject) > _SUBJECT_CHARS:
            subject = subject[: _SUBJECT_CHARS - 1] + "…"
        return SourceRevision(
            specs_root=self._layout.checkout.joinpath(*self.path.parts),
            revision=commit.sha,
            description=f"{self.branch}@{commit.sha[:7]} ({subject})",
            committed_at=commit.committed_at,
            content_id=commit.specs_tree,
            author=commit.author or None,
            subject=subject,
        )

    # -- watching a local repository ---------------------------------------------------------

    def _watch_local_refs(self, repository: Path, on_change: Callable[[], None]) -> ChangeWatcher:
        git_dir = git_dir_of(repository)
        if git_dir is None:
            raise SourceError(f"cannot watch {repository}: it is not a Git repository")
        heads = git_dir / "refs" / "heads"
        branch_ref = heads.joinpath(*self.branch.split("/"))
        packed_refs = git_dir / "packed-refs"
        # Git writes `<ref>.lock` and renames it over the ref; `git pack-refs` and `gc` move
        # refs into packed-refs. Either way one of these two paths changes.
        watched = [
            WatchedDirectory(git_dir, lambda path: path == packed_refs, recursive=False),
            WatchedDirectory(heads, lambda path: path == branch_ref, recursive=True),
        ]
        try:
            watcher = ChangeWatcher(watched, on_change, quiet_period=self._quiet_period)
        except OSError as err:
            raise SourceError(f"cannot watch {repository}: {err}") from None
        _log.info("watching %s for commits on '%s'", repository, self.branch)
        return watcher
