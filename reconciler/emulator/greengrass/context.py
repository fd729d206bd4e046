"""What every part of one region's Greengrass backend shares: identity, settings, clock, journal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.emulator.greengrass.idempotency import IdempotencyStore
from reconciler.emulator.moto_world import MotoWorld

if TYPE_CHECKING:
    from reconciler.emulator.fleet.simulation import Fleet

# Receives every state change (kind, payload) so that persistence can journal it.
ChangeSink = Callable[[str, dict[str, Any]], None]
Payload = Callable[[], dict[str, Any]]


@dataclass
class RuntimeSettings:
    """Timing rules that tests and the admin API may change while the emulator runs."""

    component_ready_seconds: float = 0.0


@dataclass
class BackendContext:
    region: str
    account: str
    settings: RuntimeSettings
    world: MotoWorld
    record: ChangeSink | None  # None: no journal is kept
    clock: Callable[[], float]
    tokens: IdempotencyStore
    fleet: Fleet | None = None  # the simulated core devices deployments reach

    def changed(self, kind: str, payload: Payload) -> None:
        """Report a change; its payload (a full record) is only built when a journal is kept."""
        if self.record is not None:
            self.record(kind, payload())
