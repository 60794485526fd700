"""A read model's schema version (issue 20 item 4): the version each read model was built with
is recorded beside its tables; a process whose code carries another version rebuilds that
read model (blue/green, projections/rebuild.py) when its runner starts, before serving it,
and says so at INFO. An unchanged version rebuilds nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from psycopg.rows import dict_row
from psycopg.sql import SQL
from typer.testing import CliRunner

from api.cli.main import cli
from api.runtime.bootstrap import Services, build
from domain.registry import Listing
from infra.settings import Settings
from projections.base import UNVERSIONED, ProjectionLagging
from projections.finding_board import FindingBoardView
from projections.rebuild import rebuild_lock
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from projections.work_ledger import WorkLedgerView
from tests.integration.conftest import ADMIN, raise_finding

CURRENT = FindingBoardView.schema_version  # the code's finding board, before a test bumps it


def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.05)


def serving(services: Services) -> None:
    """Every runner of the process running, and every read model at the log's head."""
    until(lambda: all(s.state == "running" for s in services.runner_statuses.values()))
    head = services.head()
    for view in services.views.values():
        view.wait_for(head, 30)


def board_count(services: Services) -> int:
    (row,) = services.board.fetch_all(
        SQL("SELECT count(*) AS n FROM {}").format(services.board.table("finding_board"))
    )
    return int(row["n"])


def recorded(services: Services) -> dict[str, int | None]:
    return {name: view.recorded_schema_version() for name, view in services.views.items()}


def records(caplog: pytest.LogCaptureFixture, message: str) -> list[Any]:
    return [r for r in caplog.records if r.getMessage() == message]


def nothing_rebuilt(caplog: pytest.LogCaptureFixture) -> None:
    assert not records(caplog, "projection schema version changed; rebuilding")
    assert not records(caplog, "projection rebuilt")


def test_a_fresh_database_records_each_read_models_version_and_rebuilds_nothing(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="projections")
    with closing(build(fresh_settings, runners="in-process")) as services:
        serving(services)
        assert recorded(services) == {s.name: s.view_class.schema_version for s in PROJECTIONS}
    nothing_rebuilt(caplog)


def test_a_bumped_schema_version_rebuilds_that_read_model_once_before_serving_it(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="projections")
    with closing(build(fresh_settings, runners="in-process")) as first:
        first.app.register_unit(code="xz21", name="西岭镇", kind="township", actor=ADMIN)
        for n in range(3):
            raise_finding(first, "xz21", title=f"台账资料缺失 {n}")
        serving(first)
        assert board_count(first) == 3
        assert recorded(first)["finding_board"] == CURRENT
    assert not records(caplog, "projection rebuilt")

    # The code's finding board is now one version on (as a change to its tables would make it).
    monkeypatch.setattr(FindingBoardView, "schema_version", CURRENT + 1)
    with closing(build(fresh_settings, runners="in-process")) as second:
        serving(second)
        versions = recorded(second)
        assert versions["finding_board"] == CURRENT + 1, "the rebuilt tables carry the new version"
        others = {n: v for n, v in versions.items() if n != "finding_board"}
        assert others == {
            s.name: s.view_class.schema_version for s in PROJECTIONS if s.name != "finding_board"
        }
        assert board_count(second) == 3, "rebuilt from the log: nothing lost"
        raise_finding(second, "xz21", title="新问题")
        serving(second)
        assert board_count(second) == 4, "and served afterwards"
    (started,) = records(caplog, "projection schema version changed; rebuilding")
    assert (started.projection, started.recorded_version, started.code_version) == (
        "finding_board",
        CURRENT,
        CURRENT + 1,
    )
    assert started.levelno == logging.INFO and started.name == "projections.runner"
    (rebuilt,) = records(caplog, "projection rebuilt")
    assert rebuilt.projection == "finding_board" and rebuilt.events_replayed >= 3

    # Started again with the same code: the recorded version matches, nothing is rebuilt.
    caplog.clear()
    with closing(build(fresh_settings, runners="in-process")) as third:
        serving(third)
        assert recorded(third)["finding_board"] == CURRENT + 1
        assert board_count(third) == 4
    nothing_rebuilt(caplog)


def test_a_read_model_built_before_versions_were_recorded_counts_as_the_first(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A deployment whose tables predate the version table: the migrate step adds it and
    records the first version for a read model that holds events already (this code built
    none of them), and the code's version for an empty one."""
    caplog.set_level(logging.INFO, logger="projections")
    with closing(build(fresh_settings, runners="in-process")) as first:
        first.app.register_unit(code="xz22", name="东山镇", kind="township", actor=ADMIN)
        raise_finding(first, "xz22")
        serving(first)
        board = first.board
        for view in (board, first.ledger):
            with first.database.connection() as conn:
                conn.execute(SQL("DROP TABLE {}").format(view.table(view.version_table_name)))
        assert board.recorded_schema_version() is None
        board.create_table()  # what the migrate step does for each read model
        first.ledger.create_table()
        assert board.recorded_schema_version() == UNVERSIONED
        assert first.ledger.recorded_schema_version() == first.ledger.schema_version
    assert not records(caplog, "projection rebuilt")


def test_a_one_shot_command_rebuilds_a_read_model_an_older_version_built_before_reading_it(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After an upgrade, a command run before any service has started reads the read model
    as this version builds it (the rebuilt tables carry its version), not the old tables."""
    with closing(build(fresh_settings, runners="in-process")) as first:
        first.app.register_unit(code="fgj", name="县发改局", kind="department", actor=ADMIN)
        listing = Listing("推进县城有机更新", 2024, "fgj", date(2024, 12, 31))
        first.app.list_work_items([listing], actor=ADMIN)
        serving(first)

    monkeypatch.setattr(WorkLedgerView, "schema_version", WorkLedgerView.schema_version + 1)
    env = {"SUPERVISION_DATABASE_URL": fresh_settings.database_url or ""}
    out = tmp_path / "执行台账.xlsx"
    args = ["export", "ledger", "--year", "2024", "--out", str(out)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert [c.value for c in load_workbook(out).active["B"]][1:] == ["推进县城有机更新"]
    with closing(build(fresh_settings, one_shot=True)) as check:
        assert check.ledger.recorded_schema_version() == WorkLedgerView.schema_version


def test_a_one_shot_command_leaves_the_rebuild_to_the_process_that_runs_the_read_model(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="projections")
    with closing(build(fresh_settings, runners="in-process")) as running:
        serving(running)
        monkeypatch.setattr(FindingBoardView, "schema_version", CURRENT + 1)
        with closing(build(fresh_settings, one_shot=True)) as one_shot:
            board = [s for s in PROJECTIONS if s.name == "finding_board"]
            catch_up(one_shot.app, one_shot.datastore, board, 10)
            assert one_shot.board.recorded_schema_version() == CURRENT
    nothing_rebuilt(caplog)


def test_a_one_shot_command_finds_the_read_model_lagging_while_another_rebuilds_it(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with closing(build(fresh_settings, one_shot=True)) as one_shot:
        monkeypatch.setattr(FindingBoardView, "schema_version", CURRENT + 1)
        board = [s for s in PROJECTIONS if s.name == "finding_board"]
        with (
            one_shot.database.connection(autocommit=True, row_factory=dict_row) as conn,
            rebuild_lock(conn, "finding_board"),
            pytest.raises(ProjectionLagging, match="finding_board"),
        ):
            catch_up(one_shot.app, one_shot.datastore, board, 10)
        assert one_shot.board.recorded_schema_version() == CURRENT
