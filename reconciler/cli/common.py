"""Pieces shared by the commands that talk to AWS: loading specs, building the runtime, errors."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from reconciler.adapters.commit_info import describe_commit
from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.problems import problems_of, report_problems
from reconciler.core.printable import printable, printable_lines
from reconciler.core.specs import SpecSet
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.errors import GitNotFoundError, ReconcilerError, SpecError
from reconciler.settings import ReconcilerSettings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

# Allocations between two young collections while a one-shot command runs (Python's default:
# 700). See `runs_once`.
ONE_SHOT_GEN0_THRESHOLD = 50_000


def runs_once(command: F) -> F:
    """For a command that builds its whole state once and exits (`plan`): the cyclic garbage
    collector runs less often while it runs. The specs, the live state and the plan are millions
    of objects that live until the process exits, and with the default threshold the collector
    walks them again and again (1,440 collections, 10 of them full, about a tenth of a
    10,000-group plan's CPU; bench/analysis.md). The few cycles such a command leaves behind are
    still collected, only later. The threshold is restored afterwards (tests run commands in
    one process); the long-running controller keeps Python's defaults."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        previous = gc.get_threshold()
        gc.set_threshold(ONE_SHOT_GEN0_THRESHOLD, *previous[1:])
        try:
            return command(*args, **kwargs)
        finally:
            gc.set_threshold(*previous)

    return cast(F, run)


def specs_option(function: F) -> F:
    return click.option(
        "--specs",
        "specs_path",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("deploy-specs"),
        show_default=True,
        help="The specs directory.",
    )(function)


def endpoint_option(function: F) -> F:
    return click.option(
        "--endpoint-url",
        default=None,  # None: ReconcilerSettings reads RECONCILER_ENDPOINT_URL
        help="Send every AWS call to this endpoint (a local emulator) (env "
        "RECONCILER_ENDPOINT_URL; boto3 also honours AWS_ENDPOINT_URL).",
    )(function)


def commit_option(function: F) -> F:
    return click.option(
        "--commit",
        default=None,
        help="Commit SHA recorded in tags and shown in the plan (env RECONCILER_COMMIT; default: "
        "CI's GITHUB_SHA or CI_COMMIT_SHA, else the specs' Git HEAD).",
    )(function)


def cache_options(function: F) -> F:
    """`--cache-dir` and `--cache/--no-cache`: where, and whether, immutable facts read from AWS
    are kept between runs (docs/cache.md)."""
    function = click.option(
        "--cache/--no-cache",
        "fact_cache",
        default=None,
        help="Keep immutable facts read from AWS (deployment documents, public recipes), and "
        "`plan`'s no-op plans, between runs in CACHE_DIR/facts (env RECONCILER_FACT_CACHE, "
        "default on).",
    )(function)
    return click.option(
        "--cache-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Cache directory (env RECONCILER_CACHE_DIR; default: "
        "$XDG_CACHE_HOME/greengrass-reconciler, else ~/.cache/greengrass-reconciler). Safe to "
        "delete at any time.",
    )(function)


def progress(line: str) -> None:
    click.echo(printable(line), err=True)


def load_specs_or_exit(path: Path) -> SpecSet:
    """The specs, or every problem printed as `validate` prints it and exit 1."""
    try:
        return load_spec_set(path)
    except SpecError as error:
        report_problems(path, problems_of(error), "text")
        raise SystemExit(EXIT_ERROR) from None


def runtime_for(
    spec_set: SpecSet,
    endpoint_url: str | None,
    *,
    cache_dir: Path | None = None,
    fact_cache: bool | None = None,
    keep_plans: bool = False,
) -> Runtime:
    """The runtime of the account and region the specs' Settings name (see `runtime_at`)."""
    return runtime_at(
        spec_set.settings.region,
        spec_set.settings.account_id,
        endpoint_url,
        cache_dir=cache_dir,
        fact_cache=fact_cache,
        keep_plans=keep_plans,
    )


def runtime_at(
    region: str,
    account: str,
    endpoint_url: str | None,
    *,
    cache_dir: Path | None = None,
    fact_cache: bool | None = None,
    keep_plans: bool = False,
) -> Runtime:
    given = {"endpoint_url": endpoint_url, "cache_dir": cache_dir, "fact_cache": fact_cache}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None and v != ""}
    settings = ReconcilerSettings(**overrides)
    # A command plans once: a plan memo (the controller's, for its next cycles) would only
    # cost the keys and the compact copies of every group's plan. With `keep_plans` (a plan
    # rendered as text or Markdown) it takes its no-ops from earlier commands (kept_plans.py).
    return build_runtime(
        settings,
        region=region,
        account=account,
        remember_plans=False,
        keep_plans=keep_plans,
    )


def commit_of(path: Path, given: str | None, settings: ReconcilerSettings) -> str | None:
    """The commit to record: `given` (--commit), else the `commit` setting (RECONCILER_COMMIT),
    else what CI says or the specs' Git HEAD. Without Git installed the plan goes on without one
    (Git only names the commit here), after a warning that says so."""
    if given or settings.commit:
        return given or settings.commit
    try:
        return describe_commit(path)
    except GitNotFoundError as error:
        warning = click.style("Warning: ", fg="yellow", bold=True)
        progress(f"{warning}{error}: no commit is recorded (give one with --commit)")
        return None


def fail(error: ReconcilerError) -> None:
    """Print a reconciler error (never a traceback) and exit 1.

    Messages name files, groups and keys from the specs: their control characters are shown.
    """
    click.echo(click.style("Error: ", fg="red", bold=True) + printable_lines(str(error)), err=True)
    sys.exit(EXIT_ERROR)
