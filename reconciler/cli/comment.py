"""`reconciler comment`: publish a plan (Markdown) as the sticky comment of a pull request."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import click

from reconciler.adapters.github import (
    DEFAULT_API_URL,
    GitHubClient,
    PublishError,
    RepoRef,
    publish_sticky_comment,
    read_token,
    set_plan_status,
    status_description,
)
from reconciler.core.markers import DEFAULT_KEY, validate_key
from reconciler.retrying import GITHUB_RETRY

_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


def _parse_repo(_ctx: click.Context, _param: click.Parameter, value: str) -> RepoRef:
    try:
        return RepoRef.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


def _check_key(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return validate_key(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


def _check_sha(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _SHA.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a full commit SHA (40 hex digits)")
    return value


def _actions_run_location() -> str | None:
    """Where a truncated plan's full version is when running in GitHub Actions: the run."""
    server, repository, run_id = (
        os.environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if not (server and repository and run_id):
        return None
    return f"the artifacts of workflow run {server}/{repository}/actions/runs/{run_id}"


def _read_markdown(markdown_file: Path | None) -> str:
    if markdown_file is None:
        if sys.stdin.isatty():
            raise click.UsageError("give the plan with --file PATH or pipe it on stdin")
        text = sys.stdin.read()
    else:
        text = markdown_file.read_text(encoding="utf-8")
    if not text.strip():
        source = markdown_file or "stdin"
        raise click.UsageError(f"the plan Markdown from {source} is empty: nothing to publish")
    return text


@click.command("comment")
@click.option(
    "--repo",
    required=True,
    metavar="OWNER/NAME",
    callback=_parse_repo,
    help="The repository of the pull request.",
)
@click.option("--pr", required=True, type=click.IntRange(min=1), help="The pull request number.")
@click.option(
    "--file",
    "markdown_file",
    metavar="PATH",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The plan Markdown (e.g. plan.md). Default: read stdin.",
)
@click.option(
    "--key",
    default=DEFAULT_KEY,
    show_default=True,
    callback=_check_key,
    help="Which sticky comment: one per key, e.g. one per account.",
)
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    show_envvar=True,
    default=DEFAULT_API_URL,
    show_default=True,
    help="GitHub API base URL; GitHub Enterprise: https://HOST/api/v3.",
)
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the token from this file instead of the GITHUB_TOKEN variable.",
)
@click.option(
    "--status-sha",
    metavar="SHA",
    callback=_check_sha,
    help="Also set the commit status greengrass-reconciler/plan on this commit.",
)
@click.option(
    "--status-description",
    "status_description_text",
    metavar="TEXT",
    help="The status description. Default: the plan's first summary line.",
)
@click.option(
    "--full-plan-url",
    metavar="URL",
    help="Where the full plan is, named in the note of a truncated comment. "
    "Default in GitHub Actions: the workflow run's artifacts.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 20),
    default=GITHUB_RETRY.max_attempts,
    show_default=True,
    help="Attempts per request on rate limits and GitHub errors.",
)
def comment(
    repo: RepoRef,
    pr: int,
    markdown_file: Path | None,
    key: str,
    api_url: str,
    token_file: Path | None,
    status_sha: str | None,
    status_description_text: str | None,
    full_plan_url: str | None,
    max_attempts: int,
) -> None:
    """Post the plan as one sticky comment on a pull request, updated in place on every run.

    \b
    Prints one line: created|updated|unchanged and the comment URL. Exit 0 on success,
    1 when GitHub could not be updated (missing or insufficient token, not found, rate limit).
    """
    markdown = _read_markdown(markdown_file)
    try:
        token = read_token(token_file)
        client = GitHubClient(
            token,
            api_url=api_url,
            retry=replace(GITHUB_RETRY, max_attempts=max_attempts),
            on_retry=lambda notice: click.echo(f"warning: {notice}", err=True),
        )
    except (PublishError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    location = full_plan_url or _actions_run_location()
    try:
        with client:
            result = publish_sticky_comment(
                client, repo, pr, markdown, key, full_plan_location=location
            )
            if status_sha is not None:
                description = status_description_text or status_description(markdown)
                set_plan_status(client, repo, status_sha, description, target_url=result.url)
    except PublishError as error:
        raise click.ClickException(str(error)) from error
    if result.truncated:
        click.echo(
            f"warning: the plan was truncated to fit GitHub's comment size limit "
            f"({result.omitted_lines} lines left out)",
            err=True,
        )
    status = f" (status {status_sha[:12]} set)" if status_sha else ""
    click.echo(f"{result.outcome} {result.url}{status}")
