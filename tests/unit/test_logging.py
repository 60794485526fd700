"""The JSON log lines, and the log calls' extra keys (日志)."""

from __future__ import annotations

import ast
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest

from infra.logging import JsonLogFormatter, StandardError, configure_logging

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "infra", "projections", "api")
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
# Logger.makeRecord refuses an extra key that is already an attribute of the record, or one of
# the two the formatter adds later: the log call raises KeyError instead of logging.
RECORD_ATTRIBUTES = set(logging.LogRecord("n", logging.INFO, __file__, 1, "m", None, None).__dict__)
RESERVED = RECORD_ATTRIBUTES | {"message", "asctime"}
ISO_8601_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d")


def logger_writing_to(stream: io.StringIO, name: str = "uvicorn.error") -> logging.Logger:
    """A logger of its own (no parent, so nothing global changes) with the service's formatter."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.Logger(name, logging.DEBUG)
    logger.addHandler(handler)
    return logger


def uvicorn_started_line() -> str:
    """What uvicorn logs at start-up, with its coloured copy of the message as an extra."""
    stream = io.StringIO()
    color_message = "Started server process [\x1b[36m%d\x1b[0m]"
    logger_writing_to(stream).info(
        "Started server process [%d]", 4242, extra={"color_message": color_message}
    )
    return stream.getvalue()


def test_each_record_is_one_json_object_on_one_line() -> None:
    stream = io.StringIO()
    logger_writing_to(stream, "api.http.errors").warning("two\nlines", extra={"path": "/api/v1"})
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert list(record) == ["time", "level", "logger", "message", "path"]
    assert record["level"] == "WARNING" and record["logger"] == "api.http.errors"
    assert record["message"] == "two\nlines" and record["path"] == "/api/v1"


def test_the_time_is_iso_8601_with_the_zone_offset_to_the_millisecond() -> None:
    time = json.loads(uvicorn_started_line())["time"]
    assert ISO_8601_WITH_OFFSET.fullmatch(time), time
    assert datetime.fromisoformat(time).utcoffset() is not None


def test_uvicorns_coloured_copy_of_the_message_is_left_out() -> None:
    line = json.loads(uvicorn_started_line())
    assert "color_message" not in line
    assert line["message"] == "Started server process [4242]"


def test_no_ansi_escape_code_reaches_the_json_line() -> None:
    stream = io.StringIO()
    logger_writing_to(stream).info("%s", "\x1b[32mINFO\x1b[0m:     \x1b[1mApplication ready\x1b[0m")
    line = stream.getvalue()
    assert json.loads(line)["message"] == "INFO:     Application ready"
    assert "\\u001b" not in line and "\x1b" not in line


def extra_keys(call: ast.Call) -> list[ast.Constant | ast.keyword]:
    """The keys of a call's `extra=` when they are written out: a dict literal or `dict(...)`."""
    keys: list[ast.Constant | ast.keyword] = []
    for keyword in call.keywords:
        if keyword.arg != "extra":
            continue
        value = keyword.value
        literals = [value] if isinstance(value, ast.Dict) else []
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "dict"
        ):
            literals = [arg for arg in value.args if isinstance(arg, ast.Dict)]
            keys += [named for named in value.keywords if named.arg is not None]
        for literal in literals:
            keys += [key for key in literal.keys if isinstance(key, ast.Constant)]
    return keys


def colliding_extra_keys(source: str, filename: str) -> list[str]:
    """file:line of every extra key of a logging call that the LogRecord would refuse."""
    offenders = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in LOG_METHODS:
            continue
        for key in extra_keys(node):
            name = key.value if isinstance(key, ast.Constant) else key.arg
            if name in RESERVED:
                offenders.append(f"{filename}:{key.lineno}: extra key {name!r}")
    return offenders


def test_the_scan_reports_an_extra_key_that_the_log_record_already_has() -> None:
    source = (
        'log.info("rebuilt", extra={"state": "done", "name": "x"})\n'
        'log.debug("listening", extra=dict(channels=[], msg=1))\n'
    )
    assert colliding_extra_keys(source, "snippet.py") == [
        "snippet.py:1: extra key 'name'",
        "snippet.py:2: extra key 'msg'",
    ]


def test_no_log_call_in_the_service_has_an_extra_key_that_the_log_record_already_has() -> None:
    sources = [path for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]
    assert sources, f"no source found under {ROOT}"
    offenders = [
        offender
        for path in sources
        for offender in colliding_extra_keys(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert offenders == []


def test_records_go_to_the_standard_error_the_process_has_at_each_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command run in a process's place swaps sys.stderr and closes its stream when done:
    a record after that goes to the stream restored, and none fails on the closed one."""
    handler = StandardError()
    handler.setFormatter(logging.Formatter("%(message)s"))
    record = logging.LogRecord("infra.x", logging.INFO, __file__, 1, "%s", ("一",), None)
    swapped, restored = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", swapped)
    handler.emit(record)
    monkeypatch.setattr(sys, "stderr", restored)
    swapped.close()
    monkeypatch.setattr(logging, "raiseExceptions", True)
    with mock.patch.object(handler, "handleError", side_effect=AssertionError) as failed:
        handler.emit(record)
    failed.assert_not_called()
    assert restored.getvalue() == "一\n"
    handler.stream = io.StringIO()  # what StreamHandler.setStream would do: still sys.stderr
    assert handler.stream is restored


@pytest.fixture
def library_levels() -> Iterator[None]:
    """The levels configure_logging sets on libraries' loggers, put back afterwards."""
    names = ("weasyprint", "weasyprint.progress", "yoyo", "yoyo.migrations")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_libraries_progress_notes_are_left_out_and_their_warnings_and_our_records_kept(
    library_levels: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("weasyprint.progress").info("Step 5 - Creating layout - Page 1")
    logging.getLogger("yoyo.migrations").info("applying step 3")
    logging.getLogger("weasyprint").warning("Ignored `page-break-inside: avoid`")
    logging.getLogger("infra.migrations").info("migrated")
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(r["logger"], r["message"]) for r in logged] == [
        ("weasyprint", "Ignored `page-break-inside: avoid`"),
        ("infra.migrations", "migrated"),
    ]
