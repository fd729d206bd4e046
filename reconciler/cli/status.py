"""`reconciler status`: did the devices take each group's latest revision? Read from AWS."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler.adapters.aws.rollouts import RolloutReader
from reconciler.adapters.rollout_waves import RolloutWaveStore
from reconciler.cli.common import (
    EXIT_OK,
    endpoint_option,
    fail,
    load_specs_or_exit,
    progress,
    runtime_for,
    specs_option,
)
from reconciler.core.configuration import JsonValue
from reconciler.core.rendering.rollouts import (
    render_rollouts_json,
    render_rollouts_table,
    render_waves_table,
)
from reconciler.core.rollouts import RolloutState, RolloutView
from reconciler.core.specs import SpecSet
from reconciler.core.waves import rollout_status
from reconciler.engine.rollouts import AdoptedRevision, RolloutFollower
from reconciler.engine.status import ControllerStatus
from reconciler.errors import PlanError, ReconcilerError
from reconciler.settings import ReconcilerSettings

EXIT_PROGRESSING, EXIT_UNHEALTHY_ROLLOUT = 2, 3
_BAD_ENDS = (RolloutState.FAILED, RolloutState.DEGRADED, RolloutState.CANCELED)


def exit_code(
    views: dict[str, RolloutView | None],
    waves: dict[str, dict[str, JsonValue] | None] | None = None,
) -> int:
    """3 if a rollout ended Failed, Degraded or Canceled, or a Rollout is Halted; else 2 if one
    is still progressing; else 0."""
    states = [view.state for view in views.values() if view is not None]
    phases = [w.get("phase") for w in (waves or {}).values() if w is not None]
    if any(state in _BAD_ENDS for state in states) or "Halted" in phases:
        return EXIT_UNHEALTHY_ROLLOUT
    if any(state is RolloutState.PROGRESSING for state in states) or "Progressing" in phases:
        return EXIT_PROGRESSING
    return EXIT_OK


class _FleetRollouts:
    """The latest revision of each group, followed with the controller's own follower."""

    def __init__(self, spec_set: SpecSet, reader: RolloutReader, groups: tuple[str, ...]) -> None:
        self.status = ControllerStatus()
        self.follower = RolloutFollower(self.status)
        specs = {d.thing_group: d for d in spec_set.deployments}
        self.groups = sorted(groups or specs)
        unknown = sorted(set(self.groups) - set(specs))
        if unknown:
            raise PlanError(f"no Deployment in the specs targets {', '.join(unknown)}")
        latest = reader.latest_group_deployments(self.groups)
        self.follower.adopt(
            reader,
            [
                AdoptedRevision(
                    thing_group=group,
                    deployment_id=latest[group],
                    revision_id=None,
                    job_id=None,
                    commit=None,
                    policy=specs[group].rollout_policy,
                )
                for group in self.groups
                if group in latest
            ],
        )

    def read(self) -> dict[str, RolloutView | None]:
        self.follower.poll(due_only=False)
        views = self.status.rollouts()
        return {group: views.get(group) for group in self.groups}

    @property
    def following(self) -> int:
        return self.follower.following


@click.command("status")
@specs_option
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Only this thing group (repeatable; default: every group the specs target).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for a terminal; json has the shape of the controller's /status targets.",
)
@click.option("--watch", is_flag=True, help="Keep reading until every rollout has ended.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1.0),
    default=10.0,
    show_default=True,
    help="Seconds between reads with --watch.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.0),
    default=None,
    help="With --watch, give up after this many seconds (exit 2 if rollouts are still going).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The controller's cache directory, whose gate state shows each Rollout's phase "
    "[env RECONCILER_CACHE_DIR].",
)
@endpoint_option
def status(
    specs_path: Path,
    groups: tuple[str, ...],
    output_format: str,
    watch: bool,
    interval: float,
    timeout: float | None,
    cache_dir: Path | None,
    endpoint_url: str | None,
) -> None:
    """Show whether the devices took each thing group's latest revision.

    Reads AWS directly (no controller needed): the latest deployment of every group the specs
    target, its IoT job's execution counts (DescribeJob), up to 10 failing devices with the
    error codes their nucleus reported (ListJobExecutionsForJob, ListEffectiveDeployments) and
    the group's UNHEALTHY core devices (ListCoreDevices). States: Progressing, Succeeded,
    Degraded, Failed, Superseded, Canceled (docs/controller-endpoints.md); thresholds come from
    each Deployment's rolloutPolicy. With Rollouts in the specs, each one's phase (Progressing,
    Completed, Halted), wave, reason and failing devices, as the controller recorded them in
    its cache directory.

    \b
    Exit codes: 0 every rollout succeeded (or nothing is deployed), 2 a rollout is still
    progressing (with --watch: --timeout passed first), 3 a rollout ended Failed, Degraded or
    Canceled, or a Rollout is Halted, 1 error.
    \b
    Examples:
      reconciler status
      reconciler status --group CameraFleetProd --watch --interval 5
      reconciler status --format json | jq '.targets[].rollout.state'
    """
    spec_set = load_specs_or_exit(specs_path)
    runtime = runtime_for(spec_set, endpoint_url)
    try:
        runtime.verify_account()
        # A person waiting on a terminal: the whole client rate, not the controller's share.
        reader = RolloutReader(runtime.clients, runtime.caller, account=runtime.account)
        fleet = _FleetRollouts(spec_set, reader, groups)
        views = fleet.read()
        waves = _waves(spec_set, cache_dir)
        started = time.monotonic()
        while watch and fleet.following:
            if timeout is not None and time.monotonic() - started >= timeout:
                break
            _show(views, waves, output_format, watching=True)
            time.sleep(interval)
            views = fleet.read()
            waves = _waves(spec_set, cache_dir)
    except ReconcilerError as error:
        fail(error)
    _show(views, waves, output_format, watching=watch)
    raise SystemExit(exit_code(views, waves))


def _waves(spec_set: SpecSet, cache_dir: Path | None) -> dict[str, dict[str, JsonValue] | None]:
    """Each Rollout of the specs as the controller recorded it (None: no change recorded)."""
    if not spec_set.rollouts:
        return {}
    directory = cache_dir or ReconcilerSettings().cache_dir
    records = RolloutWaveStore(directory).load()
    return {
        rollout.name: rollout_status(rollout, records[rollout.name])
        if rollout.name in records
        else None
        for rollout in spec_set.rollouts
    }


def _show(
    views: dict[str, RolloutView | None],
    waves: dict[str, dict[str, JsonValue] | None],
    output_format: str,
    *,
    watching: bool,
) -> None:
    if output_format == "json":
        click.echo(render_rollouts_json(views, dict(waves) if waves else None), nl=False)
        return
    if watching and sys.stdout.isatty():
        click.clear()
    if watching:
        progress(datetime.now(UTC).strftime("%H:%M:%S UTC"))
    click.echo(render_rollouts_table(views), nl=False)
    if waves:
        click.echo("")
        click.echo(render_waves_table(waves), nl=False)
