"""GitSource against a real Git smart-HTTP server on loopback with basic auth.

Besides fetching, these tests hunt for the token everywhere it must never be: exception
messages, log records (every logger, DEBUG included), `.git/config`, `git remote -v`, any file
of the cache, and the user's `~/.git-credentials`.
"""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.adapters.sources import GitCredentials, GitSource
from reconciler.errors import SourceError
from tests.integration.sources.conftest import TOKEN, USER
from tests.integration.sources.git_http_server import GitHttpServer
from tests.integration.sources.repos import Upstream, git
from tests.integration.sources.waiting import wait_for


@pytest.fixture(autouse=True)
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def credentials_for(token_file: Path) -> GitCredentials:
    return GitCredentials(token_file=token_file, username=USER)


def http_source(
    server: GitHttpServer, cache_dir: Path, credentials: GitCredentials | None
) -> GitSource:
    return GitSource(
        server.url("fleet.git"), cache_dir=cache_dir, credentials=credentials, timeout=20
    )


def assert_secret_nowhere(
    secret: str, source: GitSource, caplog: pytest.LogCaptureFixture, home: Path
) -> None:
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
    for root in (source.checkout_dir.parent, home):
        for path in root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), f"secret found in {path}"
    if (source.checkout_dir / ".git").is_dir():
        assert secret not in git(source.checkout_dir, "remote", "-v")
        assert secret not in (source.checkout_dir / ".git" / "config").read_text()


def test_clone_with_a_token_file(
    git_server: GitHttpServer,
    upstream: Upstream,
    cache_dir: Path,
    token_file: Path,
    all_logs: pytest.LogCaptureFixture,
    isolated_git: Path,
) -> None:
    source = http_source(git_server, cache_dir, credentials_for(token_file))

    revision = source.fetch()

    assert revision.revision == upstream.head()
    assert (revision.specs_root / "groups" / "prod.yaml").is_file()
    assert git(source.checkout_dir, "rev-list", "--count", "HEAD") == "1"
    assert {r.user for r in git_server.requests if r.status == 200} == {USER}
    assert git(source.checkout_dir, "remote", "get-url", "origin") == git_server.url("fleet.git")
    assert_secret_nowhere(TOKEN, source, all_logs, isolated_git)


def test_new_commit_over_http(
    git_server: GitHttpServer, upstream: Upstream, cache_dir: Path, token_file: Path
) -> None:
    source = http_source(git_server, cache_dir, credentials_for(token_file))
    source.fetch()
    sha = upstream.commit({"deploy-specs/groups/dev.yaml": "kind: Deployment\n"}, "Add dev")
    assert source.fetch().revision == sha


def test_wrong_token_fails_clearly_and_keeps_the_last_good(
    git_server: GitHttpServer,
    cache_dir: Path,
    token_file: Path,
    all_logs: pytest.LogCaptureFixture,
    isolated_git: Path,
) -> None:
    source = http_source(git_server, cache_dir, credentials_for(token_file))
    good = source.fetch()
    wrong = "ghs_wrongTokenWrongToken0123456789"
    token_file.write_text(wrong)  # rotated to a token the server does not accept

    with pytest.raises(SourceError) as caught:
        source.fetch()

    message = str(caught.value)
    assert "Authentication failed" in message
    assert "fleet.git" in message
    assert wrong not in message and TOKEN not in message
    assert source.last_good == good
    assert git(source.checkout_dir, "rev-parse", "HEAD") == good.revision
    assert_secret_nowhere(wrong, source, all_logs, isolated_git)
    assert_secret_nowhere(TOKEN, source, all_logs, isolated_git)


def test_a_rotated_token_file_is_read_again(
    git_server: GitHttpServer, cache_dir: Path, token_file: Path
) -> None:
    source = http_source(git_server, cache_dir, credentials_for(token_file))
    source.fetch()
    git_server.users[USER] = "ghs_rotatedToken0123456789abcdefgh"
    token_file.write_text("ghs_rotatedToken0123456789abcdefgh\n")
    assert source.fetch().revision == source.last_good.revision  # type: ignore[union-attr]


def test_no_credentials_fails_without_prompting(git_server: GitHttpServer, cache_dir: Path) -> None:
    source = http_source(git_server, cache_dir, None)
    started = time.monotonic()
    with pytest.raises(SourceError, match="terminal prompts disabled"):
        source.fetch()
    assert time.monotonic() - started < 15


def test_token_in_the_url_is_taken_out_of_it(
    git_server: GitHttpServer,
    upstream: Upstream,
    cache_dir: Path,
    all_logs: pytest.LogCaptureFixture,
    isolated_git: Path,
) -> None:
    url = f"http://{USER}:{TOKEN}@127.0.0.1:{git_server.port}/fleet.git"
    source = GitSource(url, cache_dir=cache_dir)
    assert TOKEN not in repr(source.remote) and TOKEN not in source.display

    assert source.fetch().revision == upstream.head()

    assert git(source.checkout_dir, "remote", "get-url", "origin") == git_server.url("fleet.git")
    assert_secret_nowhere(TOKEN, source, all_logs, isolated_git)


def test_a_global_credential_store_never_receives_the_token(
    git_server: GitHttpServer, cache_dir: Path, token_file: Path, isolated_git: Path
) -> None:
    (isolated_git / ".gitconfig").write_text("[credential]\n\thelper = store\n")
    source = http_source(git_server, cache_dir, credentials_for(token_file))
    source.fetch()
    assert not (isolated_git / ".git-credentials").exists()


def test_server_gone_then_back(
    git_server: GitHttpServer,
    upstream: Upstream,
    cache_dir: Path,
    token_file: Path,
    all_logs: pytest.LogCaptureFixture,
    isolated_git: Path,
) -> None:
    source = http_source(git_server, cache_dir, credentials_for(token_file))
    good = source.fetch()
    git_server.stop()
    sha = upstream.commit({"deploy-specs/groups/dev.yaml": "kind: Deployment\n"}, "While down")

    with pytest.raises(
        SourceError, match=r"cannot fetch http://127\.0\.0\.1:\d+/fleet\.git"
    ) as err:
        source.fetch()
    assert "Failed to connect" in str(err.value) or "Connection refused" in str(err.value)
    assert source.last_good == good
    assert (good.specs_root / "groups" / "prod.yaml").is_file()
    assert git(source.checkout_dir, "rev-parse", "HEAD") == good.revision

    git_server.start()  # the same port again
    assert source.fetch().revision == sha
    assert_secret_nowhere(TOKEN, source, all_logs, isolated_git)


def test_the_token_is_on_no_command_line(
    git_server: GitHttpServer, cache_dir: Path, token_file: Path
) -> None:
    source = http_source(git_server, cache_dir, credentials_for(token_file))
    git_server.open_gate.clear()  # the fetch waits for the server: its processes are running
    fetching = threading.Thread(target=source.fetch)
    fetching.start()
    try:
        assert wait_for(lambda: any("remote-http" in line for line in command_lines()))
        seen = command_lines()
        assert any("fetch" in line for line in seen)
        # Neither the token nor a Basic authorization header made of it (`-c http.extraHeader`).
        basic = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        assert not [line for line in seen if TOKEN in line or basic in line]
    finally:
        git_server.open_gate.set()
        fetching.join(timeout=30)
    assert source.last_good is not None


def command_lines() -> list[str]:
    """The command line of every process of this machine that we may read."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, UnicodeDecodeError):
                continue
    return lines


class _SilentServer:
    """Accepts connections and never answers: a hung proxy or server."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._connections.append(connection)

    def close(self) -> None:
        self._socket.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def silent_server() -> Iterator[_SilentServer]:
    server = _SilentServer()
    yield server
    server.close()


def test_a_hung_server_times_out(silent_server: _SilentServer, cache_dir: Path) -> None:
    url = f"http://127.0.0.1:{silent_server.port}/fleet.git"
    source = GitSource(url, cache_dir=cache_dir, timeout=1)
    started = time.monotonic()
    with pytest.raises(SourceError, match="cannot fetch"):
        source.fetch()
    assert time.monotonic() - started < 12
    assert source.last_good is None


@pytest.mark.parametrize("elsewhere_host", ["127.0.0.2", "127.0.0.1"], ids=["host", "port"])
def test_the_token_does_not_follow_a_redirect_to_another_host_or_port(
    git_server: GitHttpServer,
    upstream: Upstream,
    cache_dir: Path,
    token_file: Path,
    elsewhere_host: str,
    all_logs: pytest.LogCaptureFixture,
    isolated_git: Path,
) -> None:
    # The configured remote sends every request to another server (another loopback address,
    # or the same address on another port) that would accept the token and serve the fleet.
    with GitHttpServer(upstream.server_root, {USER: TOKEN}, host=elsewhere_host) as elsewhere:
        git_server.redirect_to = f"http://{elsewhere.host}:{elsewhere.port}"
        source = http_source(git_server, cache_dir, credentials_for(token_file))

        with pytest.raises(SourceError, match="requires credentials"):
            source.fetch()

    assert elsewhere.requests, "the redirect was not followed at all: the test proves nothing"
    assert [r for r in elsewhere.requests if r.password is not None] == []
    assert_secret_nowhere(TOKEN, source, all_logs, isolated_git)


QUERY_TOKEN = "glpat-queryStringToken0123456789"


def test_a_token_in_the_url_s_query_is_shown_nowhere(
    git_server: GitHttpServer,
    cache_dir: Path,
    all_logs: pytest.LogCaptureFixture,
    isolated_git: Path,
) -> None:
    url = f"{git_server.url('fleet.git')}?private_token={QUERY_TOKEN}"
    source = GitSource(url, cache_dir=cache_dir, timeout=20)
    assert QUERY_TOKEN not in source.display and "?***" in source.display

    with pytest.raises(SourceError) as caught:
        source.fetch()

    assert QUERY_TOKEN not in str(caught.value)
    # GitPython's own DEBUG lines quote the `git remote add` command line; the product keeps
    # that logger at WARNING (reconciler.logs). Every other record is searched.
    ours = [r.getMessage() for r in all_logs.records if not r.name.startswith("git.")]
    assert ours and not [message for message in ours if QUERY_TOKEN in message]
    assert not [p for p in cache_dir.rglob("*") if QUERY_TOKEN in str(p)]  # nor in a cache name


def test_credentials_in_a_file_url_are_dropped_and_shown_nowhere(
    upstream: Upstream, cache_dir: Path, all_logs: pytest.LogCaptureFixture, isolated_git: Path
) -> None:
    password = "filePassw0rdNeverShown"
    url = f"file://someone:{password}@{upstream.bare}"
    source = GitSource(url, cache_dir=cache_dir, timeout=20)
    assert password not in source.display and password not in repr(source.remote)

    assert source.fetch().revision == upstream.head()
    upstream.bare.rename(upstream.bare.with_name("moved.git"))
    with pytest.raises(SourceError) as caught:
        source.fetch()

    assert password not in str(caught.value)
    assert_secret_nowhere(password, source, all_logs, isolated_git)
