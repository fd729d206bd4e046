"""Persistence: the state file survives restarts and kill -9, and never loads half-written."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest

from reconciler.emulator.persistence import StateFile, StateFileError
from tests.emulator.helpers import EmulatorProcess, client_for, recipe_bytes, thing_group_arn

# -- the state file itself ---------------------------------------------------------------------


def test_changes_survive_reopening(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.append("tags.put", {"arn": "a", "tags": {"k": "v"}})
    state.append("tags.put", {"arn": "a", "tags": {}})
    state.sync()
    state.close()
    assert StateFile(tmp_path / "state.json").load() == [
        ("tags.put", {"arn": "a", "tags": {"k": "v"}}),
        ("tags.put", {"arn": "a", "tags": {}}),
    ]


def test_concurrent_writers_share_fsyncs_and_lose_nothing(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")

    def writer(number: int) -> None:
        for index in range(50):
            state.append("w", {"writer": number, "index": index})
            state.sync()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state.close()
    loaded = StateFile(tmp_path / "state.json").load()
    assert sorted((p["writer"], p["index"]) for _, p in loaded) == [
        (n, i) for n in range(4) for i in range(50)
    ]


def test_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.append("first", {"n": 1})
    state.close()
    with state.journal_path.open("ab") as journal:
        journal.write(b'{"k":"second","p":{"n"')  # killed in the middle of a write
    reopened = StateFile(tmp_path / "state.json")
    assert reopened.load() == [("first", {"n": 1})]
    reopened.append("third", {"n": 3})  # appends after the last complete line
    reopened.close()
    assert StateFile(tmp_path / "state.json").load() == [("first", {"n": 1}), ("third", {"n": 3})]


def test_damage_before_the_last_line_is_reported(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.append("first", {"n": 1})
    state.close()
    with state.journal_path.open("ab") as journal:
        journal.write(b"garbage\n" + b'{"k":"later","p":{}}\n')
    with pytest.raises(StateFileError, match="damaged at line 3"):
        StateFile(tmp_path / "state.json").load()


def test_compaction_replaces_snapshot_and_journal(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.append("old", {"n": 1})
    state.compact([("kept", {"n": 2})])
    state.append("new", {"n": 3})
    state.close()
    snapshot = json.loads((tmp_path / "state.json").read_text())
    assert snapshot["generation"] == 1 and snapshot["changes"] == [["kept", {"n": 2}]]
    assert StateFile(tmp_path / "state.json").load() == [("kept", {"n": 2}), ("new", {"n": 3})]
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind


def test_a_journal_already_in_the_snapshot_is_skipped(tmp_path: Path) -> None:
    # A crash between writing the new snapshot and starting the new journal.
    state = StateFile(tmp_path / "state.json")
    state.append("in-both", {"n": 1})
    state.close()
    snapshot = {"format": 1, "generation": 1, "changes": [["in-both", {"n": 1}]]}
    (tmp_path / "state.json").write_text(json.dumps(snapshot))
    assert StateFile(tmp_path / "state.json").load() == [("in-both", {"n": 1})]


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"hello": "world"}')
    with pytest.raises(StateFileError, match="not an emulator state file"):
        StateFile(tmp_path / "state.json").load()


# -- restarts of a real emulator ---------------------------------------------------------------

DLR = {"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}}


@pytest.mark.slow
def test_a_restart_keeps_components_deployments_groups_and_objects(tmp_path: Path) -> None:
    state = str(tmp_path / "emulator-state.json")
    first = EmulatorProcess("--state", state)
    try:
        gg, s3, iot = (client_for(first.endpoint_url, n) for n in ("greengrassv2", "s3", "iot"))
        iot.create_thing_group(thingGroupName="fleet")
        iot.create_thing_group(thingGroupName="canary", parentGroupName="fleet")
        iot.create_thing(thingName="camera-1")
        iot.add_thing_to_thing_group(thingGroupName="canary", thingName="camera-1")
        s3.create_bucket(Bucket="models")
        s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"weights")
        s3.put_object(Bucket="models", Key="old-1", Body=b"1")
        s3.put_object(Bucket="models", Key="old-2", Body=b"2")
        s3.delete_objects(Bucket="models", Delete={"Objects": [{"Key": "old-1"}, {"Key": "old-2"}]})
        component = gg.create_component_version(
            inlineRecipe=recipe_bytes(artifacts=["s3://models/m.tar.gz"]), tags={"team": "ml"}
        )["arn"]
        fleet = thing_group_arn("fleet")
        gg.create_deployment(targetArn=fleet, components=DLR)
        latest = gg.create_deployment(targetArn=fleet, components=DLR, clientToken="t-1")
    finally:
        assert first.stop() == 0
    second = EmulatorProcess("--state", state)
    try:
        gg, s3, iot = (client_for(second.endpoint_url, n) for n in ("greengrassv2", "s3", "iot"))
        assert gg.describe_component(arn=component)["status"]["componentState"] == "DEPLOYABLE"
        assert gg.list_tags_for_resource(resourceArn=component)["tags"] == {"team": "ml"}
        history = gg.list_deployments(targetArn=fleet, historyFilter="ALL")["deployments"]
        assert [d["revisionId"] for d in history] == ["2", "1"]
        assert history[0]["deploymentId"] == latest["deploymentId"]
        again = gg.create_deployment(targetArn=fleet, components=DLR, clientToken="t-1")
        assert again["deploymentId"] == latest["deploymentId"]  # idempotency tokens persist
        assert iot.describe_thing_group(thingGroupName="fleet")["thingGroupArn"] == fleet
        groups = iot.list_thing_groups()["thingGroups"]
        assert sorted(g["groupName"] for g in groups) == ["canary", "fleet"]
        memberships = iot.list_thing_groups_for_thing(thingName="camera-1")["thingGroups"]
        assert [g["groupName"] for g in memberships] == ["canary"]
        assert s3.get_object(Bucket="models", Key="m.tar.gz")["Body"].read() == b"weights"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="models")["Contents"]]
        assert keys == ["m.tar.gz"]
        third = gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"]
        assert gg.get_deployment(deploymentId=third)["revisionId"] == "3"
    finally:
        assert second.stop() == 0


@pytest.mark.slow
def test_kill_9_while_writing_loses_no_acknowledged_write(tmp_path: Path) -> None:
    state = tmp_path / "emulator-state.json"
    victim = EmulatorProcess("--state", str(state))
    gg = client_for(victim.endpoint_url, "greengrassv2", retries={"total_max_attempts": 1})
    s3 = client_for(victim.endpoint_url, "s3", retries={"total_max_attempts": 1})
    iot = client_for(victim.endpoint_url, "iot")
    iot.create_thing_group(thingGroupName="fleet")
    s3.create_bucket(Bucket="uploads")
    acknowledged_deployments: list[str] = []
    acknowledged_objects: list[str] = []
    stop = threading.Event()

    def write_until_the_server_dies() -> None:
        index = 0
        while not stop.is_set():
            try:
                created = gg.create_deployment(targetArn=thing_group_arn("fleet"), components=DLR)
                acknowledged_deployments.append(created["deploymentId"])
                s3.put_object(Bucket="uploads", Key=f"object-{index}", Body=b"x" * index)
                acknowledged_objects.append(f"object-{index}")
            except Exception:  # the server is gone: stop writing
                return
            index += 1

    writer = threading.Thread(target=write_until_the_server_dies)
    writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged_deployments) < 25 and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=20)
    stop.set()
    writer.join(timeout=20)
    assert len(acknowledged_deployments) >= 25

    survivor = EmulatorProcess("--state", str(state))
    try:
        gg = client_for(survivor.endpoint_url, "greengrassv2")
        s3 = client_for(survivor.endpoint_url, "s3")
        listed = {
            d["deploymentId"]
            for page in gg.get_paginator("list_deployments").paginate(historyFilter="ALL")
            for d in page["deployments"]
        }
        assert set(acknowledged_deployments) <= listed
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="uploads").get("Contents", [])}
        assert set(acknowledged_objects) <= keys
        latest = gg.list_deployments(targetArn=thing_group_arn("fleet"))["deployments"]
        assert len(latest) == 1 and latest[0]["revisionId"] == str(len(listed))
    finally:
        assert survivor.stop() == 0
    assert json.loads(state.read_text())["format"] == 1  # the snapshot is whole
