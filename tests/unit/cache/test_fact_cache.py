"""The rules of the persistent fact cache, on a real directory: verified entries only,
concurrent writers, a size bound, and a directory that may vanish at any time."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from reconciler.adapters.cache import FactCache

DOCUMENT = {"deploymentId": "d-1", "components": {"a": {"componentVersion": "1.0.0"}}}


def test_a_stored_fact_is_read_back_by_another_instance(tmp_path: Path) -> None:
    FactCache(tmp_path).put("deployment", "d-1", DOCUMENT)
    other = FactCache(tmp_path)
    assert other.get("deployment", "d-1") == DOCUMENT
    assert other.get("deployment", "d-2") is None
    assert (other.counts.hits, other.counts.misses) == (1, 1)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # a flipped bit in the body
        lambda data: data[: len(data) // 2],  # a torn write
        lambda data: b"",  # an empty file (a crash before the data reached the disk)
        lambda data: data.replace(b"greengrass-reconciler-fact/1", b"other-format/9"),
    ],
    ids=["flipped-bit", "torn", "empty", "foreign-format"],
)
def test_an_entry_that_does_not_verify_is_a_miss_and_is_deleted(
    tmp_path: Path, damage: object
) -> None:
    cache = FactCache(tmp_path)
    cache.put("deployment", "d-1", DOCUMENT)
    path = cache.path_of("deployment", "d-1")
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert cache.get("deployment", "d-1") is None
    assert not path.exists()
    assert cache.counts.discarded == 1


def test_a_valid_entry_copied_onto_another_key_is_not_served(tmp_path: Path) -> None:
    cache = FactCache(tmp_path)
    cache.put("deployment", "d-1", DOCUMENT)
    target = cache.path_of("deployment", "d-2")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(cache.path_of("deployment", "d-1").read_bytes())
    assert cache.get("deployment", "d-2") is None
    assert cache.get("recipe", "d-1") is None  # nor the same key of another kind
    assert cache.get("deployment", "d-1") == DOCUMENT


def test_the_directory_may_be_deleted_at_any_time(tmp_path: Path) -> None:
    root = tmp_path / "facts"
    cache = FactCache(root)
    cache.put("deployment", "d-1", DOCUMENT)
    for path in sorted(root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    root.rmdir()
    assert cache.get("deployment", "d-1") is None
    assert cache.trim() == 0
    cache.put("deployment", "d-1", DOCUMENT)  # recreated on the next write
    assert cache.get("deployment", "d-1") == DOCUMENT


def test_an_unwritable_directory_makes_writes_no_ops(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    cache = FactCache(blocker / "facts")
    cache.put("deployment", "d-1", DOCUMENT)  # no exception
    assert cache.get("deployment", "d-1") is None
    assert cache.counts.writes == 0


def test_trim_evicts_the_least_recently_used_entries_down_to_the_bound(tmp_path: Path) -> None:
    big = {"padding": "x" * 900}
    cache = FactCache(tmp_path, max_bytes=10_000)
    for index in range(30):
        cache.put("deployment", f"d-{index}", big)
        os.utime(cache.path_of("deployment", f"d-{index}"), (1000.0 + index, 1000.0 + index))
    assert cache.size_bytes() > 10_000
    cache.get("deployment", "d-0")  # the oldest, used now: it must survive
    evicted = cache.trim()
    assert evicted > 0
    assert cache.size_bytes() <= 9_000
    assert cache.get("deployment", "d-0") == big
    assert cache.get("deployment", "d-1") is None  # the least recently used went first
    assert cache.get("deployment", "d-29") == big
    assert FactCache(tmp_path, max_bytes=10_000).trim() == 0  # within the bound: nothing


def test_trim_removes_only_stale_temporary_files(tmp_path: Path) -> None:
    cache = FactCache(tmp_path)
    cache.put("deployment", "d-1", DOCUMENT)
    directory = cache.path_of("deployment", "d-1").parent
    fresh, stale = directory / ".tmp-fresh", directory / ".tmp-stale"
    fresh.write_bytes(b"being written by another process")
    stale.write_bytes(b"left by a process that died")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    cache.trim()
    assert fresh.exists() and not stale.exists()


def _writer(root: str, worker: int, rounds: int) -> None:
    cache = FactCache(Path(root), max_bytes=40_000)
    for index in range(rounds):
        # Every worker writes the shared keys (as processes reading the same fleet do) and
        # reads them back; any entry it reads must verify and hold the one true value.
        key = f"shared-{index % 20}"
        cache.put("deployment", key, {"id": key, "padding": "y" * 500})
        cache.put("deployment", f"own-{worker}-{index}", {"worker": worker, "index": index})
        value = cache.get("deployment", f"shared-{(index * 7) % 20}")
        if value is not None and value != {
            "id": f"shared-{(index * 7) % 20}",
            "padding": "y" * 500,
        }:
            raise AssertionError(f"worker {worker} read a wrong value: {value!r}")
        if index % 25 == 0:
            cache.trim()  # trims race with writes and with each other
    if cache.counts.discarded:
        raise AssertionError(f"worker {worker} saw {cache.counts.discarded} unverifiable entries")


def test_concurrent_writers_readers_and_trims_never_expose_a_partial_entry(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_writer, args=(str(tmp_path), worker, 150)) for worker in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    cache = FactCache(tmp_path, max_bytes=40_000)
    for index in range(20):
        value = cache.get("deployment", f"shared-{index}")
        assert value in (None, {"id": f"shared-{index}", "padding": "y" * 500})
    assert cache.counts.discarded == 0
    assert not [p for p in tmp_path.rglob(".tmp-*")]  # every temporary file was renamed
    cache.trim()
    assert cache.size_bytes() <= 40_000
