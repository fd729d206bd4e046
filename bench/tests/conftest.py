"""Fixtures of the benchmark suite's own tests: one emulator subprocess per module, as the
benchmarks run it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.harness import Emulator, running_emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with running_emulator() as started:
        yield started
