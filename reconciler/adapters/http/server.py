"""Serve the controller's endpoints with waitress (a production WSGI server) in a thread.

`start()` binds the socket before returning, so a port already in use fails right there with a
clear message, and `port` is known at once (port 0 picks a free one, as tests do). `stop()`
closes every socket from inside waitress' own loop thread (its socket map is not thread-safe),
waits for the loop to end and then for the worker threads.

The server is waitress' own TCP server with the bounds of `connections.py` (read deadlines,
shedding slow connections at the connection limit), so that probes keep answering however many
slow clients are connected. A host name that resolves to several addresses is served on the
first one.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.task import ThreadedTaskDispatcher

from reconciler.adapters.http.app import ControllerApp
from reconciler.adapters.http.connections import ConnectionLimits, GuardedWSGIServer
from reconciler.adapters.http.dashboard import Dashboard
from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.stops import StopHandler
from reconciler.adapters.http.webhook import WebhookHandler
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.errors import ReconcilerError

_log = logging.getLogger(__name__)

_WORKER_THREADS = 4  # probes, a scrape and a webhook at once, with room to spare
_NO_BODY_LIMIT = 64 * 1024  # without a webhook no route takes a body
_STOP_TIMEOUT = 10.0


class HttpServerError(ReconcilerError):
    """The endpoints could not be served (the port is taken, the address is wrong...)."""


class ControllerHttpServer:
    """The controller's probes, metrics, status and webhook on `host:port`."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        probes: Probes,
        webhook: WebhookHandler | None,
        metrics: ControllerMetrics,
        limits: ConnectionLimits | None = None,
        dashboard: Dashboard | None = None,
        stops: StopHandler | None = None,
    ) -> None:
        self.host = host
        self.limits = limits or ConnectionLimits()
        self._requested_port = port
        self.app = ControllerApp(
            probes=probes, webhook=webhook, metrics=metrics, dashboard=dashboard, stops=stops
        )
        # Waitress buffers a whole body before the application sees it, so the webhook's cap
        # (checked again, precisely, by the handler) must also bound what waitress accepts.
        self._max_body = 2 * webhook.max_body_bytes + 1 if webhook else _NO_BODY_LIMIT
        self._socket_map: dict[int, Any] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the HTTP server is not started")
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """A URL this machine can reach the server at (loopback when bound to every interface)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the HTTP server was started already")
        try:
            adjustments = Adjustments(
                host=self.host,
                port=self._requested_port,
                threads=_WORKER_THREADS,
                ident="greengrass-reconciler",
                max_request_body_size=self._max_body,
                expose_tracebacks=False,
                **self.limits.waitress_settings(),
            )
            dispatcher = ThreadedTaskDispatcher()
            self._server = GuardedWSGIServer(
                self.app,
                map=self._socket_map,
                dispatcher=dispatcher,
                adj=adjustments,
                sockinfo=adjustments.listen[0],
                limits=self.limits,
            )
        except OSError as error:
            wasyncore.close_all(self._socket_map)  # the socket and trigger made before the bind
            raise HttpServerError(
                f"cannot serve the controller endpoints on {self.host}:{self._requested_port}: "
                f"{error.strerror or error}; choose another port (RECONCILER_HTTP_PORT)"
            ) from error
        dispatcher.set_thread_count(_WORKER_THREADS)  # only now: a failed bind leaves no threads
        self._thread = threading.Thread(
            target=self._server.run, name="controller-http", daemon=True
        )
        self._thread.start()
        _log.info("serving the controller endpoints on %s", self.url)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        # Runs on waitress' loop thread: closing every socket empties the map, ending the loop.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(self._socket_map))
        except OSError:
            # The trigger's pipe is already closed: the loop is ending on its own (seen after a
            # client announced a huge body); close what is left from here.
            wasyncore.close_all(self._socket_map)
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():
            _log.warning("the HTTP server loop did not stop within %.0f s", _STOP_TIMEOUT)
        server.task_dispatcher.shutdown(timeout=_STOP_TIMEOUT)
        self._thread = None
