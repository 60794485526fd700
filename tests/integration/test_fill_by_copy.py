"""A rebuild fills the unit history, the notifications, the finding board, the evidence and
the per-aggregate read models (the work ledger among them) by COPY (fill_batch): batch by
batch, each keeps what its statements would have kept, a batch whose tracking another writer
moved keeps nothing, and each batch is logged with what it copied."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from unittest import mock

import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic
from psycopg.sql import SQL

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.findings import Finding
from domain.registry import CancelWorkItem, Listing
from domain.vocabulary import Role
from infra.migrations import datastore_for
from projections import replay as replay_module
from projections.base import APPLICATION_NAME, ReadModelView, TrackingMoved
from projections.registry import PROJECTIONS, ProjectionSpec
from projections.replay import digest, replay, scratch_schema
from projections.unit_history import UnitHistory, UnitHistoryView
from tests.counters import kept_and_counted
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding

SPECS = {spec.name: spec for spec in PROJECTIONS}
FILLED_BY_COPY = ("unit_history", "notifications", "finding_board", "evidence", "work_ledger")
# What each fill's log line counts (write_fill).
WRITTEN = ("touches", "lines", "notifications", "findings", "rows", "tallies", "citations",
           "documents", "progress", "counts")  # fmt: skip
Log = tuple[Services, list[tuple[Any, int]]]
Rows = Callable[..., list[tuple[Any, ...]]]
FILE = {"sha256": "EF" * 32, "name": "进度照片.jpg"}
AUTHORITY = Actor(id="au-1", name="县纪委", role=Role.AUTHORITY)


def liaison(unit: str) -> Actor:
    return Actor(id=f"l-{unit}", name="联络员", role=Role.UNIT, unit_code=unit,
                 unit_scope=frozenset({unit}))  # fmt: skip


@pytest.fixture
def log(services: Services) -> Iterator[Log]:
    """Two units, each with a liaison's account, and a supervisor; a work item led by one
    with the other as co-unit, its progress logged and a milestone set and reached; a finding
    citing a file, passed to the other unit (转办) and back, with progress (citing it too)
    after each pass, its deadline extended, itself escalated and its title amended; the first
    unit's liaison leaves, and an escalation reminder follows. The log's events, decoded."""
    app = services.app
    liaisons = {}
    for code in ("hx", "dc"):
        app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
        liaisons[code] = app.create_account(
            token_hash=uuid.uuid4().hex, name="联络员", role=Role.UNIT, unit_code=code, actor=ADMIN
        ).id
    app.create_account(
        token_hash=uuid.uuid4().hex,
        name="督查室",
        role=Role.SUPERVISOR,
        unit_code=None,
        actor=ADMIN,
    )
    item = app.list_work_item(
        Listing(title="任务", year=2024, lead_unit="hx", co_units=("dc",),
                due_on=date(2024, 12, 31)),
        actor=INSPECTOR,
    ).id  # fmt: skip
    app.log_progress(item, note="已启动", percent=20, actor=INSPECTOR)
    app.set_work_item_milestone(item, title="方案印发", due_on=date(2024, 3, 31), actor=INSPECTOR)
    app.reach_work_item_milestone(
        item, number=1, reached_on=date(2024, 3, 20), note="已印发", actor=INSPECTOR
    )
    finding = raise_finding(services, "hx", evidence=[FILE])
    app.order_rectification(finding, deadline=date(2024, 2, 1), requirements="r", actor=INSPECTOR)
    for unit, to in (("hx", "dc"), ("dc", "hx")):
        app.dispute_order(finding, reason="不属本单位职责", actor=liaison(unit))
        app.reassign_finding(finding, to_unit=to, reason="转办", actor=INSPECTOR)
        progress = {"note": "推进中", "percent": 30, "evidence": [FILE]}
        app.report_finding_progress(finding, **progress, actor=liaison(to))
    app.extend_deadline(finding, new_deadline=date(2024, 3, 1), reason="汛期", actor=INSPECTOR)
    app.escalate_finding(finding, reason="久拖不决", actor=INSPECTOR)
    app.amend_finding(finding, changes={"title": "更正后的问题"}, reason="笔误", actor=INSPECTOR)
    app.revoke_account(liaisons["hx"], reason="调离", actor=ADMIN)
    app.remind_finding(
        finding, rule="escalation@2024-02-01", kind="escalation", due_on=date(2024, 2, 2),
        actor=ADMIN,
    )  # fmt: skip
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    yield services, [(app.mapper.to_domain_event(n), n.id) for n in notifications]


def filled(services: Services, spec: ProjectionSpec, schema: str, batch: int | None) -> Any:
    """The read model in `schema`: filled by COPY `batch` events at a time, or (None) by the
    statements a runner sends."""
    view = spec.view_class(datastore_for(services.database, pool_size=1, schema=schema))
    view.create_table()
    view.filling = batch is not None
    assert view.fills_by_copy is view.filling
    head = services.app.recorder.max_notification_id() or 0
    with mock.patch.object(replay_module, "BATCH", batch or replay_module.BATCH):
        replay(services.app, view, spec, head)
    return view


def rows(view: ReadModelView, query: str, *tables: str) -> list[tuple[Any, ...]]:
    """The rows of `query`, whose `{}` name `tables` of the view's schema, as tuples."""
    statement = SQL(query).format(*map(view.table, tables))
    return [tuple(r.values()) for r in view.fetch_all(statement)]


@pytest.fixture(params=[1, 3, 2000])
def batch(request: pytest.FixtureRequest) -> int:
    """How many events each COPY batch takes."""
    return int(request.param)


@pytest.fixture
def by_copy(log: Log, batch: int, request: pytest.FixtureRequest) -> Iterator[Rows]:
    """The rows (as `rows` reads them) of the read model the test names, filled by COPY
    `batch` events at a time (and its fill finished), once it is found to hold the very rows
    its statements make."""
    services, _ = log
    spec = SPECS[request.param]
    with scratch_schema(services.database) as a, scratch_schema(services.database) as b:
        copied = filled(services, spec, a, batch)
        by_statements = filled(services, spec, b, None)
        try:
            with copied.datastore.get_connection() as conn, conn.transaction():
                copied.finish_filling(conn)
            assert digest(copied) == digest(by_statements)
            yield functools.partial(rows, copied)
        finally:
            copied.datastore.close()
            by_statements.datastore.close()


@pytest.mark.parametrize("by_copy", ["unit_history"], indirect=True)
def test_a_unit_history_filled_by_copy_keeps_what_the_statements_keep(by_copy: Rows) -> None:
    lines = by_copy(
        "SELECT unit_code, event_type FROM {} ORDER BY position, unit_code", "unit_history"
    )
    # The item is in both units' histories; the finding's progress after each pass is in the
    # history of the unit it lay with then, and only there.
    assert [u for u, event in lines if event == "Listed"] == ["dc", "hx"]
    assert [u for u, event in lines if event == "ProgressReported"] == ["dc", "hx"]
    touches = by_copy(
        "SELECT unit_code FROM {} WHERE aggregate_type = 'finding'", "unit_history_touches"
    )
    assert touches == [("hx",)]


@pytest.mark.parametrize("by_copy", ["notifications"], indirect=True)
def test_notifications_filled_by_copy_keep_what_the_statements_keep(by_copy: Rows) -> None:
    told = by_copy(
        "SELECT kind, a.role, a.unit_code FROM {} n "
        "JOIN {} a ON a.id = n.account_id ORDER BY position, a.role",
        "notifications",
        "notify_accounts",
    )
    # Each pass tells the unit it goes to; the escalation reminder, after hx's liaison left,
    # only the supervisors.
    assert told == [
        ("order", "unit", "hx"),
        ("reassigned", "unit", "dc"),
        ("reassigned", "unit", "hx"),
        ("escalation", "supervisor", None),
    ]


@pytest.fixture
def reviewed(log: Log) -> uuid.UUID:
    """A finding of dc whose 延期申请 is refused at its 初审, and another forwarded."""
    services, _ = log
    app = services.app
    finding = raise_finding(services, "dc", found_on=date(2024, 1, 10))
    app.order_rectification(finding, deadline=date(2099, 6, 1), requirements="r", actor=INSPECTOR)
    for day, reason, outcome in ((1, "汛期", "refused"), (2, "待批", "forwarded")):
        app.apply_for_extension(finding, new_deadline=date(2099, 9, day), reason=reason,
                                actor=liaison("dc"))  # fmt: skip
        app.review_extension(finding, outcome=outcome, comment="意见", actor=INSPECTOR)
    return finding


@pytest.mark.parametrize("by_copy", ["notifications"], indirect=True)
def test_a_review_filled_by_copy_names_the_application_as_the_statements_do(
    reviewed: uuid.UUID, by_copy: Rows
) -> None:
    bodies = by_copy(
        "SELECT body FROM {} WHERE kind = 'extension_review' ORDER BY position", "notifications"
    )
    assert bodies == [
        ("延期申请初审不通过（退回）。申请延期至2099年9月1日（理由：汛期）。初审意见：意见",),
        ("延期申请初审通过，报请审批。申请延期至2099年9月2日（理由：待批）。初审意见：意见",),
    ]


@pytest.fixture
def chased(log: Log) -> None:
    """Two orders of dc chased for signing (签收催办): one whose 退办 was not accepted, chased
    again once dc was split and the order went to its successor dcn (转隶, a new round in
    which it may dispute), and one never disputed."""
    services, _ = log
    app = services.app
    app.register_unit(code="dcn", name="单位dcn", kind="township", actor=ADMIN)
    app.register_unit(code="dcs", name="单位dcs", kind="township", actor=ADMIN)
    app.create_account(token_hash=uuid.uuid4().hex, name="联络员", role=Role.UNIT,
                       unit_code="dcn", actor=ADMIN)  # fmt: skip
    rejected, plain = (raise_finding(services, "dc", t, found_on=date(2024, 1, 10)) for t in "甲乙")
    for finding in (rejected, plain):
        app.order_rectification(finding, deadline=date(2099, 6, 1), requirements="r",
                                actor=INSPECTOR)  # fmt: skip
    app.dispute_order(rejected, reason="不属本单位职责", actor=liaison("dc"))
    app.reject_dispute(rejected, reason="属本单位职责", actor=INSPECTOR)

    def chase(finding: uuid.UUID, day: date) -> None:
        app.remind_finding(finding, rule=f"acknowledge@{day}", kind="acknowledge", due_on=day,
                           actor=ADMIN)  # fmt: skip

    chase(rejected, date(2024, 1, 10))
    chase(plain, date(2024, 1, 10))
    app.split_unit("dc", into=["dcn", "dcs"], reason="机构改革", effective_on=date(2024, 2, 1),
                   actor=ADMIN)  # fmt: skip
    chase(rejected, date(2024, 2, 1))


@pytest.mark.parametrize("by_copy", ["notifications"], indirect=True)
def test_signing_reminders_filled_by_copy_offer_a_dispute_as_the_statements_do(
    chased: None, by_copy: Rows
) -> None:
    """Not once a 退办 of the order was rejected; again once the order is given anew."""
    bodies = by_copy(
        "SELECT f.title, n.body FROM {} n JOIN {} f ON f.id = n.finding_id "
        "WHERE n.kind = 'acknowledge' ORDER BY n.position",
        "notifications",
        "notify_findings",
    )
    assert bodies == [
        ("甲", "2024年1月10日交办的事项尚未签收，请尽快签收。"),
        ("乙", "2024年1月10日交办的事项尚未签收，请尽快签收或申请退办。"),
        ("甲", "2024年2月1日交办的事项尚未签收，请尽快签收或申请退办。"),
    ]


@pytest.fixture
def split_open(log: Log) -> None:
    """dc split: its finding not yet ordered, one whose order awaits signing and one whose
    report awaits 验收 go to dcn."""
    services, _ = log
    app = services.app
    for code in ("dcn", "dcs"):
        app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
    app.create_account(token_hash=uuid.uuid4().hex, name="联络员", role=Role.UNIT,
                       unit_code="dcn", actor=ADMIN)  # fmt: skip
    raise_finding(services, "dc", "登记", found_on=date(2024, 1, 10))
    ordered = raise_finding(services, "dc", "交办", found_on=date(2024, 1, 10))
    app.order_rectification(ordered, deadline=date(2099, 6, 1), requirements="r", actor=INSPECTOR)
    reported = raise_finding(services, "dc", "报送", found_on=date(2024, 1, 10))
    app.order_rectification(reported, deadline=date(2099, 6, 1), requirements="r", actor=INSPECTOR)
    app.report_rectification(reported, summary="已整改", evidence=[], actor=liaison("dc"))
    app.split_unit("dc", into=["dcn", "dcs"], reason="机构改革", effective_on=date(2024, 2, 1),
                   actor=ADMIN)  # fmt: skip


@pytest.mark.parametrize("by_copy", ["notifications"], indirect=True)
def test_a_split_filled_by_copy_tells_the_successor_as_the_statements_do(
    split_open: None, by_copy: Rows
) -> None:
    """Only the finding whose order awaits signing asks the successor to sign."""
    waits = (
        "因原责任单位分设，该问题已转由本单位负责，整改情况已报送、待督查验收，验收结果另行通知。"
    )
    bodies = by_copy(
        "SELECT f.title, n.body FROM {} n JOIN {} f ON f.id = n.finding_id "
        "WHERE n.kind = 'reassigned' AND f.unit_code = 'dcn'",
        "notifications",
        "notify_findings",
    )
    assert sorted(bodies) == [
        ("交办", "已转办至本单位，请签收办理。"),
        ("报送", waits),
        ("登记", "因原责任单位分设，该问题已转由本单位负责，尚未交办整改，交办时另行通知。"),
    ]


@pytest.mark.parametrize("by_copy", ["finding_board"], indirect=True)
def test_a_finding_board_filled_by_copy_keeps_what_the_statements_keep(by_copy: Rows) -> None:
    (row,) = by_copy(
        "SELECT unit_code, title, deadline, first_deadline, escalations, version, "
        "'更正' = ANY(grams) AS searched FROM {}",
        "finding_board",
    )
    assert row == ("hx", "更正后的问题", date(2024, 3, 1), date(2024, 2, 1), 1, 12, True)
    steps = by_copy("SELECT unit_code, year, extensions FROM {}", "finding_step_tallies")
    assert steps == [("hx", 2024, 1)]


@pytest.fixture
def lapsed_review(log: Log) -> Any:
    """A finding of hx whose application the unit's report ended, then reviewed all the same,
    as a log from before applications lapsed with their round may hold it."""
    services, _ = log
    app = services.app
    finding = raise_finding(services, "hx", found_on=date(2024, 1, 10))
    app.order_rectification(finding, deadline=date(2099, 6, 1), requirements="r", actor=INSPECTOR)
    app.apply_for_extension(finding, new_deadline=date(2099, 9, 1), reason="汛期",
                            actor=liaison("hx"))  # fmt: skip
    app.report_rectification(finding, summary="已整改", evidence=[], actor=liaison("hx"))
    old = app.get_finding(finding)
    old.trigger_event(
        Finding.ExtensionReviewed,
        outcome="forwarded",
        comment="属实",
        actor=INSPECTOR.as_event_data(),
    )
    app.save(old)
    return finding


@pytest.mark.parametrize("by_copy", ["finding_board"], indirect=True)
def test_a_review_of_a_lapsed_application_leaves_none_waiting_however_the_board_is_filled(
    lapsed_review: Any, by_copy: Rows
) -> None:
    stages = dict(by_copy("SELECT id, extension_stage FROM {}", "finding_board"))
    assert stages[lapsed_review] is None


@pytest.mark.parametrize("by_copy", ["evidence"], indirect=True)
def test_evidence_filled_by_copy_keeps_what_the_statements_keep(by_copy: Rows) -> None:
    cited = by_copy(
        "SELECT sha256, name, cited_by_role FROM {} ORDER BY position", "evidence_citations"
    )
    # The finding as raised and each progress report cite the file, by its hash in lower case.
    assert cited == [("ef" * 32, "进度照片.jpg", r) for r in ("inspector", "unit", "unit")]


@pytest.mark.parametrize("by_copy", ["work_ledger"], indirect=True)
def test_a_work_ledger_filled_by_copy_keeps_what_the_statements_keep(by_copy: Rows) -> None:
    (item,) = by_copy(
        "SELECT status, percent, progress_count, milestones -> 0 ->> 'note', version FROM {}",
        "work_ledger",
    )
    assert item == ("in_progress", 20, 1, "已印发", 4)
    assert by_copy("SELECT note FROM {}", "work_ledger_progress") == [("已启动",)]
    counts = by_copy("SELECT unit_code, items FROM {} ORDER BY unit_code", "work_counts")
    assert counts == [("dc", 1), ("hx", 1)]


@pytest.fixture
def cancelled_item(log: Log) -> None:
    """A second item on the log, led by dc with hx as co-unit, listed and then cancelled."""
    services, _ = log
    listing = Listing(title="取消的任务", year=2024, lead_unit="dc", co_units=("hx",),
                      due_on=date(2024, 12, 31))  # fmt: skip
    item = services.app.list_work_item(listing, actor=INSPECTOR).id
    services.app.handle(CancelWorkItem(item_id=item, reason="任务调整"), actor=INSPECTOR)


@pytest.fixture
def appealed_after_publication(log: Log) -> dict[str, Any]:
    """Three accountability rulings of hx, each decided and published: one then appealed and
    modified, one appealed and revoked, one left as published. Their ids by what befell them."""
    services, _ = log
    app, rulings = services.app, {}
    for fate in ("modified", "revoked", "published"):
        rid = app.propose_accountability(
            subject={"unit_code": "hx"}, finding_ids=[], form="circulated_criticism", basis="b",
            facts="推进不力", actor=INSPECTOR,
        ).id  # fmt: skip
        app.decide_ruling(rid, form="circulated_criticism", reasoning="r",
                          decided_on=date(2024, 5, 1), actor=AUTHORITY)  # fmt: skip
        app.publish_ruling(rid, summary="某局问责案例", tags=["作风"], actor=AUTHORITY)
        if fate != "published":
            app.appeal_ruling(rid, grounds="处理过重", actor=INSPECTOR)
            form = {"form": "written_inspection"} if fate == "modified" else {}
            app.decide_appeal(rid, result=fate, reasoning="复核", actor=AUTHORITY, **form)
        rulings[fate] = rid
    return rulings


@pytest.mark.parametrize("by_copy", ["rulings"], indirect=True)
def test_rulings_published_before_their_appeal_filled_by_copy_keep_what_the_statements_keep(
    appealed_after_publication: dict[str, Any], by_copy: Rows
) -> None:
    """A ruling published before its appeal stays published once the appeal is decided,
    however the batches fall; revoked, it is revoked."""
    rows = by_copy("SELECT id, status, form FROM {} ORDER BY position", "rulings")
    fates = {str(rid): fate for fate, rid in appealed_after_publication.items()}
    assert [(fates[str(i)], status, form) for i, status, form in rows] == [
        ("modified", "published", "written_inspection"),
        ("revoked", "revoked", "circulated_criticism"),
        ("published", "published", "circulated_criticism"),
    ]


@pytest.mark.parametrize("by_copy", ["work_ledger"], indirect=True)
def test_a_cancelled_item_filled_by_copy_leaves_the_counts_the_statements_leave(
    cancelled_item: None, by_copy: Rows
) -> None:
    """A cancelled item counts for none of its units, however the batches fall (the item is
    on the log before the read model is filled: fixtures run in the order named)."""
    statuses = by_copy("SELECT status FROM {} ORDER BY status", "work_ledger")
    assert statuses == [("cancelled",), ("in_progress",)]
    counts = by_copy("SELECT unit_code, items FROM {} ORDER BY unit_code", "work_counts")
    assert counts == [("dc", 1), ("hx", 1)]


@pytest.mark.parametrize("batch", [1, 2000])
@pytest.mark.parametrize("name", FILLED_BY_COPY)
def test_a_read_model_kept_live_writes_long_batches_by_copy_and_keeps_what_the_statements_keep(
    log: Log, name: str, batch: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A runner catching up after downtime: the first half of the log went by statements,
    the rest comes in batches at least `copies_from` long, written by COPY on the live
    tables (not a fill from zero: nothing is finished afterwards)."""
    services, events = log
    spec = SPECS[name]
    with scratch_schema(services.database) as a, scratch_schema(services.database) as b:
        live = spec.view_class(datastore_for(services.database, pool_size=1, schema=a))
        by_statements = filled(services, spec, b, None)
        try:
            live.create_table()
            used = [p for e, p in events if get_topic(type(e)) in live.topics]
            replay(services.app, live, spec, used[len(used) // 2])
            with (
                mock.patch.object(type(live), "copies_from", 1),
                mock.patch.object(replay_module, "BATCH", batch),
                caplog.at_level(logging.DEBUG, logger="projections.base"),
            ):
                assert not live.filling and live.copies([None])
                replay(services.app, live, spec, events[-1][1])
            assert "batch filled" in caplog.messages
            assert digest(live) == digest(by_statements)
            kept, counted = kept_and_counted(live)
            assert kept == counted
        finally:
            live.datastore.close()
            by_statements.datastore.close()


@pytest.mark.parametrize("name", FILLED_BY_COPY)
def test_a_fill_batch_from_a_position_another_writer_moved_keeps_nothing(
    log: Log, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    services, events = log
    spec = SPECS[name]
    half = len(events) // 2
    with scratch_schema(services.database) as schema:
        view = spec.view_class(datastore_for(services.database, pool_size=1, schema=schema))
        try:
            view.create_table()
            view.filling = True
            projection = spec.projection_class(view=view)
            with (
                caplog.at_level(logging.DEBUG, logger="projections.base"),
                view.batch_transaction(pipelined=False) as conn,
            ):
                sent = view.fill_batch(conn, projection, events[:half], 0)
            assert sent is not None and sent.events == half
            record = next(r for r in caplog.records if r.getMessage() == "batch filled")
            assert record.__dict__["projection"] == name
            assert sum(v for k, v in record.__dict__.items() if k in WRITTEN) > 0
            before = digest(view)
            # A second writer that still believes the view empty.
            with pytest.raises(TrackingMoved), view.batch_transaction(pipelined=False) as conn:
                view.fill_batch(conn, projection, events, 0)
            assert digest(view) == before
            assert view.max_tracking_id(APPLICATION_NAME) == events[half - 1][1]
            # Nothing to fill from the position it holds: no batch at all.
            with view.batch_transaction(pipelined=False) as conn:
                assert view.fill_batch(conn, projection, events[:half], events[half - 1][1]) is None
        finally:
            view.datastore.close()


def test_a_view_that_does_not_fill_by_copy_says_so(log: Log) -> None:
    services, events = log
    spec = SPECS["directory"]
    with scratch_schema(services.database) as schema:
        view = spec.view_class(datastore_for(services.database, pool_size=1, schema=schema))
        try:
            view.filling = True
            assert not view.fills_by_copy
            with pytest.raises(NotImplementedError, match="directory does not fill by COPY"):
                view.fill_batch(None, spec.projection_class(view=view), events, 0)  # type: ignore[arg-type]
        finally:
            view.datastore.close()


class CarelessHistory(UnitHistoryView):
    """A view whose handler of later events sends a statement even while filling."""

    def later_event(self, tracking: Tracking, event: Any) -> None:
        self.apply(tracking, lambda: SQL("SELECT 1"), {})


def test_a_handler_that_sends_a_statement_while_filling_by_copy_fails_the_batch(
    log: Log,
) -> None:
    services, events = log
    with scratch_schema(services.database) as schema:
        view = CarelessHistory(datastore_for(services.database, pool_size=1, schema=schema))
        try:
            view.create_table()
            view.filling = True
            with (
                pytest.raises(
                    RuntimeError, match=r"unit_history sent \d+ statements while filling"
                ),
                view.batch_transaction(pipelined=False) as conn,
            ):
                view.fill_batch(conn, UnitHistory(view=view), events, 0)
            assert view.max_tracking_id(APPLICATION_NAME) is None
        finally:
            view.datastore.close()
