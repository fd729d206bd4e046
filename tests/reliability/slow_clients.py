"""Slow HTTP clients on loopback ("slowloris"): many connections that each send a request a
byte at a time, so that a server waiting for them to finish holds a socket per client.

Bounded in count and time: `SlowClients` opens `count` connections, trickles a byte on each of
them every `interval` seconds from one thread, and stops by itself after `duration` seconds (or
when the `with` block ends), closing every socket.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

# Three ways to be slow, taken in turn: headers that never end, a body that never ends (to the
# webhook, which takes bodies), and a connection that never sends anything.
_SLOW_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: "
_SLOW_BODY = (
    b"POST /webhook HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
    b"X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: 4000\r\n\r\n{"
)
_SILENT = b""
_OPENINGS = (_SLOW_HEADERS, _SLOW_BODY, _SILENT)
MAX_CLIENTS = 2000


@dataclass
class SlowClients:
    host: str
    port: int
    count: int
    interval: float = 0.5
    duration: float = 60.0
    sockets: list[socket.socket] = field(default_factory=list)
    dropped: int = 0  # connections the server closed on us
    _silent: set[socket.socket] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if not 0 < self.count <= MAX_CLIENTS:
            raise ValueError(f"between 1 and {MAX_CLIENTS} slow clients")

    def __enter__(self) -> SlowClients:
        try:
            for index in range(self.count):
                # Connecting succeeds even when the server does not accept: the kernel queues
                # the connection in the listen backlog, where a starved server leaves it.
                sock = socket.create_connection((self.host, self.port), timeout=5)
                sock.setblocking(False)
                self.sockets.append(sock)
                opening = _OPENINGS[index % len(_OPENINGS)]
                if opening == _SILENT:
                    self._silent.add(sock)
                self._send(sock, opening)
        except BaseException:
            self._close()
            raise
        self._thread = threading.Thread(target=self._trickle, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._close()

    def _trickle(self) -> None:
        deadline = time.monotonic() + self.duration
        while not self._stop.wait(self.interval) and time.monotonic() < deadline:
            for sock in list(self.sockets):
                if sock not in self._silent:
                    self._send(sock, b"a")
        self._stop.set()

    def _send(self, sock: socket.socket, data: bytes) -> None:
        if not data:
            return
        try:
            sock.send(data)
        except BlockingIOError:
            pass  # the server does not read: that is what it is being slow against
        except OSError:
            self.dropped += 1
            self.sockets.remove(sock)
            sock.close()

    def _close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()


def closed_by_peer(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes `sock` within `timeout` seconds (reading what it sends)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if sock.recv(4096) == b"":
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False
