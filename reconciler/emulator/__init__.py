"""A local AWS emulator: Greengrass v2 of our own, S3/IoT/STS from moto, on one endpoint.

    from reconciler.emulator import EmulatorServer, EmulatorOptions, EmulatorAdmin

    with EmulatorServer(port=0, options=EmulatorOptions(strict_responses=True)) as emu:
        EmulatorAdmin(emu.endpoint_url).create_thing_groups(["fleet"])

Names are imported on first use, so that the admin client does not load moto.
Only the CLI may import this package (an import-linter contract keeps core, adapters and the
engine independent of it).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "EmulatorServer": "reconciler.emulator.server",
    "EmulatorAlreadyRunningError": "reconciler.emulator.server",
    "EmulatorOptions": "reconciler.emulator.options",
    "FaultSettings": "reconciler.emulator.faults",
    "EmulatorAdmin": "reconciler.emulator.admin",
    "EmulatorAdminError": "reconciler.emulator.admin",
    "RequestRecord": "reconciler.emulator.requestlog",
    "StateFileError": "reconciler.emulator.persistence",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reconciler.emulator' has no attribute {name!r}")
    return getattr(import_module(module), name)
