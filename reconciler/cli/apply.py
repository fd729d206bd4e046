"""`reconciler apply`: plan, confirm, then create component versions and deployment revisions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from reconciler.adapters.rollout_waves import ApprovalStore, RolloutWaveStore
from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    cache_options,
    commit_of,
    commit_option,
    endpoint_option,
    fail,
    load_specs_or_exit,
    progress,
    runtime_for,
    specs_option,
)
from reconciler.core.plan import PruneMode
from reconciler.core.printable import printable
from reconciler.core.rendering import render_text
from reconciler.core.specs.spec_set import SpecSet
from reconciler.engine.applying import ApplyOptions, ApplyReport, Outcome
from reconciler.engine.leadership import writer_lease
from reconciler.engine.runtime import Runtime
from reconciler.engine.waves import WaveEnforcer
from reconciler.errors import ReconcilerError

_OUTCOME_COLOURS = {
    Outcome.APPLIED: "green",
    Outcome.PRUNED: "yellow",
    Outcome.UNINSTALLING: "yellow",
    Outcome.UNCHANGED: None,
    Outcome.SKIPPED: None,
    Outcome.FAILED: "red",
}


@click.command("apply")
@specs_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="GROUP",
    help="Only these thing groups (repeatable). Component versions they need are created.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Prune reconciler-made deployments of groups no spec targets any more, as the "
    "Settings' defaults.syncPolicy.prune says (cancel when it says false).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply even while another writer (a running controller) holds the leader lease.",
)
@commit_option
@endpoint_option
@cache_options
def apply(
    specs_path: Path,
    auto_approve: bool,
    targets: tuple[str, ...],
    prune: bool,
    force: bool,
    commit: str | None,
    endpoint_url: str | None,
    cache_dir: Path | None,
    fact_cache: bool | None,
) -> None:
    """Bring the thing groups to the state the specs describe.

    Computes the plan and shows it, asks for confirmation on a terminal (never waits when stdin
    is not a terminal: pass --auto-approve there), then uploads artifacts, creates component
    versions and waits until they are DEPLOYABLE, and creates one deployment revision per changed
    thing group. Every write is idempotent: running apply again, or after a crash, creates no
    duplicate.

    Apply takes the leader lease a controller takes (RECONCILER_LOCK, file by default) before it
    reads the live state, and keeps it until it is done, so it never writes beside a controller:
    while one holds the lease, apply refuses and names the holder (--force applies anyway). A
    controller waits while apply holds it.

    Rollouts are enforced as the controller enforces them, with the gate state in the same
    cache directory: apply sends only the waves whose earlier gates passed (a halted Rollout,
    none; with onFailure: revert it sends the failed wave back), lists the groups it held and
    why, and never waits for a bake: run it again later (or let the controller) to go on.

    \b
    Exit codes: 0 everything applied (or nothing to do, or held by a Rollout), 1 anything
    failed.
    \b
    Examples:
      reconciler apply
      reconciler apply --auto-approve --target CameraFleetStaging
    """
    spec_set = load_specs_or_exit(specs_path)
    known = {d.thing_group for d in spec_set.deployments}
    unknown = sorted(set(targets) - known)
    if unknown:
        raise click.BadParameter(
            f"no spec targets {', '.join(unknown)} (known: {', '.join(sorted(known))})",
            param_hint="--target",
        )
    # Its plan is printed as text: unchanged groups may come from earlier commands' kept plans.
    runtime = runtime_for(
        spec_set, endpoint_url, cache_dir=cache_dir, fact_cache=fact_cache, keep_plans=True
    )
    try:
        with writer_lease(runtime.settings, force=force) as may_write:
            _plan_and_apply(
                runtime, spec_set, specs_path, commit, auto_approve, targets, prune, may_write
            )
    except ReconcilerError as error:
        fail(error)


def _plan_and_apply(
    runtime: Runtime,
    spec_set: SpecSet,
    specs_path: Path,
    commit: str | None,
    auto_approve: bool,
    targets: tuple[str, ...],
    prune: bool,
    may_write: Callable[[], bool],
) -> None:
    sha = commit_of(specs_path, commit, runtime.settings)
    progress(f"Reading live state for {len(spec_set.deployments)} thing group(s)…")
    runtime.verify_account()
    plan = runtime.plan(spec_set, commit=sha, specs_path=specs_path.as_posix())
    click.echo(render_text(plan, color=sys.stdout.isatty()), nl=False)
    if not plan.has_changes:
        raise SystemExit(EXIT_OK)
    if not auto_approve:
        if not sys.stdin.isatty():
            click.echo(
                "Refusing to apply without confirmation: stdin is not a terminal. "
                "Review the plan and pass --auto-approve.",
                err=True,
            )
            raise SystemExit(EXIT_ERROR)
        if not click.confirm("Apply this plan?", default=False):
            click.echo("Nothing applied.")
            raise SystemExit(EXIT_OK)
    only = frozenset(targets) or None
    if spec_set.rollouts:
        directory = runtime.settings.cache_dir
        holds = WaveEnforcer(RolloutWaveStore(directory), ApprovalStore(directory)).enforce(
            plan, spec_set, runtime, now=time.time(), commit=sha
        )
        for group, hold in sorted(holds.items()):
            click.secho(
                printable(f"{group}: held ({hold.state.value}) — {hold.reason}"), fg="yellow"
            )
        if holds:
            only = (only or frozenset(t.thing_group for t in plan.targets)) - holds.keys()
    options = ApplyOptions(
        instance=runtime.settings.instance,
        commit=sha,
        specs_root=specs_path,
        prune=PruneMode.CANCEL
        if prune and spec_set.settings.prune is PruneMode.OFF
        else spec_set.settings.prune,
        only_groups=only,
        concurrency=runtime.settings.concurrency,
    )
    report = runtime.applier(progress=progress, may_write=may_write).apply(plan, options)
    _print_report(report)
    raise SystemExit(EXIT_ERROR if report.failed else EXIT_OK)


def _print_report(report: ApplyReport) -> None:
    click.echo("")
    for version in report.versions:
        line = f"component {version.name} {version.version}: {version.outcome.value}"
        if version.reason:
            line += f" — {version.reason}"
        click.secho(printable(line), fg=_OUTCOME_COLOURS[version.outcome])
    for target in report.targets:
        line = f"{target.thing_group}: {target.outcome.value}"
        if target.deployment_id and target.outcome is Outcome.APPLIED:
            line += f" (deployment {target.deployment_id})"
        if target.reason:
            line += f" — {target.reason}"
        click.secho(printable(line), fg=_OUTCOME_COLOURS[target.outcome])
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome if report.count(o))
    click.echo(
        f"\nApply finished: {counts}; {report.artifacts_uploaded} artifact(s) uploaded, "
        f"{report.artifacts_skipped} already there."
    )
