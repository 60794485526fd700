"""The finding board: exactly once, restarted after a crash mid-transaction, idempotent."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from typing import Any, ClassVar
from unittest import mock

import pytest
from eventsourcing.persistence import Tracking
from psycopg.sql import SQL

from api.runtime.bootstrap import Services
from domain.findings import Finding
from infra.listener import Listener
from projections import runner as runner_module
from projections.base import TrackingMoved
from projections.finding_board import FindingBoard, FindingBoardView, FindingFilter
from projections.registry import ProjectionSpec
from projections.runner import ProjectionHost, Run
from tests.counters import kept_and_counted
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding


class CrashingBoardView(FindingBoardView):
    """Dies once at each chosen position: after its batch's statements have written the
    rows and the tracking record, before the transaction commits."""

    crash_at: ClassVar[set[int]] = set()

    def apply_batch(self, conn: Any, projection: Any, events: Any, *, tracked: Any = None) -> int:
        applied = super().apply_batch(conn, projection, events, tracked=tracked)
        conn.execute("SELECT 1").fetchone()  # what was sent has run, in the transaction
        for _, position in events:
            if position in self.crash_at:
                self.crash_at.discard(position)
                raise RuntimeError(f"simulated crash at position {position}")
        return applied


def make_findings(services: Services, count: int) -> list[Any]:
    services.app.register_unit(code="nmjd", name="南明街道", kind="subdistrict", actor=ADMIN)
    ids = []
    for n in range(count):
        fid = raise_finding(services, "nmjd", f"问题{n}")
        if n % 2:
            services.app.order_rectification(
                fid, deadline=date(2024, 2, 1), requirements="r", actor=INSPECTOR
            )
        ids.append(fid)
    return ids


def events_after(services: Services, position: int) -> list[tuple[Any, int]]:
    """The log's events after `position`, decoded, with their positions."""
    notifications = services.app.recorder.select_notifications(
        start=position, limit=1000, inclusive_of_start=False
    )
    return [(services.app.mapper.to_domain_event(n), n.id) for n in notifications]


def board_rows(services: Services) -> dict[Any, tuple[str, int, Any]]:
    page = services.board.list(FindingFilter(), date(2024, 6, 1), 500, None)
    return {item["id"]: (item["status"], item["version"], item["deadline"]) for item in page.items}


def expected_rows(services: Services, ids: list[Any]) -> dict[Any, tuple[str, int, Any]]:
    rows = {}
    for fid in ids:
        finding = services.app.repository.get(fid)
        assert isinstance(finding, Finding)
        rows[fid] = (finding.status.value, finding.version, finding.deadline)
    return rows


def wait_until_caught_up(services: Services, timeout: float = 20.0) -> None:
    services.board.wait_for(services.head(), timeout)


class Host:
    """A process's projection host over the test's services, with a listener of its own
    (as another process would have): started, and stopped with its listener."""

    def __init__(self, services: Services, spec: ProjectionSpec) -> None:
        self.listener = Listener(services.database)
        self.host = ProjectionHost([spec], services.app, self.listener, services.datastore)
        self.status = self.host.runs[spec.name].status

    def start(self) -> None:
        self.host.start()

    def stop(self) -> None:
        self.host.stop()
        self.listener.close()


def test_board_stays_exact_after_a_crash_in_the_middle_of_a_projection_transaction(
    services: Services,
) -> None:
    ids = make_findings(services, 10)
    CrashingBoardView.crash_at = {3, 8}
    spec = ProjectionSpec("finding_board", FindingBoard, CrashingBoardView)
    runner = Host(services, spec)
    runner.start()
    try:
        wait_until_caught_up(services)
    finally:
        runner.stop()
    assert runner.status.restarts >= 2 and CrashingBoardView.crash_at == set()
    assert board_rows(services) == expected_rows(services, ids)


def test_a_second_delivery_of_an_event_changes_nothing(services: Services) -> None:
    ids = make_findings(services, 3)
    projection = FindingBoard(view=services.board)
    notifications = services.app.recorder.select_notifications(start=1, limit=100)
    for notification in notifications:
        event = services.app.mapper.to_domain_event(notification)
        projection.process_event(event, Tracking("Supervision", notification.id))
    before = board_rows(services)
    for notification in notifications:  # everything again, as after a lost acknowledgement
        event = services.app.mapper.to_domain_event(notification)
        projection.process_event(event, Tracking("Supervision", notification.id))
    assert board_rows(services) == before == expected_rows(services, ids)


def test_a_second_delivery_of_a_batch_changes_nothing(services: Services) -> None:
    ids = make_findings(services, 3)
    projection = FindingBoard(view=services.board)
    events = events_after(services, 0)
    applied = []
    for _ in range(2):  # the whole batch again, as after a lost acknowledgement
        with services.board.datastore.get_connection() as conn, conn.transaction():
            applied.append(services.board.apply_batch(conn, projection, events))
    assert applied == [len(events), 0]
    assert board_rows(services) == expected_rows(services, ids)
    assert services.board.max_tracking_id("Supervision") == events[-1][1]
    # A batch reaching past the tracked position applies only what is new.
    later = raise_finding(services, "nmjd", "问题 new")
    with services.board.datastore.get_connection() as conn, conn.transaction():
        again = events_after(services, 0)
        assert services.board.apply_batch(conn, projection, again) == len(again) - len(events)
    assert board_rows(services) == expected_rows(services, [*ids, later])


def test_a_batch_from_a_position_another_writer_moved_is_refused_and_changes_nothing(
    services: Services,
) -> None:
    """As when a runner's lock went with its connection and a second runner took over: the
    first runner's batch, begun from the old position, commits nothing."""
    ids = make_findings(services, 4)
    events = events_after(services, 0)
    half = len(events) // 2
    board = services.board
    with board.datastore.get_connection() as first, first.transaction():
        board.apply_batch(first, FindingBoard(view=board), events[:half])
        outcome: list[BaseException | int] = []

        def second_writer() -> None:  # starts from the position it reads: still 0
            try:
                with board.datastore.get_connection() as conn, conn.transaction():
                    outcome.append(board.apply_batch(conn, FindingBoard(view=board), events))
            except BaseException as error:  # the assertion below names it
                outcome.append(error)

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)  # its statements wait for the first writer's rows
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], TrackingMoved), outcome
    assert board.max_tracking_id("Supervision") == events[half - 1][1]
    # Nothing of the refused batch stayed: the rest applies once, and the board is exact.
    with board.datastore.get_connection() as conn, conn.transaction():
        assert board.apply_batch(conn, FindingBoard(view=board), events) == len(events) - half
    assert board_rows(services) == expected_rows(services, ids)
    kept, counted = kept_and_counted(board)
    assert kept == counted and kept


def test_a_runner_whose_tracking_was_moved_goes_on_from_there(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """As after a rebuild switched its tables in: the runner's batch from the position it
    knew rolls back, and it applies the batch again from the one recorded now."""
    ids = make_findings(services, 4)
    events = events_after(services, 0)
    run = Run(ProjectionSpec("finding_board", FindingBoard, FindingBoardView), services.datastore)
    run.resume()
    half = len(events) // 2
    with services.board.datastore.get_connection() as conn, conn.transaction():
        services.board.apply_batch(conn, FindingBoard(view=services.board), events[:half])
    assert run.tracked == 0  # it still knows the position from before
    with caplog.at_level(logging.INFO, logger="projections.runner"):
        run.apply(events)
    assert "projection tracking moved by another writer" in caplog.text
    assert run.tracked == events[-1][1] == services.board.max_tracking_id("Supervision")
    assert board_rows(services) == expected_rows(services, ids)
    kept, counted = kept_and_counted(services.board)
    assert kept == counted and kept


def test_a_runner_catching_up_writes_its_long_batches_by_copy_and_its_short_ones_by_statements(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """After downtime a runner meets a long batch: it writes it by COPY, as a rebuild fills
    its copy, and the board is as its statements would leave it, counts (one falling to
    zero) and search included; a short batch after it goes by statements."""
    ids = make_findings(services, 6)  # three raised, three ordered to rectify
    run = Run(ProjectionSpec("finding_board", FindingBoard, FindingBoardView), services.datastore)
    run.resume()
    run.apply(events_after(services, 0))
    for fid in ids[::2]:  # none is left raised: that count falls to zero
        services.app.order_rectification(
            fid, deadline=date(2024, 3, 1), requirements="r", actor=INSPECTOR
        )
    long = events_after(services, run.tracked)
    with (
        mock.patch.object(FindingBoardView, "copies_from", len(long)),
        caplog.at_level(logging.DEBUG, logger="projections.base"),
    ):
        caplog.clear()
        run.apply(long)
        assert batches_logged(caplog) == ["batch sent", "batch filled"]
        caplog.clear()
        services.app.extend_deadline(
            ids[0], new_deadline=date(2024, 4, 1), reason="汛期", actor=INSPECTOR
        )
        run.apply(events_after(services, run.tracked))
        assert batches_logged(caplog) == ["batch sent"]
    assert run.tracked == services.head() == services.board.max_tracking_id("Supervision")
    assert board_rows(services) == expected_rows(services, ids)
    kept, counted = kept_and_counted(services.board)
    assert kept == counted and {row[2] for row in kept} == {"rectifying"}
    searched = services.board.list(FindingFilter(q="问题3"), date(2024, 6, 1), 10, None)
    assert [item["id"] for item in searched.items] == [ids[3]]


def batches_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the views logged of their batches."""
    return [r.getMessage() for r in caplog.records if r.name == "projections.base"]


def test_a_runner_behind_the_log_selects_longer_batches_until_it_has_caught_up(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """A host started after downtime finds a backlog: after a full selection it selects
    catch-up batches, and once the log runs short, short ones again. It logs the catch-up:
    where it starts, where it stands now and then, and its end."""
    ids = make_findings(services, 12)
    recorder = services.app.recorder
    with (
        mock.patch.object(runner_module, "BATCH", 3),
        mock.patch.object(runner_module, "CATCH_UP_BATCH", 7),
        mock.patch.object(runner_module.CatchingUp, "PROGRESS_SECONDS", 0.0),
        mock.patch.object(
            recorder, "select_notifications", wraps=recorder.select_notifications
        ) as selected,
        caplog.at_level(logging.INFO, logger="projections.runner"),
    ):
        host = Host(services, ProjectionSpec("finding_board", FindingBoard, FindingBoardView))
        host.start()
        try:
            wait_until_caught_up(services)
        finally:
            host.stop()
    limits = [c.kwargs["limit"] for c in selected.call_args_list]
    # 3, full; then 7 at a time over the rest of the backlog; 3 again once one ran short.
    short_again = limits.index(3, 1)
    assert limits[0] == 3 and short_again > 1
    assert set(limits[1:short_again]) == {7} and set(limits[short_again:]) == {3}
    assert board_rows(services) == expected_rows(services, ids)
    logged = [r for r in caplog.records if r.name == "projections.runner"]
    catching = [r for r in logged if r.getMessage() == "projections catching up"]
    # Each full selection logs where it stands (every time, with no interval between); the
    # last catch-up selection was not full.
    assert len(catching) == short_again - 1 > 1
    assert [r.__dict__["position"] for r in catching] == sorted(
        r.__dict__["position"] for r in catching
    )
    assert {r.__dict__["head"] for r in catching} == {services.head()}
    (done,) = [r for r in logged if r.getMessage() == "projections caught up"]
    assert done.__dict__["from_position"] == 0 < catching[0].__dict__["position"]
    assert done.__dict__["position"] == services.head() and done.__dict__["seconds"] >= 0


def test_only_one_runner_per_projection_is_active(services: Services) -> None:
    spec = ProjectionSpec("finding_board", FindingBoard, FindingBoardView)
    first, second = Host(services, spec), Host(services, spec)
    first.start()
    try:
        deadline = time.monotonic() + 10
        while first.status.state != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        second.start()
        deadline = time.monotonic() + 10
        while second.status.state == "starting" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (first.status.state, second.status.state) == ("running", "standby")
        ids = make_findings(services, 2)
        wait_until_caught_up(services)
        assert board_rows(services) == expected_rows(services, ids)
    finally:
        first.stop()
        second.stop()


def test_a_runner_whose_connections_are_cut_is_restarted_and_catches_up(
    services: Services,
) -> None:
    spec = ProjectionSpec("finding_board", FindingBoard, FindingBoardView)
    runner = Host(services, spec)
    runner.start()
    try:
        first = make_findings(services, 2)
        wait_until_caught_up(services)
        with services.database.connect(autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        later = []
        for n in range(3):
            later.append(raise_finding(services, "nmjd", f"断线后{n}"))
        wait_until_caught_up(services)
        assert runner.status.restarts >= 1
        assert board_rows(services) == expected_rows(services, first + later)
    finally:
        runner.stop()


def test_a_read_models_position_skips_what_it_does_not_use_and_still_sees_its_next_event(
    services: Services,
) -> None:
    """position() remembers how far past its tracked position the log holds nothing the
    read model uses; events it uses that arrive later are still found."""
    board = services.board
    projection = FindingBoard(view=board)
    services.app.register_unit(code="xz31", name="东岭镇", kind="township", actor=ADMIN)
    assert board.position() == services.head(), "nothing it uses: it is at the head"
    for n in range(3):  # events the board does not use move its position with the head
        services.app.register_unit(code=f"xz4{n}", name=f"单位{n}", kind="agency", actor=ADMIN)
        assert board.position() == services.head()
    first = services.head() + 1
    raise_finding(services, "xz31")  # one it uses, not processed yet
    services.app.register_unit(code="xz50", name="西岭镇", kind="township", actor=ADMIN)
    assert board.position() == first - 1, "stops before the event it has not processed"
    assert board.position() == first - 1, "and again, from what it remembered"
    (notification,) = services.app.recorder.select_notifications(start=first, limit=1)
    projection.process_event(
        services.app.mapper.to_domain_event(notification), Tracking("Supervision", first)
    )
    assert board.position() == services.head(), "processed: at the head again"


def test_a_finding_count_that_falls_to_zero_is_deleted_as_a_rebuild_never_keeps_one(
    services: Services,
) -> None:
    """A rebuild counts its filled board once (FindingBoardView.finish_filling), which makes
    no row for a count of zero; the board kept event by event deletes a count it takes to
    zero, so both keep the same rows. A finding raised and then ordered leaves the count of
    raised findings at zero."""
    services.app.register_unit(code="ldjd", name="龙洞街道", kind="subdistrict", actor=ADMIN)
    fid = raise_finding(services, "ldjd")
    services.app.order_rectification(
        fid, deadline=date(2024, 2, 1), requirements="r", actor=INSPECTOR
    )
    events = events_after(services, 0)
    board = services.board
    with board.datastore.get_connection() as conn, conn.transaction():
        board.apply_batch(conn, FindingBoard(view=board), events[:-1])
    assert tallies(board, "ldjd") == [("raised", 1)]
    with board.datastore.get_connection() as conn, conn.transaction():
        board.apply_batch(conn, FindingBoard(view=board), events)
    assert tallies(board, "ldjd") == [("rectifying", 1)]
    kept, counted = kept_and_counted(board)
    assert kept == counted and kept


def tallies(board: FindingBoardView, unit_code: str) -> list[tuple[str, int]]:
    """A unit's kept counts of findings, by status."""
    rows = board.fetch_all(
        SQL("SELECT status, n FROM {} WHERE unit_code = %s ORDER BY status").format(
            board.table("finding_tallies")
        ),
        (unit_code,),
    )
    return [(str(r["status"]), int(r["n"])) for r in rows]
