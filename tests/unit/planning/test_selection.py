"""Which thing groups a change of the specs reaches (`plan --changed-since`), on the sample
specs plus a group that shares nothing with the camera groups."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.planning.selection import changed_thing_groups, group_changed
from reconciler.core.specs import SpecSet

CAMERAS = frozenset({"CameraFleetProd", "CameraFleetStaging"})
EVERY = CAMERAS | {"LobbyDisplays"}
LOBBY = """\
apiVersion: greengrass-reconciler/v1
kind: Deployment
metadata:
  name: lobby
spec:
  thingGroup: LobbyDisplays
  components:
    aws.greengrass.Cli:
      version: 2.12.0
"""


@pytest.fixture
def fleet(specs: Path) -> Path:
    (specs / "groups" / "lobby.yaml").write_text(LOBBY)
    return specs


def _edited(fleet: Path, tmp_path: Path, file: str, old: str, new: str) -> SpecSet:
    copy = tmp_path / "after"
    shutil.copytree(fleet, copy)
    path = copy / file
    text = path.read_text()
    assert old in text, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new, 1))
    return load_spec_set(copy)


def test_the_same_specs_select_nothing(fleet: Path) -> None:
    changes = changed_thing_groups(load_spec_set(fleet), load_spec_set(fleet))
    assert (changes.groups, changes.removed) == (frozenset(), frozenset())


def test_moved_lines_and_comments_select_nothing(fleet: Path, tmp_path: Path) -> None:
    after = _edited(
        fleet, tmp_path, "groups/camera-staging.yaml", "apiVersion", "# a note\n\napiVersion"
    )
    assert changed_thing_groups(load_spec_set(fleet), after).groups == frozenset()


def test_a_group_file_selects_its_group(fleet: Path, tmp_path: Path) -> None:
    staging = "groups/camera-staging.yaml"
    after = _edited(fleet, tmp_path, staging, "InferenceInterval: 15", "InferenceInterval: 5")
    assert changed_thing_groups(load_spec_set(fleet), after).groups == {"CameraFleetStaging"}


def test_a_base_selects_every_group_that_extends_it(fleet: Path, tmp_path: Path) -> None:
    base = "bases/camera-fleet.yaml"
    after = _edited(fleet, tmp_path, base, "InferenceInterval: 60", "InferenceInterval: 90")
    # Both camera groups set their own InferenceInterval: their merged documents did not change,
    # so the base change reaches none of them (and selecting none is right).
    assert changed_thing_groups(load_spec_set(fleet), after).groups == frozenset()
    after = _edited(fleet, tmp_path / "2", base, "ResultsTopic: acme/", "ResultsTopic: acme/v2/")
    assert changed_thing_groups(load_spec_set(fleet), after).groups == CAMERAS


def test_a_repository_component_selects_the_groups_that_use_it(fleet: Path, tmp_path: Path) -> None:
    recipe = "components/com.acme.ImageUploader/recipe.yaml"
    text = (fleet / recipe).read_text()
    assert "ComponentDescription" in text
    after = _edited(
        fleet, tmp_path, recipe, "ComponentDescription: ", "ComponentDescription: New. "
    )
    changes = changed_thing_groups(load_spec_set(fleet), after)
    assert changes.groups == CAMERAS
    assert "com.acme.ImageUploader" in changes.reason


def test_an_override_or_the_settings_select_every_group(fleet: Path, tmp_path: Path) -> None:
    override = next((fleet / "overrides").glob("*.yaml")).relative_to(fleet).as_posix()
    after = _edited(fleet, tmp_path, override, "bump: patch", "bump: minor")
    assert changed_thing_groups(load_spec_set(fleet), after).groups == EVERY
    after = _edited(
        fleet, tmp_path / "2", "reconciler.yaml", "allowEmpty: false", "allowEmpty: true"
    )
    assert changed_thing_groups(load_spec_set(fleet), after).groups == EVERY


def test_a_removed_group_is_a_prune_candidate_and_a_new_one_is_selected(
    fleet: Path, tmp_path: Path
) -> None:
    before = load_spec_set(fleet)
    (fleet / "groups" / "lobby.yaml").unlink()
    changes = changed_thing_groups(before, load_spec_set(fleet))
    assert (changes.groups, changes.removed) == (frozenset(), {"LobbyDisplays"})
    changes = changed_thing_groups(load_spec_set(fleet), before)
    assert (changes.groups, changes.removed) == ({"LobbyDisplays"}, frozenset())


def test_no_specs_before_selects_every_group(fleet: Path) -> None:
    assert changed_thing_groups(None, load_spec_set(fleet)).groups == EVERY


def test_group_changed_is_strict_about_the_one_group(fleet: Path, tmp_path: Path) -> None:
    """`rollback --revert-pr` asks of one group: a Settings change that every plan selects
    does not change what the specs ask of it; its own file, a component it uses, or an
    override it uses does; a group that appears or disappears has changed."""
    before = load_spec_set(fleet)
    settings = _edited(
        fleet, tmp_path / "s", "reconciler.yaml", "allowEmpty: false", "allowEmpty: true"
    )
    assert not group_changed(before, settings, "CameraFleetStaging")
    own = _edited(
        fleet,
        tmp_path / "g",
        "groups/camera-staging.yaml",
        "InferenceInterval: 15",
        "InferenceInterval: 5",
    )
    assert group_changed(before, own, "CameraFleetStaging")
    assert not group_changed(before, own, "CameraFleetProd")
    assert not group_changed(before, own, "LobbyDisplays")
    recipe = _edited(
        fleet,
        tmp_path / "c",
        "components/com.acme.ImageUploader/recipe.yaml",
        "ComponentDescription: ",
        "ComponentDescription: New. ",
    )
    assert group_changed(before, recipe, "CameraFleetProd")
    assert not group_changed(before, recipe, "LobbyDisplays")
    override = next((fleet / "overrides").glob("*.yaml")).relative_to(fleet).as_posix()
    bumped = _edited(fleet, tmp_path / "o", override, "bump: patch", "bump: minor")
    assert group_changed(before, bumped, "CameraFleetProd")  # it uses the overridden model
    assert not group_changed(before, bumped, "LobbyDisplays")
    assert group_changed(None, before, "LobbyDisplays")
    assert not group_changed(None, None, "LobbyDisplays")
    assert not group_changed(before, before, "CameraFleetStaging")
