"""Fixtures: the controller's HTTP server, started for real on a free loopback port.

The reconcile loop is not under test here: `LoopState` stands in for it with the answers the
endpoints render (health, readiness, status) and records the pushes the webhook queued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.adapters.http import ControllerHttpServer, Probes, PushEvent, WebhookHandler
from reconciler.adapters.metrics import ControllerMetrics

SECRET = b"It's a Secret to Everybody"
MAX_BODY = 4096


@dataclass
class LoopState:
    healthy: bool = True
    ready: bool = False
    not_ready_reason: str = "the first sync is still running"
    status: dict[str, Any] = field(
        default_factory=lambda: {"commit": "4f2c1e0", "targets": {"synced": 3}}
    )
    pushes: list[PushEvent] = field(default_factory=list)
    fail_queueing: bool = False

    def probes(self) -> Probes:
        return Probes(
            healthy=lambda: self.healthy,
            ready=lambda: self.ready,
            status=self._status,
            not_ready_reason=lambda: self.not_ready_reason,
        )

    def _status(self) -> Mapping[str, Any]:
        return self.status

    def queue(self, event: PushEvent) -> None:
        if self.fail_queueing:
            raise RuntimeError("the work queue is closed")
        self.pushes.append(event)


@dataclass
class Running:
    server: ControllerHttpServer
    loop: LoopState
    metrics: ControllerMetrics

    @property
    def url(self) -> str:
        return self.server.url


StartServer = Callable[..., Running]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    servers: list[ControllerHttpServer] = []

    def start(
        *,
        secret: bytes | None = SECRET,
        branch: str | None = "main",
        max_body_bytes: int = MAX_BODY,
        probes: Probes | None = None,
    ) -> Running:
        loop = LoopState()
        metrics = ControllerMetrics()
        webhook = (
            WebhookHandler(
                secret=secret, on_push=loop.queue, branch=branch, max_body_bytes=max_body_bytes
            )
            if secret is not None
            else None
        )
        server = ControllerHttpServer(
            host="127.0.0.1",
            port=0,
            probes=probes or loop.probes(),
            webhook=webhook,
            metrics=metrics,
        )
        server.start()
        servers.append(server)
        return Running(server, loop, metrics)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def running(start_server: StartServer) -> Running:
    return start_server()
