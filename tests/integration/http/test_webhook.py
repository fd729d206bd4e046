"""POST /webhook over HTTP: GitHub, GitLab and generic senders, and every way to be refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from reconciler.adapters.http import PushEvent, WebhookConfigError, read_secret_file
from tests.integration.http.conftest import MAX_BODY, SECRET, Running, StartServer

AFTER = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def _sign(body: bytes, secret: bytes = SECRET) -> str:
    # Computed here the way GitHub documents it, independently of the code under test.
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _github_push(ref: str = "refs/heads/main", after: str = AFTER) -> bytes:
    return json.dumps(
        {"ref": ref, "before": "0" * 39 + "1", "after": after, "repository": {"name": "fleet"}}
    ).encode()


def _github(
    running: Running,
    body: bytes,
    *,
    event: str = "push",
    signature: str | None = "auto",
    extra: dict[str, str] | None = None,
) -> requests.Response:
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        **(extra or {}),
    }
    if signature == "auto":
        headers["X-Hub-Signature-256"] = _sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(f"{running.url}/webhook", data=body, headers=headers, timeout=5)


def _gitlab(
    running: Running, body: bytes, *, token: str | None, event: str = "Push Hook"
) -> requests.Response:
    headers = {"Content-Type": "application/json", "X-Gitlab-Event": event}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    headers["X-Gitlab-Event-UUID"] = "13792a34-cac6-4fda-95a8-c58e00a3954e"
    return requests.post(f"{running.url}/webhook", data=body, headers=headers, timeout=5)


def test_a_signed_github_push_queues_one_reconcile(running: Running) -> None:
    response = _github(running, _github_push())

    assert response.status_code == 202
    assert response.json() == {"status": "queued", "ref": "refs/heads/main", "after": AFTER}
    assert running.loop.pushes == [
        PushEvent(
            provider="github",
            ref="refs/heads/main",
            after=AFTER,
            delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958",
        )
    ]


def test_a_form_encoded_github_push_is_read_from_its_payload_field(running: Running) -> None:
    body = urlencode({"payload": _github_push().decode()}).encode()

    response = _github(running, body, extra={"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 202
    assert [(p.ref, p.after) for p in running.loop.pushes] == [("refs/heads/main", AFTER)]


def test_a_gitlab_push_with_the_right_token_queues_one_reconcile(running: Running) -> None:
    body = json.dumps({"object_kind": "push", "ref": "refs/heads/main", "after": AFTER}).encode()

    response = _gitlab(running, body, token=SECRET.decode())

    assert response.status_code == 202
    assert running.loop.pushes == [
        PushEvent(
            provider="gitlab",
            ref="refs/heads/main",
            after=AFTER,
            delivery="13792a34-cac6-4fda-95a8-c58e00a3954e",
        )
    ]


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        _sign(_github_push(), secret=b"another secret"),
        _sign(_github_push()).removeprefix("sha256="),
        "sha1=" + hashlib.sha1(b"x").hexdigest(),
        "sha256=ünïcödé",
    ],
    ids=["missing", "empty", "zeros", "other-secret", "no-prefix", "sha1", "non-ascii"],
)
def test_a_push_without_a_valid_signature_is_refused(
    running: Running, signature: str | None
) -> None:
    response = _github(running, _github_push(), signature=signature)

    assert response.status_code == 401
    assert running.loop.pushes == []


def test_a_signature_of_another_body_is_refused(running: Running) -> None:
    signed = _github_push(ref="refs/heads/feature")
    response = _github(running, _github_push(), signature=_sign(signed))

    assert response.status_code == 401
    assert running.loop.pushes == []


def test_an_unauthenticated_body_is_never_parsed(running: Running) -> None:
    # Not JSON at all: a parse before authentication would answer 400, not 401.
    response = _github(running, b"{not json", signature="sha256=" + "a" * 64)
    gitlab = _gitlab(running, b"{not json", token="guess")

    assert response.status_code == 401
    assert gitlab.status_code == 401
    assert running.loop.pushes == []


@pytest.mark.parametrize("token", [None, "", "It's a Secret to Everybod", "wrong"])
def test_a_gitlab_push_with_a_missing_or_wrong_token_is_refused(
    running: Running, token: str | None
) -> None:
    body = json.dumps({"ref": "refs/heads/main", "after": AFTER}).encode()

    assert _gitlab(running, body, token=token).status_code == 401
    assert running.loop.pushes == []


def test_a_request_with_no_credentials_at_all_is_refused(running: Running) -> None:
    response = requests.post(f"{running.url}/webhook", json={"ref": "refs/heads/main"}, timeout=5)

    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert running.loop.pushes == []


def test_a_body_over_the_cap_is_refused_with_413(running: Running) -> None:
    body = json.dumps({"ref": "refs/heads/main", "padding": "x" * MAX_BODY}).encode()

    response = _github(running, body)

    assert response.status_code == 413
    assert str(MAX_BODY) in response.json()["error"]
    assert running.loop.pushes == []


def test_a_chunked_body_over_the_cap_is_refused_with_413(running: Running) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"x" * (MAX_BODY // 2)

    response = requests.post(
        f"{running.url}/webhook",
        data=chunks(),
        headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + "0" * 64},
        timeout=5,
    )

    assert response.status_code == 413
    assert running.loop.pushes == []


def test_a_huge_announced_body_is_refused_before_it_is_sent(running: Running) -> None:
    head = (
        "POST /webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=00\r\n"
        "Content-Length: 1073741824\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", running.server.port), timeout=5) as connection:
        connection.sendall(head.encode())  # ...and not one byte of the gigabyte announced
        answer = connection.recv(4096)

    assert answer.startswith(b"HTTP/1.1 413")
    assert running.loop.pushes == []


def test_invalid_json_after_a_valid_signature_is_a_400(running: Running) -> None:
    response = _github(running, b'{"ref": "refs/heads/main",')

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert running.loop.pushes == []


def test_a_push_without_a_ref_is_a_400(running: Running) -> None:
    response = _github(running, json.dumps({"after": AFTER}).encode())

    assert response.status_code == 400
    assert running.loop.pushes == []


def test_a_github_ping_is_answered_pong_and_triggers_nothing(running: Running) -> None:
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()

    response = _github(running, body, event="ping")

    assert response.status_code == 200
    assert response.json() == {"status": "pong"}
    assert running.loop.pushes == []


@pytest.mark.parametrize("event", ["issues", "pull_request", "create"])
def test_other_github_events_are_accepted_and_ignored(running: Running, event: str) -> None:
    response = _github(running, json.dumps({"action": "opened"}).encode(), event=event)

    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert running.loop.pushes == []


def test_other_gitlab_events_are_accepted_and_ignored(running: Running) -> None:
    body = json.dumps({"object_kind": "tag_push", "ref": "refs/tags/v1"}).encode()

    response = _gitlab(running, body, token=SECRET.decode(), event="Tag Push Hook")

    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert running.loop.pushes == []


@pytest.mark.parametrize(
    ("ref", "after"),
    [
        ("refs/heads/feature/camera", AFTER),
        ("refs/heads/main-old", AFTER),
        ("refs/tags/v1.2.0", AFTER),
        ("refs/heads/main", "0" * 40),  # the branch was deleted
    ],
)
def test_pushes_that_do_not_change_the_followed_branch_are_ignored(
    running: Running, ref: str, after: str
) -> None:
    response = _github(running, _github_push(ref=ref, after=after))

    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert running.loop.pushes == []


def test_without_a_branch_every_branch_push_queues(start_server: StartServer) -> None:
    running = start_server(branch=None)

    response = _github(running, _github_push(ref="refs/heads/release"))

    assert response.status_code == 202
    assert [p.ref for p in running.loop.pushes] == ["refs/heads/release"]


def test_a_generic_signed_request_queues_a_resync(running: Running) -> None:
    empty = requests.post(
        f"{running.url}/webhook",
        data=b"",
        headers={"X-Hub-Signature-256": _sign(b""), "X-Request-Id": "ci-run-81"},
        timeout=5,
    )
    named: dict[str, Any] = {"ref": "refs/heads/main", "after": AFTER}
    body = json.dumps(named).encode()
    with_ref = requests.post(
        f"{running.url}/webhook",
        data=body,
        headers={"X-Hub-Signature-256": _sign(body), "Content-Type": "application/json"},
        timeout=5,
    )

    assert (empty.status_code, with_ref.status_code) == (202, 202)
    assert running.loop.pushes == [
        PushEvent(provider="generic", ref="", after=None, delivery="ci-run-81"),
        PushEvent(provider="generic", ref="refs/heads/main", after=AFTER, delivery=None),
    ]


def test_without_a_secret_the_webhook_is_disabled(start_server: StartServer) -> None:
    running = start_server(secret=None)

    response = _github(running, _github_push())

    assert response.status_code == 404
    assert "disabled" in response.json()["error"]


def test_a_push_that_cannot_be_queued_is_a_500_for_redelivery(running: Running) -> None:
    running.loop.fail_queueing = True

    response = _github(running, _github_push())

    assert response.status_code == 500
    assert "redeliver" in response.json()["error"]


def test_the_secret_file_is_read_without_its_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "webhook-secret"
    path.write_bytes(SECRET + b"\n")

    assert read_secret_file(path) == SECRET


@pytest.mark.parametrize("content", [None, b"", b" \n"], ids=["missing", "empty", "blank"])
def test_a_missing_or_empty_secret_file_is_a_clear_error(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "webhook-secret"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(WebhookConfigError, match="webhook secret file"):
        read_secret_file(path)
