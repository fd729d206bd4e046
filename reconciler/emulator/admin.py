"""A small typed client of the emulator's admin API (standard library only).

admin = EmulatorAdmin("http://127.0.0.1:4566")
admin.reset()
admin.create_thing_groups(["factory-a"])
admin.set_faults(throttle_rate=0.5, operations=["CreateDeployment"], seed=7)
records = admin.requests(since=0)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from reconciler.emulator.requestlog import RequestRecord


class EmulatorAdminError(Exception):
    """The admin API refused a call or could not be reached."""


class EmulatorAdmin:
    def __init__(self, endpoint_url: str, *, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "faults")

    def set_faults(
        self,
        *,
        throttle_rate: float | None = None,
        error_rate: float | None = None,
        in_progress_rate: float | None = None,
        quota_exceeded_rate: float | None = None,
        latency_ms: float | None = None,
        operations: Sequence[str] | None = None,
        services: Sequence[str] | None = None,
        seed: int | None = None,
        retry_after_seconds: int | None = None,
        quota_rate: float | None = None,
        quota_burst: int | None = None,
    ) -> dict[str, Any]:
        """Change the fault settings; arguments left out keep their current value."""
        wanted = {
            "throttleRate": throttle_rate,
            "errorRate": error_rate,
            "inProgressRate": in_progress_rate,
            "quotaExceededRate": quota_exceeded_rate,
            "latencyMs": latency_ms,
            "operations": list(operations) if operations is not None else None,
            "services": list(services) if services is not None else None,
            "seed": seed,
            "retryAfterSeconds": retry_after_seconds,
            "quotaRate": quota_rate,
            "quotaBurst": quota_burst,
        }
        return self._call("PUT", "faults", {k: v for k, v in wanted.items() if v is not None})

    def clear_faults(self) -> dict[str, Any]:
        return self._call(
            "PUT",
            "faults",
            {
                "throttleRate": 0,
                "errorRate": 0,
                "inProgressRate": 0,
                "quotaExceededRate": 0,
                "latencyMs": 0,
                "quotaRate": 0,
                "operations": [],
                "seed": None,
            },
        )

    def settings(self) -> dict[str, Any]:
        return self._call("GET", "settings")

    def set_settings(
        self,
        *,
        component_ready_seconds: float | None = None,
        strict_responses: bool | None = None,
    ) -> dict[str, Any]:
        wanted = {
            "componentReadySeconds": component_ready_seconds,
            "strictResponses": strict_responses,
        }
        return self._call("PUT", "settings", {k: v for k, v in wanted.items() if v is not None})

    def requests(self, since: int = 0) -> list[RequestRecord]:
        document = self._call("GET", f"requests?since={int(since)}")
        return [RequestRecord.from_json(item) for item in document["requests"]]

    def clear_requests(self) -> int:
        return int(self._call("DELETE", "requests")["cleared"])

    def reset(self) -> None:
        self._call("POST", "reset")

    def create_thing_groups(
        self, names: Sequence[str], *, region: str | None = None
    ) -> list[dict[str, str]]:
        body: dict[str, Any] = {"names": list(names)}
        if region:
            body["region"] = region
        return list(self._call("POST", "thing-groups", body)["thingGroups"])

    # -- the fleet ----------------------------------------------------------------------------

    def fleet(self) -> dict[str, Any]:
        """Devices (name, groups, status, online), timing, failure rules, jobs, pending events."""
        return self._call("GET", "fleet")

    def load_fleet(self, document: str | Mapping[str, Any]) -> dict[str, Any]:
        """Replace the fleet with a fleet file's text (YAML) or a fleet document (JSON)."""
        body = {"yaml": document} if isinstance(document, str) else dict(document)
        return self._call("PUT", "fleet", body)

    def add_devices(self, devices: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Add devices: [{"name": ..., "groups": [...], "platform": {...}, "offline": [...]}]."""
        return list(
            self._call("POST", "devices", {"devices": [dict(d) for d in devices]})["devices"]
        )

    def device(self, name: str) -> dict[str, Any]:
        """A device's installed components, effective configuration per component, deployments."""
        return self._call("GET", f"devices/{quote(name, safe='')}")

    def update_device(
        self, name: str, *, groups: Sequence[str] | None = None, offline: bool | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if groups is not None:
            body["groups"] = list(groups)
        if offline is not None:
            body["offline"] = offline
        return self._call("PUT", f"devices/{quote(name, safe='')}", body)

    def remove_device(self, name: str) -> None:
        self._call("DELETE", f"devices/{quote(name, safe='')}")

    def failures(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "failures")["failures"])

    def set_failures(self, failures: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Replace the failure rules (fleet file syntax: component, version, devices, phase)."""
        body = {"failures": [dict(f) for f in failures]}
        return list(self._call("PUT", "failures", body)["failures"])

    def clear_failures(self) -> None:
        self._call("DELETE", "failures")

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "clock")

    def set_clock(self, mode: str) -> dict[str, Any]:
        """Switch the emulator clock to "virtual" (moves only when advanced) or "real"."""
        return self._call("PUT", "clock", {"mode": mode})

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move virtual time on and process the fleet's events due by then."""
        return self._call("POST", "clock/advance", {"seconds": seconds})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            f"{self.endpoint_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")
            raise EmulatorAdminError(
                f"{method} /_emulator/{path} failed with {error.code}: {detail}"
            ) from error
        except urllib.error.URLError as error:
            raise EmulatorAdminError(
                f"The emulator at {self.endpoint_url} cannot be reached: {error.reason}"
            ) from error
        document = json.loads(raw) if raw else {}
        if not isinstance(document, dict):
            raise EmulatorAdminError(f"{method} /_emulator/{path} answered {document!r}")
        return document
