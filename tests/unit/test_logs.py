"""Logs: one JSON object per line in a container, whoever logged it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from reconciler.logs import LogFormat, configure_logging


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


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_names_from_the_specs_cannot_act_on_the_terminal(
    log_format: LogFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(log_format, "INFO")
    hostile = "Group\x1b[1A\x1b[2K\rfake line\x9b2K\u202e"
    structlog.get_logger("reconciler.cycle").info("applied", group=hostile)
    logging.getLogger("reconciler.engine").warning("cannot plan %s", hostile)
    err = capsys.readouterr().err
    assert err.count("\n") == 2  # one line per record
    assert not any(c in err for c in "\x1b\r\x9b\u202e")
    # printable (or repr, for values on the console), or JSON's own escapes.
    shown = {
        "text": "Group\\x1b[1A\\x1b[2K\\rfake line\\x9b2K\\u202e",
        "json": "Group\\u001b[1A\\u001b[2K\\rfake line\\u009b2K\\u202e",
    }[log_format]
    assert err.count(shown) == 2
