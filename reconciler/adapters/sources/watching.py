"""Noticing file changes quickly, and turning a burst of them into one notification.

Saving one file in an editor produces several events (a temporary file created, written, renamed
over the original, attributes set), `git commit` a few more, and a `git checkout` of another
branch hundreds. The controller should fetch once per burst: `Debouncer` calls back once the
events have paused for `quiet_period` seconds (or, during a never-ending stream of events, at
least every `max_delay` seconds, so that a busy directory still gets reconciled).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

_log = logging.getLogger(__name__)

# Opening and reading files (our own digest does both) must not count as a change, nor must a
# bare attribute change (`touch`): only events that can change content do.
_CONTENT_EVENTS = frozenset({"created", "deleted", "moved", "modified", "closed"})


class Debouncer:
    """Calls `callback` on its own thread, once per burst of `poke()` calls. Thread-safe."""

    def __init__(
        self,
        callback: Callable[[], None],
        *,
        quiet_period: float = 0.3,
        max_delay: float = 3.0,
        name: str = "source-debouncer",
    ) -> None:
        if quiet_period <= 0 or max_delay < quiet_period:
            raise ValueError("need 0 < quiet_period <= max_delay")
        self._callback = callback
        self._quiet_period = quiet_period
        self._max_delay = max_delay
        self._condition = threading.Condition()
        self._burst_started: float | None = None
        self._last_poke = 0.0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Something changed: call back after the burst this poke belongs to."""
        with self._condition:
            if self._closed:
                return
            self._last_poke = time.monotonic()
            if self._burst_started is None:
                self._burst_started = self._last_poke
            self._condition.notify()

    def close(self, timeout: float = 5.0) -> None:
        """Stop; a pending burst is dropped. Waits for a running callback up to `timeout` s."""
        with self._condition:
            self._closed = True
            self._condition.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while self._wait_for_burst_end():
            try:
                self._callback()
            except Exception:  # a failing callback must not end the notifications
                _log.exception("the change callback of a spec source failed")

    def _wait_for_burst_end(self) -> bool:
        """Block until a burst has ended (True) or the debouncer is closed (False)."""
        with self._condition:
            while not self._closed and self._burst_started is None:
                self._condition.wait()
            while not self._closed and self._burst_started is not None:
                due = min(
                    self._last_poke + self._quiet_period, self._burst_started + self._max_delay
                )
                remaining = due - time.monotonic()
                if remaining <= 0:
                    self._burst_started = None
                    return True
                self._condition.wait(remaining)
            return False


@dataclass(frozen=True)
class WatchedDirectory:
    """A directory to observe; `accept(path)` says whether an event at `path` is a change."""

    directory: Path
    accept: Callable[[Path], bool]
    recursive: bool = True


class _Relay(FileSystemEventHandler):
    def __init__(self, watched: WatchedDirectory, debouncer: Debouncer) -> None:
        self._watched = watched
        self._debouncer = debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CONTENT_EVENTS:
            return
        if event.is_directory and event.event_type in {"modified", "closed"}:
            return  # a directory "modified" echoes a change already reported for its entry
        paths = [event.src_path]
        if event.event_type == "moved":
            paths.append(event.dest_path)
        if any(path and self._watched.accept(Path(os.fsdecode(path))) for path in paths):
            self._debouncer.poke()


class ChangeWatcher:
    """Observes directories with watchdog (inotify on Linux) and debounces their events."""

    def __init__(
        self,
        directories: Sequence[WatchedDirectory],
        on_change: Callable[[], None],
        *,
        quiet_period: float = 0.3,
        max_delay: float = 3.0,
    ) -> None:
        self._directories = tuple(directories)
        self._debouncer = Debouncer(on_change, quiet_period=quiet_period, max_delay=max_delay)
        self._observer = self._start(Observer())

    def _start(self, observer: BaseObserver) -> BaseObserver:
        try:
            for watched in self._directories:
                handler = _Relay(watched, self._debouncer)
                observer.schedule(handler, str(watched.directory), recursive=watched.recursive)
            observer.daemon = True
            observer.start()
        except OSError as err:
            observer.stop()
            if isinstance(err, FileNotFoundError) or isinstance(observer, PollingObserver):
                self._debouncer.close()
                raise
            # inotify watches or instances exhausted (fs.inotify.max_user_watches): polling is
            # slower but works everywhere.
            _log.warning("file notifications unavailable (%s); polling for changes instead", err)
            return self._start(PollingObserver(timeout=1.0))
        return observer

    def stop(self) -> None:
        """Stop observing and notifying. Idempotent."""
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5.0)
        self._debouncer.close()
