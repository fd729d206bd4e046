"""Probes, status, routing errors, the access log and the server's life cycle, over HTTP."""

from __future__ import annotations

import logging
import socket

import pytest
import requests

from reconciler.adapters.http import ControllerHttpServer, HttpServerError, Probes
from reconciler.adapters.metrics import ControllerMetrics
from tests.integration.http.conftest import Running, StartServer


def test_healthz_answers_ok_while_the_loop_is_alive_and_503_when_not(running: Running) -> None:
    alive = requests.get(f"{running.url}/healthz", timeout=5)
    assert (alive.status_code, alive.text.strip()) == (200, "ok")

    running.loop.healthy = False
    dead = requests.get(f"{running.url}/healthz", timeout=5)
    assert dead.status_code == 503


def test_a_probe_that_raises_counts_as_unhealthy(start_server: StartServer) -> None:
    def broken() -> bool:
        raise RuntimeError("the loop thread is gone")

    running = start_server(probes=Probes(healthy=broken, ready=broken, status=dict))

    assert requests.get(f"{running.url}/healthz", timeout=5).status_code == 503
    not_ready = requests.get(f"{running.url}/readyz", timeout=5)
    assert not_ready.status_code == 503
    assert "no successful sync yet" in not_ready.text


def test_readyz_says_why_until_the_first_sync_succeeded(running: Running) -> None:
    waiting = requests.get(f"{running.url}/readyz", timeout=5)
    assert waiting.status_code == 503
    assert waiting.text.strip() == "not ready: the first sync is still running"

    running.loop.ready = True
    ready = requests.get(f"{running.url}/readyz", timeout=5)
    assert (ready.status_code, ready.text.strip()) == (200, "ready")


def test_status_serves_the_loop_s_document_as_json(running: Running) -> None:
    response = requests.get(f"{running.url}/status", timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {"commit": "4f2c1e0", "targets": {"synced": 3}}


def test_a_failing_status_provider_is_a_500_without_details(start_server: StartServer) -> None:
    def broken() -> dict[str, str]:
        raise RuntimeError("secret internals")

    running = start_server(probes=Probes(healthy=lambda: True, ready=lambda: True, status=broken))
    response = requests.get(f"{running.url}/status", timeout=5)

    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert response.json()["error"]


def test_unknown_paths_are_json_404s(running: Running) -> None:
    response = requests.get(f"{running.url}/admin", timeout=5)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": "not found"}


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(running: Running) -> None:
    post_probe = requests.post(f"{running.url}/healthz", timeout=5)
    get_webhook = requests.get(f"{running.url}/webhook", timeout=5)

    assert post_probe.status_code == 405
    assert "GET" in post_probe.headers["Allow"]
    assert post_probe.json()["error"] == "method POST not allowed"
    assert get_webhook.status_code == 405
    assert get_webhook.headers["Allow"] == "POST"


def test_the_access_log_has_paths_but_no_query_strings_or_bodies(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    requests.get(f"{running.url}/status?token=ghp_leakedToken123", timeout=5)
    requests.post(
        f"{running.url}/webhook?access_token=glpat-leaked",
        data=b'{"ref": "refs/heads/main", "password": "body-secret"}',
        headers={"X-Gitlab-Token": "wrong-token", "X-Gitlab-Event": "Push Hook"},
        timeout=5,
    )

    access = [r.getMessage() for r in caplog.records if r.name == "reconciler.http.access"]
    assert any(line.startswith("GET /status 200") for line in access)
    assert any(line.startswith("POST /webhook 401") for line in access)
    # Everything the server side logged (the test's own HTTP client logs its URLs: left out).
    server_side = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("urllib3")
    )
    for leaked in ("ghp_leakedToken123", "glpat-leaked", "body-secret", "wrong-token"):
        assert leaked not in server_side


def test_the_server_listens_on_a_free_port_and_stop_closes_it(start_server: StartServer) -> None:
    running = start_server()
    port = running.server.port
    assert port > 0
    assert running.url == f"http://127.0.0.1:{port}"
    assert requests.get(f"{running.url}/healthz", timeout=5).status_code == 200

    running.server.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_a_port_in_use_fails_at_start_with_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ControllerHttpServer(
            host="127.0.0.1",
            port=port,
            probes=Probes(healthy=lambda: True, ready=lambda: True, status=dict),
            webhook=None,
            metrics=ControllerMetrics(),
        )
        with pytest.raises(HttpServerError, match=f"127.0.0.1:{port}.*another port"):
            server.start()


def test_a_server_bound_to_every_interface_is_reached_through_loopback() -> None:
    server = ControllerHttpServer(
        host="0.0.0.0",
        port=0,
        probes=Probes(healthy=lambda: True, ready=lambda: True, status=dict),
        webhook=None,
        metrics=ControllerMetrics(),
    )
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
    finally:
        server.stop()
