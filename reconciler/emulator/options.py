"""How an emulator is configured: identity, timing, fleet, strictness, faults, serving."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.emulator.faults import FaultSettings
from reconciler.emulator.fleet.fleet_file import FleetDocument

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class EmulatorOptions:
    """Settings fixed when an emulator starts (faults and timing can change later via admin API).

    component_ready_seconds        REQUESTED -> DEPLOYABLE after this long
    fleet                          the simulated core devices (a parsed fleet file), if any
    strict_responses               check every Greengrass response against its output shape;
                                   a mismatch becomes a 500 naming the problem
    threads                        request worker threads of the HTTP server
    request_log_limit              the request log keeps this many most recent records
    server                         "waitress" (production WSGI server) or "werkzeug"
    compact_every                  journal lines after which the state file is compacted
    """

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    component_ready_seconds: float = 0.0
    fleet: FleetDocument | None = None
    strict_responses: bool = False
    faults: FaultSettings = field(default_factory=FaultSettings)
    threads: int = 4
    request_log_limit: int = 100_000
    server: str = "waitress"
    compact_every: int = 10_000

    def __post_init__(self) -> None:
        if not self.account_id.isdigit() or len(self.account_id) != 12:
            raise ValueError(f"account_id must be 12 digits, got {self.account_id!r}")
        if self.component_ready_seconds < 0:
            raise ValueError("component_ready_seconds must not be negative")
        if self.threads < 1:
            raise ValueError("threads must be at least 1")
        if self.server not in ("waitress", "werkzeug"):
            raise ValueError(f"server must be 'waitress' or 'werkzeug', got {self.server!r}")
