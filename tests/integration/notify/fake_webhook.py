"""A local HTTP receiver for the notification sinks: records every POST, answers as told.

A real threaded HTTP server on 127.0.0.1 (werkzeug). By default it answers 200 "ok", as Slack's
incoming webhooks do; `answer_next` queues other answers (a status, headers, a delay before
answering) for the next requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.support.loopback import LoopbackWsgiServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeWebhook(LoopbackWsgiServer):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[Received] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def url(self, path: str = "/hooks/T000/B000/s3cr3tT0ken") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer_next(self, answer: Answer, times: int = 1) -> None:
        with self._lock:
            self._answers.extend([answer] * times)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first `count` requests, once they arrived (AssertionError after `timeout`)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} request(s) arrived, not {count}")
            return list(self.received[:count])

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        with self._lock:
            answer = self._answers.pop(0) if self._answers else Answer()
        if answer.delay:
            time.sleep(answer.delay)
        with self._arrived:
            self.received.append(Received(request.path, dict(request.headers), body))
            self._arrived.notify_all()
        response = Response("ok", status=answer.status, headers=answer.headers)
        return response(environ, start_response)
