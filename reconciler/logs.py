"""Logging: structured JSON lines in a container, readable text on a terminal.

Our own loggers (structlog) and the standard library's (gitpython, waitress, botocore, and the
adapters that use `logging`) end up in the same format on stderr, so a JSON log collector sees
one JSON object per line. Nothing logs configuration values or credentials: cycles log counts,
names and commit SHAs.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

from reconciler.core.printable import printable_lines

LogFormat = Literal["auto", "json", "text"]


def _printable_event(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Text logs go to a terminal: control characters in the message (which may quote a name
    from the specs) are shown. The console renderer prints other values with repr() already."""
    message = event.get("event")
    if isinstance(message, str):
        event["event"] = printable_lines(message)
    return event


# Libraries that narrate every request at INFO: keep them to warnings.
_CHATTY = ("botocore", "boto3", "urllib3", "waitress", "git", "apscheduler")


def configure_logging(log_format: LogFormat = "auto", level: str = "INFO") -> None:
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    # JSON escapes every control character itself (structlog's renderer writes ASCII).
    renderers: list[structlog.types.Processor] = (
        [structlog.processors.JSONRenderer()]
        if use_json
        else [_printable_event, structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    numeric = logging.getLevelName(level.upper())
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                *renderers,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
