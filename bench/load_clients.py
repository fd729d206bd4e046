"""Clients that load the emulator: boto3 (what users run) and a light raw-HTTP client.

boto3 spends about a millisecond of CPU per call signing requests and parsing answers. With the
clients on the same two cores as the emulator, that — not the emulator — caps the rate. The raw
client sends the same signed request over a keep-alive `http.client` connection (signed once: the
emulator checks no signature) and reads the answer, so that the rate it reaches is the
emulator's own.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.harness import CREDENTIALS, REGION, greengrass_client

COMPONENTS = {"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}}
CLIENT_KINDS = ("boto3", "raw")


def group_arn(index: int) -> str:
    return f"arn:aws:iot:{REGION}:123456789012:thinggroup/bench-{index}"


@dataclass
class LoadResult:
    calls: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, other: LoadResult) -> None:
        self.calls += other.calls
        self.errors += other.errors
        self.latencies_ms.extend(other.latencies_ms)


@dataclass(frozen=True)
class LoadJob:
    endpoint: str
    kind: str  # "read" (ListDeployments of one group) or "write" (CreateDeployment)
    client: str  # "boto3" or "raw"
    threads: int
    seconds: float
    first_group: int
    groups: int


def _boto3_call(job: LoadJob, target: str) -> Callable[[], bool]:
    client = greengrass_client(job.endpoint, pool=64)

    def call() -> bool:
        if job.kind == "read":
            client.list_deployments(targetArn=target)
        else:
            client.create_deployment(targetArn=target, components=COMPONENTS)
        return True

    return call


def _signed_headers(method: str, url: str, body: bytes) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method=method, url=url, data=body, headers={"Content-Type": "application/json"}
    )
    credentials = Credentials(
        CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    )
    SigV4Auth(credentials, "greengrass", REGION).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def _raw_call(job: LoadJob, target: str) -> Callable[[], bool]:
    parts = urlsplit(job.endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    if job.kind == "read":
        method, body = "GET", b""
        path = "/greengrass/v2/deployments?" + urlencode({"targetArn": target})
    else:
        method, path = "POST", "/greengrass/v2/deployments"
        body = json.dumps({"targetArn": target, "components": COMPONENTS}).encode()
    headers = _signed_headers(method, job.endpoint + path, body)

    def call() -> bool:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status < 300

    return call


def run_threads(job: LoadJob) -> LoadResult:
    """Call one operation from `job.threads` threads for `job.seconds`; collect round trips."""
    total = LoadResult()
    lock = threading.Lock()
    barrier = threading.Barrier(job.threads)
    make = _raw_call if job.client == "raw" else _boto3_call

    def worker(number: int) -> None:
        call = make(job, group_arn((job.first_group + number) % job.groups))
        mine = LoadResult()
        barrier.wait()
        deadline = time.perf_counter() + job.seconds
        while (now := time.perf_counter()) < deadline:
            try:
                ok = call()
            except Exception:
                ok = False
            mine.latencies_ms.append((time.perf_counter() - now) * 1000.0)
            mine.calls += 1
            mine.errors += 0 if ok else 1
        with lock:
            total.add(mine)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(job.threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return total


def load(
    endpoint: str,
    *,
    kind: str,
    client: str,
    processes: int,
    threads: int,
    seconds: float,
    groups: int,
) -> LoadResult:
    """Run `processes` client processes of `threads` threads each, for `seconds`."""
    jobs = [
        LoadJob(endpoint, kind, client, threads, seconds, p * threads, groups)
        for p in range(processes)
    ]
    total = LoadResult()
    if processes == 1:
        total.add(run_threads(jobs[0]))
        return total
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts: list[Any] = pool.map(run_threads, jobs)
    for part in parts:
        total.add(part)
    return total
