"""The fleet file: what it expresses, and bad files refused with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.admin import EmulatorAdminError
from reconciler.emulator.fleet.fleet_file import FleetFileError, load_fleet_file
from tests.conftest import AwsTestContext

ISSUE_EXAMPLE = """\
devices:                       # explicit devices
  - name: cam-lab-1
    groups: [CameraFleetStaging, CameraFleetCanary]
    platform: {os: linux, architecture: aarch64}
    offline: [{from: 0s, to: 120s}]
generate:                      # many devices at once
  - group: CameraFleetProd
    count: 100
    namePrefix: cam-prod-
    alsoIn: {CameraFleetCanary: 5}
failures:
  - component: variant.DLR.ImageClassification.ModelStore
    version: 2.1.10
    devices: 20%
    phase: install
timing: {applySeconds: 0.5, jitterSeconds: 0.5}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(FleetFileError) as raised:
        load_fleet_file("fleet.yaml", text.encode("utf-8"))
    return [p.render() for p in raised.value.problems]


def test_the_issue_example_is_a_fleet() -> None:
    fleet = load_fleet_file("fleet.yaml", ISSUE_EXAMPLE.encode("utf-8"))
    names = [d.name for d in fleet.devices]
    assert names[:3] == ["cam-lab-1", "cam-prod-001", "cam-prod-002"]
    assert len(names) == 101
    canary = [d.name for d in fleet.devices if "CameraFleetCanary" in d.groups]
    assert canary == ["cam-lab-1", *(f"cam-prod-00{i}" for i in range(1, 6))]
    lab = fleet.devices[0]
    assert (lab.os, lab.architecture) == ("linux", "aarch64")
    assert lab.offline[0].end == 120.0
    rule = fleet.failures[0]
    assert (rule.version, rule.devices.share, rule.phase) == ("2.1.10", 0.2, "install")
    assert rule.matches("variant.DLR.ImageClassification.ModelStore", "2.1.10")
    assert fleet.timing.apply_seconds == 0.5
    assert set(fleet.groups) == {"CameraFleetStaging", "CameraFleetCanary", "CameraFleetProd"}


def test_unknown_keys_are_named_with_their_line() -> None:
    assert problems("devices:\n  - name: a\n    group: [G]\n") == [
        "fleet.yaml:3: devices[0].group: unknown key 'group'; known keys: "
        "['name', 'groups', 'platform', 'offline']"
    ]


def test_a_group_not_declared_is_refused() -> None:
    found = problems("groups: [Prod]\ndevices:\n  - name: a\n    groups: [Prod, Prdo]\n")
    assert found == [
        "fleet.yaml:4: devices[0].groups[1]: group Prdo is not declared in `groups:` ['Prod']"
    ]


def test_shares_over_100_percent_and_other_mistakes_are_refused() -> None:
    found = problems(
        "generate:\n"
        "  - {group: G, count: 3, namePrefix: d-, alsoIn: {C: 4}}\n"
        "failures:\n"
        "  - {component: c, version: 1.0.0, devices: 120%, phase: install}\n"
        "  - {component: c, version: 1.0.0, devices: [ghost], phase: boot}\n"
        "timing: {applySeconds: -1}\n"
    )
    assert found == [
        "fleet.yaml:2: generate[0].alsoIn.C: 4 is more than the 3 devices generated",
        "fleet.yaml:4: failures[0].devices: 120% is not a share between 0% and 100%",
        "fleet.yaml:5: failures[1].devices[0]: no device is named 'ghost'",
        "fleet.yaml:5: failures[1].phase: phase must be one of ['install', 'run', "
        "'configuration'], not 'boot'",
        "fleet.yaml:6: timing.applySeconds: must be a non-negative number of seconds",
    ]


def test_duplicate_devices_and_bad_durations_are_refused() -> None:
    found = problems(
        "devices:\n  - {name: a, groups: [G]}\n  - {name: a, groups: [G], "
        "offline: [{from: 2m, to: 1m}, {from: soon, to: 1h}]}\n"
    )
    assert "fleet.yaml: devices: device a is defined twice" in found
    assert "fleet.yaml:3: devices[1].offline[0]: `to` (60s) must come after `from` (120s)" in found
    assert any("'soon' is not a duration" in p for p in found)


def test_a_bad_fleet_file_stops_the_emulator_before_it_starts(tmp_path: Path) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text("devices:\n  - name: a\n    colour: red\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["emulator", "--port", "0", "--fleet", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3: devices[0].colour: unknown key 'colour'" in result.output
    assert "Emulator ready" not in result.output


def test_the_admin_api_refuses_a_bad_fleet_and_keeps_the_old_one(aws: AwsTestContext) -> None:
    aws.admin.load_fleet("devices:\n  - {name: kept, groups: [G]}\n")
    with pytest.raises(EmulatorAdminError) as raised:
        aws.admin.load_fleet("devices:\n  - {name: new, groups: [G], colour: red}\n")
    assert "PUT /_emulator/fleet:2: devices[0].colour: unknown key" in str(raised.value)
    assert [d["name"] for d in aws.admin.fleet()["devices"]] == ["kept"]
    # A fleet document as JSON works as well.
    aws.admin.load_fleet({"devices": [{"name": "json-1", "groups": ["G"]}]})
    assert [d["name"] for d in aws.admin.fleet()["devices"]] == ["json-1"]


def test_clock_changes_are_checked(aws: AwsTestContext) -> None:
    with pytest.raises(EmulatorAdminError, match="only a virtual clock can be advanced"):
        aws.admin.advance_clock(5)
    with pytest.raises(EmulatorAdminError, match="clock mode must be"):
        aws.admin.set_clock("sideways")
    before = aws.admin.set_clock("virtual")["now"]
    assert aws.admin.advance_clock(3600)["now"] == pytest.approx(before + 3600)
    assert aws.admin.set_clock("real")["now"] >= before + 3600  # time never goes backwards


def test_the_demo_fleet_and_its_failure_switch_are_valid(aws: AwsTestContext) -> None:
    import json
    import shlex

    from reconciler.adapters.spec_files import load_spec_set
    from reconciler.cli.demo_fleet import demo_fleet, failure_hint
    from tests.conftest import SAMPLE_SPECS

    spec_set = load_spec_set(SAMPLE_SPECS)
    fleet = demo_fleet(spec_set)
    groups = {d.thing_group for d in spec_set.deployments}
    assert {g for device in fleet.devices for g in device.groups} == groups
    assert len(fleet.devices) == 3 * len(groups)
    aws.admin.load_fleet(
        {"devices": [{"name": d.name, "groups": list(d.groups)} for d in fleet.devices]}
    )
    command = shlex.split(failure_hint(aws.endpoint_url, spec_set))
    body = json.loads(command[command.index("-d") + 1])
    assert aws.admin.set_failures(body["failures"])[0]["devices"] == body["failures"][0]["devices"]
