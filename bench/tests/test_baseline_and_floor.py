"""The naive baseline really is the per-group loop, and the floors count what a step needs."""

from __future__ import annotations

from typing import Any

import pytest

from bench.bench_reconcile import floor_calls
from bench.harness import Emulator, group_arn, round_trip_ms
from bench.naive import naive_reconcile
from reconciler.emulator.admin import EmulatorAdmin

GROUPS = ["NaiveA", "NaiveB", "NaiveC"]


def _request(group: str, interval: int) -> dict[str, Any]:
    return {
        "targetArn": group_arn(group),
        "deploymentName": f"{group}-deployment",
        "components": {
            "aws.greengrass.DLRImageClassification": {
                "componentVersion": "2.1.10",
                "configurationUpdate": {"merge": f'{{"InferenceInterval":{interval}}}'},
            }
        },
    }


def test_naive_loop_creates_what_differs_and_costs_two_calls_per_group(
    emulator: Emulator,
) -> None:
    admin = EmulatorAdmin(emulator.endpoint)
    admin.reset()
    admin.create_thing_groups(GROUPS)
    desired = {group: _request(group, 30) for group in GROUPS}

    from_empty = naive_reconcile(emulator.endpoint, desired)
    unchanged = naive_reconcile(emulator.endpoint, desired)
    one_changed = naive_reconcile(emulator.endpoint, {**desired, "NaiveB": _request("NaiveB", 45)})

    # From empty: ListDeployments finds nothing, CreateDeployment follows.
    assert (from_empty.calls, from_empty.created) == (6, 3)
    # Converged: ListDeployments + GetDeployment per group, and nothing created.
    assert (unchanged.calls, unchanged.created) == (6, 0)
    assert (one_changed.calls, one_changed.created) == (7, 1)
    assert all(r.seconds > 0 for r in (from_empty, unchanged, one_changed))
    operations = [r.operation for r in admin.requests() if r.service == "greengrassv2"]
    assert operations.count("CreateDeployment") == 4


def test_round_trip_is_a_positive_median(emulator: Emulator) -> None:
    admin = EmulatorAdmin(emulator.endpoint)
    admin.reset()
    admin.create_thing_groups(["Pinged"])
    naive_reconcile(emulator.endpoint, {"Pinged": _request("Pinged", 30)})
    deployment_id = _latest_id("Pinged", emulator)
    before = len(admin.requests())

    median = round_trip_ms(emulator.endpoint, deployment_id, samples=20)

    assert 0 < median < 1000
    served = admin.requests()[before:]
    assert [r.operation for r in served] == ["GetDeployment"] * 21  # one warm-up, 20 samples


def _latest_id(group: str, emulator: Emulator) -> str:
    from bench.harness import greengrass_client

    listed = greengrass_client(emulator.endpoint).list_deployments(targetArn=group_arn(group))
    return str(listed["deployments"][0]["deploymentId"])


@pytest.mark.parametrize(
    ("step", "groups", "expected"),
    [
        ("noop-warm", 1000, 10),  # ten pages of 100, nothing else
        ("noop-warm", 50, 1),
        ("plan-after-apply", 10000, 100),
        ("plan-fresh", 1000, 1010),  # plus a GetDeployment per group
        ("apply-from-empty", 1000, 1001),  # nothing to list, a CreateDeployment per group
        ("plan-10pct", 1000, 10),  # warm: the changed specs need no new read
        ("plan-cached", 10000, 100),  # every document from the fact cache
        ("restart-noop", 1000, 10),
        ("plan-one-changed", 10000, 1),  # ListDeployments scoped with the group's targetArn
        ("apply-10pct", 1000, 110),
        ("apply-10pct", 101, 12),
    ],
)
def test_floor_calls(step: str, groups: int, expected: int) -> None:
    assert floor_calls(step, groups) == expected
