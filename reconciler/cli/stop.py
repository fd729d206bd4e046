"""`reconciler suspend`, `resume` and `rollback`: the stop button, outside Git; and `approve`,
the go button of a Rollout's approval gate.

Either through a running controller's HTTP API (`--controller URL --token-file FILE`), or, on
the controller's own host (lock=none or file), straight into its suspension store (or rollout
approvals) in the cache directory. Both are what the controller reads every cycle
(docs/controller.md "Stopping a group", "Rollouts in waves").
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reconciler.adapters.github import GitHubClient, PublishError, RepoRef, read_token
from reconciler.adapters.http.stops import StopTokenError, read_token_file
from reconciler.adapters.rollout_waves import (
    ApprovalError,
    ApprovalStore,
    RolloutWaveStore,
    RolloutWaveStoreError,
    approve_wave,
)
from reconciler.adapters.suspensions import SuspensionStore, SuspensionStoreError
from reconciler.cli.common import (
    EXIT_OK,
    endpoint_option,
    fail,
    load_specs_or_exit,
    runtime_for,
    specs_option,
)
from reconciler.core.durations import parse_duration
from reconciler.core.printable import printable
from reconciler.core.rollback import RollbackError
from reconciler.core.suspension import ALL_GROUPS, Suspension, format_instant
from reconciler.engine.revert_pr import open_revert_pull_request
from reconciler.engine.rollback import RollbackResult, roll_back
from reconciler.errors import ReconcilerError
from reconciler.settings import ReconcilerSettings

EXIT_NOTHING_TO_RESUME = 3


def _where(function: Any) -> Any:
    for option in reversed(
        [
            click.argument("group", required=False),
            click.option("--all", "every", is_flag=True, help="Every group the specs target."),
            click.option(
                "--controller",
                metavar="URL",
                help="A running controller (http://host:8080): record it through its HTTP API.",
            ),
            click.option(
                "--token-file",
                type=click.Path(path_type=Path, dir_okay=False),
                help="File with the controller's stop token (its RECONCILER_STOP_TOKEN_FILE).",
            ),
            click.option(
                "--cache-dir",
                type=click.Path(path_type=Path, file_okay=False),
                help="Without --controller: the controller's cache directory, where its "
                "suspensions are kept [env RECONCILER_CACHE_DIR].",
            ),
        ]
    ):
        function = option(function)
    return function


def _group(group: str | None, every: bool) -> str:
    if every == (group is not None):
        raise click.UsageError("give either a thing group name or --all")
    if group == ALL_GROUPS:
        raise click.UsageError(f"{ALL_GROUPS!r} is not a thing group name: use --all")
    return ALL_GROUPS if every else str(group)


def _post(controller: str, token_file: Path | None, path: str, body: dict[str, Any]) -> Any:
    if token_file is None:
        raise click.UsageError("--controller needs --token-file")
    token = read_token_file(token_file).decode("utf-8", "replace")
    request = urllib.request.Request(
        controller.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:500]
        raise ReconcilerError(f"the controller answered {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ReconcilerError(f"cannot reach the controller at {controller}: {error}") from None


def _cache_dir(cache_dir: Path | None) -> Path:
    overrides: dict[str, Any] = {"cache_dir": cache_dir} if cache_dir else {}
    return ReconcilerSettings(**overrides).cache_dir


def _store(cache_dir: Path | None) -> SuspensionStore:
    return SuspensionStore(_cache_dir(cache_dir))


def _name(group: str) -> str:
    return "every group" if group == ALL_GROUPS else group


@click.command()
@_where
@click.option("--reason", required=True, help="Why: shown in /status, the log and the event.")
@click.option(
    "--for", "length", metavar="DURATION", help="e.g. 30m, 2h, 1d: resume by itself then."
)
def suspend(
    group: str | None,
    every: bool,
    controller: str | None,
    token_file: Path | None,
    cache_dir: Path | None,
    reason: str,
    length: str | None,
) -> None:
    """Stop applying to GROUP (or --all groups): the controller plans but does not apply.

    The suspension is recorded outside Git, survives restarts, shows in /status as `Suspended`
    with its reason, and ends with `reconciler resume` or by itself after --for.

    \b
    Examples:
      reconciler suspend CameraFleetProd --reason "bad model, investigating" --for 2h
      reconciler suspend --all --reason "freeze" --controller http://ctl:8080 --token-file t
    Exit status: 0 recorded, 1 error.
    """
    name = _group(group, every)
    if not reason.strip():
        raise click.UsageError("--reason must not be empty")
    try:
        duration = parse_duration(length) if length else None
    except ValueError as error:
        raise click.UsageError(f"--for: {error}") from None
    try:
        if controller:
            body: dict[str, Any] = {"reason": reason, "for": length}
            body.update({"all": True} if name == ALL_GROUPS else {"group": name})
            until = _post(controller, token_file, "/suspend", body)["suspension"]["until"]
        else:
            now = datetime.now(UTC)
            recorded = Suspension(
                reason=reason.strip(),
                until=now + duration if duration else None,
                since=now,
            )
            _store(cache_dir).suspend(name, recorded)
            until = format_instant(recorded.until) if recorded.until else None
    except (ReconcilerError, StopTokenError, SuspensionStoreError) as error:
        fail(error)
        return
    ends = f" until {until}" if until else " until resumed"
    click.echo(printable(f"suspended {_name(name)}{ends}: {reason.strip()}"))
    raise SystemExit(EXIT_OK)


@click.command()
@_where
def resume(
    group: str | None,
    every: bool,
    controller: str | None,
    token_file: Path | None,
    cache_dir: Path | None,
) -> None:
    """Apply to GROUP (or --all) again: remove the operator's suspension.

    A `suspend` written in the specs stays until the specs change; `resume --all` removes only
    the suspension of every group, not those of single groups.

    \b
    Exit status: 0 resumed, 1 error, 3 there was no such suspension.
    """
    name = _group(group, every)
    try:
        if controller:
            body = {"all": True} if name == ALL_GROUPS else {"group": name}
            resumed = bool(_post(controller, token_file, "/resume", body)["resumed"])
        else:
            resumed = _store(cache_dir).resume(name)
    except (ReconcilerError, StopTokenError, SuspensionStoreError) as error:
        fail(error)
        return
    if not resumed:
        click.echo(printable(f"{_name(name)} was not suspended by an operator"), err=True)
        raise SystemExit(EXIT_NOTHING_TO_RESUME)
    click.echo(printable(f"resumed {_name(name)}"))
    raise SystemExit(EXIT_OK)


@click.command()
@click.argument("group")
@click.option("--to", "to_revision", metavar="REVISION", help="The revision id to put back.")
@click.option(
    "--last-good",
    is_flag=True,
    help="The newest earlier revision whose rollout succeeded on its devices (the default).",
)
@specs_option
@endpoint_option
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The controller's cache directory, where the rollback is recorded so that the "
    "controller does not undo it [env RECONCILER_CACHE_DIR].",
)
@click.option(
    "--revert-pr",
    is_flag=True,
    help="Then open a pull request that reverts the commits which changed GROUP since the "
    "restored revision's commit, so that Git catches up (needs --github-repo and a token).",
)
@click.option(
    "--github-repo",
    metavar="OWNER/NAME",
    help="The specs' repository on GitHub [env RECONCILER_GITHUB_REPO].",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="GitHub token file [env RECONCILER_GITHUB_TOKEN_FILE; default: GITHUB_TOKEN].",
)
@click.option(
    "--remote", default="origin", show_default=True, help="Where the revert branch is pushed."
)
@click.option("--base", help="The pull request's base branch [default: the branch checked out].")
def rollback(
    group: str,
    to_revision: str | None,
    last_good: bool,
    specs_path: Path,
    endpoint_url: str | None,
    cache_dir: Path | None,
    revert_pr: bool,
    github_repo: str | None,
    token_file: Path | None,
    remote: str,
    base: str | None,
) -> None:
    """Deploy an earlier revision of GROUP now: --to REVISION, or --last-good.

    The new revision carries the earlier one's content. The group shows `RolledBack` and the
    controller leaves it alone until the specs match it again or a commit changes what they
    ask of the group. The specs name the account and region.

    \b
    Examples:
      reconciler rollback CameraFleetProd --last-good
      reconciler rollback CameraFleetProd --to 6
      reconciler rollback CameraFleetProd --last-good --revert-pr --github-repo acme/fleet
    Exit status: 0 rolled back (and the pull request opened), 1 error (nothing to roll back
    to: nothing created; or rolled back, but the pull request could not be opened: the
    rollback stands, the message says why).
    """
    if to_revision is not None and last_good:
        raise click.UsageError("give --to REVISION or --last-good, not both")
    settings = ReconcilerSettings()
    repository = None
    if revert_pr:
        # Checked before anything is rolled back: a missing repository is a usage error.
        name = github_repo or settings.github_repo
        if not name:
            raise click.UsageError("--revert-pr needs --github-repo OWNER/NAME")
        try:
            repository = RepoRef.parse(name)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    spec_set = load_specs_or_exit(specs_path)
    spec = spec_set.deployment_for(group)
    parent = spec.parent_thing_group if spec is not None else None
    try:
        runtime = runtime_for(spec_set, endpoint_url, cache_dir=cache_dir)
        result = roll_back(
            runtime,
            group,
            target_arn=spec_set.settings.target_arn(group),
            to_revision=to_revision,
            instance=runtime.settings.instance,
            store=_store(cache_dir),
            parent_target_arn=spec_set.settings.thing_group_arn(parent) if parent else None,
        )
    except RollbackError as error:
        fail(ReconcilerError(str(error)))
        return
    except ReconcilerError as error:
        fail(error)
        return
    click.echo(
        printable(
            f"rolled back {group}: revision {result.from_revision} -> the content of revision "
            f"{result.to_revision} (deployment {result.deployment_id})"
        )
    )
    if repository is not None:
        _open_revert_pr(
            result,
            specs_path,
            repository,
            token_file=token_file or settings.github_token_file,
            api_url=settings.github_api_url,
            remote=remote,
            base=base,
        )
    raise SystemExit(EXIT_OK)


def _open_revert_pr(
    result: RollbackResult,
    specs_path: Path,
    repository: RepoRef,
    *,
    token_file: Path | None,
    api_url: str,
    remote: str,
    base: str | None,
) -> None:
    """The revert pull request after a rollback; its failure leaves the rollback standing."""

    def failed(reason: str) -> None:
        fail(ReconcilerError(f"the rollback stands, but no revert pull request: {reason}"))

    if result.to_commit is None:
        failed(f"revision {result.to_revision} records no commit (made outside Git?)")
        return
    try:
        with GitHubClient(read_token(token_file), api_url=api_url) as client:
            pull = open_revert_pull_request(
                specs_path=specs_path,
                thing_group=result.thing_group,
                good_commit=result.to_commit,
                from_revision=result.from_revision,
                to_revision=result.to_revision,
                github=client,
                repository=repository,
                remote=remote,
                base=base,
                progress=lambda line: click.echo(printable(line), err=True),
            )
    except (ReconcilerError, PublishError) as error:
        failed(str(error))
        return
    verb = "opened" if pull.opened else "already open:"
    click.echo(printable(f"{verb} pull request #{pull.number} {pull.url} ({pull.branch})"))


@click.command()
@click.argument("rollout")
@click.argument("wave")
@click.option(
    "--controller",
    metavar="URL",
    help="A running controller (http://host:8080): record it through its HTTP API.",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File with the controller's stop token (its RECONCILER_STOP_TOKEN_FILE).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Without --controller: the controller's cache directory, where its rollout gate "
    "state is kept [env RECONCILER_CACHE_DIR].",
)
def approve(
    rollout: str,
    wave: str,
    controller: str | None,
    token_file: Path | None,
    cache_dir: Path | None,
) -> None:
    """Approve WAVE of the Rollout ROLLOUT, whose gate has `approval: true`.

    The approval is for the change the Rollout is rolling out now (a newer commit needs a new
    one); once the wave's other gate conditions held for its bake, the next wave goes. It is
    recorded outside Git and survives restarts.

    \b
    Examples:
      reconciler approve camera-models canary
      reconciler approve camera-models canary --controller http://ctl:8080 --token-file t
    Exit status: 0 approved, 1 error (no such Rollout or wave in progress, halted).
    """
    try:
        if controller:
            body = {"rollout": rollout, "wave": wave}
            change = str(_post(controller, token_file, "/approve", body)["change"])
        else:
            directory = _cache_dir(cache_dir)
            record = approve_wave(
                RolloutWaveStore(directory),
                ApprovalStore(directory),
                rollout,
                wave,
                at=datetime.now(UTC),
            )
            change = record.change
    except (ReconcilerError, StopTokenError, ApprovalError, RolloutWaveStoreError) as error:
        fail(error)
        return
    click.echo(printable(f"approved wave {wave} of {rollout} for change {change}"))
    raise SystemExit(EXIT_OK)
