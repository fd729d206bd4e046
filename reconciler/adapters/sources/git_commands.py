"""Running Git commands for a source: against one repository, bounded in time, redacted.

Commands run through GitPython's `Git.execute`, which kills a command (and the helpers it
started, such as `git-remote-https` or `ssh`) when it outlives its timeout. Every command names
its repository explicitly through `GIT_DIR`/`GIT_WORK_TREE`/`GIT_INDEX_FILE`/
`GIT_OBJECT_DIRECTORY`: these override whatever the parent process inherited (a Git hook that
runs `reconciler plan` exports `GIT_DIR` and `GIT_INDEX_FILE` of *its* repository, which would
otherwise redirect our fetches and resets there).

GitPython is imported when a command first runs, not with this module: it refuses to be imported
at all when the `git` program is missing, and commands that never run Git (`--help`, `validate`)
must not need it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.adapters.sources.credentials import Redactor
from reconciler.errors import GitNotFoundError

_TIMEOUT_MARKERS = ("Timeout: the command", "process killed because it timed out")
# What the person reading a failure should do about it, by what Git said.
_HINTS = (
    (
        ("terminal prompts disabled", "could not read Username", "could not read Password"),
        "the remote requires credentials: give a token file (RECONCILER_GIT_TOKEN_FILE) "
        "or a token (RECONCILER_GIT_TOKEN)",
    ),
    (
        ("Authentication failed", "The requested URL returned error: 403"),
        "the credentials were refused: check that the token is valid, unexpired and allowed "
        "to read the repository, and the user name (RECONCILER_GIT_USERNAME)",
    ),
    (
        ("Permission denied (publickey",),
        "the SSH key was refused: check RECONCILER_GIT_SSH_KEY_FILE and the key's access",
    ),
    (
        ("Host key verification failed",),
        "the SSH host key is unknown or has changed: add it to known_hosts, or give an SSH "
        "key file (the host is then trusted on first use)",
    ),
    (
        ("Could not resolve host", "Failed to connect", "Connection refused", "Operation too slow"),
        "the remote could not be reached",
    ),
)
_MAX_DETAIL_CHARS = 2000


def require_git() -> None:
    """Raise `GitNotFoundError` (a clear message, no traceback) when Git is not installed."""
    try:
        import git.cmd  # noqa: F401  (GitPython looks for the program when it is imported)
    except ImportError:
        raise GitNotFoundError() from None


class GitRunError(Exception):
    """A Git command failed. `detail` is Git's error output, already redacted."""

    def __init__(self, action: str, detail: str, *, timed_out: bool = False) -> None:
        super().__init__(f"{action}: {detail}" if detail else action)
        self.action = action
        self.detail = detail
        self.timed_out = timed_out


class GitRunner:
    """Runs `git` subcommands with a timeout; output and errors pass through the redactor."""

    def __init__(self, *, timeout: float, redact: Redactor) -> None:
        if timeout <= 0:
            raise ValueError("the Git timeout must be positive")
        self.timeout = timeout
        self.redact = redact

    def run(
        self,
        repo_dir: Path,
        args: Sequence[str],
        *,
        action: str,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Run `git <args>` on the repository checked out at `repo_dir`; return its stdout.

        Raises `GitRunError` (naming `action`, e.g. "fetch main") when Git fails or times out,
        and `GitNotFoundError` when Git is not installed.
        """
        require_git()
        from git.cmd import Git
        from git.exc import GitCommandNotFound

        git_dir = repo_dir / ".git"
        command_env = {
            **(env or {}),
            "GIT_DIR": str(git_dir),
            "GIT_WORK_TREE": str(repo_dir),
            "GIT_INDEX_FILE": str(git_dir / "index"),
            "GIT_OBJECT_DIRECTORY": str(git_dir / "objects"),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": "",
        }
        try:
            status, stdout, stderr = Git(str(repo_dir)).execute(
                ["git", *args],
                with_extended_output=True,
                with_exceptions=False,
                kill_after_timeout=self.timeout,
                env=command_env,
            )
        except GitCommandNotFound:
            raise GitNotFoundError() from None
        if status == 0:
            return stdout
        timed_out = any(marker in stderr for marker in _TIMEOUT_MARKERS)
        if timed_out:
            detail = f"no answer within {self.timeout:g} s (timed out)"
        else:
            detail = _summarize(self.redact(stderr))
            detail += "".join(
                f" ({hint})" for markers, hint in _HINTS if _mentions(detail, markers)
            )
        raise GitRunError(action, detail, timed_out=timed_out)


def _summarize(stderr: str) -> str:
    # Git's progress lines ("remote: Counting objects...") bury the one line that matters.
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("remote: Counting", "remote: Enum"))]
    text = "; ".join(useful) or "git exited with an error and printed nothing"
    return text if len(text) <= _MAX_DETAIL_CHARS else text[: _MAX_DETAIL_CHARS - 3] + "..."


def _mentions(text: str, markers: tuple[str, ...]) -> bool:
    return any(marker in text for marker in markers)
