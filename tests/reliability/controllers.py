"""`reconciler run` as a real process: started, asked over HTTP, stopped.

The controller picks a free port (`--http-port 0`) and logs where it serves; the test reads
that from its output, then uses /status and /metrics like an operator or Prometheus would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.reliability.processes import ReconcilerProcess

_SERVING = re.compile(r"http://127\.0\.0\.1:(\d+)")


class ControllerProcess(ReconcilerProcess):
    def __init__(
        self,
        workdir: Path,
        source: str,
        *,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(
            [
                "run",
                "--source", source,
                "--http-host", "127.0.0.1",
                "--http-port", "0",
                "--poll-interval", "1",
                "--resync-interval", "3600",
                "--cache-dir", str(workdir / "cache"),
                *args,
            ],
            workdir / "controller.log",
            env={"RECONCILER_LOG_FORMAT": "json", **(env or {})},
        )  # fmt: skip
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self.wait_for(lambda: _SERVING.search(self.text()) is not None, "the HTTP server")
            match = _SERVING.search(self.text())
            assert match is not None
            self._url = f"http://127.0.0.1:{match.group(1)}"
        return self._url

    def get(self, path: str, **headers: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=headers, timeout=10)

    def status(self) -> dict[str, Any]:
        document: dict[str, Any] = self.get("/status").json()
        return document

    def metrics(self) -> str:
        return self.get("/metrics").text

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of /metrics (0 when the series does not exist yet)."""
        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    def aws_calls(self, operation: str) -> int:
        """Attempts of one AWS operation (as boto3 names it: `create_deployment`) this process
        made, from its own call statistics."""
        return int(self.metric("greengrass_reconciler_aws_calls_total", operation=operation))
