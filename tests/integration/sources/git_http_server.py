"""A real Git server on loopback: `git http-backend` (CGI) behind a threaded HTTP server.

Serves the bare repositories under `project_root` over Git's smart HTTP protocol, read-only, to
clients that authenticate with HTTP basic auth as one of `users`. It can be stopped (the port
then refuses connections, as a server that went away) and started again on the same port.
Every request is recorded with the user it authenticated as (or None) and the password it sent
(whether or not it was right). With `redirect_to` set, it answers every request with a redirect
to the same path under that base URL instead: a server that sends its clients elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    user: str | None
    status: int
    password: str | None = None  # the Basic password the client sent, right or wrong


class GitHttpServer:
    def __init__(
        self, project_root: Path, users: dict[str, str], *, host: str = "127.0.0.1"
    ) -> None:
        self.project_root = project_root
        self.users = dict(users)
        self.host = host
        self.redirect_to: str | None = None
        self.requests: list[RecordedRequest] = []
        # Cleared, requests wait (up to 30 s) before being served: a slow server, to look at
        # the client while it waits.
        self.open_gate = threading.Event()
        self.open_gate.set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def url(self, repository: str) -> str:
        return f"http://{self.host}:{self.port}/{repository}"

    def start(self) -> None:
        server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GitHttpServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def authenticate(self, header: str | None) -> str | None:
        """The user a `Authorization: Basic ...` header proves to be, else None."""
        user, password = basic_credentials(header)
        return user if user is not None and self.users.get(user) == password else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(_GitRequestHandler):
            git_server = server

        return Handler


class _GitRequestHandler(BaseHTTPRequestHandler):
    git_server: GitHttpServer
    protocol_version = "HTTP/1.0"  # one request per connection: simple and enough for tests

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet; requests are recorded instead

    def _serve(self) -> None:
        self.git_server.open_gate.wait(30)
        url = urlsplit(self.path)
        if self.git_server.redirect_to is not None:
            location = self.git_server.redirect_to.rstrip("/") + self.path
            self._answer(url.path, None, 302, {"Location": location}, b"")
            return
        user = self.git_server.authenticate(self.headers.get("Authorization"))
        if user is None:
            self._answer(url.path, None, 401, {"WWW-Authenticate": 'Basic realm="git"'}, b"")
            return
        status, headers, body = self._run_backend(url.path, url.query, user, self._read_body())
        self._answer(url.path, user, status, headers, body)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _run_backend(
        self, path: str, query: str, user: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.git_server.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        result = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status = 200
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers[name.strip()] = value.strip()
        return status, headers, payload

    def _answer(
        self, path: str, user: str | None, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        _, password = basic_credentials(self.headers.get("Authorization"))
        self.git_server.record(RecordedRequest(self.command, path, user, status, password))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    """The user and password of an `Authorization: Basic ...` header; (None, None) without."""
    if not header or not header.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic "), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, _, password = decoded.partition(":")
    return user, password
