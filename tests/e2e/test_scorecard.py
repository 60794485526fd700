"""Unit scorecards (单位考评): findings, on-time rate, rulings and work items per unit and year."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.helpers import (
    FUTURE,
    assert_error,
    command,
    ok,
    order,
    report,
    verify,
)
from tests.support import ADMIN, Api, account_fixture

STATS = "/api/v1/stats/units"
UNITS = "/api/v1/units"
RULINGS = "/api/v1/rulings"
WORK_ITEMS = "/api/v1/work-items"

YEAR = 2025
FOUND_ON = "2025-03-05"
PAST_DEADLINE = "2025-04-01"  # after FOUND_ON, long before today: overdue, or closed late


Ruling = Callable[..., tuple[str, int]]  # (unit, kind, decision, decided_on) → id, position

inspector = account_fixture("inspector", "督查员 孙丽")
authority = account_fixture("authority", "县纪委监委")


# -- steps ---------------------------------------------------------------------------------------


def raised(api: Api, inspector: dict[str, str], unit: str, found_on: str = FOUND_ON) -> str:
    fid: str = api.finding(inspector, unit, found_on=found_on)["id"]
    return fid


def closed(api: Api, inspector: dict[str, str], unit: str, deadline: str) -> int:
    """A finding ordered with `deadline`, reported and accepted today; answers the position."""
    fid = raised(api, inspector, unit)
    order(api, inspector, fid, deadline)
    report(api, inspector, fid)
    position: int = verify(api, inspector, fid)["position"]
    return position


@pytest.fixture
def ruling(api: Api, inspector: dict[str, str], authority: dict[str, str]) -> Ruling:
    """Makes rulings opened by the inspector and decided by the authority."""

    def make(
        unit: str, kind: str, decision: str | None, decided_on: str = "2025-04-10"
    ) -> tuple[str, int]:
        """A ruling of `kind` on `unit`, decided with the form or outcome `decision` (or left
        undecided when None); answers its id and the last position."""
        if kind == "accountability":
            subject = {"unit_code": unit, "person": {"name": "王建华", "position": "科长"}}
            basis = "《中国共产党问责条例》第七条"
            answer = api.accountability(
                inspector, unit, [], subject=subject, basis=basis, facts="重点工作推进不力。"
            )
            decide: dict[str, Any] = {"form": decision, "reasoning": "经集体研究决定"}
        else:
            # claimed with tests.support.RULING_BODIES grounds and pilot_inexperience
            answer = api.ruling("fault-tolerance", inspector, unit, [])
            met = [] if decision == "denied" else ["pilot_inexperience"]
            decide = {"outcome": decision, "criteria_met": met, "reasoning": "经研究认定"}
        rid: str = answer["id"]
        if decision is None:
            return rid, int(answer["position"])
        done = api.decided(authority, rid, {**decide, "decided_on": decided_on})
        return rid, int(done["position"])

    return make


def work_item(
    api: Api,
    inspector: dict[str, str],
    lead: str,
    *co: str,
    year: int = YEAR,
    score: int | None = None,
) -> int:
    """A work item of `year`, evaluated with `score` when given; answers the last position."""
    body = {
        "title": "推进县城污水管网改造",
        "year": year,
        "lead_unit": lead,
        "co_units": list(co),
        "due_on": f"{year}-12-31",
    }
    answer = ok(api.post(WORK_ITEMS, body, inspector), 201)
    if score is None:
        return int(answer["position"])
    evaluation = {"score": score, "grade": "good", "comment": "按期推进"}
    done = ok(api.post(f"{WORK_ITEMS}/{answer['id']}/evaluation", evaluation, inspector))
    return int(done["position"])


def merge(api: Api, code: str, into: str, effective_on: str = f"{YEAR}-02-01") -> int:
    body = {"into": into, "reason": "机构改革职能整合", "effective_on": effective_on}
    position: int = ok(api.post(f"{UNITS}/{code}/merger", body, ADMIN))["position"]
    return position


def scorecard(
    api: Api, who: dict[str, str], code: str, position: int, year: int = YEAR
) -> dict[str, Any]:
    return ok(api.get(f"{UNITS}/{code}/scorecard", who, year=year, min_position=position))


def stats_rows(
    api: Api, who: dict[str, str], position: int, year: int = YEAR
) -> dict[str, dict[str, Any]]:
    """The rows of /stats/units by unit code (checking the answer's shape and order)."""
    answer = ok(api.get(STATS, who, year=year, min_position=position))
    assert answer["year"] == year and answer["next_cursor"] is None, "every unit by default"
    codes = [row["code"] for row in answer["items"]]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    return {row["code"]: row for row in answer["items"]}


EMPTY: dict[str, Any] = {
    "findings_raised": 0,
    "findings_closed": 0,
    "findings_open": 0,
    "findings_overdue": 0,
    "findings_withdrawn": 0,
    "on_time_rate": None,
    "accountability_by_form": {},
    "tolerance_by_outcome": {},
    "work_items": 0,
    "mean_work_item_score": None,
}


def counts(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in EMPTY}


# -- findings ------------------------------------------------------------------------------------


def test_scorecard_counts_the_findings_of_the_year_by_state(
    api: Api, inspector: dict[str, str]
) -> None:
    unit = api.unit("县住房和城乡建设局", "department")
    raised(api, inspector, unit)  # raised
    rectifying = raised(api, inspector, unit)
    order(api, inspector, rectifying, FUTURE)
    overdue = raised(api, inspector, unit)
    order(api, inspector, overdue, PAST_DEADLINE)
    reported = raised(api, inspector, unit)
    order(api, inspector, reported, PAST_DEADLINE)  # reported: not overdue any more
    report(api, inspector, reported)
    closed(api, inspector, unit, FUTURE)  # accepted today, before its deadline: on time
    closed(api, inspector, unit, PAST_DEADLINE)  # accepted today, after its deadline: late
    withdrawn = raised(api, inspector, unit)
    body = {"reason": "重复立项"}
    ok(command(api, withdrawn, "withdrawal", body, inspector))
    position = api.finding(inspector, unit, found_on="2024-06-01")["position"]  # another year

    card = scorecard(api, ADMIN, unit, position)
    assert card["code"] == unit and card["name"] == "县住房和城乡建设局" and card["year"] == YEAR
    assert counts(card) == {
        **EMPTY,
        "findings_raised": 7,
        "findings_closed": 2,
        "findings_open": 4,
        "findings_overdue": 1,
        "findings_withdrawn": 1,
        "on_time_rate": 0.5,
    }
    assert counts(scorecard(api, ADMIN, unit, position, 2024)) == {
        **EMPTY,
        "findings_raised": 1,
        "findings_open": 1,
    }
    assert counts(scorecard(api, ADMIN, unit, position, 2023)) == EMPTY
    row = stats_rows(api, ADMIN, position)[unit]
    assert row == card


def test_on_time_rate_is_null_without_closed_findings(api: Api, inspector: dict[str, str]) -> None:
    unit = api.unit("县统计局", "department")
    fid = raised(api, inspector, unit)
    position = order(api, inspector, fid, FUTURE)["position"]
    card = scorecard(api, ADMIN, unit, position)
    assert card["findings_open"] == 1 and card["on_time_rate"] is None


def test_all_findings_closed_on_time_give_a_rate_of_one(
    api: Api, inspector: dict[str, str]
) -> None:
    unit = api.unit("县档案馆", "agency")
    closed(api, inspector, unit, FUTURE)
    position = closed(api, inspector, unit, FUTURE)
    assert scorecard(api, ADMIN, unit, position)["on_time_rate"] == 1.0


# -- rulings -------------------------------------------------------------------------------------


def test_rulings_count_by_form_and_outcome_in_the_year_of_their_decision(
    api: Api, inspector: dict[str, str], authority: dict[str, str], ruling: Ruling
) -> None:
    unit = api.unit("县交通运输局", "department")
    ruling(unit, "accountability", "admonishment")
    ruling(unit, "accountability", "circulated_criticism", "2025-12-31")
    ruling(unit, "accountability", "admonishment", "2025-01-01")
    ruling(unit, "accountability", "admonishment", "2024-12-31")
    ruling(unit, "accountability", None)  # proposed: not counted
    revoked, _ = ruling(unit, "accountability", "written_inspection")
    ok(api.post(f"{RULINGS}/{revoked}/appeal", {"grounds": "事实不清"}, inspector))
    body = {"result": "revoked", "reasoning": "经复核撤销"}
    ok(api.post(f"{RULINGS}/{revoked}/appeal-decision", body, authority))
    appealed, _ = ruling(unit, "accountability", "organisational_adjustment")
    ok(api.post(f"{RULINGS}/{appealed}/appeal", {"grounds": "处理过重"}, inspector))
    ruling(unit, "fault_tolerance", "exempted")
    ruling(unit, "fault_tolerance", "denied", "2025-06-30")
    ruling(unit, "fault_tolerance", "mitigated", "2026-01-01")
    _, position = ruling(unit, "fault_tolerance", None)

    card = scorecard(api, ADMIN, unit, position)
    assert card["accountability_by_form"] == {
        "admonishment": 2,
        "circulated_criticism": 1,
        "organisational_adjustment": 1,
    }
    assert card["tolerance_by_outcome"] == {"exempted": 1, "denied": 1}
    assert card["findings_raised"] == 0 and card["on_time_rate"] is None
    earlier = scorecard(api, ADMIN, unit, position, 2024)
    assert earlier["accountability_by_form"] == {"admonishment": 1}
    assert earlier["tolerance_by_outcome"] == {}
    later = scorecard(api, ADMIN, unit, position, 2026)
    assert later["accountability_by_form"] == {} and later["tolerance_by_outcome"] == {
        "mitigated": 1
    }


# -- work items ----------------------------------------------------------------------------------


def test_work_items_count_lead_and_co_owned_and_the_mean_score_those_led(
    api: Api, inspector: dict[str, str]
) -> None:
    unit = api.unit("县发展和改革局", "department")
    partner = api.unit("县财政局", "department")
    work_item(api, inspector, unit, score=80)
    work_item(api, inspector, unit, partner, score=91)
    work_item(api, inspector, partner, unit, score=50)  # co-owned: counted, not scored
    work_item(api, inspector, unit)  # not evaluated: counted, not scored
    position = work_item(api, inspector, unit, year=2024, score=10)

    card = scorecard(api, ADMIN, unit, position)
    assert card["work_items"] == 4 and card["mean_work_item_score"] == 85.5
    other = scorecard(api, ADMIN, partner, position)
    assert other["work_items"] == 2 and other["mean_work_item_score"] == 50.0
    earlier = scorecard(api, ADMIN, unit, position, 2024)
    assert earlier["work_items"] == 1 and earlier["mean_work_item_score"] == 10.0
    rows = stats_rows(api, ADMIN, position)
    assert rows[unit] == card and rows[partner] == other


def cancelled_item(api: Api, inspector: dict[str, str], lead: str, *co: str) -> int:
    """A work item of YEAR listed and then cancelled (取消); answers the last position."""
    body = {
        "title": "建设县域物流园区",
        "year": YEAR,
        "lead_unit": lead,
        "co_units": list(co),
        "due_on": f"{YEAR}-12-31",
    }
    item = ok(api.post(WORK_ITEMS, body, inspector), 201)
    reason = {"reason": "上级调整任务，不再列入年度清单"}
    return int(
        ok(api.post(f"{WORK_ITEMS}/{item['id']}/cancellation", reason, inspector))["position"]
    )


def test_a_cancelled_work_item_counts_for_no_unit(api: Api, inspector: dict[str, str]) -> None:
    unit = api.unit("县商务局", "department")
    partner = api.unit("县交通运输局", "department")
    work_item(api, inspector, unit, partner, score=88)
    position = cancelled_item(api, inspector, unit, partner)

    card = scorecard(api, ADMIN, unit, position)
    assert card["work_items"] == 1 and card["mean_work_item_score"] == 88.0
    other = scorecard(api, ADMIN, partner, position)
    assert other["work_items"] == 1 and other["mean_work_item_score"] is None
    rows = stats_rows(api, ADMIN, position)
    assert rows[unit] == card and rows[partner] == other


def test_a_cancelled_item_counts_for_no_successor_either(
    api: Api, inspector: dict[str, str]
) -> None:
    old = api.unit("县物价局", "department")
    successor = api.unit("县市场监督管理局", "department")
    work_item(api, inspector, old, successor, score=60)
    cancelled_item(api, inspector, old, successor)
    position = merge(api, old, successor)

    card = scorecard(api, ADMIN, successor, position)
    assert card["work_items"] == 1 and card["mean_work_item_score"] == 60.0
    assert stats_rows(api, ADMIN, position)[successor] == card


def test_the_scorecards_are_paged_when_a_limit_asks_for_it(
    api: Api, inspector: dict[str, str]
) -> None:
    """As every list: `limit` and `cursor`, `next_cursor` leading on until the last page."""
    api.unit("县档案馆", "agency")
    position = work_item(api, inspector, api.unit("县地方志办", "agency"))
    whole = list(stats_rows(api, ADMIN, position))
    paged: list[str] = []
    cursor = None
    while True:
        params = {"year": YEAR, "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = ok(api.get(STATS, ADMIN, **params))
        paged += [row["code"] for row in answer["items"]]
        assert len(answer["items"]) <= 2
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert paged == whole
    for bad in ("bm90IG91cnM", "azpbXQ"):  # not a cursor of ours; one of an empty key
        assert_error(api.get(STATS, ADMIN, year=YEAR, cursor=bad), 400, "invalid_cursor")
    assert_error(api.get(STATS, ADMIN, year=YEAR, limit=0), 422)


def test_a_unit_without_records_has_an_empty_scorecard(api: Api) -> None:
    unit = api.unit("县气象局", "agency")
    position = merge(api, api.unit("待并入单位"), unit)
    card = scorecard(api, ADMIN, unit, position)
    assert card["code"] == unit and counts(card) == EMPTY
    assert counts(stats_rows(api, ADMIN, position)[unit]) == EMPTY


# -- mergers -------------------------------------------------------------------------------------


def test_merged_units_count_in_their_successor_and_are_not_listed(
    api: Api, inspector: dict[str, str], ruling: Ruling
) -> None:
    old = api.unit("县林业局", "department")
    older = api.unit("县林场", "agency")
    successor = api.unit("县自然资源和规划局", "department")
    closed(api, inspector, old, FUTURE)
    raised(api, inspector, older)
    ruling(old, "accountability", "admonishment")
    work_item(api, inspector, old, score=70)
    work_item(api, inspector, successor, score=90)
    raised(api, inspector, successor)
    merge(api, older, old)
    position = merge(api, old, successor)

    card = scorecard(api, ADMIN, successor, position)
    assert counts(card) == {
        **EMPTY,
        "findings_raised": 3,
        "findings_closed": 1,
        "findings_open": 2,
        "on_time_rate": 1.0,
        "accountability_by_form": {"admonishment": 1},
        "work_items": 2,
        "mean_work_item_score": 80.0,
    }
    rows = stats_rows(api, ADMIN, position)
    assert rows[successor] == card
    assert old not in rows and older not in rows
    # A merged unit's own scorecard still answers, with its records and its predecessors'.
    own = scorecard(api, ADMIN, old, position)
    assert own["findings_raised"] == 2 and own["work_items"] == 1
    assert scorecard(api, ADMIN, older, position)["findings_raised"] == 1


# -- dissolutions and splits ---------------------------------------------------------------------


def test_a_unit_ended_before_its_records_keeps_a_row_for_them(
    api: Api, inspector: dict[str, str], ruling: Ruling
) -> None:
    """A dissolution or split (分设) dated before some of the unit's records (entered late,
    or of a later year) takes them from nobody: what it kept is counted in a row of its own
    in their year too (with the records of the units merged into it), what a split handed on
    in its successor's, every record once; in a later year it holds nothing of, no row."""
    gone = api.unit("县粮食局（撤销）", "department")
    merged = api.unit("县粮库（并入后撤销）", "agency")
    split = api.unit("县农林局（分设）", "department")
    farming, forestry = api.unit("县农业农村局", "department"), api.unit("县林业局", "department")
    raised(api, inspector, gone)
    raised(api, inspector, merged)
    ruling(gone, "accountability", "admonishment")
    work_item(api, inspector, gone, score=80)
    closed(api, inspector, split, FUTURE)
    handed_on = raised(api, inspector, split)
    merge(api, merged, gone, effective_on=f"{YEAR - 1}-01-01")
    dissolution = {"reason": "机构改革撤销建制", "effective_on": f"{YEAR - 1}-12-01"}
    ok(api.post(f"{UNITS}/{gone}/dissolution", dissolution, ADMIN))
    assignments = [{"record_id": handed_on, "unit_code": forestry}]
    body = {"into": [farming, forestry], "reason": "机构改革：职责分设",
            "effective_on": f"{YEAR - 1}-06-01", "assignments": assignments}  # fmt: skip
    position = ok(api.post(f"{UNITS}/{split}/split", body, ADMIN))["position"]

    rows = stats_rows(api, ADMIN, position)
    assert gone in rows and split in rows, "their records of the year were counted nowhere"
    assert counts(rows[gone]) == {
        **EMPTY,
        "findings_raised": 2,
        "findings_open": 2,
        "accountability_by_form": {"admonishment": 1},
        "work_items": 1,
        "mean_work_item_score": 80.0,
    }
    assert counts(rows[split]) == {
        **EMPTY, "findings_raised": 1, "findings_closed": 1, "on_time_rate": 1.0
    }  # fmt: skip
    assert counts(rows[forestry]) == {**EMPTY, "findings_raised": 1, "findings_open": 1}
    assert counts(rows[farming]) == EMPTY and merged not in rows
    assert {gone, split} <= set(stats_rows(api, ADMIN, position, year=YEAR - 1))
    assert not {gone, split, merged} & set(stats_rows(api, ADMIN, position, year=YEAR + 1))


# -- who reads what ------------------------------------------------------------------------------


def test_a_unit_account_sees_only_its_own_row(api: Api, inspector: dict[str, str]) -> None:
    unit = api.unit("县教育局", "department")
    other = api.unit("县卫生健康局", "department")
    raised(api, inspector, unit)
    fid = raised(api, inspector, other)
    position = order(api, inspector, fid, FUTURE)["position"]
    account = api.account("unit", unit)
    rows = stats_rows(api, account, position)
    assert list(rows) == [unit]
    assert rows[unit]["findings_raised"] == 1
    assert scorecard(api, account, unit, position)["findings_raised"] == 1
    assert_error(api.get(f"{UNITS}/{other}/scorecard", account, year=YEAR), 404, "not_found")
    # Other roles see every active unit.
    auditor = stats_rows(api, api.account("auditor"), position)
    assert {unit, other} <= set(auditor)


def test_a_unit_account_reads_the_units_merged_into_it(api: Api, inspector: dict[str, str]) -> None:
    old = api.unit("县粮食局", "department")
    successor = api.unit("县发展和改革局", "department")
    raised(api, inspector, old)
    old_account = api.account("unit", old)
    position = merge(api, old, successor)
    account = api.account("unit", successor)
    assert scorecard(api, account, old, position)["findings_raised"] == 1
    assert scorecard(api, account, successor, position)["findings_raised"] == 1
    assert list(stats_rows(api, account, position)) == [successor]
    # The merged unit's account does not read its successor.
    response = api.get(f"{UNITS}/{successor}/scorecard", old_account, year=YEAR)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("role", ["inspector", "authority", "supervisor", "auditor"])
def test_every_role_reads_a_scorecard(api: Api, role: str) -> None:
    unit = api.unit("县审计局", "department")
    who = api.account(role)
    ok(api.get(f"{UNITS}/{unit}/scorecard", who, year=YEAR))
    ok(api.get(STATS, who, year=YEAR))


def test_unknown_unit_is_not_found(api: Api) -> None:
    response = api.get(f"{UNITS}/no-such-unit-xyz/scorecard", ADMIN, year=YEAR)
    assert_error(response, 404, "not_found")


def test_scorecards_need_a_token(api: Api) -> None:
    unit = api.unit()
    assert_error(api.get(STATS, {}, year=YEAR), 401, "unauthorized")
    assert_error(api.get(f"{UNITS}/{unit}/scorecard", {}, year=YEAR), 401, "unauthorized")


@pytest.mark.parametrize("params", [{}, {"year": 1899}, {"year": 3000}, {"year": "abc"}])
def test_year_is_required_and_checked(api: Api, params: dict[str, Any]) -> None:
    unit = api.unit()
    assert_error(api.get(STATS, ADMIN, **params), 422)
    assert_error(api.get(f"{UNITS}/{unit}/scorecard", ADMIN, **params), 422)


def test_a_repeated_question_follows_every_new_record(api: Api, inspector: dict[str, str]) -> None:
    """Answers are kept while the read models stand still, never past a change."""
    unit = api.unit("县交通运输局", "department")
    first = api.finding(inspector, unit, found_on=FOUND_ON)["position"]
    assert counts(scorecard(api, ADMIN, unit, first))["findings_raised"] == 1
    assert counts(scorecard(api, ADMIN, unit, first))["findings_raised"] == 1  # asked again
    second = api.finding(inspector, unit, found_on=FOUND_ON)["position"]
    assert counts(scorecard(api, ADMIN, unit, second))["findings_raised"] == 2
    assert stats_rows(api, ADMIN, second)[unit]["findings_raised"] == 2
    order(api, inspector, raised(api, inspector, unit), PAST_DEADLINE)
    latest = api.finding(inspector, unit, found_on="2024-06-01")["position"]
    card = counts(scorecard(api, ADMIN, unit, latest))
    assert card["findings_raised"] == 3 and card["findings_overdue"] == 1


def test_an_item_two_merged_codes_share_counts_once_in_their_successor(
    api: Api, inspector: dict[str, str]
) -> None:
    old = api.unit("县旅游局", "department")
    successor = api.unit("县文化和旅游局", "department")
    work_item(api, inspector, old, successor, score=60)  # led by one, co-owned by the other
    work_item(api, inspector, successor, score=90)
    position = merge(api, old, successor)

    card = scorecard(api, ADMIN, successor, position)
    assert card["work_items"] == 2, "the shared item counts once"
    assert card["mean_work_item_score"] == 75.0, "each item is scored by its lead unit"
    assert stats_rows(api, ADMIN, position)[successor] == card


def test_a_mergers_effective_year_decides_whose_scorecard_its_records_are(
    api: Api, inspector: dict[str, str]
) -> None:
    """effective_on honoured (issue 18 item 6): a unit merged with effect in the next year
    keeps this year's records on its own scorecard; from that year on they are the
    successor's."""
    old = api.unit("县粮食局", "department")
    successor = api.unit("县发展和改革局", "department")
    raised(api, inspector, old)
    work_item(api, inspector, old, score=70)
    position = merge(api, old, successor, effective_on=f"{YEAR + 1}-03-01")
    card = scorecard(api, ADMIN, successor, position)
    assert counts(card) == EMPTY, "this year's records stay with the unit merged next year"
    rows = stats_rows(api, ADMIN, position)
    assert rows[successor] == card
    own = scorecard(api, ADMIN, old, position)
    assert own["findings_raised"] == 1 and own["work_items"] == 1
    assert rows[old] == own, "a unit standing that year has its own row for it"
    later = api.finding(inspector, successor, found_on=f"{YEAR + 1}-05-01")["position"]
    next_year = scorecard(api, ADMIN, successor, later, year=YEAR + 1)
    assert next_year["findings_raised"] == 1
    assert old not in stats_rows(api, ADMIN, later, year=YEAR + 1)


def test_a_chain_of_mergers_keeps_each_years_records_in_one_row(
    api: Api, inspector: dict[str, str]
) -> None:
    """A merged into B with effect last year, B into C with effect next year: this year's
    records of A and B are B's row, none of them C's, and no record is in two rows."""
    a, b = api.unit("县档案馆", "agency"), api.unit("县文化局", "department")
    c = api.unit("县文化广电旅游局", "department")
    raised(api, inspector, a)
    raised(api, inspector, b)
    merge(api, a, b, effective_on=f"{YEAR - 1}-06-01")
    position = merge(api, b, c, effective_on=f"{YEAR + 1}-01-01")
    rows = stats_rows(api, ADMIN, position)
    assert rows[b]["findings_raised"] == 2 and rows[c]["findings_raised"] == 0
    assert a not in rows
    assert scorecard(api, ADMIN, b, position) == rows[b]
    assert scorecard(api, ADMIN, c, position) == rows[c]
    assert scorecard(api, ADMIN, c, position, year=YEAR + 1)["findings_raised"] == 0
