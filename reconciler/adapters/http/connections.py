"""Slow and idle clients cannot starve the probes: bounded connections and read deadlines.

Waitress reads every request on one loop thread and hands it to a worker only once it is
complete, so a slow client costs a socket, not a worker. What it does not bound by itself:

- how long a client may take to send a request: its `channel_timeout` counts *inactivity*, so a
  client sending one byte every few seconds keeps its connection for ever;
- what happens at its `connection_limit`: it stops accepting, and every new connection (the
  kubelet's probe included) waits in the listen backlog until a slow client leaves. About 100
  slow clients were enough to make `/healthz` time out and get the pod restarted.

`GuardedWSGIServer` adds both bounds. A request must deliver its headers within
`header_timeout` seconds of its first byte and its body within `body_timeout` seconds of its
headers; a connection with nothing to do is closed after `idle_timeout` (waitress' own
inactivity sweep). At `max_connections` the server does not stop accepting: it closes the
longest-open connections that are still *reading* (no request of theirs is being answered) to
make room, so a new connection is always accepted and a complete request always answered.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer

_log = logging.getLogger(__name__)

# How often the deadlines are checked (waitress' sweep interval, whole seconds).
_SWEEP_SECONDS = 1


@dataclass(frozen=True)
class ConnectionLimits:
    """Bounds on what one client may hold of the server; the defaults suit the probes."""

    max_connections: int = 1000
    header_timeout: float = 10.0  # first byte of a request -> end of its headers
    body_timeout: float = 30.0  # end of the headers -> end of the body (bodies <= 2 MiB)
    idle_timeout: int = 10  # no byte either way while no request is being answered

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if min(self.header_timeout, self.body_timeout, self.idle_timeout) <= 0:
            raise ValueError("connection timeouts must be positive")

    def waitress_settings(self) -> dict[str, Any]:
        """The waitress adjustments these limits need."""
        return {
            # The guard sheds connections before `max_connections` are open; the shed ones
            # close on the loop's next pass. Waitress' own limit (which stops accepting) counts
            # those too, and its listening and trigger sockets: it is only the last resort.
            "connection_limit": 2 * self.max_connections + 2,
            "channel_timeout": self.idle_timeout,
            "cleanup_interval": _SWEEP_SECONDS,
            # select() fails on descriptors above 1023; a thousand connections need poll().
            "asyncore_use_poll": True,
        }


class _TimedRequestParser(HTTPRequestParser):  # type: ignore[misc]
    """Waitress' request parser, noting when the request began and when its headers ended."""

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        self.began = time.monotonic()
        self.headers_ended: float | None = None

    def received(self, data: bytes) -> int:
        consumed = int(super().received(data))
        if self.headers_ended is None and self.headers_finished:
            self.headers_ended = time.monotonic()
        return consumed

    def overdue(self, now: float, limits: ConnectionLimits) -> bool:
        if self.completed:
            return False
        if self.headers_ended is None:
            return now - self.began > limits.header_timeout
        return now - self.headers_ended > limits.body_timeout


class _GuardedChannel(HTTPChannel):  # type: ignore[misc]
    parser_class = _TimedRequestParser


def _reading(channel: Any) -> bool:
    """Whether `channel` has no request being answered (so closing it loses no answer)."""
    return not channel.requests and not channel.will_close


class GuardedWSGIServer(TcpWSGIServer):  # type: ignore[misc]
    """Waitress' TCP server with the read deadlines and the shedding described above."""

    channel_class = _GuardedChannel

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        self.limits = limits
        self._full_since: float | None = None
        super().__init__(*args, **kwargs)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # inactivity: closes channels idle for idle_timeout
        moment = time.monotonic()
        late = [
            channel
            for channel in list(self.active_channels.values())
            if _reading(channel)
            and isinstance(channel.request, _TimedRequestParser)
            and channel.request.overdue(moment, self.limits)
        ]
        for channel in late:
            channel.will_close = True  # closed by the loop on its next write pass
        if late:
            _log.warning(
                "closed %d connection(s) that did not send their request in time "
                "(headers within %.0f s, body within %.0f s)",
                len(late),
                self.limits.header_timeout,
                self.limits.body_timeout,
            )

    def readable(self) -> bool:
        if self.accepting and len(self.active_channels) >= self.limits.max_connections:
            self._make_room()
        return bool(super().readable())

    def _make_room(self) -> None:
        channels = list(self.active_channels.values())
        open_count = sum(1 for channel in channels if not channel.will_close)
        excess = open_count - self.limits.max_connections + 1
        if excess <= 0:
            return
        sheddable = sorted(
            (channel for channel in channels if _reading(channel)),
            key=lambda channel: channel.creation_time,
        )[:excess]
        for channel in sheddable:
            channel.will_close = True
        moment = time.monotonic()
        if self._full_since is None or moment - self._full_since > 60:
            self._full_since = moment
            _log.warning(
                "%d connections open (the limit): closing the oldest that are still sending "
                "their request to accept new ones",
                open_count,
            )
