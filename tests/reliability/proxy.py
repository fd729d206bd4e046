"""An HTTP proxy in front of the emulator that can stop, or lose the answer to, a chosen write.

The emulator's own faults are decided *before* a request is processed, so they never show what
idempotency is really for: a write that took effect but whose answer never came back. And a
process killed while the emulator sleeps its injected latency still gets its last request
processed, so latency alone cannot stop a process *between* two writes. This proxy can:

- `HOLD`: keep write number n waiting (the client blocks on it) until `release()`; then drop it
  unsent (`deliver_held=False`: the process dies *before* that write) or send it and throw the
  answer away (`deliver_held=True`: the write happens, the process never learns of it);
- `LOSE`: send a write to the emulator, then answer the client `500 InternalFailure` instead of
  the emulator's answer (the client retries a write that already succeeded).

Writes are requests that change state in this product's flow: POST/PUT/PATCH/DELETE, except
STS (which POSTs its queries to `/`). They are numbered from 1 in arrival order.

It can also break the connection of *any* request, read or write, the way networks do, after
the emulator processed it (a fault policy, see `drop_and_stall`):

- `DROP`: send the status line, the headers and half the body, then reset the connection (RST):
  the client sees the connection closed mid-response (botocore's `ConnectionClosedError`);
- `STALL`: send nothing, and close the connection only `stall_seconds` later: the client's read
  timeout fires first (botocore's `ReadTimeoutError`).
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "expect"}
)


class Action(Enum):
    FORWARD = "forward"
    HOLD = "hold"
    LOSE = "lose"
    DROP = "drop"
    STALL = "stall"


@dataclass(frozen=True)
class Write:
    index: int  # 1 for the first write the proxy saw
    method: str
    path: str
    body_sha256: str  # a retry of a write sends the same body: this tells attempts apart

    @property
    def request(self) -> tuple[str, str, str]:
        """What identifies the request across its attempts."""
        return (self.method, self.path, self.body_sha256)


Policy = Callable[[Write], Action]


@dataclass(frozen=True)
class Exchange:
    """One attempt of any request (reads too), for a fault policy."""

    method: str
    path: str
    body_sha256: str
    attempt: int  # 1 the first time the proxy saw this method and path, 2 the next...


FaultPolicy = Callable[[Exchange], Action]


def no_faults(_exchange: Exchange) -> Action:
    return Action.FORWARD


def drop_and_stall(seed: int, drop_rate: float, stall_rate: float) -> FaultPolicy:
    """Drop or stall a share of all attempts, decided by a hash of (seed, method, path, attempt):
    the n-th request to a URL meets the same fault whatever order concurrent calls arrive in
    (bodies are left out: S3 uploads are framed differently from run to run), and a retry draws
    again. URLs that hold ids the emulator chose at random still draw differently each run."""

    def policy(exchange: Exchange) -> Action:
        key = f"{seed}|{exchange.method}|{exchange.path}|{exchange.attempt}"
        draw = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
        if draw < drop_rate:
            return Action.DROP
        if draw < drop_rate + stall_rate:
            return Action.STALL
        return Action.FORWARD

    return policy


def forward_everything(_write: Write) -> Action:
    return Action.FORWARD


def lose_first_attempts() -> Policy:
    """Lose the answer to the first attempt of every write; let its retries through."""
    seen: set[tuple[str, str, str]] = set()

    def policy(write: Write) -> Action:
        if write.request in seen:
            return Action.FORWARD
        seen.add(write.request)
        return Action.LOSE

    return policy


def hold_write(number: int) -> Policy:
    """Hold the `number`-th write (1-based); forward every other request."""
    return lambda write: Action.HOLD if write.index == number else Action.FORWARD


class InterceptingProxy:
    """A threaded HTTP/1.1 proxy on a free loopback port, forwarding to `upstream_url`."""

    def __init__(
        self,
        upstream_url: str,
        policy: Policy = forward_everything,
        *,
        faults: FaultPolicy = no_faults,
        stall_seconds: float = 2.0,
    ) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.policy = policy
        self.faults = faults
        self.stall_seconds = stall_seconds
        self.dropped: list[Exchange] = []
        self.stalled: list[Exchange] = []
        self._attempts: dict[tuple[str, str], int] = {}
        self.deliver_held = False
        self.writes: list[Write] = []
        self.lost: list[Write] = []
        self.held = threading.Event()  # set when a HOLD write is waiting
        self.held_write: Write | None = None
        self.settled = threading.Event()  # set once the held write was dropped or delivered
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = _ResettingServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> InterceptingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> InterceptingProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def release(self) -> None:
        """Let the held write go (dropped or delivered, as `deliver_held` says)."""
        self._release.set()

    # ------------------------------------------------------------------ per request
    def _classify(self, method: str, path: str, body: bytes) -> tuple[Write | None, Action]:
        if method not in _WRITE_METHODS or path == "/":
            return None, Action.FORWARD
        with self._lock:
            write = Write(len(self.writes) + 1, method, path, hashlib.sha256(body).hexdigest())
            self.writes.append(write)
        return write, self.policy(write)

    def _fault(self, method: str, path: str, body: bytes) -> Action:
        digest = hashlib.sha256(body).hexdigest()
        with self._lock:
            attempt = self._attempts.get((method, path), 0) + 1
            self._attempts[(method, path)] = attempt
        exchange = Exchange(method, path, digest, attempt)
        action = self.faults(exchange)
        if action in (Action.DROP, Action.STALL):
            with self._lock:
                (self.dropped if action is Action.DROP else self.stalled).append(exchange)
        return action

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP | {"content-length"}:
                    connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.reason, response.getheaders(), payload
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the emulator's request log is the record

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _serve(self) -> None:
                body = self._body()
                write, action = proxy._classify(self.command, self.path, body)
                if action is Action.FORWARD:
                    action = proxy._fault(self.command, self.path, body)
                headers = list(self.headers.items())
                if action is Action.HOLD:
                    proxy.held_write = write
                    proxy.held.set()
                    proxy._release.wait()
                    try:
                        if proxy.deliver_held:
                            proxy._forward(self.command, self.path, headers, body)
                    finally:
                        proxy.settled.set()
                    self.close_connection = True  # no answer: the client is gone anyway
                    return
                status, reason, upstream_headers, payload = proxy._forward(
                    self.command, self.path, headers, body
                )
                if action is Action.STALL:
                    time.sleep(proxy.stall_seconds)  # the client gives up on its read timeout
                    self.close_connection = True
                    return
                if action is Action.LOSE and write is not None:
                    with proxy._lock:
                        proxy.lost.append(write)
                    status, reason = 500, "Internal Server Error"
                    payload = b'{"message": "the proxy lost the answer"}'
                    upstream_headers = [
                        ("Content-Type", "application/json"),
                        ("x-amzn-ErrorType", "InternalFailure"),
                    ]
                self.send_response(status, reason)
                for name, value in upstream_headers:
                    if name.lower() not in _HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
                # A HEAD answer announces the length of the body it does not carry.
                length = dict((k.lower(), v) for k, v in upstream_headers).get("content-length")
                if self.command != "HEAD" or length is None:
                    length = str(len(payload))
                self.send_header("Content-Length", length)
                self.end_headers()
                if action is Action.DROP:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.close_connection = True
                    proxy._server.reset_on_close(self.connection)
                elif self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

        return Handler


class _ResettingServer(ThreadingHTTPServer):
    """Closes the connections marked with `reset_on_close` with a TCP reset, not a FIN."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._resets: set[int] = set()
        self._resets_lock = threading.Lock()

    def reset_on_close(self, connection: socket.socket) -> None:
        with self._resets_lock:
            self._resets.add(id(connection))

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._resets_lock:
            reset = id(request) in self._resets
            self._resets.discard(id(request))
        if not reset:
            super().shutdown_request(request)
            return
        # SO_LINGER with a zero timeout: close() sends RST and drops what is unsent.
        request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.close()
