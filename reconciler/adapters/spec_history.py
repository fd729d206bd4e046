"""The specs directory as it was at an earlier commit, for `plan --changed-since REF`.

The files come from Git's object database (GitPython), not from a checkout: the working tree
is never touched. Only regular files are written; a symbolic link at REF is left out, like
the spec loader leaves links out of a working tree.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from reconciler.adapters.sources.git_commands import require_git
from reconciler.errors import ReconcilerError

_REGULAR_FILE_MODES = (0o100644, 0o100755)


class SpecHistoryError(ReconcilerError):
    """REF cannot be read: no Git repository, or no such commit in it."""


def export_specs_at(specs_path: Path, ref: str, into: Path) -> Path | None:
    """Write the files of `specs_path` as of commit `ref` under `into` and return the directory
    that holds them; None when the specs directory did not exist at `ref`."""
    require_git()
    import git  # only now: GitPython refuses to be imported without the `git` program

    try:
        repo = git.Repo(specs_path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise SpecHistoryError(
            f"--changed-since needs the specs in a Git repository; {specs_path} is not in one"
        ) from error
    with repo:
        if repo.working_tree_dir is None:
            raise SpecHistoryError(f"{specs_path} is in a bare Git repository")
        top = Path(repo.working_tree_dir).resolve()
        relative = PurePosixPath(specs_path.resolve().relative_to(top).as_posix())
        try:
            commit = repo.commit(ref)
        except (git.BadName, ValueError, git.GitCommandError) as error:
            raise SpecHistoryError(
                f"--changed-since {ref}: no such commit in {top} (in CI, fetch the base commit: "
                "a shallow clone of depth 1 does not have it)"
            ) from error
        tree = commit.tree
        try:
            if str(relative) != ".":
                tree = tree / str(relative)
        except KeyError:
            return None
        if not isinstance(tree, git.Tree):
            return None
        root = into / "specs"
        root.mkdir(parents=True, exist_ok=True)
        for item in tree.traverse():
            if not isinstance(item, git.Blob) or item.mode not in _REGULAR_FILE_MODES:
                continue
            target = root / PurePosixPath(item.path).relative_to(relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.data_stream.read())
        return root
