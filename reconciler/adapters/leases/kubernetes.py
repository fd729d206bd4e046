"""A `coordination.k8s.io/v1` Lease, through the Kubernetes REST API (plain `requests`).

The API server's optimistic concurrency is the compare-and-swap: every update is a PUT carrying
the `metadata.resourceVersion` we read, and the server answers 409 Conflict if anyone wrote the
object since. Creating an existing Lease is a 409 too. A 409 therefore means another replica
won; it is an answer, not an error.

The object follows the fields client-go's leader election writes (`holderIdentity`,
`leaseDurationSeconds`, `acquireTime`, `renewTime`, `leaseTransitions`), so
`kubectl get lease` shows who leads.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from reconciler.adapters.leases.base import (
    DEFAULT_GRACE_SECONDS,
    LeaseError,
    LeaseRecord,
    format_time,
    parse_time,
)

IN_CLUSTER_API_URL = "https://kubernetes.default.svc"
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER_TOKEN_FILE = SERVICE_ACCOUNT_DIR / "token"
IN_CLUSTER_CA_FILE = SERVICE_ACCOUNT_DIR / "ca.crt"
IN_CLUSTER_NAMESPACE_FILE = SERVICE_ACCOUNT_DIR / "namespace"

_API_VERSION = "coordination.k8s.io/v1"


def in_cluster_namespace(path: Path = IN_CLUSTER_NAMESPACE_FILE) -> str:
    """The namespace of the pod we run in, as the service account volume tells it."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise LeaseError(
            f"cannot read the pod's namespace from {path} ({error.strerror}); set the lease "
            "namespace explicitly when running outside a cluster",
            temporary=False,
        ) from error


class KubernetesLease:
    """The Lease `namespace/name`. `token_file` is re-read on every call (tokens rotate)."""

    def __init__(
        self,
        *,
        name: str,
        identity: str,
        duration: float,
        namespace: str | None = None,
        api_url: str = IN_CLUSTER_API_URL,
        token_file: Path | None = IN_CLUSTER_TOKEN_FILE,
        ca_file: Path | None = IN_CLUSTER_CA_FILE,
        grace: float = DEFAULT_GRACE_SECONDS,
        timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if duration <= 0:
            raise ValueError("a lease duration must be positive")
        self.name = name
        self.namespace = namespace or in_cluster_namespace()
        self.identity = identity
        # The API stores whole seconds; round up so that we never promise less than asked.
        self.duration = float(math.ceil(duration))
        self.grace = grace
        self._token_file = token_file
        self._clock = clock
        # A call must give up well before the lease would expire under a hung connection.
        self._timeout = timeout if timeout is not None else max(1.0, self.duration / 3)
        self._url = (
            f"{api_url.rstrip('/')}/apis/coordination.k8s.io/v1/namespaces/"
            f"{self.namespace}/leases/{name}"
        )
        self._collection_url = self._url.rsplit("/", 1)[0]
        self._session = requests.Session()
        if ca_file is not None:
            self._session.verify = str(ca_file)
        # The object as of our own latest write: renewing needs no read while we hold the lease.
        self._held: dict[str, Any] | None = None

    def try_acquire(self) -> bool:
        lease = self._get()
        now = self._clock()
        if lease is None:
            return self._create(now)
        record = _record_of(lease)
        if not record.free_for(self.identity, now=now, grace=self.grace):
            self._held = None
            return False
        return self._put(lease, record.taken_by(self.identity, now=now, duration=self.duration))

    def renew(self) -> bool:
        if self._held is not None:
            record = _record_of(self._held).renewed(now=self._clock())
            if self._put(self._held, record):
                return True
        # No object cached, or it went stale (a renewal whose answer was lost, or someone edited
        # the object's labels): as long as the stored object names us, nobody has taken it.
        lease = self._get()
        if lease is None or _record_of(lease).holder != self.identity:
            self._held = None
            return False
        return self._put(lease, _record_of(lease).renewed(now=self._clock()))

    def release(self) -> None:
        if self._held is None:
            return
        held = self._held
        self._put(held, _record_of(held).released(now=self._clock()))
        self._held = None

    def holder(self) -> LeaseRecord | None:
        """The record stored now (for status pages and tests); None when there is no Lease."""
        lease = self._get()
        return None if lease is None else _record_of(lease)

    def _get(self) -> dict[str, Any] | None:
        response = self._request("GET", self._url)
        if response.status_code == 404:
            return None
        self._check(response, "read")
        return _json_object(response)

    def _create(self, now: float) -> bool:
        body = {
            "apiVersion": _API_VERSION,
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": _spec_of(LeaseRecord(self.identity, now, self.duration, now, transitions=0)),
        }
        response = self._request("POST", self._collection_url, json=body)
        if response.status_code == 409:  # created by another replica since we looked
            return False
        self._check(response, "create")
        self._held = _json_object(response)
        return True

    def _put(self, lease: dict[str, Any], record: LeaseRecord) -> bool:
        updated = copy.deepcopy(lease)
        updated["spec"] = {**updated.get("spec", {}), **_spec_of(record)}
        response = self._request("PUT", self._url, json=updated)
        if response.status_code in (404, 409):  # deleted, or written by someone else since
            self._held = None
            return False
        self._check(response, "update")
        stored = _json_object(response)
        self._held = stored if record.holder == self.identity else None
        return True

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {"Accept": "application/json"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self._session.request(
                method, url, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as error:
            raise LeaseError(
                f"Kubernetes API unreachable for lease {self._where()}: {error}"
            ) from error

    def _token(self) -> str | None:
        if self._token_file is None:
            return None
        try:
            return self._token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise LeaseError(
                f"cannot read the service account token {self._token_file} ({error.strerror})",
                temporary=False,
            ) from error

    def _check(self, response: requests.Response, action: str) -> None:
        if response.ok:
            return
        status = response.status_code
        if status in (401, 403):
            raise LeaseError(
                f"Kubernetes refused to {action} lease {self._where()} ({status}): grant the "
                "controller's service account get, create and update on "
                f"leases.coordination.k8s.io in namespace {self.namespace}",
                temporary=False,
            )
        raise LeaseError(
            f"Kubernetes could not {action} lease {self._where()}: {status} "
            f"{_status_message(response)}",
            temporary=status >= 500 or status == 429,
        )

    def _where(self) -> str:
        return f"{self.namespace}/{self.name}"


def _spec_of(record: LeaseRecord) -> dict[str, Any]:
    return {
        "holderIdentity": record.holder,
        "leaseDurationSeconds": math.ceil(record.duration),
        "acquireTime": format_time(record.acquired_at),
        "renewTime": format_time(record.renewed_at),
        "leaseTransitions": record.transitions,
    }


def _record_of(lease: dict[str, Any]) -> LeaseRecord:
    spec = lease.get("spec") or {}
    renew_time = spec.get("renewTime") or spec.get("acquireTime")
    acquire_time = spec.get("acquireTime") or renew_time
    try:
        return LeaseRecord(
            holder=str(spec.get("holderIdentity") or ""),
            # A Lease without times (created by hand) counts as renewed at the epoch: expired.
            renewed_at=parse_time(renew_time) if renew_time else 0.0,
            duration=float(spec.get("leaseDurationSeconds") or 0),
            acquired_at=parse_time(acquire_time) if acquire_time else 0.0,
            transitions=int(spec.get("leaseTransitions") or 0),
        )
    except (TypeError, ValueError) as error:
        raise LeaseError(
            f"the Lease object has an unreadable spec: {error}", temporary=False
        ) from error


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError as error:
        raise LeaseError(
            f"the Kubernetes API answered {response.status_code} without JSON"
        ) from error
    if not isinstance(document, dict):
        raise LeaseError("the Kubernetes API answered with JSON that is not an object")
    return document


def _status_message(response: requests.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(document, dict) and document.get("message"):
        return str(document["message"])
    return response.text[:200]
