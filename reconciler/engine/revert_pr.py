"""`reconciler rollback --revert-pr`: after a rollback, a pull request that makes Git ask for
what the group now runs again, so that Git catches up with the operator (docs/controller.md
"Stopping a group").

The revision the rollback restored records the commit it was made from (the
`greengrass-reconciler/commit` tag). Every later commit that changed what the specs ask of the
group is reverted, newest first, on a new branch from HEAD; the branch is pushed and a pull
request opened. Its body says which commits it reverts, whether the group's specs then ask for
exactly what the restored revision carried, and which other groups the reverts also change
(a reverted commit may have touched a shared base): the reviewer sees the blast radius.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.adapters.github import GitHubClient, RepoRef, ensure_pull_request
from reconciler.adapters.revert_branch import RevertBranchError, SpecCommit, SpecRepository
from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.planning.selection import changed_thing_groups, group_changed
from reconciler.core.specs import SpecSet
from reconciler.errors import SpecError


@dataclass(frozen=True)
class RevertPullRequest:
    number: int
    url: str
    branch: str
    reverted: tuple[SpecCommit, ...]
    opened: bool  # False: the pull request was open already (a second run)


def revert_branch_name(thing_group: str, to_revision: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", thing_group).strip("-.") or "group"
    return f"reconciler/rollback-{safe}-to-{to_revision}"


def _specs_at(repo: SpecRepository, sha: str | None, scratch: Path) -> SpecSet | None:
    if sha is None:
        return None
    root = repo.export(sha, scratch / sha)
    if root is None:
        return None
    try:
        return load_spec_set(root)
    except SpecError:
        return None  # specs that did not load asked nothing of anyone


def commits_changing(
    repo: SpecRepository, thing_group: str, since: str, scratch: Path
) -> list[SpecCommit]:
    """The commits after `since` that changed what the specs ask of `thing_group`, oldest
    first (each compared with its parent, so a change and its undo are both listed)."""
    changing = []
    loaded: dict[str | None, SpecSet | None] = {}

    def specs(sha: str | None) -> SpecSet | None:
        if sha not in loaded:
            loaded[sha] = _specs_at(repo, sha, scratch)
        return loaded[sha]

    for commit in repo.commits_since(since):
        if group_changed(specs(repo.parent(commit.sha)), specs(commit.sha), thing_group):
            changing.append(commit)
    return changing


def open_revert_pull_request(
    *,
    specs_path: Path,
    thing_group: str,
    good_commit: str,
    from_revision: str,
    to_revision: str,
    github: GitHubClient,
    repository: RepoRef,
    remote: str = "origin",
    base: str | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> RevertPullRequest:
    """Revert, on a branch from HEAD, the commits since `good_commit` that changed
    `thing_group`; push it to `remote` and open (or find) its pull request into `base`
    (default: the branch checked out)."""
    repo = SpecRepository(specs_path)
    try:
        target = base or repo.branch()
        if target is None:
            raise RevertBranchError("HEAD is detached: name the pull request's base with --base")
        with tempfile.TemporaryDirectory(prefix="reconciler-history-") as scratch:
            reverted = commits_changing(repo, thing_group, good_commit, Path(scratch))
            if not reverted:
                raise RevertBranchError(
                    f"no commit since {good_commit[:12]} changed {thing_group}: Git already "
                    "asks for what it runs"
                )
            progress(f"reverting {len(reverted)} commit(s) that changed {thing_group}")
            good = _specs_at(repo, good_commit, Path(scratch))
            head = _specs_at(repo, repo.head(), Path(scratch))
            branch = revert_branch_name(thing_group, to_revision)
            with repo.reverting(branch, reverted) as reverted_specs:
                try:
                    after: SpecSet | None = load_spec_set(reverted_specs)
                except SpecError:
                    after = None
                repo.push(remote, branch)
        progress(f"pushed {branch} to {remote}")
        body = _body(
            thing_group,
            good_commit=good_commit,
            from_revision=from_revision,
            to_revision=to_revision,
            reverted=reverted,
            restored=after is not None and not group_changed(good, after, thing_group),
            loads=after is not None,
            also_changed=_also_changed(head, after, thing_group),
        )
        pull, opened = ensure_pull_request(
            github,
            repository,
            head=branch,
            base=target,
            title=f"Revert {thing_group} to revision {to_revision} (rolled back)",
            body=body,
        )
        return RevertPullRequest(pull.number, pull.url, branch, tuple(reverted), opened)
    finally:
        repo.close()


def _also_changed(head: SpecSet | None, after: SpecSet | None, thing_group: str) -> list[str]:
    if head is None or after is None:
        return []
    changes = changed_thing_groups(head, after)
    return sorted((changes.groups | changes.removed) - {thing_group})


def _body(
    thing_group: str,
    *,
    good_commit: str,
    from_revision: str,
    to_revision: str,
    reverted: list[SpecCommit],
    restored: bool,
    loads: bool,
    also_changed: list[str],
) -> str:
    lines = [
        f"An operator rolled back **{thing_group}** from revision {from_revision} to the content "
        f"of revision {to_revision} (made from commit `{good_commit[:12]}`) with "
        "`reconciler rollback`. The controller leaves the group alone until Git changes what "
        "it asks of it; merging this pull request makes Git ask for what the group runs now.",
        "",
        "Reverted, newest first:",
        "",
        *(f"- `{c.sha[:12]}` {c.subject}" for c in reversed(reverted)),
        "",
    ]
    if not loads:
        lines.append("**The specs do not load after these reverts**: fix them before merging.")
    elif restored:
        lines.append(
            f"After these reverts the specs ask of {thing_group} exactly what revision "
            f"{to_revision} carries."
        )
    else:
        lines.append(
            f"**After these reverts the specs still ask of {thing_group} something other than "
            f"revision {to_revision}** (a later commit builds on a reverted one): check the plan."
        )
    if also_changed:
        shown = ", ".join(also_changed[:20])
        more = f" and {len(also_changed) - 20} more" if len(also_changed) > 20 else ""
        lines += [
            "",
            f"**These reverts also change other thing groups**: {shown}{more} "
            "(the reverted commits touched files they share).",
        ]
    lines += ["", "Opened by greengrass-reconciler."]
    return "\n".join(lines) + "\n"
