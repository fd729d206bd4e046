"""Fault injection: throttling, server errors, the service's other retryable-or-not answers,
and latency, at configurable rates.

One random draw per eligible request decides its fate: the rates are stacked in the order
throttle, error, in-progress, quota-exceeded, and the draw falls into one of them or none. The
generator is seeded with `seed` when given, so a seeded run injects the same faults into the
same sequence of requests. In-progress and quota-exceeded exist only where the service's model
declares them (`RequestAlreadyInProgressException` on CreateComponentVersion and
CreateDeployment, `ServiceQuotaExceededException` on CreateComponentVersion): a request of any
other operation that draws one gets no fault, so no client ever sees an error its operation
cannot answer.

Besides these random draws, a request-rate quota (`quota_rate` requests per second for each
operation of each service, bursts up to `quota_burst`) throttles what exceeds it, as AWS does:
its quotas are per API and per account ("Your request exceeded a request rate quota", the
ThrottlingException's documentation in the Greengrass model), and AWS meters request rates with
a token bucket (the EC2 and API Gateway throttling pages). A throttled request takes no token.
Unlike a random throttle, such a throttle depends on how fast the client calls: the fault that
an adaptive client rate can avoid.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

THROTTLE = "throttle"
ERROR = "error"
IN_PROGRESS = "in-progress"  # RequestAlreadyInProgressException
QUOTA_EXCEEDED = "quota-exceeded"  # ServiceQuotaExceededException

_JSON_NAMES = {
    "throttle_rate": "throttleRate",
    "error_rate": "errorRate",
    "in_progress_rate": "inProgressRate",
    "quota_exceeded_rate": "quotaExceededRate",
    "latency_ms": "latencyMs",
    "operations": "operations",
    "services": "services",
    "seed": "seed",
    "retry_after_seconds": "retryAfterSeconds",
    "quota_rate": "quotaRate",
    "quota_burst": "quotaBurst",
}


@dataclass(frozen=True)
class FaultSettings:
    """What to inject. Empty `operations` means every operation of the chosen `services`."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    in_progress_rate: float = 0.0
    quota_exceeded_rate: float = 0.0
    latency_ms: float = 0.0
    operations: tuple[str, ...] = ()
    services: tuple[str, ...] = ("greengrassv2",)
    seed: int | None = None
    retry_after_seconds: int = 1
    quota_rate: float = 0.0  # requests per second per operation; 0: no quota
    quota_burst: int = 0  # 0: one second's worth (at least 1)

    def __post_init__(self) -> None:
        for name, _ in self.rates():
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{_JSON_NAMES[name]} must be between 0 and 1, got {rate}")
        if sum(getattr(self, name) for name, _ in self.rates()) > 1.0:
            names = " + ".join(_JSON_NAMES[name] for name, _ in self.rates())
            raise ValueError(f"{names} must not exceed 1")
        if self.latency_ms < 0:
            raise ValueError(f"latencyMs must not be negative, got {self.latency_ms}")
        if self.retry_after_seconds < 0:
            raise ValueError("retryAfterSeconds must not be negative")
        if self.quota_rate < 0 or self.quota_burst < 0:
            raise ValueError("quotaRate and quotaBurst must not be negative")

    @staticmethod
    def rates() -> tuple[tuple[str, str], ...]:
        """(setting, fault kind) in the order the draw stacks them."""
        return (
            ("throttle_rate", THROTTLE),
            ("error_rate", ERROR),
            ("in_progress_rate", IN_PROGRESS),
            ("quota_exceeded_rate", QUOTA_EXCEEDED),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.latency_ms
            or self.quota_rate
            or any(getattr(self, name) for name, _ in self.rates())
        )

    @property
    def burst(self) -> float:
        return float(self.quota_burst or max(1, int(self.quota_rate)))

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
            elif name in ("retry_after_seconds", "quota_burst"):
                value = int(value)
            else:
                value = float(value)
            changes[name] = value
        return replace(base or cls(), **changes)


@dataclass(frozen=True)
class FaultDecision:
    kind: str | None  # THROTTLE, ERROR, IN_PROGRESS, QUOTA_EXCEEDED or None
    latency_seconds: float = 0.0


NO_FAULT = FaultDecision(None)


Answers = Callable[[str, str, str], bool]
"""(service, operation, fault kind) -> whether that operation can answer with that fault."""


def _answers_every_fault(service: str, operation: str, kind: str) -> bool:
    return True


class FaultInjector:
    """Decides, request by request, which fault to inject. Thread-safe."""

    def __init__(
        self, settings: FaultSettings | None = None, answers: Answers = _answers_every_fault
    ) -> None:
        self._answers = answers
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._random = random.Random()
        # (service, operation) -> (tokens, when last refilled): the request-rate quota's buckets
        self._quota: dict[tuple[str, str], tuple[float, float]] = {}
        self.configure(settings or FaultSettings())

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._random = random.Random(settings.seed)
            self._quota = {}

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
            if settings.quota_rate and not self._within_quota(settings, service, operation):
                return FaultDecision(THROTTLE, settings.latency_ms / 1000.0)
        kind = None
        bound = 0.0
        for name, candidate in settings.rates():
            bound += getattr(settings, name)
            if draw < bound:
                kind = candidate if self._answers(service, operation, candidate) else None
                break
        return FaultDecision(kind, settings.latency_ms / 1000.0)

    def _within_quota(self, settings: FaultSettings, service: str, operation: str) -> bool:
        """Take a token of the operation's quota if one is free (under the lock)."""
        now = time.monotonic()
        tokens, last = self._quota.get((service, operation), (settings.burst, now))
        tokens = min(settings.burst, tokens + (now - last) * settings.quota_rate)
        within = tokens >= 1.0
        self._quota[(service, operation)] = (tokens - 1.0 if within else tokens, now)
        return within
