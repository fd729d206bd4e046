"""The baseline: the reconcile loop a team writes by hand from the AWS guide (the seed).

For each thing group, one after the other: ListDeployments(targetArn, LATEST_ONLY), then
GetDeployment of the latest one, compare it with what the group should run, and
CreateDeployment when it differs. Two calls per group to find out that nothing changed, whatever
changed; no caches, no concurrency, exactly like a shell loop over `aws greengrassv2`.

The desired CreateDeployment requests are handed in ready-made (taken from our own plans), so the
baseline's figures hold its API calls only, never any planning of its own: a conservative
baseline.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.harness import greengrass_client, group_arn

# The fields of a revision a hand-written script compares (and a revision carries).
_COMPARED = ("components", "deploymentPolicies", "iotJobConfiguration")


@dataclass(frozen=True)
class NaiveResult:
    calls: int
    seconds: float
    created: int


def _differs(live: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    return any(live.get(name) != request.get(name) for name in _COMPARED if name in request)


def naive_reconcile(endpoint: str, desired: Mapping[str, Mapping[str, Any]]) -> NaiveResult:
    """Bring every group in `desired` (thing group name → CreateDeployment request) up to date,
    group by group; count the calls and the wall time."""
    client = greengrass_client(endpoint)
    calls = created = 0
    started = time.perf_counter()
    for group, request in desired.items():
        listed = client.list_deployments(targetArn=group_arn(group), historyFilter="LATEST_ONLY")
        calls += 1
        live: Mapping[str, Any] | None = None
        for item in listed["deployments"]:
            live = client.get_deployment(deploymentId=item["deploymentId"])
            calls += 1
        if live is None or _differs(live, request):
            client.create_deployment(**request)
            calls += 1
            created += 1
    return NaiveResult(calls, time.perf_counter() - started, created)
