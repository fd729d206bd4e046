"""LocalDirectorySource: the digest as revision, and watching with debounce."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.adapters.sources import LocalDirectorySource, changed_since
from reconciler.errors import SourceError
from tests.integration.sources.waiting import wait_for


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    root = tmp_path / "fleet" / "deploy-specs"
    (root / "groups").mkdir(parents=True)
    (root / "groups" / "prod.yaml").write_text("kind: Deployment\nname: prod\n")
    (root / "components.yaml").write_text("kind: Component\n")
    return root


def test_fetch_describes_the_directory(specs: Path) -> None:
    source = LocalDirectorySource(specs.parent, "deploy-specs")
    revision = source.fetch()
    assert revision.specs_root == specs
    assert len(revision.revision) == 64 and revision.content_id == revision.revision
    assert revision.description == f"local dir {specs} (digest {revision.revision[:12]})"
    assert revision.committed_at is None
    assert source.last_good == revision


@pytest.mark.parametrize(
    "edit",
    ["change content", "add file", "delete file", "rename file", "add empty file in subdir"],
)
def test_digest_follows_spec_files(specs: Path, edit: str) -> None:
    source = LocalDirectorySource(specs)
    before = source.fetch()
    prod = specs / "groups" / "prod.yaml"
    if edit == "change content":
        prod.write_text("kind: Deployment\nname: production\n")
    elif edit == "add file":
        (specs / "groups" / "dev.yaml").write_text("kind: Deployment\n")
    elif edit == "delete file":
        prod.unlink()
    elif edit == "rename file":
        prod.rename(prod.with_name("production.yaml"))
    else:
        (specs / "new" / "dir").mkdir(parents=True)
        (specs / "new" / "dir" / "empty.yaml").write_text("")
    after = source.fetch()
    assert after.revision != before.revision
    assert changed_since(before, after)


@pytest.mark.parametrize(
    "name",
    [".hidden.yaml", ".git/config", ".idea/workspace.xml", "groups/.prod.yaml.swp",
     "groups/prod.yaml~", "groups/#prod.yaml#", "groups/4913", "groups/prod.yaml.tmp",
     "groups/prod.yaml___jb_tmp___"],
)  # fmt: skip
def test_digest_ignores_hidden_and_temporary_files(specs: Path, name: str) -> None:
    source = LocalDirectorySource(specs)
    before = source.fetch()
    (specs / name).parent.mkdir(parents=True, exist_ok=True)
    (specs / name).write_text("scratch\n")
    assert source.fetch().revision == before.revision


def test_digest_is_deterministic_across_sources_and_touches(specs: Path) -> None:
    first = LocalDirectorySource(specs).fetch()
    prod = specs / "groups" / "prod.yaml"
    prod.write_text(prod.read_text())  # rewritten, same content: new mtime, same digest
    assert LocalDirectorySource(specs).fetch().revision == first.revision
    assert LocalDirectorySource(specs).fetch() == first


def test_file_names_are_part_of_the_digest(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    (one / "a.yaml").write_text("x")
    (two / "b.yaml").write_text("x")
    assert LocalDirectorySource(one).fetch().revision != LocalDirectorySource(two).fetch().revision


def test_symlinked_files_count_and_loops_end(specs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared.yaml"
    outside.write_text("kind: Component\n")
    source = LocalDirectorySource(specs)
    before = source.fetch()
    (specs / "shared.yaml").symlink_to(outside)
    (specs / "groups" / "loop").symlink_to(specs)
    (specs / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    linked = source.fetch()
    assert linked.revision != before.revision
    outside.write_text("kind: Component\nname: changed\n")
    assert source.fetch().revision != linked.revision


def test_missing_directory_is_a_source_error_with_a_hint(tmp_path: Path) -> None:
    source = LocalDirectorySource(tmp_path, "deploy-specs")
    with pytest.raises(SourceError, match=r"deploy-specs does not exist .*use path '\.'"):
        source.fetch()
    assert source.last_good is None


class Recorder:
    def __init__(self) -> None:
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.calls.append(time.monotonic())

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.calls)


@pytest.fixture
def watched(specs: Path) -> Iterator[tuple[LocalDirectorySource, Recorder]]:
    source = LocalDirectorySource(specs, quiet_period=0.5)
    recorder = Recorder()
    source.watch(recorder)
    yield source, recorder
    source.close()


def test_watch_turns_a_burst_of_writes_into_one_callback(
    specs: Path, watched: tuple[LocalDirectorySource, Recorder]
) -> None:
    _, recorder = watched
    for index in range(30):
        (specs / "groups" / f"g{index}.yaml").write_text(f"kind: Deployment\nname: g{index}\n")
    (specs / "groups" / "g3.yaml").rename(specs / "groups" / "renamed.yaml")
    (specs / "groups" / "g4.yaml").unlink()

    assert wait_for(lambda: recorder.count >= 1)
    time.sleep(1.0)  # two quiet periods: a second callback would have come by now
    assert recorder.count == 1


def test_watch_ignores_hidden_and_temporary_files(
    specs: Path, watched: tuple[LocalDirectorySource, Recorder]
) -> None:
    _, recorder = watched
    (specs / ".hidden").write_text("x")
    (specs / "groups" / ".prod.yaml.swp").write_text("x")
    (specs / "groups" / "prod.yaml~").write_text("x")
    (specs / ".cache").mkdir()
    (specs / ".cache" / "state.yaml").write_text("x")
    LocalDirectorySource(specs).fetch()  # reading the files is no change either
    time.sleep(1.0)
    assert recorder.count == 0

    (specs / "groups" / "prod.yaml").write_text("kind: Deployment\nname: edited\n")
    assert wait_for(lambda: recorder.count == 1)


def test_an_editor_style_save_is_noticed(
    specs: Path, watched: tuple[LocalDirectorySource, Recorder]
) -> None:
    _, recorder = watched
    temporary = specs / "groups" / ".prod.yaml.tmp1234"
    temporary.write_text("kind: Deployment\nname: saved\n")
    temporary.replace(specs / "groups" / "prod.yaml")  # write elsewhere, rename over
    assert wait_for(lambda: recorder.count == 1)


def test_close_stops_the_callbacks(specs: Path) -> None:
    source = LocalDirectorySource(specs, quiet_period=0.3)
    recorder = Recorder()
    source.watch(recorder)
    with pytest.raises(RuntimeError, match="already watching"):
        source.watch(recorder)
    source.close()
    source.close()  # idempotent
    (specs / "groups" / "prod.yaml").write_text("after close\n")
    time.sleep(1.0)
    assert recorder.count == 0


def test_watching_a_missing_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        LocalDirectorySource(tmp_path / "nowhere").watch(Recorder())
