"""Logs: one JSON object per line in a container, whoever logged it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from reconciler.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.usefixtures("restored_logging")
def test_json_lines_for_our_logs_and_the_libraries(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    structlog.get_logger("reconciler.cycle").info("cycle", commit="abc123", result="success")
    logging.getLogger("reconciler.adapters.sources.git").warning("fetch failed: %s", "timeout")
    logging.getLogger("botocore.endpoint").info("chatty library line")  # kept to warnings
    lines = capsys.readouterr().err.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["event"] for r in records] == ["cycle", "fetch failed: timeout"]
    assert records[0]["commit"] == "abc123"
    assert {r["level"] for r in records} == {"info", "warning"}
    assert all("timestamp" in r and "logger" in r for r in records)
