"""The dashboard over the controller's real HTTP server, from a real ControllerStatus: headers
(CSP), the optional bearer token, read-only routes, and hostile spec strings shown as text."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from html.parser import HTMLParser

import pytest

from reconciler.adapters.http import ControllerHttpServer, Probes
from reconciler.adapters.http.dashboard import CONTENT_SECURITY_POLICY, Dashboard, DashboardSource
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.core.rollouts import DeviceCounts, FailingDevice, RolloutState, RolloutView
from reconciler.engine.status import ChangeRecord, ControllerStatus, SyncState, TargetStatus
from tests.reliability.test_output_injection import CONTROL, HOSTILE_FILE, HOSTILE_KEY

TOKEN = "s3cr3t-dashboard-token"
GROUP = "CameraFleetProd"


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def _status() -> ControllerStatus:
    status = ControllerStatus()
    change = ChangeRecord(
        commit="0123456789abcdef0123456789abcdef01234567",
        author="Ann <img src=x>",
        subject="Merge pull request #12 from acme/interval",
        at=time.time() - 60,
        plan_text=f"! com.acme.Classifier 1.0.0\n+   /{HOSTILE_KEY}: 1\n",
        applied=True,
    )
    status.replace_targets(
        [
            TargetStatus(GROUP, SyncState.SYNCED, spec_file=f"groups/{HOSTILE_FILE}",
                         deployment_id="dep-2", revision_id="2", last_change=change),
            TargetStatus("CameraFleetStaging", SyncState.OUT_OF_SYNC, spec_file="groups/s.yaml",
                         last_error=HOSTILE_KEY),
            TargetStatus("LegacyGroup", SyncState.HALTED, spec_file="groups/legacy.yaml",
                         reason="canceled outside Git"),
        ]
    )  # fmt: skip
    status.record_revision(GROUP, deployment_id="dep-2", change=change)
    status.set_rollout(
        GROUP,
        RolloutView(
            state=RolloutState.DEGRADED,
            revision_id="2",
            deployment_id="dep-2",
            devices=DeviceCounts(succeeded=45, failed=5),
            failing=(
                FailingDevice("prod-01", "FAILED", ("COMPONENT_ERROR",), ("A", "B"), HOSTILE_KEY),
            ),
            unhealthy=1,
        ),
    )
    return status


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[ControllerHttpServer] = []

    def start(token: str | None = None) -> str:
        status = _status()
        server = ControllerHttpServer(
            host="127.0.0.1",
            port=0,
            probes=Probes(healthy=lambda: True, ready=lambda: True, status=status.snapshot),
            webhook=None,
            metrics=ControllerMetrics(),
            dashboard=Dashboard(
                DashboardSource(fleet=status.snapshot, group=status.group_detail),
                token=token,
                repository_url="https://github.com/acme/fleet",
            ),
        )
        server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers (looked up without regard to case) and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


def test_pages_carry_a_strict_csp_and_load_only_their_own_script_and_style(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve()
    for path in ("/", f"/ui/groups/{GROUP}", "/ui/?sort=failed&dir=desc"):
        code, headers, html = _get(url + path)
        assert code == 200, path
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        tags = _parse(html).tags
        scripts = [attrs for tag, attrs in tags if tag == "script"]
        assert scripts == [{"src": "/ui/static/dashboard.js", "defer": None}]
        assert not any("style" in attrs or any(a.startswith("on") for a in attrs)
                       for _, attrs in tags)  # fmt: skip
        assert "<script>" not in html
    code, headers, script = _get(url + "/ui/static/dashboard.js")
    assert (code, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert "innerHTML" in script
    assert _get(url + "/ui/static/dashboard.css")[0] == 200
    assert _get(url + "/ui/static/..%2Fpages.py")[0] == 404


def test_hostile_keys_file_names_and_reasons_render_as_visible_text(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve()
    for path in ("/", f"/ui/groups/{GROUP}", f"/ui/groups/{GROUP}?partial=1",
                 "/ui/groups/CameraFleetStaging"):  # fmt: skip
        code, _, html = _get(url + path)
        assert code == 200
        parsed = _parse(html)
        assert not [t for t, _ in parsed.tags if t in ("img", "details", "iframe", "object")]
        assert CONTROL.search(html.replace("\n", "")) is None, path  # no control character
        text = "".join(parsed.text)
        if path != "/":
            assert "<img src=https://t.example/i.png>" in text  # shown, as text
            assert "\\u202eok" in text  # the bidirectional override, written as an escape
    _, _, fleet = _get(url + "/")
    assert "groups/camera\\x1b[2K\\rprod`&lt;details&gt;&lt;img src=x&gt;\\n" in fleet
    _, _, group = _get(url + f"/ui/groups/{GROUP}")
    assert "Ann &lt;img src=x&gt;" in group
    assert 'href="https://github.com/acme/fleet/pull/12"' in group
    assert 'href="https://github.com/acme/fleet/commit/0123456789abcdef' in group


def test_the_group_page_shows_failing_devices_codes_revisions_and_the_plan(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve()
    _, _, html = _get(url + f"/ui/groups/{GROUP}")
    text = " ".join(" ".join(_parse(html).text).split())
    assert "Degraded of revision 2" in text
    assert "45 succeeded" in text and "5 failed" in text and "1 unhealthy" in text
    assert "prod-01 FAILED A B COMPONENT_ERROR" in text, text
    assert "! com.acme.Classifier 1.0.0" in text
    assert "dep-2 0123456789ab Merge pull request #12" in text
    code, _, missing = _get(url + "/ui/groups/NoSuchGroup")
    assert code == 404 and "no thing group" in missing


def test_the_bearer_token_guards_the_dashboard_only(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(token=TOKEN)
    for path in ("/", f"/ui/groups/{GROUP}", "/ui/static/dashboard.js"):
        code, headers, body = _get(url + path)
        assert code == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        assert GROUP not in body
        assert _get(url + path, {"Authorization": "Bearer wrong"})[0] == 401
        assert _get(url + path, {"Authorization": f"Basic {TOKEN}"})[0] == 401
        assert _get(url + path, {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    assert _get(url + "/status")[0] == 200  # probes and status keep their own rules
    assert _get(url + "/healthz")[0] == 200


def test_the_dashboard_is_read_only(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve()
    for path in ("/", f"/ui/groups/{GROUP}"):
        request = urllib.request.Request(url + path, data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 405
    _, _, html = _get(url + "/")
    forms = [attrs for tag, attrs in _parse(html).tags if tag == "form"]
    assert forms == [{"class": "filters", "method": "get", "action": "/"}]


def test_a_held_group_shows_its_state_and_why(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve()
    code, _headers, html = _get(url + "/ui/?sync=Halted")
    assert code == 200
    text = " ".join(_parse(html).text)
    assert "LegacyGroup" in text and GROUP not in text  # the filter knows the held states
    marks = [a for tag, a in _parse(html).tags if tag == "span" and a.get("class") == "why"]
    assert [m["title"] for m in marks] == ["canceled outside Git"]
    code, _headers, html = _get(url + "/ui/groups/LegacyGroup")
    assert code == 200
    text = " ".join(_parse(html).text)
    assert "Halted" in text and "Held because" in text and "canceled outside Git" in text
