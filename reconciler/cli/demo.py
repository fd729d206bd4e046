"""`reconciler demo`: the whole product on this machine, with nothing but Python.

Starts the bundled emulator, turns the sample deploy-specs into a local Git repository, seeds the
account the way a real one already is (thing groups, the artifact bucket, the models the ML
pipeline uploaded), and runs the controller on that repository. Edit a spec, commit, watch it
reconcile.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import click

from reconciler.adapters.sources.factory import open_source
from reconciler.adapters.sources.git_commands import require_git
from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.common import fail
from reconciler.cli.demo_fleet import demo_fleet, devices_on_latest, failure_hint
from reconciler.cli.seeding import seed_account
from reconciler.core.specs.spec_set import SpecSet
from reconciler.engine.leadership import build_elector
from reconciler.engine.running import Controller
from reconciler.errors import GitNotFoundError, ReconcilerError
from reconciler.logs import configure_logging
from reconciler.settings import ReconcilerSettings

DEMO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
}


def _demo_repo(workdir: Path, sample: Path) -> Path:
    """A Git repository holding the sample under deploy-specs/ (kept across runs: your edits)."""
    repo_dir = workdir / "fleet-repo"
    if (repo_dir / ".git").is_dir():
        return repo_dir
    require_git()
    import git  # GitPython refuses to be imported without the `git` program

    repo_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sample, repo_dir / "deploy-specs")
    repo = git.Repo.init(repo_dir, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "greengrass-reconciler demo")
        config.set_value("user", "email", "demo@greengrass-reconciler.invalid")
    repo.index.add(["deploy-specs"])
    repo.index.commit("Sample camera fleet")
    return repo_dir


def _port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now (as the servers bind: reusing
    addresses in TIME_WAIT, never one another process listens on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_to_use(what: str, port: int, *, option: str, envvar: str, explicit: bool) -> int:
    """`port` when it is free (or 0); a busy port that was asked for is an error naming the
    option and variable that choose another; a busy default gives way to a free port (0)."""
    if port == 0 or _port_free(port):
        return port
    choose = f"{option} N or {envvar}=N (0: any free port)"
    if explicit:
        raise click.ClickException(
            f"port {port} for the {what} is in use on 127.0.0.1 (another demo, emulator or "
            f"server listens there): stop it, or choose another port with {choose}"
        )
    click.echo(
        f"Port {port} for the {what} is in use on 127.0.0.1: using a free port instead (shown "
        f"below); choose one with {choose}.",
        err=True,
    )
    return 0


def _given(name: str) -> bool:
    """Whether the option `name` was set on the command line or in the environment."""
    source = click.get_current_context().get_parameter_source(name)
    return source in (
        click.core.ParameterSource.COMMANDLINE,
        click.core.ParameterSource.ENVIRONMENT,
    )


def _wait_synced(controller: Controller, groups: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = controller.status.snapshot()
        targets = snapshot["targets"]
        if (
            snapshot["ready"]
            and len(targets) >= groups
            and all(t["sync"] == "Synced" for t in targets.values())
        ):
            return True
        time.sleep(0.2)
    return False


@click.command("demo")
@click.option(
    "--specs",
    "sample",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path("deploy-specs"),
    show_default=True,
    help="The specs to start the demo repository from.",
)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".reconciler/demo"),
    show_default=True,
    help="Where the demo keeps its Git repository, caches and emulator state.",
)
@click.option(
    "--http-port",
    default=8080,
    show_default=True,
    envvar="RECONCILER_HTTP_PORT",
    show_envvar=True,
    type=click.IntRange(0, 65535),
    help="Controller port (0: a free one). When the default is busy, a free port is used.",
)
@click.option(
    "--emulator-port",
    default=4566,
    show_default=True,
    envvar="RECONCILER_EMULATOR_PORT",
    show_envvar=True,
    type=click.IntRange(0, 65535),
    help="Emulator port (0: a free one). When the default is busy, a free port is used.",
)
@click.option("--poll-interval", default=5.0, show_default=True, help="Seconds between fetches.")
@click.option(
    "--exit-when-synced",
    is_flag=True,
    help="Exit 0 as soon as every thing group is in sync (1 after 120 s): for tests and CI.",
)
def demo(
    sample: Path,
    workdir: Path,
    http_port: int,
    emulator_port: int,
    poll_interval: float,
    exit_when_synced: bool,
) -> None:
    """Run the controller against the bundled emulator and the sample specs.

    Nothing leaves this machine: AWS is the local emulator, Git is a repository under --workdir.
    Open the dashboard at http://127.0.0.1:8080/ (or /status), then change a spec in the demo
    repository and commit it: the controller picks the commit up and creates a new deployment
    revision, and the dashboard shows the devices taking it.
    """
    # The emulator needs moto, which the controller's image does not ship: import it here only.
    from reconciler.emulator.options import EmulatorOptions
    from reconciler.emulator.server import EmulatorServer

    configure_logging("text", "INFO")
    spec_set = load_spec_set(sample)  # fail early, with every problem, on a broken sample
    # Both ports are checked before anything starts: a busy one never leaves half a demo.
    emulator_port = port_to_use(
        "emulator",
        emulator_port,
        option="--emulator-port",
        envvar="RECONCILER_EMULATOR_PORT",
        explicit=_given("emulator_port"),
    )
    http_port = port_to_use(
        "controller",
        http_port,
        option="--http-port",
        envvar="RECONCILER_HTTP_PORT",
        explicit=_given("http_port"),
    )
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        repo_dir = _demo_repo(workdir, sample)  # before the emulator: it may need Git, missing
    except GitNotFoundError as error:
        fail(error)
        return
    emulator = EmulatorServer(
        host="127.0.0.1",
        port=emulator_port,
        state_file=None,
        options=EmulatorOptions(fleet=demo_fleet(spec_set)),
    )
    try:
        emulator.start()
    except OSError as error:  # taken between the check and the start
        raise click.ClickException(
            f"cannot start the emulator on 127.0.0.1:{emulator_port}: {error.strerror or error}; "
            "choose another port with --emulator-port N or RECONCILER_EMULATOR_PORT=N"
        ) from None
    try:
        _run_controller(
            spec_set,
            repo_dir,
            workdir,
            emulator.endpoint_url,
            http_port,
            poll_interval,
            exit_when_synced,
        )
    finally:
        emulator.stop()


def _run_controller(
    spec_set: SpecSet,
    repo_dir: Path,
    workdir: Path,
    endpoint: str,
    http_port: int,
    poll_interval: float,
    exit_when_synced: bool,
) -> None:
    os.environ.update(DEMO_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_DEFAULT_REGION"] = spec_set.settings.region
    seed_account(endpoint, spec_set)
    settings = ReconcilerSettings(
        source=str(repo_dir),
        branch="main",
        path="deploy-specs",
        poll_interval=poll_interval,
        resync_interval=60.0,
        http_host="127.0.0.1",
        http_port=http_port,
        cache_dir=workdir / "cache",
        lock="file",
    )
    source = open_source(
        str(repo_dir), branch="main", path="deploy-specs", cache_dir=settings.cache_dir / "sources"
    )
    controller = Controller(settings=settings, source=source, elector=build_elector(settings))
    try:
        controller.start()
    except ReconcilerError as error:  # the HTTP port was taken between the check and the start
        controller.stop()
        raise click.ClickException(f"{error} (demo: --http-port N)") from None
    if exit_when_synced:
        try:
            synced = _wait_synced(controller, len(spec_set.deployments), timeout=120.0)
            click.echo(f"status: {controller.http.url if controller.http else ''}/status")
            click.echo(f"dashboard: {controller.http.url if controller.http else ''}/")
            click.echo("all thing groups in sync" if synced else "not in sync after 120 s")
            if synced:
                done, targeted = devices_on_latest(endpoint)
                click.echo(f"{done} of {targeted} devices run their group's latest revision")
        finally:
            controller.stop()
        raise SystemExit(0 if synced else 1)
    url = controller.http.url if controller.http else "(no HTTP server)"
    click.echo(
        f"\n  Emulator (AWS):  {endpoint}\n"
        f"  Dashboard:       {url}/  (the fleet, live; read-only)\n"
        f"  Controller:      {url}  (/status /metrics /healthz /readyz)\n"
        f"  Fleet repo:      {repo_dir}\n\n"
        f"  Try: edit {repo_dir}/deploy-specs/groups/camera-staging.yaml, then\n"
        f"       git -C {repo_dir} commit -am 'Faster staging inference'\n"
        f"  Devices taking each revision:  curl {endpoint}/_emulator/fleet\n"
        f"  Break one device's next deployment:\n       {failure_hint(endpoint, spec_set)}\n"
        "  Stop with Ctrl-C.\n"
    )
    threading.Thread(
        target=lambda: _announce_sync(controller, len(spec_set.deployments)), daemon=True
    ).start()
    controller.wait_for_signal()


def _announce_sync(controller: Controller, groups: int) -> None:
    if _wait_synced(controller, groups, timeout=120.0):
        url = controller.http.url if controller.http else ""
        click.echo(f"\n  ✓ all {groups} thing groups in sync — open {url}/ or curl {url}/status\n")
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        done, targeted = devices_on_latest(endpoint)
        click.echo(f"  ✓ {done} of {targeted} devices run their group's latest revision\n")
