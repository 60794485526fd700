"""Rebuild without downtime: while commands keep arriving and readers keep reading, every
read model is rebuilt from zero beside the live one and switched in; readers never see it
empty or shrinking, nothing is lost, and afterwards each equals a rebuild from zero."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from psycopg.rows import dict_row
from psycopg.sql import SQL

from api.runtime.bootstrap import Services, build
from domain.registry import Listing
from infra.migrations import datastore_for
from infra.settings import Settings
from projections import rebuild as rebuild_module
from projections import replay as replay_module
from projections.rebuild import RebuildInProgress, rebuild, rebuild_lock, rebuild_many
from projections.registry import PROJECTIONS
from projections.replay import digest, replay, replay_many, scratch_schema, tables_of
from tests.counters import kept_and_counted
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding


@pytest.fixture
def live(fresh_settings: Settings) -> Iterator[Services]:
    """The service with its projection runners running in this process."""
    opened = build(fresh_settings, runners="in-process")
    yield opened
    opened.close()


def from_zero(services: Services, name: str, head: int) -> tuple[str, list[str]]:
    """The digest of `name` replayed from zero to `head` in a scratch schema, and its tables."""
    spec = next(s for s in PROJECTIONS if s.name == name)
    with scratch_schema(services.database) as schema:
        datastore = datastore_for(services.database, pool_size=1, schema=schema)
        try:
            view = spec.view_class(datastore)
            view.create_table()
            replay(services.app, view, spec, head)
            return digest(view), tables_of(view)
        finally:
            datastore.close()


def wait_until_current(services: Services) -> int:
    head = services.head()
    for view in services.views.values():
        view.wait_for(head, 30)
    return head


def board_count(services: Services, unit_code: str) -> int:
    (row,) = services.board.fetch_all(
        SQL("SELECT count(*) AS n FROM {} WHERE unit_code = %s").format(
            services.board.table("finding_board")
        ),
        (unit_code,),
    )
    return int(row["n"])


class Writer(threading.Thread):
    """Raises findings and orders their rectification until stopped."""

    def __init__(self, services: Services) -> None:
        super().__init__(daemon=True)
        self.services, self.stopping, self.done = services, threading.Event(), 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                finding = raise_finding(self.services, "xz01", title=f"推进缓慢 {self.done}")
                self.services.app.order_rectification(
                    finding,
                    deadline=date(2030, 1, 1),
                    requirements="限期整改",
                    expected_version=None,
                    actor=INSPECTOR,
                )
                self.done += 1
        except Exception as error:  # surfaced by the test's assertion
            self.errors.append(error)


class Reader(threading.Thread):
    """Counts the board's findings of unit xz01 until stopped; the count may only grow."""

    def __init__(self, services: Services, floor: int) -> None:
        super().__init__(daemon=True)
        self.services, self.stopping, self.floor = services, threading.Event(), floor
        self.seen: list[int] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.seen.append(board_count(self.services, "xz01"))
                time.sleep(0.002)
        except Exception as error:  # surfaced by the test's assertion
            self.errors.append(error)


def test_rebuilding_every_read_model_under_load_loses_nothing_and_readers_see_no_gap(
    live: Services,
) -> None:
    app = live.app
    app.register_unit(code="xz01", name="城关镇", kind="township", actor=ADMIN)
    app.register_unit(code="xz02", name="南山镇", kind="township", actor=ADMIN)
    for n in range(30):
        raise_finding(live, "xz02" if n % 3 else "xz01", title=f"台账资料缺失 {n}")
    for n in range(3):
        item = app.list_work_item(
            Listing(
                title=f"重点工作 {n}",
                year=2026,
                lead_unit="xz01" if n % 2 else "xz02",
                co_units=("xz02",) if n % 2 else (),
                due_on=date(2026, 12, 31),
            ),
            actor=INSPECTOR,
        )
        if n:
            app.evaluate_work_item(item.id, score=80 + n, grade="good", comment="", actor=INSPECTOR)
    wait_until_current(live)
    floor = board_count(live, "xz01")
    indexes_before = live_indexes(live)
    writer, reader = Writer(live), Reader(live, floor)
    writer.start()
    reader.start()
    try:  # as `supervision projections rebuild all` does: one read of the log feeds them all
        results = {r.name: r for r in rebuild_many(live.database, app, PROJECTIONS)}
    finally:
        writer.stopping.set()
        writer.join(30)
        reader.stopping.set()
        reader.join(30)
    assert not writer.errors and not reader.errors, (writer.errors, reader.errors)
    assert writer.done > 0, "commands kept arriving during the rebuilds"
    assert reader.seen and min(reader.seen) >= floor, "readers never saw a partial board"
    assert reader.seen == sorted(reader.seen), "the board's count never went back"
    assert results["finding_board"].events_replayed >= 30
    assert list(results) == [spec.name for spec in PROJECTIONS]
    assert live_indexes(live) == indexes_before, "indexes made after the fill are all there"

    head = wait_until_current(live)
    for spec in PROJECTIONS:
        expected, tables = from_zero(live, spec.name, head)
        assert digest(live.views[spec.name], tables) == expected, spec.name
    assert board_count(live, "xz01") == floor + writer.done, (
        "every acknowledged command is on the board"
    )
    leftovers = live.board.fetch_all(
        SQL(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%%' "
            "OR nspname LIKE 'retired\\_%%'"
        )
    )
    assert leftovers == [], "scratch and retired schemas are dropped"
    for view in (live.board, live.ledger):
        kept, counted = kept_and_counted(view)
        assert kept == counted and kept, f"{view.projection_name} keeps its counts"


def live_indexes(services: Services) -> set[tuple[str, str]]:
    """Every index of the live read models' tables, by name and definition."""
    rows = services.board.fetch_all(
        SQL("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    )
    return {(str(r["indexname"]), str(r["indexdef"])) for r in rows}


def test_a_second_rebuild_of_the_same_projection_is_refused_while_one_runs(
    live: Services,
) -> None:
    spec, other = PROJECTIONS[0], PROJECTIONS[1]
    with (
        live.database.connection(autocommit=True, row_factory=dict_row) as conn,
        rebuild_lock(conn, spec.name),
    ):
        with pytest.raises(RebuildInProgress):
            rebuild(live.database, live.app, spec)
        with pytest.raises(RebuildInProgress):  # one of several is enough to refuse them all
            rebuild_many(live.database, live.app, [other, spec])
        # …and the lock a refused rebuild took for `other` was given back.
        assert rebuild(live.database, live.app, other).name == other.name
    # Once the first is over, the next one runs.
    assert rebuild(live.database, live.app, spec).name == spec.name
    # A lock let go before its block ends (as each of several once switched) is free.
    with (
        live.database.connection(autocommit=True, row_factory=dict_row) as conn,
        rebuild_lock(conn, spec.name) as release,
    ):
        release()
        assert rebuild(live.database, live.app, spec).name == spec.name
    with pytest.raises(ValueError, match="at least one"):
        rebuild_many(live.database, live.app, [])


def test_a_rebuild_reads_the_log_ahead_on_a_thread_and_a_failed_read_switches_nothing(
    live: Services,
) -> None:
    """Each next batch is read on the reading thread while the current one is written; a
    read that fails there fails the rebuild, and the live read model stays as it was."""
    live.app.register_unit(code="xz10", name="西河镇", kind="township", actor=ADMIN)
    for n in range(12):
        raise_finding(live, "xz10", title=f"问题 {n}")
    wait_until_current(live)
    spec = next(s for s in PROJECTIONS if s.name == "finding_board")
    before = digest(live.views[spec.name])
    recorder = live.app.recorder
    real = recorder.select_notifications
    readers: list[str] = []

    def failing_third(*args: Any, **kwargs: Any) -> Any:
        reader = threading.current_thread().name
        if reader != "projections":  # the live runner's reads go on
            readers.append(reader)
            if len(readers) == 3:
                raise ConnectionResetError("the log could not be read")
        return real(*args, **kwargs)

    with (
        mock.patch.object(replay_module, "BATCH", 4),
        mock.patch.object(rebuild_module, "CLOSE_ENOUGH", 0),
        mock.patch.object(recorder, "select_notifications", side_effect=failing_third),
        pytest.raises(ConnectionResetError, match="could not be read"),
    ):
        rebuild(live.database, live.app, spec)
    assert len(readers) == 3 and all(r.startswith("replay-reader") for r in readers)
    assert digest(live.views[spec.name]) == before
    # Its lock was given back: the next rebuild runs, and ends where the log does.
    assert rebuild(live.database, live.app, spec).position == live.head()


def test_a_rebuild_that_fails_while_the_next_batch_is_read_waits_for_that_read(
    live: Services,
) -> None:
    """The held connection the reading thread reads on goes back when the rebuild ends: a
    read under way when a batch fails ends first, and no reading thread is left."""
    live.app.register_unit(code="xz11", name="南坪镇", kind="township", actor=ADMIN)
    for n in range(6):
        raise_finding(live, "xz11", title=f"问题 {n}")
    wait_until_current(live)
    spec = next(s for s in PROJECTIONS if s.name == "finding_board")
    recorder = live.app.recorder
    real = recorder.select_notifications
    reads: list[str] = []

    def slow_second(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("replay-reader"):
            reads.append("began")
            if reads.count("began") == 2:
                time.sleep(2.0)  # still reading when the first batch fails, and after
            answer = real(*args, **kwargs)
            reads.append("ended")
            return answer
        return real(*args, **kwargs)

    def failing(*_: Any) -> list[int]:
        raise RuntimeError("the batch failed")

    with (
        mock.patch.object(replay_module, "BATCH", 4),
        mock.patch.object(rebuild_module, "CLOSE_ENOUGH", 0),
        mock.patch.object(recorder, "select_notifications", side_effect=slow_second),
        mock.patch.object(replay_module, "in_one_transaction", side_effect=failing),
        pytest.raises(RuntimeError, match="the batch failed"),
    ):
        rebuild(live.database, live.app, spec)
    assert reads == ["began", "ended", "began", "ended"]
    assert not [t for t in threading.enumerate() if t.name.startswith("replay-reader")]


def test_a_replay_refuses_views_bound_to_different_connections(live: Services) -> None:
    live.app.register_unit(code="xz08", name="东山镇", kind="township", actor=ADMIN)
    raise_finding(live, "xz08", title="问题")
    board, ledger = (
        next(s for s in PROJECTIONS if s.name == n) for n in ("finding_board", "work_ledger")
    )
    targets = [
        (live.views[spec.name], spec.projection_class(view=live.views[spec.name]))
        for spec in (board, ledger)
    ]
    with (
        live.database.connection(row_factory=dict_row) as conn,
        live.views["finding_board"].bound_to(conn),
        pytest.raises(ValueError, match="bound to one connection"),
    ):
        replay_many(live.app, targets, live.head())


def test_rebuild_reports_progress_up_to_the_head(live: Services) -> None:
    live.app.register_unit(code="xz09", name="北岭乡", kind="township", actor=ADMIN)
    for n in range(5):
        raise_finding(live, "xz09", title=f"问题 {n}")
    seen: list[Any] = []
    spec = next(s for s in PROJECTIONS if s.name == "finding_board")
    result = rebuild(live.database, live.app, spec, progress=lambda p, h: seen.append((p, h)))
    assert seen[-1] == (result.position, result.position)
    assert result.position == live.head()


def test_the_cli_rebuild_answers_its_outcome_and_logs_it_at_info(
    live: Services, fresh_settings: Settings
) -> None:
    """`supervision projections rebuild` as an operator runs it, logging at INFO in JSON:
    it exits 0 with the outcome, and its log line names the projection."""
    live.app.register_unit(code="xz11", name="东岭镇", kind="township", actor=ADMIN)
    raise_finding(live, "xz11", title="台账资料缺失")
    env = dict(
        os.environ,
        SUPERVISION_DATABASE_URL=fresh_settings.database_url or "",
        SUPERVISION_DATA_DIR=str(fresh_settings.data_dir),
        SUPERVISION_LOG_LEVEL="INFO",
        SUPERVISION_LOG_FORMAT="json",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "supervision"), "projections", "rebuild",
         "finding_board", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["name"] == "finding_board" and outcome["state"] == "done"
    assert outcome["position"] == live.head()
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    rebuilt = [line for line in logged if line["message"] == "projection rebuilt"]
    assert len(rebuilt) == 1 and rebuilt[0]["projection"] == "finding_board", logged
    assert rebuilt[0]["logger"] == "projections.rebuild" and rebuilt[0]["level"] == "INFO"
