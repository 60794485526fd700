"""Unit reorganisation (机构改革): merger, dissolution and renaming, and what follows from them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from httpx import Response

from domain.clock import today
from tests.e2e.helpers import (
    FINDINGS,
    all_items,
    assert_error,
    board,
    command,
    ok,
    order,
    status_of,
)
from tests.support import ADMIN, Api, account_fixture, unit_fixture

UNITS = "/api/v1/units"
WORK_ITEMS = "/api/v1/work-items"
RULINGS = "/api/v1/rulings"


inspector = account_fixture("inspector", "督查员 赵磊")
old = unit_fixture("县林业局")
successor = unit_fixture("县自然资源和规划局")


def merge(api: Api, code: str, into: str) -> int:
    body = {"into": into, "reason": "机构改革职能整合", "effective_on": "2026-02-01"}
    position: int = ok(api.post(f"{UNITS}/{code}/merger", body, ADMIN))["position"]
    return position


def listed_after_merger(api: Api, who: dict[str, str], path: str, code: str, into: str) -> set[str]:
    """The ids the list at `path` shows for the unit `into`, once `code` is merged into it."""
    position = merge(api, code, into)
    return ids(all_items(api, path, who, unit_code=into, min_position=position))


def dissolve(api: Api, code: str, who: dict[str, str] = ADMIN) -> Response:
    body = {"reason": "机构改革撤销建制", "effective_on": "2026-03-01"}
    return api.post(f"{UNITS}/{code}/dissolution", body, who)


def unit(api: Api, code: str) -> dict[str, Any]:
    return ok(api.get(f"{UNITS}/{code}", ADMIN))


def new_finding(api: Api, inspector: dict[str, str], code: str) -> Response:
    body = {
        "unit_code": code,
        "title": "林地占用审批不规范",
        "description": "抽查发现两宗林地占用未履行审批程序。",
        "category": "procedure_violation",
        "severity": "major",
        "source": "random_inspection",
        "found_on": "2026-03-05",
        "evidence": [],
    }
    return api.post(FINDINGS, body, inspector)


def new_work_item(api: Api, inspector: dict[str, str], lead: str, *co: str) -> Response:
    body = {
        "title": "完成森林资源二类调查",
        "year": 2026,
        "lead_unit": lead,
        "co_units": list(co),
        "due_on": "2026-12-31",
    }
    return api.post(WORK_ITEMS, body, inspector)


def new_ruling(api: Api, who: dict[str, str], kind: str, code: str) -> Response:
    if kind == "accountability":
        body: dict[str, Any] = {
            "subject": {"unit_code": code},
            "finding_ids": [],
            "form": "written_inspection",
            "basis": "《问责条例》",
            "facts": "林地审批把关不严。",
        }
        return api.post(f"{RULINGS}/accountability", body, who)
    body = {
        "subject": {"unit_code": code},
        "finding_ids": [],
        "grounds": "改革试点中缺乏经验。",
        "criteria_claimed": ["pilot_inexperience"],
    }
    return api.post(f"{RULINGS}/fault-tolerance", body, who)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


# -- merger --------------------------------------------------------------------------------------


def test_merging_a_unit_marks_it_merged_with_its_successor(
    api: Api, old: str, successor: str
) -> None:
    merge(api, old, successor)
    merged = unit(api, old)
    assert merged["status"] == "merged" and merged["successor_code"] == successor
    assert merged["code"] == old and merged["name"] == "县林业局"
    after = unit(api, successor)
    assert after["status"] == "active" and after["successor_code"] is None


# What a unit is named in when something new is recorded: the new record's request, given the
# inspector and the unit's code.
NEW_RECORDS: dict[str, Callable[[Api, dict[str, str], str], Response]] = {
    "finding": new_finding,
    "work-item-led": new_work_item,
    "accountability-ruling": lambda api, who, code: new_ruling(api, who, "accountability", code),
    "fault-tolerance-ruling": lambda api, who, code: new_ruling(api, who, "fault_tolerance", code),
}


@pytest.mark.parametrize("record", NEW_RECORDS)
def test_merged_unit_takes_no_new_records_and_its_successor_does(
    api: Api, inspector: dict[str, str], old: str, successor: str, record: str
) -> None:
    merge(api, old, successor)
    assert_error(NEW_RECORDS[record](api, inspector, old), 409, "unit_inactive")
    ok(NEW_RECORDS[record](api, inspector, successor), 201)


def test_merged_unit_takes_no_new_work_items_as_co_unit(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    merge(api, old, successor)
    assert_error(new_work_item(api, inspector, successor, old), 409, "unit_inactive")


# -- dissolution ---------------------------------------------------------------------------------


def test_dissolution_marks_the_unit_dissolved(api: Api, old: str) -> None:
    answer = ok(dissolve(api, old))
    assert answer["version"] == 2
    dissolved = unit(api, old)
    assert dissolved["status"] == "dissolved"
    assert dissolved["successor_code"] is None
    assert dissolved["code"] == old


def test_a_dissolved_unit_keeps_its_row_in_the_figures_of_its_years(
    api: Api, inspector: dict[str, str], old: str
) -> None:
    """Nobody takes a dissolved unit's records: in the years up to its dissolution they are
    counted in a row of its own, as every record of a year is in one row."""
    api.finding(inspector, old, found_on="2026-02-10")
    done = ok(dissolve(api, old))
    for year, kept in ((2026, True), (2027, False)):
        rows = ok(api.get("/api/v1/stats/units", ADMIN, year=year, min_position=done["position"]))
        codes = {row["code"]: row for row in rows["items"]}
        assert (old in codes) is kept, year
    figures = ok(api.get("/api/v1/stats/units", ADMIN, year=2026))["items"]
    assert next(row for row in figures if row["code"] == old)["findings_raised"] == 1


def test_only_an_admin_dissolves_a_unit(api: Api, inspector: dict[str, str], old: str) -> None:
    assert_error(dissolve(api, old, inspector), 403, "forbidden")
    assert unit(api, old)["status"] == "active"


def test_dissolved_unit_takes_no_new_findings(
    api: Api, inspector: dict[str, str], old: str
) -> None:
    ok(dissolve(api, old))
    assert_error(new_finding(api, inspector, old), 409, "unit_inactive")


def test_dissolved_unit_takes_no_new_work_items(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    ok(dissolve(api, old))
    assert_error(new_work_item(api, inspector, old), 409, "unit_inactive")
    assert_error(new_work_item(api, inspector, successor, old), 409, "unit_inactive")


@pytest.mark.parametrize("kind", ["accountability", "fault_tolerance"])
def test_dissolved_unit_takes_no_new_rulings(
    api: Api, inspector: dict[str, str], old: str, kind: str
) -> None:
    ok(dissolve(api, old))
    assert_error(new_ruling(api, inspector, kind, old), 409, "unit_inactive")


def test_dissolved_units_open_findings_can_still_be_carried_on(
    api: Api, inspector: dict[str, str], old: str
) -> None:
    fid = ok(new_finding(api, inspector, old), 201)["id"]
    ok(dissolve(api, old))
    order(api, inspector, fid)
    assert status_of(api, inspector, fid) == "rectifying"


# -- renaming ------------------------------------------------------------------------------------


def test_renaming_keeps_the_code_and_the_units_findings(
    api: Api, inspector: dict[str, str], old: str
) -> None:
    fid = ok(new_finding(api, inspector, old), 201)["id"]
    body = {"name": "县林业和草原局", "reason": "机构改革更名", "effective_on": "2026-01-01"}
    position = ok(api.post(f"{UNITS}/{old}/renaming", body, ADMIN))["position"]
    renamed = unit(api, old)
    assert renamed["code"] == old and renamed["name"] == "县林业和草原局"
    assert renamed["status"] == "active"
    assert ids(board(api, inspector, position, unit_code=old)) == {fid}
    ok(new_finding(api, inspector, old), 201)


# -- the successor's lists include its predecessors' records ------------------------------------


def test_successors_finding_list_includes_the_merged_units_findings(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    theirs = ok(new_finding(api, inspector, old), 201)["id"]
    own = ok(new_finding(api, inspector, successor), 201)["id"]
    assert listed_after_merger(api, inspector, FINDINGS, old, successor) == {theirs, own}


def test_successors_work_item_list_includes_the_merged_units_work_items(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    third = api.unit("县水利局", "department")
    led = ok(new_work_item(api, inspector, old), 201)["id"]
    co_owned = ok(new_work_item(api, inspector, third, old), 201)["id"]
    own = ok(new_work_item(api, inspector, successor), 201)["id"]
    ok(new_work_item(api, inspector, third), 201)
    assert listed_after_merger(api, inspector, WORK_ITEMS, old, successor) == {led, co_owned, own}


def test_successors_ruling_list_includes_the_merged_units_rulings(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    theirs = ok(new_ruling(api, inspector, "accountability", old), 201)["id"]
    tolerance = ok(new_ruling(api, inspector, "fault_tolerance", old), 201)["id"]
    own = ok(new_ruling(api, inspector, "accountability", successor), 201)["id"]
    assert listed_after_merger(api, inspector, RULINGS, old, successor) == {theirs, tolerance, own}


def test_successors_lists_include_units_merged_in_two_steps(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    middle = api.unit("县林业和草原局", "department")
    fid = ok(new_finding(api, inspector, old), 201)["id"]
    merge(api, old, middle)
    position = merge(api, middle, successor)
    assert fid in ids(board(api, inspector, position, unit_code=successor))


def test_successors_unit_account_sees_the_merged_units_findings(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    theirs = ok(new_finding(api, inspector, old), 201)["id"]
    account = api.account("unit", successor)
    position = merge(api, old, successor)
    assert theirs in ids(board(api, account, position))
    assert ok(api.get(f"{FINDINGS}/{theirs}", account))["unit_code"] == old


def test_successors_unit_account_reports_rectification_on_a_merged_units_finding(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    theirs = ok(new_finding(api, inspector, old), 201)["id"]
    order(api, inspector, theirs)
    account = api.account("unit", successor, name="自然资源和规划局联络员")
    merge(api, old, successor)
    body = {"summary": "已补办林地占用审批手续", "evidence": []}
    ok(command(api, theirs, "rectification-report", body, account))
    assert status_of(api, inspector, theirs) == "reported"


def test_unit_account_of_an_unrelated_unit_does_not_see_the_merged_units_findings(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    theirs = ok(new_finding(api, inspector, old), 201)["id"]
    position = merge(api, old, successor)
    stranger = api.account("unit", api.unit("县气象局", "agency"))
    assert theirs not in ids(board(api, stranger, position))
    assert_error(api.get(f"{FINDINGS}/{theirs}", stranger), 404, "not_found")


def test_successors_history_includes_the_merged_units_events(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    theirs = ok(new_finding(api, inspector, old), 201)["id"]
    position = merge(api, old, successor)
    items = all_items(api, f"{UNITS}/{successor}/history", inspector, min_position=position)
    assert any(i["aggregate_id"] == theirs for i in items)
    positions = [i["position"] for i in items]
    assert positions == sorted(positions)


def test_an_event_of_both_units_is_one_line_of_the_successors_history_paged_or_not(
    api: Api, inspector: dict[str, str], old: str, successor: str
) -> None:
    """A work item the merged unit led with the successor as co-unit: its events touched
    both, yet each is one line (the successor's own), and a page at a time gives them all."""
    item = {"title": "两单位共担", "year": 2026, "lead_unit": old, "co_units": [successor],
            "due_on": "2026-12-31"}  # fmt: skip
    led = ok(api.post(WORK_ITEMS, item, ADMIN), 201)["id"]
    ok(api.post(f"{WORK_ITEMS}/{led}/progress", {"note": "推进中", "percent": 40}, inspector))
    position = merge(api, old, successor)
    path = f"{UNITS}/{successor}/history"
    whole = all_items(api, path, inspector, min_position=position, limit=500)
    positions = [i["position"] for i in whole]
    assert len(positions) == len(set(positions)) and positions == sorted(positions)
    shared = [i for i in whole if i["aggregate_id"] == led]
    assert shared and {i["unit_code"] for i in shared} == {successor}
    paged = all_items(api, path, inspector, min_position=position, limit=1)
    assert [i["position"] for i in paged] == positions


# (what to record in the unit that is merged, and where its successor's list is read)
RECORDED_AND_READ = {
    "findings": (new_finding, FINDINGS),
    "work-items": (new_work_item, WORK_ITEMS),
    "rulings": (lambda api, who, code: new_ruling(api, who, "accountability", code), RULINGS),
    "history": (new_finding, "{UNITS}/{code}/history"),
}


@pytest.mark.parametrize("read", sorted(RECORDED_AND_READ))
def test_every_read_at_a_mergers_position_includes_the_merged_units_records(
    api: Api, inspector: dict[str, str], read: str
) -> None:
    """Read-your-writes across a merger, asked the moment the merger is recorded (repeated,
    because a read that does not wait for the merger only sometimes misses it)."""
    record, path = RECORDED_AND_READ[read]
    missed = []
    for _ in range(20):
        old, successor = api.unit("被合并单位"), api.unit("承接单位")
        rid = ok(record(api, inspector, old), 201)["id"]
        position = merge(api, old, successor)
        if read == "history":
            url = path.format(UNITS=UNITS, code=successor)
            found = {
                i["aggregate_id"] for i in all_items(api, url, inspector, min_position=position)
            }
        else:
            found = ids(all_items(api, path, inspector, unit_code=successor, min_position=position))
        if rid not in found:
            missed.append(position)
    assert missed == [], f"reads at these merger positions missed the merged unit: {missed}"


@pytest.mark.parametrize("step", ["list", "report"])
def test_successors_unit_account_acts_on_merged_findings_the_moment_the_merger_is_recorded(
    api: Api, inspector: dict[str, str], step: str
) -> None:
    """The account's scope follows the merger at once (repeated, as above)."""
    missed: list[tuple[int, str]] = []
    for _ in range(20):
        old, successor = api.unit("被合并单位"), api.unit("承接单位")
        fid = ok(new_finding(api, inspector, old), 201)["id"]
        order(api, inspector, fid)
        account = api.account("unit", successor)
        position = merge(api, old, successor)
        if step == "list":
            if fid not in ids(board(api, account, position)):
                missed.append((position, "not in the list"))
        else:
            body = {"summary": "已整改", "evidence": []}
            response = command(api, fid, "rectification-report", body, account)
            if response.status_code != 200:
                missed.append((position, f"{response.status_code} {response.text}"))
    assert missed == [], f"right after these mergers the account could not reach: {missed}"


def test_a_history_asked_with_effective_keeps_records_before_the_merger_with_the_predecessor(
    api: Api, inspector: dict[str, str]
) -> None:
    """`effective=true` (the console's view): a merged unit's lines join its successor's
    history from the merger's effective_on; those before stay in its own. Without it, the v1
    contract's history: every line of the units merged into it."""
    early, late, into = api.unit("并入前单位甲"), api.unit("并入前单位乙"), api.unit("承接单位")
    before, after = api.finding(inspector, early)["id"], api.finding(inspector, late)["id"]
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for code, effective_on in ((early, tomorrow), (late, "2026-01-01")):
        body = {"into": into, "reason": "机构改革", "effective_on": effective_on}
        done = ok(api.post(f"{UNITS}/{code}/merger", body, ADMIN))
    seen = {"min_position": done["position"]}

    def ids(code: str, **params: Any) -> set[str]:
        items = all_items(api, f"{UNITS}/{code}/history", inspector, **seen, **params)
        return {h["aggregate_id"] for h in items}

    assert {before, after} <= ids(into), "the v1 contract: every merged unit's line"
    assert after in ids(into, effective="true") and before not in ids(into, effective="true")
    assert before in ids(early, effective="true"), "it stays with the predecessor"
