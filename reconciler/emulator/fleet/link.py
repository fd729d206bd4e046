"""Connect the fleet to the Greengrass backends: how deployments settle, how a device resolves
its components (ResolveComponentCandidates on the emulator's own catalog, as the nucleus asks
the cloud), and which deployment is the latest of a thing group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.emulator.fleet.devices import Device
from reconciler.emulator.fleet.nucleus import ResolutionFailedError, ResolvedVersion, Resolver
from reconciler.emulator.fleet.simulation import Fleet
from reconciler.emulator.greengrass.components import ComponentVersion
from reconciler.emulator.greengrass.deployments import ACTIVE
from reconciler.emulator.greengrass.exceptions import GreengrassError
from reconciler.emulator.greengrass.models import GreengrassBackends
from reconciler.emulator.greengrass.recipes import field

ResolutionKey = tuple[str, str, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]]


def connect(fleet: Fleet, backends: GreengrassBackends) -> None:
    cache: dict[ResolutionKey, list[ResolvedVersion] | ResolutionFailedError] = {}

    def settle(region: str, deployment_id: str, status: str) -> None:
        backends[region].deployments.settle(deployment_id, status)

    def latest_jobs(group: str) -> list[str]:
        backend = backends[fleet.region]
        arn = f"arn:aws:iot:{fleet.region}:{fleet.account}:thinggroup/{group}"
        latest = backend.deployments.store.latest_for(arn)
        now = backends.clock()
        return [latest.iot_job_id] if latest is not None and latest.status(now) == ACTIVE else []

    def resolver(device: Device) -> Resolver:
        def resolve(roots: dict[str, dict[str, str]]) -> list[ResolvedVersion]:
            key: ResolutionKey = (
                device.os,
                device.architecture,
                tuple(sorted((n, tuple(sorted(r.items()))) for n, r in roots.items())),
            )
            found = cache.get(key)
            if found is None:
                found = cache[key] = _resolve(backends, fleet.region, device, roots)
            if isinstance(found, ResolutionFailedError):
                raise found
            return found

        return resolve

    fleet.settle = settle
    fleet.latest_jobs = latest_jobs
    fleet.resolver = resolver
    fleet.forget_resolutions = cache.clear


def _resolve(
    backends: GreengrassBackends, region: str, device: Device, roots: dict[str, dict[str, str]]
) -> list[ResolvedVersion] | ResolutionFailedError:
    candidates = [{"componentName": n, "versionRequirements": r} for n, r in roots.items()]
    try:
        chosen = backends[region].components.resolve_candidates(device.platform(), candidates)
    except GreengrassError as error:
        return ResolutionFailedError(str(error))
    return [_resolved(version) for version in chosen]


def _resolved(version: ComponentVersion) -> ResolvedVersion:
    configuration = field(version.recipe.document, "ComponentConfiguration")
    defaults: Any = field(configuration, "DefaultConfiguration") if configuration else None
    return ResolvedVersion(
        version.name,
        version.version,
        version.arn,
        version.public,
        defaults if isinstance(defaults, Mapping) else {},
    )
