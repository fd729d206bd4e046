"""Run the emulator: `EmulatorServer` serves the gateway over HTTP in a background thread.

    with EmulatorServer(port=0, options=EmulatorOptions(strict_responses=True)) as emu:
        boto3.client("greengrassv2", endpoint_url=emu.endpoint_url, ...)

waitress (a production WSGI server) serves by default, werkzeug's threaded server on request.
moto keeps its state in process-wide globals, so one process runs at most one emulator at a
time; start another one in a subprocess (`python -m reconciler emulator`) if you need two.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from types import TracebackType
from typing import Any

from reconciler.emulator.gateway import Gateway
from reconciler.emulator.options import EmulatorOptions
from reconciler.emulator.persistence import StateFile

log = logging.getLogger(__name__)

_running_lock = threading.Lock()
_running: EmulatorServer | None = None


def _waitress_available() -> bool:
    try:
        importlib.import_module("waitress")
    except ImportError:
        return False
    return True


def _continue_safe_channel() -> type:
    # waitress ships no type information; importlib keeps mypy from looking for it.
    http_channel: Any = importlib.import_module("waitress.channel").HTTPChannel

    class ContinueSafeChannel(http_channel):  # type: ignore[misc]
        """waitress 3.0.2 marks a request incomplete when it answers `Expect: 100-continue`,
        even one that is complete already (`Content-Length: 0`, as boto3 sends for an empty
        S3 PutObject): such a request would never be served. Keep its completeness."""

        def send_continue(self) -> None:
            completed = self.request.completed
            super().send_continue()
            self.request.completed = completed

    return ContinueSafeChannel


class EmulatorAlreadyRunningError(RuntimeError):
    """Another emulator runs in this process (moto's state is process-wide)."""


class EmulatorServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | os.PathLike[str] | None = None,
        options: EmulatorOptions | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.options = options or EmulatorOptions()
        self.state_file = StateFile(state_file) if state_file is not None else None
        self.gateway: Gateway | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._kind = self.options.server  # the HTTP server actually used
        self.replayed_changes = 0

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("The emulator is not running: call start() first")
        return self._port

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> EmulatorServer:
        global _running
        with _running_lock:
            if _running is not None:
                raise EmulatorAlreadyRunningError(
                    f"An emulator already runs in this process at {_running.endpoint_url}; moto's "
                    "state is process-wide, so stop it first or start another emulator in a "
                    "subprocess (python -m reconciler emulator --port 0)"
                )
            _running = self
        try:
            self.gateway = Gateway(self.options, self.state_file)
            self.replayed_changes = self.gateway.state.restore()
            self._kind = self.options.server
            if self._kind == "waitress" and not _waitress_available():
                log.warning("waitress is not installed; serving with werkzeug's threaded server")
                self._kind = "werkzeug"
            if self._kind == "waitress":
                self._start_waitress(self.gateway)
            else:
                self._start_werkzeug(self.gateway)
        except BaseException:
            with _running_lock:
                _running = None
            raise
        return self

    def stop(self) -> None:
        global _running
        if self._thread is None:
            return
        if self._kind == "waitress":
            self._stop_waitress()
        else:
            self._server.shutdown()
            self._server.server_close()
        self._thread.join(timeout=10)
        self._thread = None
        if self.gateway is not None:
            self.gateway.state.close()
        with _running_lock:
            if _running is self:
                _running = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- servers ------------------------------------------------------------------------------

    def _start_waitress(self, app: Gateway) -> None:
        import waitress

        self._server = waitress.create_server(
            app,
            host=self.host,
            port=self.requested_port,
            threads=self.options.threads,
            # Clients of an emulator are local and few; deep queues only hide overload.
            connection_limit=256,
            channel_timeout=60,
            ident="reconciler-emulator",
        )
        self._server.channel_class = _continue_safe_channel()
        self._port = int(self._server.effective_port)
        self._thread = threading.Thread(
            target=self._server.run, name="emulator-waitress", daemon=True
        )
        self._thread.start()

    def _stop_waitress(self) -> None:
        server = self._server

        def close_everything() -> None:
            # Runs in the server's own loop: closing every channel empties its socket map,
            # which ends the loop and with it `run()`.
            for channel in list(server._map.values()):
                channel.close()

        server.trigger.pull_trigger(close_everything)
        assert self._thread is not None
        self._thread.join(timeout=10)
        server.task_dispatcher.shutdown(timeout=5)

    def _start_werkzeug(self, app: Gateway) -> None:
        from werkzeug.serving import make_server

        self._server = make_server(self.host, self.requested_port, app, threaded=True)
        self._port = int(self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="emulator-werkzeug", daemon=True
        )
        self._thread.start()
