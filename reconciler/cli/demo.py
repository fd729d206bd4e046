"""`reconciler demo`: the whole product on this machine, with nothing but Python.

Starts the bundled emulator, turns the sample deploy-specs into a local Git repository, seeds the
account the way a real one already is (thing groups, the artifact bucket, the models the ML
pipeline uploaded), and runs the controller on that repository. Edit a spec, commit, watch it
reconcile.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import click
import git

from reconciler.adapters.sources.factory import open_source
from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.demo_fleet import demo_fleet, devices_on_latest, failure_hint
from reconciler.cli.seeding import seed_account
from reconciler.engine.leadership import build_elector
from reconciler.engine.running import Controller
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
    repo_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sample, repo_dir / "deploy-specs")
    repo = git.Repo.init(repo_dir, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "greengrass-reconciler demo")
        config.set_value("user", "email", "demo@greengrass-reconciler.invalid")
    repo.index.add(["deploy-specs"])
    repo.index.commit("Sample camera fleet")
    return repo_dir


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
@click.option("--http-port", default=8080, show_default=True, help="Controller port (0: free).")
@click.option("--emulator-port", default=4566, show_default=True, help="Emulator port (0: free).")
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
    Open http://127.0.0.1:8080/status, then change a spec in the demo repository and commit it:
    the controller picks the commit up and creates a new deployment revision.
    """
    # The emulator needs moto, which the controller's image does not ship: import it here only.
    from reconciler.emulator.options import EmulatorOptions
    from reconciler.emulator.server import EmulatorServer

    configure_logging("text", "INFO")
    spec_set = load_spec_set(sample)  # fail early, with every problem, on a broken sample
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    emulator = EmulatorServer(
        host="127.0.0.1",
        port=emulator_port,
        state_file=None,
        options=EmulatorOptions(fleet=demo_fleet(spec_set)),
    ).start()
    endpoint = emulator.endpoint_url
    os.environ.update(DEMO_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_DEFAULT_REGION"] = spec_set.settings.region
    seed_account(endpoint, spec_set)
    repo_dir = _demo_repo(workdir, sample)
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
    if exit_when_synced:
        controller.start()
        try:
            synced = _wait_synced(controller, len(spec_set.deployments), timeout=120.0)
            click.echo(f"status: {controller.http.url if controller.http else ''}/status")
            click.echo("all thing groups in sync" if synced else "not in sync after 120 s")
            if synced:
                done, targeted = devices_on_latest(endpoint)
                click.echo(f"{done} of {targeted} devices run their group's latest revision")
        finally:
            controller.stop()
            emulator.stop()
        raise SystemExit(0 if synced else 1)
    controller.start()
    url = controller.http.url if controller.http else "(no HTTP server)"
    click.echo(
        f"\n  Emulator (AWS):  {endpoint}\n"
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
    try:
        controller.wait_for_signal()
    finally:
        emulator.stop()


def _announce_sync(controller: Controller, groups: int) -> None:
    if _wait_synced(controller, groups, timeout=120.0):
        url = controller.http.url if controller.http else ""
        click.echo(f"\n  ✓ all {groups} thing groups in sync — curl {url}/status\n")
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        done, targeted = devices_on_latest(endpoint)
        click.echo(f"  ✓ {done} of {targeted} devices run their group's latest revision\n")
