"""`LocalSpecTree` and `load_spec_set`: the specs read from a real directory."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from reconciler.adapters.spec_files import LocalSpecTree, SpecDirectoryLoader, load_spec_set
from reconciler.core.specs import InvalidSpecsError
from tests.unit.specs.support import SAMPLE, sample_files


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    root = tmp_path / "deploy-specs"
    shutil.copytree(SAMPLE, root)
    return root


def test_the_sample_directory_loads(specs: Path) -> None:
    spec_set = load_spec_set(specs)
    assert [d.thing_group for d in spec_set.deployments] == [
        "CameraFleetProd",
        "CameraFleetStaging",
    ]


def test_the_tree_lists_regular_non_hidden_files_as_posix_paths(specs: Path) -> None:
    (specs / ".git").mkdir()
    (specs / ".git" / "config").write_text("[core]\n")
    (specs / ".hidden.yaml").write_text("x: 1\n")
    os.mkfifo(specs / "groups" / "pipe.yaml")  # reading a FIFO would block forever
    (specs / "dangling.yaml").symlink_to(specs / "nowhere.yaml")
    listed = LocalSpecTree(specs).list_files()
    assert sorted(listed) == sorted(sample_files())


def test_sizes_and_digests_are_of_the_content(specs: Path) -> None:
    tree = LocalSpecTree(specs)
    path = "groups/camera-prod.yaml"
    content = (specs / path).read_bytes()
    assert tree.read_bytes(path) == content
    assert tree.size(path) == len(content)
    assert tree.sha256(path) == hashlib.sha256(content).hexdigest()


def test_symlinks_leaving_the_root_are_detected(specs: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ci token\n")
    artifacts = specs / "components" / "com.acme.ImageUploader" / "artifacts"
    (artifacts / "upload_results.py").unlink()
    (artifacts / "upload_results.py").symlink_to(secret)
    (specs / "groups" / "inside.yaml").symlink_to(specs / "groups" / "camera-prod.yaml")
    tree = LocalSpecTree(specs)
    assert not tree.resolves_inside("components/com.acme.ImageUploader/artifacts/upload_results.py")
    assert tree.resolves_inside("groups/inside.yaml")
    with pytest.raises(InvalidSpecsError) as raised:
        load_spec_set(specs)
    messages = [p.render() for p in raised.value.problems]
    assert any("is a symlink that leads outside the specs root" in m for m in messages), messages


def test_a_missing_root_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidSpecsError) as raised:
        load_spec_set(tmp_path / "nope")
    [problem] = raised.value.problems
    assert problem.message.endswith("does not exist")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidSpecsError, match="is not a directory"):
        load_spec_set(tmp_path / "file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_a_problem(specs: Path) -> None:
    path = specs / "groups" / "camera-prod.yaml"
    path.chmod(0)
    try:
        with pytest.raises(InvalidSpecsError) as raised:
            load_spec_set(specs)
    finally:
        path.chmod(0o644)
    assert [p.render() for p in raised.value.problems] == [
        "groups/camera-prod.yaml: the file cannot be read: Permission denied"
    ]


def test_a_directory_loaded_again_parses_only_the_deployment_that_changed(specs: Path) -> None:
    loader = SpecDirectoryLoader()
    first = loader.load(specs)
    staging = specs / "groups" / "camera-staging.yaml"
    staging.write_text(staging.read_text().replace("env: staging", "env: qa"))
    second = loader.load(specs)
    assert second == load_spec_set(specs)
    prod, qa = second.deployments
    assert prod is first.deployments[0]  # reused as it was
    assert qa is not first.deployments[1] and qa.tags["env"] == "qa"
    # A changed artifact of the custom component is context: everything is loaded again.
    artifact = next(p for p in (specs / "components").rglob("*") if p.suffix == ".py")
    artifact.write_text(artifact.read_text() + "\n# changed\n")
    third = loader.load(specs)
    assert third == load_spec_set(specs)
    assert third.deployments[0] is not prod


def test_a_failed_load_is_reported_and_the_next_good_one_loads(specs: Path) -> None:
    loader = SpecDirectoryLoader()
    loader.load(specs)
    staging = specs / "groups" / "camera-staging.yaml"
    good = staging.read_text()
    staging.write_text(good + "\n  bogus: [unclosed\n")
    with pytest.raises(InvalidSpecsError):
        loader.load(specs)
    staging.write_text(good.replace("env: staging", "env: qa"))
    assert loader.load(specs) == load_spec_set(specs)


CI_TOKEN = "ghs_ciJobTokenInGitConfig0123456789"
UPLOADER_ARTIFACT = "components/com.acme.ImageUploader/artifacts/upload_results.py"


def _checkout_around(specs: Path) -> Path:
    """Make `specs` the root of a CI checkout whose `.git/config` holds the job's token."""
    git_dir = specs / ".git"
    (git_dir / "objects").mkdir(parents=True)
    (git_dir / "refs").mkdir()
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    config = git_dir / "config"
    config.write_text(f'[http]\n\textraheader = "AUTHORIZATION: basic {CI_TOKEN}"\n')
    return config


def _replace_by_symlink(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(os.path.relpath(target, path.parent))


@pytest.mark.parametrize(
    "target",
    [
        ".git/config",  # the example: a CI checkout's credentials
        ".git/../.git/config",  # the same, by a detour
        ".secrets/ci-token",  # any hidden file
        "mirror.git/config",  # a Git directory without a dot in its name
        "groups/.hidden.py",  # a hidden file among the specs
    ],
)
def test_a_symlink_into_a_hidden_path_or_git_directory_is_not_a_file_of_the_specs(
    specs: Path, target: str
) -> None:
    _checkout_around(specs)
    mirror = specs / "mirror.git"
    (mirror / "objects").mkdir(parents=True)
    (mirror / "refs").mkdir()
    (mirror / "HEAD").write_text("ref: refs/heads/main\n")
    (mirror / "config").write_text(f"token = {CI_TOKEN}\n")
    for hidden in (specs / ".secrets" / "ci-token", specs / "groups" / ".hidden.py"):
        hidden.parent.mkdir(exist_ok=True)
        hidden.write_text(CI_TOKEN)
    artifact = specs / UPLOADER_ARTIFACT
    _replace_by_symlink(artifact, specs / target)
    (specs / "groups" / "linked.yaml").symlink_to(os.path.relpath(specs / target, specs / "groups"))

    tree = LocalSpecTree(specs)
    assert not tree.resolves_inside(UPLOADER_ARTIFACT)
    assert not tree.resolves_inside("groups/linked.yaml")
    with pytest.raises(InvalidSpecsError) as raised:
        load_spec_set(specs)

    messages = [p.render() for p in raised.value.problems]
    assert any(UPLOADER_ARTIFACT in m and "to a hidden or Git file" in m for m in messages), (
        messages
    )
    assert any(m.startswith("groups/linked.yaml") for m in messages), messages
    assert not [m for m in messages if CI_TOKEN in m]


def test_a_symlink_to_an_ordinary_file_of_the_specs_is_still_followed(specs: Path) -> None:
    _checkout_around(specs)
    artifact = specs / UPLOADER_ARTIFACT
    copy = specs / "components" / "shared" / "upload_results.py"
    copy.parent.mkdir()
    copy.write_bytes(artifact.read_bytes())
    _replace_by_symlink(artifact, copy)
    assert LocalSpecTree(specs).resolves_inside(UPLOADER_ARTIFACT)
    load_spec_set(specs)  # no problem
