"""Run the built image against the local emulator and check it behaves as a controller should.

Called by tests/container/run.sh once the image is built (podman is configured through the
CONTAINERS_CONF / CONTAINERS_STORAGE_CONF variables that script exports):

    python tests/container/smoke.py --image IMAGE --name NAME --run-dir DIR --specs deploy-specs

What it does, all on this machine:
  * starts `python -m reconciler emulator` on a free port and seeds it the way a real account
    already is (the thing groups, the artifact bucket, the models the ML pipeline uploaded);
  * makes a Git repository of the sample specs and bind-mounts it read-only at /fleet;
  * runs the image as built (its own user, its default command `run`) on the host network, with
    the hardening the Helm chart applies (read-only root filesystem, no capabilities);
  * checks: the process is not root; /healthz answers 200; /readyz turns 200 and /status shows
    every thing group Synced within 60 s; the dashboard at / lists them; the emulator holds a
    deployment for every group; the reconcile metrics count a success; the image's HEALTHCHECK
    passes.
It removes the container, the emulator and the repository whatever happens, and exits 1 with the
reason (and the container's log) on the first failed check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import boto3

from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.seeding import seed_account

CONTAINER_UID = 10001  # the Dockerfile's user, and the chart's runAsUser
SYNC_TIMEOUT = 60.0
EMULATOR_START_TIMEOUT = 30.0
HEALTHZ_TIMEOUT = 30.0
REPO_MOUNT = "/fleet"

T = TypeVar("T")


class SmokeCheckError(Exception):
    """One of the checks did not hold; the message says which and what was seen."""


def _log(message: str) -> None:
    print(f"  smoke: {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(what: str, timeout: float, probe: Callable[[], T | None], every: float = 0.5) -> T:
    """Poll `probe` until it returns something other than None; SmokeCheckError after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None:
            return last
        time.sleep(every)
    raise SmokeCheckError(f"{what}: not within {timeout:.0f} s")


def _get(url: str) -> tuple[int, str]:
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise SmokeCheckError(f"podman {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


# ------------------------------------------------------------------ what runs during the test
@contextmanager
def emulator(run_dir: Path) -> Iterator[str]:
    """`python -m reconciler emulator` on a free port; yields its endpoint URL."""
    port = _free_port()
    log_path = run_dir / "emulator.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    # run.sh kills this pid if we are killed before our own cleanup runs.
    (run_dir / "emulator.pid").write_text(str(process.pid))
    endpoint = f"http://127.0.0.1:{port}"
    try:

        def answering() -> bool | None:
            if process.poll() is not None:
                raise SmokeCheckError(f"the emulator exited: {log_path.read_text()[-2000:]}")
            return True if _get(f"{endpoint}/_emulator/health")[0] == 200 else None

        _wait_for("the emulator to answer", EMULATOR_START_TIMEOUT, answering, every=0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fleet_repo(run_dir: Path, specs: Path) -> Path:
    """A Git repository with the sample specs under deploy-specs/, readable by the container."""
    repo = run_dir / "fleet"
    shutil.copytree(specs, repo / "deploy-specs")
    git = ["git", "-C", str(repo), "-c", "user.name=container test", "-c", "user.email=ct@invalid"]
    subprocess.run([*git, "init", "--quiet", "--initial-branch=main"], check=True)
    subprocess.run([*git, "add", "deploy-specs"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "Sample camera fleet"], check=True)
    # Owned by the container's user, as a checkout of that user would be: Git refuses to read
    # a repository owned by someone else ("dubious ownership").
    for path in [repo, *repo.rglob("*")]:
        os.chown(path, CONTAINER_UID, CONTAINER_UID, follow_symlinks=False)
    run_dir.chmod(0o755)
    return repo


@contextmanager
def controller(image: str, name: str, repo: Path, endpoint: str, region: str) -> Iterator[int]:
    """The image run as built, hardened like the chart's pod; yields its HTTP port."""
    port = _free_port()
    environment = {
        "RECONCILER_SOURCE": REPO_MOUNT,
        "RECONCILER_BRANCH": "main",
        "RECONCILER_LOCK": "none",
        "RECONCILER_HTTP_PORT": str(port),
        "RECONCILER_POLL_INTERVAL": "5",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "container-test",
        "AWS_SECRET_ACCESS_KEY": "container-test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    env_args = [arg for key, value in environment.items() for arg in ("--env", f"{key}={value}")]
    _podman(
        "run", "--detach", "--pull=never", "--name", name, "--network", "host",
        "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--volume", f"{repo}:{REPO_MOUNT}:ro", *env_args, image,
    )  # fmt: skip
    try:
        yield port
    except BaseException:
        logs = _podman("logs", "--tail", "60", name, check=False)
        print(f"--- container log (last 60 lines)\n{logs.stdout}{logs.stderr}---", file=sys.stderr)
        raise
    finally:
        _podman("rm", "--force", "--volumes", "--ignore", name, check=False)


# ------------------------------------------------------------------ the checks
def check_not_root(name: str) -> None:
    uid = _podman("exec", name, "id", "-u").stdout.strip()
    if uid == "0" or not uid:
        raise SmokeCheckError(f"the controller runs as uid {uid or '?'}: it must not be root")
    if uid != str(CONTAINER_UID):
        raise SmokeCheckError(
            f"the controller runs as uid {uid}, the chart expects {CONTAINER_UID}"
        )
    _log(f"runs as uid {uid}")


def check_healthz(base: str) -> None:
    def answers_200() -> bool | None:
        return True if _get(f"{base}/healthz")[0] == 200 else None

    _wait_for("/healthz to answer 200", HEALTHZ_TIMEOUT, answers_200)
    _log("/healthz 200")


def check_synced(base: str, groups: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def synced() -> dict[str, Any] | None:
        if _get(f"{base}/readyz")[0] != 200:
            return None
        status, body = _get(f"{base}/status")
        if status != 200:
            return None
        seen.update(json.loads(body))
        targets = seen.get("targets", {})
        states = {group: targets.get(group, {}).get("sync") for group in groups}
        return seen if all(state == "Synced" for state in states.values()) else None

    started = time.monotonic()
    try:
        document = _wait_for("/readyz 200 and every group Synced", SYNC_TIMEOUT, synced)
    except SmokeCheckError as failure:
        raise SmokeCheckError(f"{failure}; last /status: {json.dumps(seen)[:1500]}") from None
    _log(f"ready, {', '.join(groups)} Synced after {time.monotonic() - started:.1f} s")
    return document


def check_dashboard(base: str, groups: list[str]) -> None:
    """The dashboard's templates and static files are in the image (package data)."""
    status, page = _get(f"{base}/")
    if status != 200 or not all(f'data-group="{group}"' in page for group in groups):
        raise SmokeCheckError(f"the dashboard at / answered {status}: {page[:500]}")
    for path in ("/ui/static/dashboard.js", "/ui/static/dashboard.css"):
        if _get(f"{base}{path}")[0] != 200:
            raise SmokeCheckError(f"the dashboard's {path} is missing from the image")
    _log("the dashboard lists every group")


def check_deployments(endpoint: str, region: str, account: str, groups: list[str]) -> None:
    client = boto3.client(
        "greengrassv2",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="container-test",
        aws_secret_access_key="container-test",
    )
    for group in groups:
        arn = f"arn:aws:iot:{region}:{account}:thinggroup/{group}"
        deployments = client.list_deployments(targetArn=arn).get("deployments", [])
        if not deployments:
            raise SmokeCheckError(
                f"the emulator has no deployment for {group}: nothing was applied"
            )
    _log(f"the emulator holds a deployment for each of {len(groups)} groups")


def check_metrics(base: str) -> None:
    status, body = _get(f"{base}/metrics")
    if status != 200:
        raise SmokeCheckError(f"/metrics answered {status}")
    successes = [
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("greengrass_reconciler_reconcile_total{") and 'outcome="success"' in line
    ]
    if not successes or sum(successes) < 1:
        raise SmokeCheckError("/metrics counts no successful greengrass_reconciler_reconcile cycle")
    _log(f"/metrics: {sum(successes):.0f} successful reconcile cycle(s)")


def check_healthcheck(name: str) -> None:
    result = _podman("healthcheck", "run", name, check=False)
    if result.returncode != 0:
        raise SmokeCheckError(
            f"the image's HEALTHCHECK failed: {(result.stdout + result.stderr).strip()}"
        )
    _log("the image's HEALTHCHECK passes")


class Tally:
    """How many checks passed; written to run_dir/summary as the run's closing line."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "summary"
        self.passed = 0

    def check(self, passed_check: Callable[[], object]) -> None:
        passed_check()
        self.passed += 1

    def write(self, *, failed: int) -> None:
        self.path.write_text(f"container: {self.passed} passed, {failed} failed\n")


def run(image: str, name: str, run_dir: Path, specs: Path, tally: Tally) -> None:
    spec_set = load_spec_set(specs)
    region, account = spec_set.settings.region, spec_set.settings.account_id
    groups = sorted(d.thing_group for d in spec_set.deployments)
    with emulator(run_dir) as endpoint:
        seed_account(endpoint, spec_set)
        _log(f"emulator on {endpoint}, seeded for {', '.join(groups)}")
        repo = fleet_repo(run_dir, specs)
        with controller(image, name, repo, endpoint, region) as port:
            base = f"http://127.0.0.1:{port}"
            tally.check(lambda: check_healthz(base))
            tally.check(lambda: check_not_root(name))
            tally.check(lambda: check_synced(base, groups))
            tally.check(lambda: check_dashboard(base, groups))
            tally.check(lambda: check_deployments(endpoint, region, account, groups))
            tally.check(lambda: check_metrics(base))
            tally.check(lambda: check_healthcheck(name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--name", required=True, help="Container name (run.sh removes it too).")
    parser.add_argument("--run-dir", type=Path, required=True, help="Scratch dir, removed after.")
    parser.add_argument("--specs", type=Path, required=True)
    args = parser.parse_args()
    # SIGTERM (a CI timeout) must run the same cleanup as an error does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    tally = Tally(args.run_dir)
    try:
        run(args.image, args.name, args.run_dir, args.specs.resolve(), tally)
    except SmokeCheckError as failure:
        tally.write(failed=1)
        print(f"container test FAILED: {failure}", file=sys.stderr)
        return 1
    except BaseException:
        tally.write(failed=1)
        raise
    finally:
        shutil.rmtree(args.run_dir / "fleet", ignore_errors=True)
    tally.write(failed=0)
    _log(f"all {tally.passed} checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
