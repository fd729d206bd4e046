"""The fleet's part of the admin API (see admin_api.py): devices, failures and the clock.

GET    /_emulator/fleet                   devices (name, groups, status), timing, failures
PUT    /_emulator/fleet                   replace it: {"yaml": "<fleet file>"} or the document
POST   /_emulator/devices                 add devices: {"devices": [{"name", "groups", ...}]}
GET    /_emulator/devices/{name}          installed components, configuration, deployments
PUT    /_emulator/devices/{name}          {"groups": [...], "offline": true|false}
DELETE /_emulator/devices/{name}          remove the device from the fleet
GET    /_emulator/failures                the failure rules
PUT    /_emulator/failures                replace them: {"failures": [...]} (fleet file syntax)
DELETE /_emulator/failures                remove them all
GET    /_emulator/clock                   {"mode": "real"|"virtual", "now": epoch seconds}
PUT    /_emulator/clock                   {"mode": "virtual"} or {"mode": "real"}
POST   /_emulator/clock/advance           {"seconds": N}: move virtual time on, run the events
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from reconciler.emulator.fleet.clock import ClockError, EmulatorClock
from reconciler.emulator.fleet.devices import Device
from reconciler.emulator.fleet.fleet_file import (
    FailureRule,
    FleetFileError,
    load_failure_rules,
    load_fleet_file,
)
from reconciler.emulator.fleet.simulation import Fleet

Reply = tuple[int, Any]
Route = Callable[[dict[str, Any], str], Reply]


class FleetAdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class FleetAdmin:
    """Admin endpoints of the fleet; the caller holds the state lock and advanced the fleet."""

    def __init__(self, fleet: Fleet, clock: EmulatorClock) -> None:
        self.fleet = fleet
        self.clock = clock
        # (method, path) -> route; a path ending in /* takes the rest as its argument.
        self.routes: dict[tuple[str, str], Route] = {
            ("GET", "fleet"): self.get_fleet,
            ("PUT", "fleet"): self.put_fleet,
            ("POST", "devices"): self.post_devices,
            ("GET", "devices/*"): self.get_device,
            ("PUT", "devices/*"): self.put_device,
            ("DELETE", "devices/*"): self.delete_device,
            ("GET", "failures"): self.get_failures,
            ("PUT", "failures"): self.put_failures,
            ("DELETE", "failures"): self.delete_failures,
            ("GET", "clock"): self.get_clock,
            ("PUT", "clock"): self.put_clock,
            ("POST", "clock/advance"): self.advance_clock,
        }

    # -- fleet and devices --------------------------------------------------------------------

    def get_fleet(self, body: dict[str, Any], name: str) -> Reply:
        fleet = self.fleet
        return 200, {
            "region": fleet.region,
            "startedAt": fleet.start,
            "timing": {
                "applySeconds": fleet.timing.apply_seconds,
                "jitterSeconds": fleet.timing.jitter_seconds,
            },
            "failures": [_rule_json(rule) for rule in fleet.failures],
            "devices": [_summary(fleet, fleet.devices[n]) for n in sorted(fleet.devices)],
            "jobs": len(fleet.jobs),
            "pendingEvents": fleet.pending_events,
        }

    def put_fleet(self, body: dict[str, Any], name: str) -> Reply:
        source = "PUT /_emulator/fleet"
        if isinstance(body.get("yaml"), str):
            document = _parsed(lambda: load_fleet_file(source, body["yaml"].encode("utf-8")))
        else:
            data = json.dumps(body, indent=1).encode("utf-8")
            document = _parsed(lambda: load_fleet_file(source + ".json", data))
        self.fleet.load(document)
        return self.get_fleet({}, "")

    def post_devices(self, body: dict[str, Any], name: str) -> Reply:
        devices = body.get("devices")
        if not isinstance(devices, list):
            raise FleetAdminError(400, 'Send {"devices": [{"name": ..., "groups": [...]}]}')
        data = json.dumps({"devices": devices}, indent=1).encode("utf-8")
        document = _parsed(lambda: load_fleet_file("POST /_emulator/devices.json", data))
        clashes = [d.name for d in document.devices if d.name in self.fleet.devices]
        if clashes:
            raise FleetAdminError(409, f"Devices exist already: {clashes}")
        added = [self.fleet.add_device(spec) for spec in document.devices]
        return 200, {"devices": [_summary(self.fleet, d) for d in added]}

    def get_device(self, body: dict[str, Any], name: str) -> Reply:
        device = self._device(name)
        fleet = self.fleet
        return 200, {
            **_summary(fleet, device),
            "platform": {"os": device.os, "architecture": device.architecture},
            "installedComponents": {
                component: {
                    "version": c.version,
                    "lifecycleState": c.lifecycle,
                    "isRoot": c.is_root,
                    "lastInstallationSource": c.source,
                }
                for component, c in sorted(device.installed.items())
            },
            "configuration": device.configuration,
            "effectiveDeployments": [
                {
                    "deploymentId": r.document.deployment_id,
                    "targetArn": r.document.target_arn,
                    "iotJobId": r.document.job_id,
                    "coreDeviceExecutionStatus": r.status,
                    "reason": r.reason,
                    "errorStack": list(r.error_stack),
                    "errorTypes": list(r.error_types),
                }
                for r in device.effective.values()
            ],
            "targets": {key: doc.deployment_id for key, doc in device.group_deployments.items()},
        }

    def put_device(self, body: dict[str, Any], name: str) -> Reply:
        self._device(name)
        unknown = sorted(set(body) - {"groups", "offline"})
        if unknown:
            raise FleetAdminError(400, f"Unknown keys {unknown}; known: ['groups', 'offline']")
        if "groups" in body:
            groups = body["groups"]
            if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
                raise FleetAdminError(400, "groups must be a list of thing group names")
            self.fleet.set_groups(name, set(groups))
        if "offline" in body:
            if not isinstance(body["offline"], bool):
                raise FleetAdminError(400, "offline must be true or false")
            self.fleet.set_offline(name, body["offline"])
        self.fleet.advance()
        return self.get_device({}, name)

    def delete_device(self, body: dict[str, Any], name: str) -> Reply:
        self._device(name)
        self.fleet.remove_device(name)
        return 200, {"deleted": name}

    # -- failures -----------------------------------------------------------------------------

    def get_failures(self, body: dict[str, Any], name: str) -> Reply:
        return 200, {"failures": [_rule_json(rule) for rule in self.fleet.failures]}

    def put_failures(self, body: dict[str, Any], name: str) -> Reply:
        data = json.dumps({"failures": body.get("failures", [])}, indent=1).encode("utf-8")
        names = sorted(self.fleet.devices)
        rules = _parsed(lambda: load_failure_rules("PUT /_emulator/failures.json", data, names))
        self.fleet.set_failures(rules)
        return self.get_failures({}, "")

    def delete_failures(self, body: dict[str, Any], name: str) -> Reply:
        self.fleet.set_failures(())
        return self.get_failures({}, "")

    # -- clock --------------------------------------------------------------------------------

    def get_clock(self, body: dict[str, Any], name: str) -> Reply:
        return 200, {**self.clock.to_json(), "pendingEvents": self.fleet.pending_events}

    def put_clock(self, body: dict[str, Any], name: str) -> Reply:
        try:
            self.clock.set_mode(str(body.get("mode")))
        except ClockError as error:
            raise FleetAdminError(400, str(error)) from error
        return self.get_clock({}, "")

    def advance_clock(self, body: dict[str, Any], name: str) -> Reply:
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise FleetAdminError(400, 'Send {"seconds": N} with a non-negative number')
        try:
            self.clock.advance(float(seconds))
        except ClockError as error:
            raise FleetAdminError(400, str(error)) from error
        processed = self.fleet.advance()
        return 200, {**self.get_clock({}, "")[1], "processedEvents": processed}

    def _device(self, name: str) -> Device:
        device = self.fleet.devices.get(name)
        if device is None:
            raise FleetAdminError(404, f"No device named {name!r} in the fleet")
        return device


def _parsed(load: Callable[[], Any]) -> Any:
    try:
        return load()
    except FleetFileError as error:
        raise FleetAdminError(400, str(error)) from error


def _summary(fleet: Fleet, device: Device) -> dict[str, Any]:
    return {
        "name": device.name,
        "groups": sorted(device.groups),
        "status": "HEALTHY" if device.healthy else "UNHEALTHY",
        "online": device.online(fleet.clock.now(), fleet.start),
        "applying": device.busy_job,
    }


def _rule_json(rule: FailureRule) -> dict[str, Any]:
    selector = rule.devices
    if selector.names is not None:
        devices: Any = list(selector.names)
    elif selector.count is not None:
        devices = selector.count
    else:
        devices = f"{(selector.share or 0) * 100:g}%"
    return {**asdict(rule), "devices": devices}
