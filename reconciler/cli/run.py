"""`reconciler run`: the controller that keeps the fleet converged on Git."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.adapters.http.stops import read_token_file
from reconciler.adapters.http.webhook import read_secret_file
from reconciler.adapters.notifiers.factory import build_publisher
from reconciler.adapters.sources.credentials import GitCredentials
from reconciler.adapters.sources.factory import open_source
from reconciler.cli.common import EXIT_ERROR, EXIT_OK, fail
from reconciler.core.printable import printable
from reconciler.engine.leadership import build_elector
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.running import Controller
from reconciler.engine.status import ControllerStatus
from reconciler.errors import ReconcilerError
from reconciler.logs import configure_logging
from reconciler.settings import ReconcilerSettings


@click.command("run")
@click.option(
    "--source", help="Local directory, local Git repo, or Git URL [env RECONCILER_SOURCE]."
)
@click.option("--branch", help="Branch to follow [env RECONCILER_BRANCH, default main].")
@click.option(
    "--path",
    help="Specs directory inside the Git repo [env RECONCILER_PATH, default deploy-specs].",
)
@click.option(
    "--poll-interval",
    type=float,
    help="Seconds between Git fetches [env RECONCILER_POLL_INTERVAL, default 60].",
)
@click.option(
    "--resync-interval",
    type=float,
    help="Seconds between full resyncs [env RECONCILER_RESYNC_INTERVAL, default 600].",
)
@click.option(
    "--http-host",
    help="Address of the probes/metrics/webhook server [env RECONCILER_HTTP_HOST, 0.0.0.0].",
)
@click.option(
    "--http-port",
    type=int,
    help="Port of that server; 0 picks a free one [env RECONCILER_HTTP_PORT, 8080].",
)
@click.option(
    "--webhook-secret-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Enables POST /webhook [env RECONCILER_WEBHOOK_SECRET_FILE].",
)
@click.option(
    "--stop-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Enables POST /suspend and /resume with this bearer token "
    "[env RECONCILER_STOP_TOKEN_FILE].",
)
@click.option(
    "--lock",
    type=click.Choice(["none", "file", "kubernetes", "s3"]),
    help="Who may write [env RECONCILER_LOCK, default file].",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Git checkouts, the file lock and the fact cache [env RECONCILER_CACHE_DIR].",
)
@click.option(
    "--cache/--no-cache",
    "fact_cache",
    default=None,
    help="Keep immutable facts read from AWS in CACHE_DIR/facts [env RECONCILER_FACT_CACHE, on].",
)
@click.option(
    "--endpoint-url",
    help="Send every AWS call here (a local emulator) [env RECONCILER_ENDPOINT_URL].",
)
@click.option("--once", is_flag=True, help="Run one full cycle, print its outcome, and exit.")
def run(once: bool, **given: Any) -> None:
    """Run the controller: reconcile on start, on every new commit, and on a schedule.

    Every setting also reads from the environment as RECONCILER_<NAME> (see docs/controller.md);
    options given here win. Serves /healthz, /readyz, /metrics, /status and POST /webhook.

    \b
    Examples:
      reconciler run --source https://github.com/acme/fleet.git --branch main
      reconciler run --source ./fleet-repo --poll-interval 5 --http-port 8080
      reconciler run --once --source deploy-specs
    """
    overrides = {name: value for name, value in given.items() if value is not None}
    try:
        settings = ReconcilerSettings(**overrides)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    configure_logging(settings.log_format, settings.log_level)
    try:
        source = open_source(
            settings.source,
            branch=settings.branch,
            path=settings.path,
            cache_dir=settings.cache_dir / "sources",
            credentials=GitCredentials.given(
                token=settings.git_token.get_secret_value() if settings.git_token else None,
                token_file=settings.git_token_file,
                username=settings.git_username,
                ssh_key_file=settings.git_ssh_key_file,
            ),
        )
        if once:
            status = ControllerStatus()
            notifier = build_publisher(settings)
            outcome = Reconciler(
                source=source, settings=settings, status=status, events=notifier
            ).reconcile("once", full=True)
            source.close()
            if notifier is not None:
                notifier.close(timeout=30)
            click.echo(printable(f"{outcome.result}: {outcome.message}"))
            raise SystemExit(EXIT_OK if outcome.result == "success" else EXIT_ERROR)
        secret = (
            read_secret_file(settings.webhook_secret_file) if settings.webhook_secret_file else None
        )
        controller = Controller(
            settings=settings,
            source=source,
            elector=build_elector(settings),
            webhook_secret=secret,
            stop_token=(
                read_token_file(settings.stop_token_file) if settings.stop_token_file else None
            ),
        )
    except (ReconcilerError, ValueError) as error:
        fail(error if isinstance(error, ReconcilerError) else ReconcilerError(str(error)))
        return
    controller.run_forever()
