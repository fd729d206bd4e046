"""What every benchmark shares: an emulator in its own process, AWS clients aimed at it, the
machine's description and load, and the emulator's own round trip (the unit of the floor).

The emulator runs as a subprocess, as a user runs it, so its CPU is never counted as ours and a
benchmark cannot reach into its memory.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Credentials the emulator accepts (it checks nothing); they keep boto3 off the real chain.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    process: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def environment(self) -> dict[str, str]:
        """Environment variables that send boto3 (ours or a subprocess's) to this emulator."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}


def start_emulator(*, state: Path | None = None, fleet: Path | None = None) -> Emulator:
    """Start `reconciler emulator` on a free port; return once it answers."""
    command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0"]
    if fleet is not None:
        command += ["--fleet", str(fleet)]
    if state is not None:
        command += ["--state", str(state)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Emulator ready at "):
            # Nothing reads stdout from here on: close it, so a chatty emulator never blocks.
            process.stdout.close()
            return Emulator(line.split(" at ", 1)[1].strip(), process)
    raise SystemExit(f"the emulator did not start (exit code {process.wait()})")


def stop(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """Terminate a process we started and wait for it (kill it if it does not stop in time)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_emulator(*, fleet: Path | None = None) -> Iterator[Emulator]:
    """An emulator for the duration of a `with` block, with this process's boto3 aimed at it."""
    emulator = start_emulator(fleet=fleet)
    saved = {name: os.environ.get(name) for name in emulator.environment()}
    os.environ.update(emulator.environment())
    try:
        yield emulator
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        stop(emulator.process)


def seed_fleet(endpoint: str, groups: int) -> None:
    """Make the account look like a real one before the reconciler runs: the thing groups exist
    (the reconciler never creates them) and so does the artifact bucket the specs name. Like
    `reconciler.cli.seeding.seed_account`, without loading the specs (slow at 10,000 groups)."""
    import boto3

    from bench.workload import ARTIFACT_BUCKET, group_name
    from reconciler.emulator.admin import EmulatorAdmin

    # One request creates every group: 10,000 take seconds, more on a busy machine than the
    # admin client's default timeout allows.
    admin = EmulatorAdmin(endpoint, timeout=300.0)
    admin.create_thing_groups([group_name(i) for i in range(groups)])
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)


def greengrass_client(endpoint: str, *, pool: int = 10) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "greengrassv2",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=pool),
    )


def group_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/{name}"


def round_trip_ms(endpoint: str, deployment_id: str, samples: int = 200) -> float:
    """Median round trip of GetDeployment, seen from one boto3 client: what a call costs at
    least, signing and parsing included. GetDeployment is a lookup by id, so its cost does not
    grow with the number of deployments the emulator holds (a ListDeployments page does)."""
    client = greengrass_client(endpoint)
    client.get_deployment(deploymentId=deployment_id)  # connect, load the model: not sampled
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        client.get_deployment(deploymentId=deployment_id)
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------- the machine
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def code_version() -> dict[str, Any]:
    """The commit measured, and whether `reconciler/` had uncommitted changes at the time (other
    work in the same tree changes what a run measures)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or "unknown",
        "reconciler_changed": bool(git("status", "--porcelain", "--", "reconciler")),
    }


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def machine() -> dict[str, Any]:
    """The machine a run measured, and its load when the run started."""
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        **code_version(),
    }


def wait_for_quiet(max_load: float, timeout: float) -> tuple[float, float]:
    """Wait up to `timeout` s for the 1-minute load average to fall to `max_load`; return the
    load seen at the start and at the end (noisy figures are measured in the quietest moment
    we can afford, and the load is reported with them)."""
    first = os.getloadavg()[0]
    deadline = time.monotonic() + timeout
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(5.0)
    return first, os.getloadavg()[0]


# ---------------------------------------------------------------------- processes
def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in MiB (Linux /proc)."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
