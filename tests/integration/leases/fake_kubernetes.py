"""A local Kubernetes API server for the few Lease calls leader election makes.

A real threaded HTTP server on 127.0.0.1 (werkzeug) serving
`/apis/coordination.k8s.io/v1/namespaces/<ns>/leases[/<name>]` with the API server's rules:
bearer-token authentication (401), GET (404 when missing), POST (409 AlreadyExists), PUT with
optimistic concurrency on `metadata.resourceVersion` (409 Conflict when stale, 404 when
missing). Every write gets a new resourceVersion from one counter, as etcd's revision. Writes
are serialized by a lock, as the API server does for one object.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.support.loopback import LoopbackWsgiServer


def _status(code: int, reason: str, message: str) -> Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return Response(json.dumps(body), status=code, mimetype="application/json")


class FakeKubernetes(LoopbackWsgiServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.leases: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._revision = 100
        self._lock = threading.Lock()
        prefix = "/apis/coordination.k8s.io/v1/namespaces/<namespace>/leases"
        self._urls = Map(
            [
                Rule(prefix, endpoint="collection", methods=["POST"]),
                Rule(f"{prefix}/<name>", endpoint="item", methods=["GET", "PUT"]),
            ]
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _status(401, "Unauthorized", "Unauthorized")
        try:
            endpoint, args = self._urls.bind_to_environ(request.environ).match()
        except Exception:
            return _status(404, "NotFound", "the server could not find the requested resource")
        with self._lock:
            if endpoint == "collection":
                return self._create(args["namespace"], request.get_json())
            if request.method == "GET":
                return self._get(args["namespace"], args["name"])
            return self._replace(args["namespace"], args["name"], request.get_json())

    def _next_version(self) -> str:
        self._revision += 1
        return str(self._revision)

    def _get(self, namespace: str, name: str) -> Response:
        lease = self.leases.get((namespace, name))
        if lease is None:
            return _status(404, "NotFound", f'leases.coordination.k8s.io "{name}" not found')
        return Response(json.dumps(lease), mimetype="application/json")

    def _create(self, namespace: str, body: dict[str, Any]) -> Response:
        name = body["metadata"]["name"]
        if (namespace, name) in self.leases:
            return _status(
                409, "AlreadyExists", f'leases.coordination.k8s.io "{name}" already exists'
            )
        lease = copy.deepcopy(body)
        lease["metadata"].update(
            namespace=namespace, resourceVersion=self._next_version(), uid=f"uid-{name}"
        )
        self.leases[(namespace, name)] = lease
        return Response(json.dumps(lease), status=201, mimetype="application/json")

    def _replace(self, namespace: str, name: str, body: dict[str, Any]) -> Response:
        current = self.leases.get((namespace, name))
        if current is None:
            return _status(404, "NotFound", f'leases.coordination.k8s.io "{name}" not found')
        version = body.get("metadata", {}).get("resourceVersion")
        if version is not None and version != current["metadata"]["resourceVersion"]:
            return _status(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on leases.coordination.k8s.io "{name}": the '
                "object has been modified; please apply your changes to the latest version "
                "and try again",
            )
        lease = copy.deepcopy(body)
        lease["metadata"]["resourceVersion"] = self._next_version()
        self.leases[(namespace, name)] = lease
        return Response(json.dumps(lease), mimetype="application/json")
