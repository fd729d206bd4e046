"""`reconciler emulator`: a local AWS endpoint with Greengrass v2, S3, IoT and STS."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=4566,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one (printed on start).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep state in this file across restarts (crash-safe journal + snapshot).",
)
@click.option("--region", default="us-east-1", show_default=True, help="Default region.")
@click.option("--account", default="123456789012", show_default=True, help="12-digit account.")
@click.option(
    "--fleet",
    "fleet_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Simulated core devices, groups, failure rules and timing (YAML, see docs/emulator.md).",
)
@click.option(
    "--component-ready-seconds",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Component versions go REQUESTED -> DEPLOYABLE after this long.",
)
@click.option(
    "--throttle-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of requests answered 429 ThrottlingException (with Retry-After).",
)
@click.option(
    "--quota-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Requests per second each operation may take (AWS's per-API request-rate quotas); "
    "more is answered as throttled. 0: no quota.",
)
@click.option(
    "--error-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of requests answered 500 InternalServerException.",
)
@click.option(
    "--in-progress-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of CreateComponentVersion/CreateDeployment requests answered 400 "
    "RequestAlreadyInProgressException.",
)
@click.option(
    "--quota-exceeded-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of CreateComponentVersion requests answered 402 ServiceQuotaExceededException.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Latency added to every faulted-service request.",
)
@click.option(
    "--fault-operations",
    default="",
    metavar="OP,OP",
    help="Restrict faults to these operations (e.g. CreateDeployment,ListDeployments).",
)
@click.option(
    "--fault-services",
    default="greengrassv2",
    show_default=True,
    metavar="SVC,SVC",
    help="Services whose requests faults apply to (greengrassv2, s3, iot, sts).",
)
@click.option("--fault-seed", type=int, help="Seed for deterministic fault injection.")
@click.option(
    "--strict-responses/--no-strict-responses",
    default=False,
    show_default=True,
    help="Check every Greengrass response against its botocore output shape (500 on mismatch).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Request worker threads (more only adds GIL contention on small machines).",
)
@click.option(
    "--server",
    "server_kind",
    type=click.Choice(["waitress", "werkzeug"]),
    default="waitress",
    show_default=True,
    help="HTTP server: waitress (production) or werkzeug (fallback).",
)
@click.option(
    "--seed",
    "seed_specs",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Pre-create what the deploy-specs at this path expect an account to have: their "
    "thing groups, the artifact bucket, and the S3 objects their overrides reference.",
)
def emulator(
    seed_specs: Path | None,
    host: str,
    port: int,
    state_file: Path | None,
    region: str,
    account: str,
    fleet_file: Path | None,
    component_ready_seconds: float,
    throttle_rate: float,
    quota_rate: float,
    error_rate: float,
    in_progress_rate: float,
    quota_exceeded_rate: float,
    latency_ms: float,
    fault_operations: str,
    fault_services: str,
    fault_seed: int | None,
    strict_responses: bool,
    threads: int,
    server_kind: str,
) -> None:
    """Run a local AWS emulator: Greengrass v2 (our own), S3, IoT and STS (moto) on one port.

    Point any AWS SDK or the AWS CLI at it and use any credentials:

    \b
      export AWS_ENDPOINT_URL=http://127.0.0.1:4566
      export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
      aws greengrassv2 list-components --scope PUBLIC

    The admin API under /_emulator/ resets state, injects faults and lists the requests served
    (see docs/emulator.md). Stop with Ctrl-C or SIGTERM.
    """
    # Imported here so that `reconciler --help` does not pay for loading moto.
    from reconciler.emulator.faults import FaultSettings
    from reconciler.emulator.fleet.fleet_file import FleetFileError, load_fleet_file
    from reconciler.emulator.options import EmulatorOptions
    from reconciler.emulator.persistence import StateFileError
    from reconciler.emulator.server import EmulatorServer

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # waitress warns whenever a request waits for a free thread: normal under load tests.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    fleet = None
    if fleet_file is not None:
        try:
            fleet = load_fleet_file(str(fleet_file), fleet_file.read_bytes())
        except (FleetFileError, OSError) as error:
            raise click.ClickException(str(error)) from error
    try:
        faults = FaultSettings(
            throttle_rate=throttle_rate,
            error_rate=error_rate,
            in_progress_rate=in_progress_rate,
            quota_exceeded_rate=quota_exceeded_rate,
            latency_ms=latency_ms,
            quota_rate=quota_rate,
            operations=_names(fault_operations),
            services=_names(fault_services),
            seed=fault_seed,
        )
        options = EmulatorOptions(
            region=region,
            account_id=account,
            component_ready_seconds=component_ready_seconds,
            fleet=fleet,
            strict_responses=strict_responses,
            faults=faults,
            threads=threads,
            server=server_kind,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    server = EmulatorServer(host=host, port=port, state_file=state_file, options=options)
    try:
        server.start()
    except StateFileError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {error}") from error
    if seed_specs is not None:
        _seed(server.endpoint_url, seed_specs)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    where = (
        f" (state: {state_file}, {server.replayed_changes} changes replayed)" if state_file else ""
    )
    if fleet is not None:
        where += f" with {len(fleet.devices)} simulated core devices"
    click.echo(f"Greengrass v2 + S3, IoT, STS emulator on {server.endpoint_url}{where}")
    click.echo(f"  export AWS_ENDPOINT_URL={server.endpoint_url}")
    click.echo(f"Emulator ready at {server.endpoint_url}", nl=True)
    stop.wait()  # signal handlers run in this (main) thread and set the event
    server.stop()
    click.echo("Emulator stopped")


def _seed(endpoint_url: str, specs: Path) -> None:
    from reconciler.adapters.spec_files import load_spec_set
    from reconciler.cli.seeding import seed_account
    from reconciler.errors import SpecError

    try:
        spec_set = load_spec_set(specs)
    except SpecError as error:
        raise click.ClickException(
            f"--seed {specs}: the specs are invalid (run `reconciler validate {specs}`): {error}"
        ) from error
    seed_account(endpoint_url, spec_set)
    groups = ", ".join(d.thing_group for d in spec_set.deployments)
    click.echo(
        f"Seeded from {specs}: thing groups {groups}; bucket {spec_set.settings.artifact_bucket}"
    )


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())
