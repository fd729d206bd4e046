"""Which commit the specs come from, for provenance tags and plan headers.

The repository around the specs is not one the reconciler created (a CI checkout, a developer's
clone, a downloaded tree), and Git runs programs its `.git/config` names: the `core.fsmonitor`
command on `git status`, hooks, clean filters for files whose timestamps changed. The commands
here read that repository with all of them switched off (`git_environment.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.adapters.sources.git_commands import require_git
from reconciler.adapters.sources.git_environment import (
    READING_SAFETY_CONFIG,
    config_environment,
    neutralized_filters,
)

_TIMEOUT = 60.0  # seconds per command; `git status` of a large checkout takes about one


def describe_commit(path: Path) -> str | None:
    """The commit SHA of the repository holding `path` (`-dirty` when it has local changes);
    None outside a repository.

    CI systems check out detached heads or shallow copies; their own variables win when set.
    Raises `GitNotFoundError` when Git is needed and not installed.
    """
    for variable in ("GITHUB_SHA", "CI_COMMIT_SHA"):  # RECONCILER_COMMIT: a setting, read first
        if os.environ.get(variable):
            return os.environ[variable]
    require_git()
    from git.cmd import Git
    from git.exc import GitCommandError

    resolved = path.resolve()
    directory = resolved if resolved.is_dir() else resolved.parent
    if not directory.is_dir():
        return None
    git = Git(str(directory))

    def run(*args: str, config: list[tuple[str, str]]) -> str:
        return str(
            git.execute(
                ["git", *args],
                env=config_environment(config),
                kill_after_timeout=_TIMEOUT,
                strip_newline_in_stdout=False,
            )
        )

    safe = list(READING_SAFETY_CONFIG)
    try:
        # Reading configuration runs nothing: which filter drivers does this repository define?
        listed = run("config", "--null", "--get-regexp", r"^filter\.", config=safe)
    except GitCommandError as error:
        if error.status != 1:  # 1: no filter configured; anything else: no repository
            return None
        listed = ""
    safe += neutralized_filters(_filter_drivers(listed))
    try:
        sha = run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", config=safe).strip()
        changes = run(
            "status", "--porcelain", "--untracked-files=normal", "--ignore-submodules=all",
            "--", str(resolved), config=safe,
        )  # fmt: skip
    except GitCommandError:
        return None
    return f"{sha}-dirty" if changes.strip() else sha


def _filter_drivers(listed: str) -> set[str]:
    # `--null` output: "<key>\n<value>\0" per entry; keys are `filter.<driver>.<variable>`,
    # and a driver's name may itself hold dots.
    keys = (entry.partition("\n")[0] for entry in listed.split("\0") if entry)
    return {key[len("filter.") : key.rindex(".")] for key in keys if key.count(".") >= 2}
