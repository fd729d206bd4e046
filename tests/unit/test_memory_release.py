"""release_free_memory gives freed heap pages back (on glibc, where this suite runs)."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from reconciler.adapters.memory import release_free_memory


def _rss_kb() -> int:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_freed_memory_goes_back_to_the_system() -> None:
    # Many medium blocks (past pymalloc's 512 bytes, under glibc's mmap threshold) with a small
    # survivor after each, so that freeing them leaves holes glibc does not trim by itself.
    blocks = [bytearray(4000) for _ in range(20_000)]
    survivors = [bytearray(16) for _ in range(20_000)]
    del blocks
    before = _rss_kb()
    assert release_free_memory() is True
    after = _rss_kb()
    assert before - after > 20_000  # KB: most of the 80 MB of blocks
    assert len(survivors) == 20_000
