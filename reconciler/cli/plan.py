"""`reconciler plan`: what would change, read-only."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.adapters.spec_files import settings_hint
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    cache_options,
    commit_of,
    commit_option,
    endpoint_option,
    fail,
    load_specs_or_exit,
    progress,
    runs_once,
    runtime_at,
    runtime_for,
    specs_option,
)
from reconciler.core.rendering import render_json, render_markdown, render_text
from reconciler.engine.read_ahead import ReadAhead
from reconciler.engine.targeting import select_targets
from reconciler.errors import ReconcilerError


@click.command("plan")
@specs_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for a terminal, json for tools (docs/plan-json.md), markdown for a PR comment.",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write here.")
@click.option("--show-unchanged", is_flag=True, help="List unchanged thing groups too.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a TTY).")
@click.option("--key", default="default", show_default=True, help="Sticky-comment key (markdown).")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="GROUP",
    help="Plan only these thing groups (repeatable); only they are read.",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Plan only the thing groups whose desired state differs between commit REF and the "
    "specs as they are (a change to a base, a component, an override or the Settings selects "
    "every group it reaches), and groups whose spec was removed since REF.",
)
@click.option(
    "--no-device-count",
    is_flag=True,
    help="Do not count the devices of prune candidates and of the waves of each Rollout the "
    "change goes through (counted: one ListThingsInThingGroup read per group, 250 a page).",
)
@commit_option
@endpoint_option
@cache_options
@runs_once
def plan(
    specs_path: Path,
    output_format: str,
    out: Path | None,
    show_unchanged: bool,
    color: bool | None,
    key: str,
    targets: tuple[str, ...],
    changed_since: str | None,
    no_device_count: bool,
    commit: str | None,
    endpoint_url: str | None,
    cache_dir: Path | None,
    fact_cache: bool | None,
) -> None:
    """Show what apply would change, without changing anything.

    Reads the specs and the live Greengrass deployments of every thing group they target (only
    Get/List/Describe calls), then prints the difference: component versions to create,
    configuration merge/reset per component, policy changes, and prune candidates.

    \b
    Exit codes: 0 nothing would change, 2 changes are planned, 1 error.
    \b
    Examples:
      reconciler plan
      reconciler plan --format markdown --out plan.md
      reconciler comment --repo acme/fleet --pr 7 --file plan.md
      reconciler plan --format json | jq '.targets[] | select(.action != "no-op")'
      reconciler plan --changed-since origin/main --format markdown --out plan.md
    """
    # JSON prints every group's configuration documents, which kept no-op plans lack.
    keep_plans = output_format != "json"
    hint = settings_hint(specs_path) if not targets and not changed_since else None
    ahead = (
        ReadAhead(
            runtime_at(
                *hint,
                endpoint_url,
                cache_dir=cache_dir,
                fact_cache=fact_cache,
                keep_plans=keep_plans,
            )
        )
        if hint is not None
        else None
    )
    try:
        spec_set = load_specs_or_exit(specs_path)
    except SystemExit:
        if ahead is not None:
            ahead.wait()  # no call of this command outlives it
        raise
    known = {d.thing_group for d in spec_set.deployments}
    unknown = sorted(set(targets) - known)
    if unknown:
        raise click.BadParameter(
            f"no spec targets {', '.join(unknown)} (known: {', '.join(sorted(known))})",
            param_hint="--target",
        )
    try:
        selection = select_targets(
            spec_set, specs_path, targets=targets, changed_since=changed_since
        )
    except ReconcilerError as error:
        fail(error)
        return
    if ahead is not None and not ahead.is_for(
        spec_set.settings.region, spec_set.settings.account_id
    ):
        ahead.wait()  # read for the account a wrong hint named: read again
        ahead = None
    runtime = (
        ahead.runtime
        if ahead is not None
        else runtime_for(
            spec_set,
            endpoint_url,
            cache_dir=cache_dir,
            fact_cache=fact_cache,
            keep_plans=keep_plans,
        )
    )
    planned = spec_set if selection is None else selection.spec_set(spec_set)
    progress(f"Reading live state for {len(planned.deployments)} thing group(s)…")
    try:
        if ahead is not None:
            ahead.verify_account()
        else:
            runtime.verify_account()
        result = runtime.plan(
            planned,
            commit=commit_of(specs_path, commit, runtime.settings),
            specs_path=specs_path.as_posix(),
            scope=selection.scope(spec_set) if selection is not None else None,
            count_devices=not no_device_count,
            summaries=ahead.summaries() if ahead is not None else None,
        )
    except ReconcilerError as error:
        fail(error)
        return
    if selection is not None:
        result = selection.annotate(result)
    if output_format == "json":
        text = render_json(result)
    elif output_format == "markdown":
        text = render_markdown(result, key=key)
    else:
        use_color = color if color is not None else (out is None and sys.stdout.isatty())
        text = render_text(result, color=use_color, show_unchanged=show_unchanged)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        progress(f"Plan written to {out}")
    else:
        click.echo(text, nl=False)
    raise SystemExit(EXIT_CHANGES if result.has_changes else EXIT_OK)
