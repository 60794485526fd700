"""The scorecard's and the board's rules (issue 15 items 4 and 6, docs/scorecards.md): a finding
is on time when the unit reported by the FIRST deadline it was given — an extension does not
move that line, and a slow verifier does not make the unit late — a unit's year counts its
extensions, its reports sent back (审核退回) and its reopenings; and a rectifying finding turns
黄 when its progress lags the time elapsed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from api.console.queries import deadline_board
from api.runtime.bootstrap import Services
from domain import clock
from domain.actors import Actor
from domain.registry import (
    DecideRuling,
    DissolveUnit,
    EvaluateWorkItem,
    ExtendDeadline,
    Listing,
    OrderRectification,
    ProposeAccountability,
    ReopenFinding,
    ReportFindingProgress,
    ReportRectification,
    SplitUnit,
    VerifyRectification,
)
from domain.vocabulary import Role
from projections.finding_board import FindingFilter, deadline_colour, due_by_of
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding

START = date(2026, 4, 1)
FIRST_DEADLINE = START + timedelta(days=10)


class Course:
    """Steps of findings of one unit on days counted from START (the clock is set to each)."""

    def __init__(self, services: Services, code: str) -> None:
        self.services, self.code = services, code
        services.app.register_unit(code=code, name="双彩乡", kind="township", actor=ADMIN)

    def on(self, day: int, message: Any) -> None:
        moment = datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC)
        with clock.use(clock.SettableClock(moment + timedelta(hours=4))):
            self.services.app.handle(message, actor=INSPECTOR)

    def ordered(self) -> UUID:
        fid = raise_finding(self.services, self.code, "危房改造", found_on=START)
        self.on(0, OrderRectification(fid, FIRST_DEADLINE, "限期整改"))
        return fid

    def card(self) -> dict[str, Any]:
        catch_up(self.services.app, self.services.datastore, PROJECTIONS)
        today = START + timedelta(days=60)
        (card,) = self.services.scorecards.for_units(START.year, today, {self.code: ()})
        return card


@pytest.fixture
def course(services: Services) -> Course:
    """A course of findings of a new township."""
    return Course(services, "scx")


def report(fid: UUID) -> ReportRectification:
    return ReportRectification(fid, "已整改")


def accept(fid: UUID) -> VerifyRectification:
    return VerifyRectification(fid, "accepted", "验收通过")


def test_a_unit_that_reported_in_time_is_on_time_however_late_the_verification(
    course: Course,
) -> None:
    fid = course.ordered()
    course.on(9, report(fid))
    course.on(30, accept(fid))  # three weeks after the deadline: the verifier was slow
    card = course.card()
    assert card["findings_closed"] == 1 and card["on_time_rate"] == 1.0


def test_an_extension_does_not_move_the_line_and_is_counted(course: Course) -> None:
    fid = course.ordered()
    course.on(5, ExtendDeadline(fid, FIRST_DEADLINE + timedelta(days=20), "汛期"))
    course.on(15, report(fid))  # within the extension, after the first deadline
    course.on(16, accept(fid))
    card = course.card()
    assert card["on_time_rate"] == 0.0
    assert (card["extensions"], card["returns"], card["reopenings"]) == (1, 0, 0)


def test_returns_and_reopenings_are_counted_and_the_accepted_report_decides(
    course: Course,
) -> None:
    fid = course.ordered()
    course.on(3, report(fid))
    course.on(4, VerifyRectification(fid, "rejected", "资料不全"))
    course.on(8, report(fid))  # the report accepted came before the first deadline
    course.on(12, accept(fid))
    course.on(20, ReopenFinding(fid, "回头看发现反弹", START + timedelta(days=40)))
    course.on(25, report(fid))
    course.on(26, accept(fid))  # after the first deadline: late now
    card = course.card()
    assert (card["extensions"], card["returns"], card["reopenings"]) == (0, 1, 1)
    assert card["on_time_rate"] == 0.0
    other = Course(course.services, "hlx2")
    assert (other.card()["extensions"], other.card()["returns"]) == (0, 0)


def test_the_board_and_the_finding_turn_yellow_when_progress_lags_the_time(
    services: Services,
) -> None:
    course = Course(services, "colour")
    fid = raise_finding(services, "colour", "农村饮水工程", found_on=START)
    course.on(0, OrderRectification(fid, START + timedelta(days=40), "限期整改"))

    def colours(day: int) -> tuple[str | None, str | None]:
        catch_up(services.app, services.datastore, PROJECTIONS)
        today = START + timedelta(days=day)
        (row,) = services.board.list(FindingFilter(("colour",)), today, 10, None).items
        f = services.app.get_finding(fid)
        own = deadline_colour(f.status.value, f.deadline, today, f.ordered_on, f.progress_percent)
        warned = [w["id"] for w in deadline_board(services.board, today, ("colour",))]
        assert (warned == [fid]) is (own == "yellow"), "the dashboard warns of what is 黄"
        return row["deadline_colour"], own

    assert colours(5) == (None, None)
    assert colours(12) == ("yellow", "yellow")  # 30 % of the time gone, nothing reported
    course.on(12, ReportFindingProgress(fid, "已完成方案设计", 25, []))
    assert colours(12) == (None, None)
    assert colours(24) == ("yellow", "yellow")  # 60 % gone, 25 % done
    course.on(25, ReportFindingProgress(fid, "管网铺设过半", 55, []))
    assert colours(25) == (None, None)


def test_a_deadline_on_a_holiday_is_overdue_only_after_the_working_day_it_runs_to(
    services: Services,
) -> None:
    services.app.register_unit(code="hol", name="东茗乡", kind="township", actor=ADMIN)
    found = date(2026, 2, 10)
    fid = raise_finding(services, "hol", "春节期间值班值守", found_on=found)
    moment = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
    with clock.use(clock.SettableClock(moment)):
        services.app.handle(OrderRectification(fid, date(2026, 2, 17), "落实值守"), actor=INSPECTOR)
    catch_up(services.app, services.datastore, PROJECTIONS)

    def overdue_on(day: date) -> tuple[bool, bool, int, str | None]:
        (row,) = services.board.list(FindingFilter(("hol",)), day, 10, None).items
        late = services.board.list(FindingFilter(("hol",), overdue=True), day, 10, None).items
        (card,) = services.scorecards.for_units(2026, day, {"hol": ()})
        return row["overdue"], bool(late), card["findings_overdue"], row["deadline_colour"]

    assert overdue_on(date(2026, 2, 20)) == (False, False, 0, "yellow")  # in the holiday
    assert overdue_on(date(2026, 2, 24)) == (False, False, 0, "yellow")  # the day it runs to
    assert overdue_on(date(2026, 2, 25)) == (True, True, 1, "red")
    due_by = due_by_of(date(2026, 2, 17))
    assert services.app.get_finding(fid).is_overdue(date(2026, 2, 24), due_by) is False


def test_a_work_item_whose_lead_passes_on_in_a_split_counts_for_its_new_lead(
    services: Services,
) -> None:
    """分设: the open item the split unit led is one of its successor's, evaluated as such,
    and no longer one of the split unit's (its co-unit keeps it)."""
    app = services.app
    for code, name in (("jsj", "建设局"), ("zjj", "住建局"), ("gtj", "国土局"), ("cgj", "城管局")):
        app.register_unit(code=code, name=name, kind="department", actor=ADMIN)
    listing = Listing(title="老旧小区改造", year=2024, lead_unit="jsj", co_units=("cgj",),
                      due_on=date(2024, 12, 31))  # fmt: skip
    item = app.list_work_item(listing, actor=INSPECTOR).id
    split = SplitUnit("jsj", into=["zjj", "gtj"], reason="机构改革", effective_on=date(2024, 1, 1))
    app.handle(split, actor=ADMIN)
    app.handle(EvaluateWorkItem(item, 90, "excellent", "完成"), actor=INSPECTOR)
    catch_up(app, services.datastore, PROJECTIONS)
    codes = ("jsj", "zjj", "cgj")
    found = services.scorecards.for_units(2024, date(2024, 12, 31), dict.fromkeys(codes, ()))
    cards = dict(zip(codes, found, strict=True))
    assert cards["jsj"]["work_items"] == 0 and cards["jsj"]["mean_work_item_score"] is None
    assert cards["zjj"]["work_items"] == 1 and cards["zjj"]["mean_work_item_score"] == 90
    assert cards["cgj"]["work_items"] == 1 and cards["cgj"]["mean_work_item_score"] is None


def test_a_unit_ended_before_a_year_is_listed_in_it_for_any_record_of_it_it_still_holds(
    services: Services,
) -> None:
    """撤销 or 分设 dated before 2025: the unit stands in 2025's figures for a finding of the
    year, a step of one it handed on in the split, a ruling decided then, or an item of the
    year it is listed with (each its own, counted nowhere else); not when all it holds is of
    earlier years."""
    app = services.app
    units = ("fnd", "stp", "rul", "itm", "nil", "qtj", "xj1", "xj2")
    for code in units:
        app.register_unit(code=code, name=f"单位{code}", kind="department", actor=ADMIN)
    ended = date(2024, 6, 1)
    raise_finding(services, "fnd", found_on=date(2025, 3, 1))
    raise_finding(services, "nil", found_on=date(2024, 3, 1))
    handed_on = raise_finding(services, "stp", found_on=date(2025, 3, 1))
    app.handle(OrderRectification(handed_on, date(2025, 4, 1), "限期整改"), actor=INSPECTOR)
    app.handle(ExtendDeadline(handed_on, date(2025, 5, 1), "汛期"), actor=INSPECTOR)
    proposal = ProposeAccountability({"unit_code": "rul"}, "interview", "《问责条例》", "失职")
    ruling = app.handle(proposal, actor=INSPECTOR).id
    listing = Listing(title="河道整治", year=2025, lead_unit="qtj", co_units=("itm",),
                      due_on=date(2025, 12, 31))  # fmt: skip
    app.list_work_item(listing, actor=INSPECTOR)
    for code in ("fnd", "rul", "itm", "nil"):
        app.handle(DissolveUnit(code, "机构改革", ended), actor=ADMIN)
    app.handle(SplitUnit("stp", into=["xj1", "xj2"], reason="机构改革", effective_on=ended),
               actor=ADMIN)  # fmt: skip
    authority = Actor(id="w-1", name="县纪委监委", role=Role.AUTHORITY)
    decision = DecideRuling(ruling, "经集体研究", date(2025, 2, 1), form="interview")
    app.handle(decision, actor=authority)
    catch_up(app, services.datastore, PROJECTIONS)

    groups = services.scorecards.lineages(2025)
    assert {"fnd", "stp", "rul", "itm", "qtj", "xj1"} <= set(groups) and "nil" not in groups
    assert {"fnd", "stp", "rul", "itm", "nil"} <= set(services.scorecards.lineages(2024))
    cards = {c["code"]: c for c in services.scorecards.for_units(2025, START, groups)}
    assert cards["fnd"]["findings_raised"] == 1
    assert (cards["stp"]["findings_raised"], cards["stp"]["extensions"]) == (0, 1)
    assert (cards["xj1"]["findings_raised"], cards["xj1"]["extensions"]) == (1, 0)
    assert cards["rul"]["accountability_by_form"] == {"interview": 1}
    assert cards["itm"]["work_items"] == 1 and cards["qtj"]["work_items"] == 1
