"""A rebuild fills the unit history by COPY (UnitHistoryView.fill_batch): batch by batch, it
keeps what the statements would have kept, a batch whose tracking another writer moved
keeps nothing, and each batch is logged with what it copied."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any
from unittest import mock

import pytest
from psycopg.sql import SQL

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.registry import Listing
from domain.vocabulary import Role
from infra.migrations import datastore_for
from projections import replay as replay_module
from projections.base import APPLICATION_NAME, TrackingMoved
from projections.registry import PROJECTIONS
from projections.replay import digest, replay, scratch_schema
from projections.unit_history import UnitHistory, UnitHistoryView
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding

SPEC = next(spec for spec in PROJECTIONS if spec.name == "unit_history")


def liaison(unit: str) -> Actor:
    return Actor(id=f"l-{unit}", name="联络员", role=Role.UNIT, unit_code=unit,
                 unit_scope=frozenset({unit}))  # fmt: skip


@pytest.fixture
def history(services: Services) -> Iterator[tuple[Services, list[tuple[Any, int]]]]:
    """Two units; a work item led by one with the other as co-unit; a finding
    passed to the other unit (转办) and back, with progress after each pass. The log's
    events, decoded."""
    app = services.app
    for code in ("hx", "dc"):
        app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
    app.list_work_item(
        Listing(title="任务", year=2024, lead_unit="hx", co_units=("dc",),
                due_on=date(2024, 12, 31)),
        actor=INSPECTOR,
    )  # fmt: skip
    finding = raise_finding(services, "hx")
    app.order_rectification(finding, deadline=date(2024, 2, 1), requirements="r", actor=INSPECTOR)
    for unit, to in (("hx", "dc"), ("dc", "hx")):
        app.dispute_order(finding, reason="不属本单位职责", actor=liaison(unit))
        app.reassign_finding(finding, to_unit=to, reason="转办", actor=INSPECTOR)
        progress = {"note": "推进中", "percent": 30, "evidence": []}
        app.report_finding_progress(finding, **progress, actor=liaison(to))
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    yield services, [(app.mapper.to_domain_event(n), n.id) for n in notifications]


def filled(services: Services, schema: str, batch: int | None) -> UnitHistoryView:
    """The unit history in `schema`: filled by COPY `batch` events at a time, or (None) by
    the statements a runner sends."""
    view = UnitHistoryView(datastore_for(services.database, pool_size=1, schema=schema))
    view.create_table()
    view.filling = batch is not None
    head = services.app.recorder.max_notification_id() or 0
    with mock.patch.object(replay_module, "BATCH", batch or replay_module.BATCH):
        replay(services.app, view, SPEC, head)
    return view


@pytest.mark.parametrize("batch", [1, 3, 2000])
def test_a_fill_by_copy_keeps_what_the_statements_keep(
    history: tuple[Services, list[tuple[Any, int]]], batch: int
) -> None:
    services, _ = history
    with scratch_schema(services.database) as a, scratch_schema(services.database) as b:
        by_copy = filled(services, a, batch)
        by_statements = filled(services, b, None)
        try:
            assert digest(by_copy) == digest(by_statements)
            lines = by_copy.fetch_all(
                SQL("SELECT unit_code, event_type FROM {} ORDER BY position, unit_code").format(
                    by_copy.table("unit_history")
                )
            )
            # The item is in both units' histories; the finding's progress after each pass
            # is in the history of the unit it lay with then, and only there.
            listed = [r["unit_code"] for r in lines if r["event_type"] == "Listed"]
            assert listed == ["dc", "hx"]
            progress = [r["unit_code"] for r in lines if r["event_type"] == "ProgressReported"]
            assert progress == ["dc", "hx"]
            touches = by_copy.fetch_all(
                SQL("SELECT unit_code FROM {} WHERE aggregate_type = 'finding'").format(
                    by_copy.table("unit_history_touches")
                )
            )
            assert [r["unit_code"] for r in touches] == ["hx"]
        finally:
            by_copy.datastore.close()
            by_statements.datastore.close()


def test_a_fill_batch_from_a_position_another_writer_moved_keeps_nothing(
    history: tuple[Services, list[tuple[Any, int]]], caplog: pytest.LogCaptureFixture
) -> None:
    services, events = history
    half = len(events) // 2
    with scratch_schema(services.database) as schema:
        view = UnitHistoryView(datastore_for(services.database, pool_size=1, schema=schema))
        try:
            view.create_table()
            view.filling = True
            projection = UnitHistory(view=view)
            with (
                caplog.at_level(logging.DEBUG, logger="projections.base"),
                view.batch_transaction(pipelined=False) as conn,
            ):
                sent = view.fill_batch(conn, projection, events[:half], 0)
            assert sent is not None and sent.events == half
            record = next(r for r in caplog.records if r.getMessage() == "batch sent")
            assert record.__dict__["lines"] > 0 and record.__dict__["touches"] > 0
            count = SQL("SELECT count(*) AS n FROM {}").format(view.table("unit_history"))
            (before,) = view.fetch_all(count)
            # A second writer that still believes the view empty.
            with pytest.raises(TrackingMoved), view.batch_transaction(pipelined=False) as conn:
                view.fill_batch(conn, projection, events, 0)
            assert view.fetch_all(count) == [before]
            assert view.max_tracking_id(APPLICATION_NAME) == events[half - 1][1]
            # Nothing to fill from the position it holds: no batch at all.
            with view.batch_transaction(pipelined=False) as conn:
                assert view.fill_batch(conn, projection, events[:half], events[half - 1][1]) is None
        finally:
            view.datastore.close()
