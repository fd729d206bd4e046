"""Slow clients cannot take the controller's endpoints down.

Kubernetes restarts a pod whose `/healthz` does not answer within its probe's timeout (1 s by
default), so whoever can reach the port must not be able to starve it: hundreds of connections
sending their headers or body a byte at a time, or nothing at all, must leave `/healthz` and a
signed `/webhook` answering within a second, and each slow connection must be cut after its
deadline. A correctly signed body that nests JSON too deeply is a 400, not a 500.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from reconciler.adapters.http import ControllerHttpServer, Probes, PushEvent, WebhookHandler
from reconciler.adapters.http.connections import ConnectionLimits
from reconciler.adapters.metrics import ControllerMetrics
from tests.reliability.figures import Figures
from tests.reliability.slow_clients import SlowClients, closed_by_peer
from tests.reliability.test_webhooks import PUSH, SECRET, _github, _hmac

StartServer = Callable[[ConnectionLimits], ControllerHttpServer]
ANSWER_WITHIN = 1.0  # seconds: the kubelet's default probe timeout


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    servers: list[ControllerHttpServer] = []

    def start(limits: ConnectionLimits) -> ControllerHttpServer:
        pushes: list[PushEvent] = []
        server = ControllerHttpServer(
            host="127.0.0.1",
            port=0,
            probes=Probes(healthy=lambda: True, ready=lambda: True, status=dict),
            webhook=WebhookHandler(secret=SECRET, on_push=pushes.append, branch="main"),
            metrics=ControllerMetrics(),
            limits=limits,
        )
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _timed(call: Callable[[], requests.Response], expected: int) -> float:
    """Seconds `call` took to get `expected`; infinity when it did not within ANSWER_WITHIN."""
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException:
        return float("inf")
    assert response.status_code == expected, response.text
    return time.monotonic() - started


def _answer_times(server: ControllerHttpServer, rounds: int) -> list[float]:
    """How long /healthz and a signed push took, `rounds` times each, a new connection each."""
    times: list[float] = []
    signed = _github(_hmac(PUSH))
    for _ in range(rounds):
        times.append(
            _timed(lambda: requests.get(f"{server.url}/healthz", timeout=ANSWER_WITHIN), 200)
        )
        times.append(
            _timed(
                lambda: requests.post(
                    f"{server.url}/webhook", data=PUSH, headers=signed, timeout=ANSWER_WITHIN
                ),
                202,
            )
        )
        time.sleep(0.3)
    return times


@pytest.mark.parametrize(
    ("slow", "limits"),
    [
        pytest.param(500, ConnectionLimits(), id="500 slow clients, default limits"),
        # More slow clients than the server takes: the oldest still-reading ones are shed.
        pytest.param(400, ConnectionLimits(max_connections=100), id="400 slow clients, limit 100"),
    ],
)
def test_probes_and_webhook_answer_within_a_second_under_slow_clients(
    start_server: StartServer, slow: int, limits: ConnectionLimits, figures: Figures
) -> None:
    server = start_server(limits)
    with SlowClients("127.0.0.1", server.port, count=slow, interval=0.5, duration=30) as clients:
        time.sleep(1.0)  # every slow client connected and started trickling
        times = _answer_times(server, rounds=4)
        held = len(clients.sockets)
    late = [round(t, 2) for t in times if t >= ANSWER_WITHIN]
    figures.add("slow_clients", slow)
    figures.add("late_answers", len(late))
    assert held == slow or limits.max_connections < slow  # the flood was really on
    assert late == [], f"{len(late)} of {len(times)} answers took 1 s or more: {late}"


def _trickling(sock: socket.socket, seconds: float) -> bool:
    """Send a byte every 0.2 s for up to `seconds`; whether the server closed the connection."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            sock.send(b"a")
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed
            return True
    return False


SHORT = ConnectionLimits(header_timeout=1.0, body_timeout=1.0, idle_timeout=1)
OPENINGS = {
    "headers a byte at a time": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
    "body a byte at a time": (
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    ),
}


@pytest.mark.parametrize("opening", OPENINGS.values(), ids=OPENINGS.keys())
def test_a_request_sent_a_byte_at_a_time_is_cut_after_its_deadline(
    start_server: StartServer, opening: bytes
) -> None:
    server = start_server(SHORT)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(opening)
        started = time.monotonic()
        # Never idle (a byte every 0.2 s), so only the deadline can end it: 1 s, checked every
        # second.
        assert _trickling(sock, seconds=6.0), "the slow request was never cut"
        assert time.monotonic() - started < 4.0


def test_a_silent_connection_is_closed_after_the_idle_timeout(start_server: StartServer) -> None:
    server = start_server(SHORT)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        assert closed_by_peer(sock, timeout=6.0)


def test_a_request_within_its_deadlines_is_answered(start_server: StartServer) -> None:
    # The positive control: a request that takes a little while but finishes in time.
    server = start_server(SHORT)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.4)
        sock.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok\n")


NESTED = {
    "arrays": b"[" * 100_000 + b"]" * 100_000,
    "objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "in a push": b'{"ref": "refs/heads/main", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
}


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
def test_a_signed_webhook_nesting_json_too_deep_gets_400(
    start_server: StartServer, body: bytes
) -> None:
    server = start_server(ConnectionLimits())
    for content_type, data in [
        ("application/json", body),
        ("application/x-www-form-urlencoded", b"payload=" + body),
    ]:
        headers = {**_github(_hmac(data)), "Content-Type": content_type}
        answer = requests.post(f"{server.url}/webhook", data=data, headers=headers, timeout=10)
        assert answer.status_code == 400, answer.text
        assert "too deeply" in json.loads(answer.text)["error"]
