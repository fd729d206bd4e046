"""Fault injection: throttling, server errors and latency at configurable rates.

One random draw per eligible request decides its fate (throttle if below `throttle_rate`, else
error if below `throttle_rate + error_rate`), from a generator seeded with `seed` when given, so
a seeded run injects the same faults into the same sequence of requests.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from typing import Any

THROTTLE = "throttle"
ERROR = "error"

_JSON_NAMES = {
    "throttle_rate": "throttleRate",
    "error_rate": "errorRate",
    "latency_ms": "latencyMs",
    "operations": "operations",
    "services": "services",
    "seed": "seed",
    "retry_after_seconds": "retryAfterSeconds",
}


@dataclass(frozen=True)
class FaultSettings:
    """What to inject. Empty `operations` means every operation of the chosen `services`."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: float = 0.0
    operations: tuple[str, ...] = ()
    services: tuple[str, ...] = ("greengrassv2",)
    seed: int | None = None
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "error_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{_JSON_NAMES[name]} must be between 0 and 1, got {rate}")
        if self.throttle_rate + self.error_rate > 1.0:
            raise ValueError("throttleRate + errorRate must not exceed 1")
        if self.latency_ms < 0:
            raise ValueError(f"latencyMs must not be negative, got {self.latency_ms}")
        if self.retry_after_seconds < 0:
            raise ValueError("retryAfterSeconds must not be negative")

    @property
    def active(self) -> bool:
        return bool(self.throttle_rate or self.error_rate or self.latency_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            json_name: list(value) if isinstance(value, tuple) else value
            for name, json_name in _JSON_NAMES.items()
            for value in [getattr(self, name)]
        }

    @classmethod
    def from_json(
        cls, document: dict[str, Any], base: FaultSettings | None = None
    ) -> FaultSettings:
        """Settings from the admin API's JSON; keys left out keep their value in `base`."""
        python_names = {v: k for k, v in _JSON_NAMES.items()}
        unknown = sorted(set(document) - set(python_names))
        if unknown:
            known = ", ".join(_JSON_NAMES.values())
            raise ValueError(f"unknown fault settings {', '.join(unknown)}; known: {known}")
        changes: dict[str, Any] = {}
        for json_name, value in document.items():
            name = python_names[json_name]
            if name in ("operations", "services"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{json_name} must be a list of strings")
                value = tuple(value)
            elif name == "seed":
                value = None if value is None else int(value)
            elif name == "retry_after_seconds":
                value = int(value)
            else:
                value = float(value)
            changes[name] = value
        return replace(base or cls(), **changes)


@dataclass(frozen=True)
class FaultDecision:
    kind: str | None  # THROTTLE, ERROR or None
    latency_seconds: float = 0.0


NO_FAULT = FaultDecision(None)


class FaultInjector:
    """Decides, request by request, which fault to inject. Thread-safe."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._random = random.Random()
        self.configure(settings or FaultSettings())

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._random = random.Random(settings.seed)

    def decide(self, service: str, operation: str) -> FaultDecision:
        settings = self._settings
        if not settings.active:
            return NO_FAULT
        if settings.services and service not in settings.services:
            return NO_FAULT
        if settings.operations and operation not in settings.operations:
            return NO_FAULT
        with self._lock:
            draw = self._random.random()
        kind = None
        if draw < settings.throttle_rate:
            kind = THROTTLE
        elif draw < settings.throttle_rate + settings.error_rate:
            kind = ERROR
        return FaultDecision(kind, settings.latency_ms / 1000.0)
