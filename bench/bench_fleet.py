#!/usr/bin/env python3
"""A rollout to a simulated fleet on the emulator's virtual clock: wall time and emulator RSS.

    .venv/bin/python bench/bench_fleet.py                          # 10,000 devices, 100 groups
    .venv/bin/python bench/bench_fleet.py --devices 1000 --groups 10

Writes a fleet file (`generate:` 100 devices per group), starts `reconciler emulator --fleet`
in its own process, switches it to the virtual clock, then times the rollout: one revision per
group (CreateDeployment, boto3), one `POST /_emulator/clock/advance` of a virtual minute that
runs every device's notification, start and finish, and a DescribeJob per revision to check
that every device's execution SUCCEEDED. Reported: fleet start-up time, rollout wall time
(split into creating, advancing and checking), the events processed, and the emulator's
VmRSS/VmHWM after the rollout. Targets: rollout ≤ 30 s, emulator RSS ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    CREDENTIALS,
    REGION,
    greengrass_client,
    group_arn,
    load_average,
    memory_mb,
    start_emulator,
    stop,
)

MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"
COMPONENTS = {
    MODEL_STORE: {
        "componentVersion": "2.1.9",
        "configurationUpdate": {"merge": json.dumps({"InferenceInterval": 15})},
    }
}
VIRTUAL_MINUTE = 60.0


def fleet_file(devices: int, groups: int) -> str:
    per_group = devices // groups
    lines = ["generate:"]
    for index in range(groups):
        lines.append(
            f"  - {{group: {_group(index)}, count: {per_group}, namePrefix: g{index:03d}-}}"
        )
    lines.append("timing: {applySeconds: 0.5, jitterSeconds: 0.5}")
    return "\n".join(lines) + "\n"


def _group(index: int) -> str:
    return f"bench-fleet-{index:03d}"


def run(devices: int = 10_000, groups: int = 100) -> dict[str, Any]:
    from reconciler.emulator.admin import EmulatorAdmin

    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(fleet_file(devices, groups), encoding="utf-8")
        started = time.perf_counter()
        emulator = start_emulator(fleet=path)
        startup_s = time.perf_counter() - started
        try:
            admin = EmulatorAdmin(emulator.endpoint, timeout=600)
            memory_before = memory_mb(emulator.pid)
            admin.set_clock("virtual")
            gg = greengrass_client(emulator.endpoint)
            iot = _iot_client(emulator.endpoint)
            began = time.perf_counter()
            jobs = [
                gg.create_deployment(targetArn=group_arn(_group(i)), components=COMPONENTS)[
                    "iotJobId"
                ]
                for i in range(groups)
            ]
            created = time.perf_counter()
            advanced = admin.advance_clock(VIRTUAL_MINUTE)
            after_advance = time.perf_counter()
            succeeded = sum(
                iot.describe_job(jobId=job)["job"]["jobProcessDetails"]["numberOfSucceededThings"]
                for job in jobs
            )
            checked = time.perf_counter()
            sample = admin.device("g000-" + "1".zfill(len(str(devices // groups))))
            memory_after = memory_mb(emulator.pid)
        finally:
            stop(emulator.process)
    configuration = sample["configuration"].get(MODEL_STORE, {})
    return {
        "devices": devices,
        "groups": groups,
        "startup_s": startup_s,
        "create_s": created - began,
        "advance_s": after_advance - created,
        "check_s": checked - after_advance,
        "rollout_s": checked - began,
        "events": advanced["processedEvents"],
        "succeeded": succeeded,
        "sample_configuration_ok": configuration.get("InferenceInterval") == 15,
        "emulator_mb_before": memory_before,
        "emulator_mb": memory_after,
        "load_before": load_before,
        "load_after": load_average(),
    }


def _iot_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "iot",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def print_report(report: dict[str, Any]) -> None:
    mb = report["emulator_mb"]
    print(
        f"fleet rollout: {report['devices']:,} devices in {report['groups']} groups: "
        f"{report['rollout_s']:.1f} s (create {report['create_s']:.1f}, advance "
        f"{report['advance_s']:.1f}, check {report['check_s']:.1f}); {report['events']:,} events; "
        f"{report['succeeded']:,} executions SUCCEEDED; emulator start-up "
        f"{report['startup_s']:.1f} s; VmRSS {mb['VmRSS']:.0f} MB, VmHWM {mb['VmHWM']:.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--json", type=Path, help="Also write the report here.")
    args = parser.parse_args()
    report = run(args.devices, args.groups)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["succeeded"] == args.devices else 1


if __name__ == "__main__":
    sys.exit(main())
