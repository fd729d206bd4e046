"""`reconciler run` as a subprocess, observed from outside the way an operator would: through
its /metrics endpoint and /proc, never by reaching into it.

/metrics is read instead of /status because /status lists every thing group: at 10,000 groups
reading it would cost the controller the memory and CPU we are measuring.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bench.harness import ROOT, Emulator, free_port, memory_mb, stop

# The emulator never throttles; the default client-side limit (20 calls/s, for real accounts)
# would make a 10,000-group first sync last minutes for no reason. The same rate applies in
# bench_reconcile.py, so both measure the reconciler, not the limiter.
BENCH_RATE_LIMIT = "1000"


@dataclass(frozen=True)
class ControllerOptions:
    source: str
    poll_interval: float = 3600.0
    resync_interval: float = 3600.0
    webhook_secret: bytes | None = None
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CycleCounts:
    """Reconcile cycles by outcome, and the commit of the latest successful one."""

    success: int
    error: int
    skipped: int
    commit: str | None
    rollouts: int  # rollouts followed to an end (any outcome)


class ControllerProcess:
    def __init__(self, emulator: Emulator, options: ControllerOptions, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "controller.log"
        self.webhook_secret = options.webhook_secret
        command = [
            sys.executable, "-m", "reconciler", "run",
            "--source", options.source,
            "--branch", "main",
            "--path", "deploy-specs",
            "--poll-interval", f"{options.poll_interval:g}",
            "--resync-interval", f"{options.resync_interval:g}",
            "--http-host", "127.0.0.1",
            "--http-port", str(self.port),
            "--lock", "none",
            "--cache-dir", str(workdir / "cache"),
            "--endpoint-url", emulator.endpoint,
        ]  # fmt: skip
        if options.webhook_secret is not None:
            secret_file = workdir / "webhook-secret"
            secret_file.write_bytes(options.webhook_secret + b"\n")
            command += ["--webhook-secret-file", str(secret_file)]
        env = {
            **os.environ,
            **emulator.environment(),
            "RECONCILER_RATE_LIMIT": BENCH_RATE_LIMIT,
            "RECONCILER_RATE_BURST": BENCH_RATE_LIMIT,
            "RECONCILER_LOG_FORMAT": "json",
            **options.extra_env,
        }
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.wait(lambda: self._answers("/healthz"), timeout=60, what="the controller to serve")

    @property
    def pid(self) -> int:
        return self.process.pid

    def memory(self) -> dict[str, float]:
        return memory_mb(self.pid)

    # ------------------------------------------------------------------ observing
    def counts(self) -> CycleCounts:
        text = self._get("/metrics").decode()
        totals = {"success": 0, "error": 0, "skipped": 0}
        commit = None
        rollouts = 0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "greengrass_reconciler_reconcile_total":
                    totals[sample.labels["outcome"]] += int(sample.value)
                elif sample.name == "greengrass_reconciler_last_success_commit_info":
                    commit = sample.labels.get("commit") or None
                elif sample.name == "greengrass_reconciler_rollouts_total":
                    rollouts += int(sample.value)
        return CycleCounts(totals["success"], totals["error"], totals["skipped"], commit, rollouts)

    def wait(self, ready: Callable[[], bool], *, timeout: float, what: str) -> float:
        """Poll `ready` until true; return the seconds it took. Fails loudly (with the
        controller's last log lines) when the controller dies or time runs out."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the controller exited while waiting for {what}{self.tail()}")
            try:
                if ready():
                    return time.monotonic() - started
            except (OSError, urllib.error.URLError):
                pass  # not serving yet
            time.sleep(0.05)
        raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}{self.tail()}")

    def wait_synced(self, commit: str, *, timeout: float) -> float:
        """Wait until a cycle succeeded on `commit`."""
        return self.wait(
            lambda: self.counts().commit == commit, timeout=timeout, what=f"a sync of {commit[:12]}"
        )

    def tail(self, lines: int = 15) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n  controller log (last lines):\n  " + "\n  ".join(text) if text else ""

    def _records(self) -> list[dict[str, Any]]:
        self._log.flush()
        records = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # not a structured line (a library writing to stderr)
            if isinstance(record, dict):
                records.append(record)
        return records

    def errors(self) -> list[str]:
        """Error-level lines of the controller's log (a clean run has none)."""
        return [json.dumps(r) for r in self._records() if r.get("level") in ("error", "critical")]

    def cycle_seconds(self, commit: str) -> float | None:
        """How long the controller's successful cycle on `commit` took, by its own log (fetch,
        load the specs, plan, apply), or None when it logged no such cycle."""
        for record in self._records():
            if (
                record.get("event") == "cycle"
                and record.get("result") == "success"
                and commit.startswith(str(record.get("commit")) or "-")
            ):
                return float(record["seconds"])
        return None

    # ------------------------------------------------------------------ webhook
    def post_push(self, *, after: str) -> int:
        """A signed generic push to the followed branch (as a CI job sends it); the status."""
        assert self.webhook_secret is not None, "the controller was started without a secret"
        body = json.dumps({"ref": "refs/heads/main", "after": after}).encode()
        signature = hmac.new(self.webhook_secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"{self.url}/webhook",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": f"sha256={signature}",
                "X-Request-Id": f"bench-{after[:12]}",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)

    # ------------------------------------------------------------------ plumbing
    def _answers(self, path: str) -> bool:
        self._get(path)
        return True

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as response:
            body: bytes = response.read()
            return body

    def close(self) -> None:
        stop(self.process)
        self._log.close()
