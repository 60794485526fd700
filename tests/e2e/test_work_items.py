"""Work items (重点工作): the list, its progress ledger (台账), evaluation (考评), closure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api, account_fixture, unique, unit_fixture

WORK_ITEMS = "/api/v1/work-items"
UNITS = "/api/v1/units"


inspector = account_fixture("inspector", "督查员 王芳")
lead = unit_fixture("县发展和改革局")


def listing(lead_unit: str, co_units: tuple[str, ...] = (), **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "推进县城污水管网改造",
        "year": 2026,
        "lead_unit": lead_unit,
        "co_units": list(co_units),
        "due_on": "2026-12-31",
        "source_ref": "县政府工作报告（2026）第3项",
        "description": "年内完成城区雨污分流改造二十公里。",
    }
    body.update(overrides)
    return body


def listed(
    api: Api, who: dict[str, str], lead_unit: str, co_units: tuple[str, ...] = (), **overrides: Any
) -> dict[str, Any]:
    return ok(api.post(WORK_ITEMS, listing(lead_unit, co_units, **overrides), who), 201)


def around(
    api: Api, who: dict[str, str], lead: str, other_name: str
) -> tuple[str, str, str, dict[str, Any]]:
    """Another unit named `other_name`, and three items: one `lead` leads, one the other unit leads
    with `lead` as a co-unit, and one of the other unit's alone (answered whole, the newest)."""
    other = api.unit(other_name, "department")
    leads = listed(api, who, lead)["id"]
    co_owns = listed(api, who, other, (lead,))["id"]
    return other, leads, co_owns, listed(api, who, other)


def progress(
    api: Api, who: dict[str, str], wid: str, percent: int = 40, note: str = "已完成管网勘测"
) -> Any:
    return api.post(f"{WORK_ITEMS}/{wid}/progress", {"note": note, "percent": percent}, who)


def evaluate(
    api: Api,
    who: dict[str, str],
    wid: str,
    grade: str = "good",
    score: int = 86,
    comment: str = "按期推进，成效明显",
) -> Any:
    body = {"score": score, "grade": grade, "comment": comment}
    return api.post(f"{WORK_ITEMS}/{wid}/evaluation", body, who)


def work_item(api: Api, who: dict[str, str], wid: str) -> dict[str, Any]:
    return ok(api.get(f"{WORK_ITEMS}/{wid}", who))


def ledger(api: Api, who: dict[str, str], position: int, **filters: Any) -> list[dict[str, Any]]:
    return all_items(api, WORK_ITEMS, who, min_position=position, **filters)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


def inactive(api: Api, how: str) -> str:
    """A unit that was merged into another one, or dissolved."""
    code = api.unit("即将撤并的单位")
    if how == "merged":
        step, body = "merger", {"into": api.unit("承接单位"), "reason": "机构改革合并"}
    else:
        step, body = "dissolution", {"reason": "机构改革撤销"}
    ok(api.post(f"{UNITS}/{code}/{step}", {**body, "effective_on": "2026-02-01"}, ADMIN))
    return code


# -- listing -------------------------------------------------------------------------------------


def test_inspector_lists_a_work_item_answering_201_with_status_listed(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    co = api.unit("县住房和城乡建设局", "department")
    response = api.post(WORK_ITEMS, listing(lead, (co,)), inspector)
    answer = ok(response, 201)
    assert answer["version"] == 1 and answer["position"] > 0
    assert response.headers["ETag"] == '"1"'
    item = work_item(api, inspector, answer["id"])
    assert item["id"] == answer["id"]
    assert item["status"] == "listed"
    assert item["title"] == "推进县城污水管网改造"
    assert item["year"] == 2026
    assert item["lead_unit"] == lead and item["co_units"] == [co]
    assert item["due_on"] == "2026-12-31"
    assert item["source_ref"] == "县政府工作报告（2026）第3项"
    assert item["description"] == "年内完成城区雨污分流改造二十公里。"
    assert item["progress"] == [] and item["evaluation"] is None


def test_admin_may_list_a_work_item(api: Api, lead: str) -> None:
    answer = ok(api.post(WORK_ITEMS, listing(lead), ADMIN), 201)
    assert work_item(api, ADMIN, answer["id"])["lead_unit"] == lead


def test_unit_account_cannot_list_a_work_item(api: Api, lead: str) -> None:
    own = api.account("unit", lead)
    assert_error(api.post(WORK_ITEMS, listing(lead), own), 403, "forbidden")


@pytest.mark.parametrize("role", ["authority", "supervisor", "auditor"])
def test_roles_other_than_inspector_and_admin_cannot_list_a_work_item(
    api: Api, lead: str, role: str
) -> None:
    assert_error(api.post(WORK_ITEMS, listing(lead), api.account(role)), 403, "forbidden")


def test_unknown_lead_unit_is_refused_with_422(api: Api, inspector: dict[str, str]) -> None:
    missing = unique("missing")
    assert_error(api.post(WORK_ITEMS, listing(missing), inspector), 422)


def test_unknown_co_unit_is_refused_with_422(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    body = listing(lead, (unique("missing"),))
    assert_error(api.post(WORK_ITEMS, body, inspector), 422)


@pytest.mark.parametrize("how", ["merged", "dissolved"])
def test_inactive_lead_unit_is_refused_as_unit_inactive(
    api: Api, inspector: dict[str, str], how: str
) -> None:
    code = inactive(api, how)
    assert_error(api.post(WORK_ITEMS, listing(code), inspector), 409, "unit_inactive")


@pytest.mark.parametrize("how", ["merged", "dissolved"])
def test_inactive_co_unit_is_refused_as_unit_inactive(
    api: Api, inspector: dict[str, str], lead: str, how: str
) -> None:
    body = listing(lead, (inactive(api, how),))
    assert_error(api.post(WORK_ITEMS, body, inspector), 409, "unit_inactive")


def test_due_date_before_the_year_is_refused_with_422(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    body = listing(lead, year=2026, due_on="2025-12-31")
    assert_error(api.post(WORK_ITEMS, body, inspector), 422)


def test_lead_unit_named_again_as_a_co_unit_is_refused_with_422(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    assert_error(api.post(WORK_ITEMS, listing(lead, (lead,)), inspector), 422)


# -- progress ------------------------------------------------------------------------------------


def test_lead_units_account_logs_progress(api: Api, inspector: dict[str, str], lead: str) -> None:
    wid = listed(api, inspector, lead)["id"]
    answer = ok(progress(api, api.account("unit", lead), wid, 40, "已完成管网勘测"))
    assert answer["version"] == 2
    item = work_item(api, inspector, wid)
    assert item["status"] == "in_progress"
    assert item["percent"] == 40
    assert [(p["note"], p["percent"]) for p in item["progress"]] == [("已完成管网勘测", 40)]


def test_co_units_account_logs_progress(api: Api, inspector: dict[str, str], lead: str) -> None:
    co = api.unit("县城市管理局", "department")
    wid = listed(api, inspector, lead, (co,))["id"]
    ok(progress(api, api.account("unit", co), wid, 25, "配合完成道路开挖审批"))
    item = work_item(api, inspector, wid)
    assert item["percent"] == 25
    assert [p["note"] for p in item["progress"]] == ["配合完成道路开挖审批"]


def test_inspector_logs_progress(api: Api, inspector: dict[str, str], lead: str) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(progress(api, inspector, wid, 10))
    assert work_item(api, inspector, wid)["percent"] == 10


def test_unrelated_units_account_cannot_log_progress(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    stranger = api.account("unit", api.unit("无关单位"))
    assert_error(progress(api, stranger, wid), 404, "not_found")
    item = work_item(api, inspector, wid)
    assert item["progress"] == [] and item["status"] == "listed"


def test_unrelated_units_account_cannot_read_the_work_item(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    stranger = api.account("unit", api.unit("无关单位"))
    assert_error(api.get(f"{WORK_ITEMS}/{wid}", stranger), 404, "not_found")


@pytest.mark.parametrize("percent", [101, -1])
def test_percent_outside_0_to_100_is_refused_with_422(
    api: Api, inspector: dict[str, str], lead: str, percent: int
) -> None:
    wid = listed(api, inspector, lead)["id"]
    assert_error(progress(api, inspector, wid, percent), 422)
    assert work_item(api, inspector, wid)["progress"] == []


def test_progress_on_an_unknown_work_item_is_not_found(api: Api, inspector: dict[str, str]) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(progress(api, inspector, missing), 404, "not_found")


# -- evaluation, closure, cancellation -----------------------------------------------------------


@pytest.mark.parametrize("grade", ["excellent", "good", "pass", "fail"])
def test_inspector_evaluates_a_work_item_with_every_grade(
    api: Api, inspector: dict[str, str], lead: str, grade: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(progress(api, inspector, wid, 100))
    ok(evaluate(api, inspector, wid, grade=grade, score=73, comment="考评意见"))
    item = work_item(api, inspector, wid)
    assert item["status"] == "evaluated"
    assert item["evaluation"] == {"score": 73, "grade": grade, "comment": "考评意见"}


def test_unknown_grade_is_refused_with_422(api: Api, inspector: dict[str, str], lead: str) -> None:
    wid = listed(api, inspector, lead)["id"]
    assert_error(evaluate(api, inspector, wid, grade="outstanding"), 422)
    assert work_item(api, inspector, wid)["evaluation"] is None


def test_score_above_100_is_refused_with_422(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    assert_error(evaluate(api, inspector, wid, score=101), 422)
    assert work_item(api, inspector, wid)["status"] == "listed"


def test_unit_account_cannot_evaluate_its_own_work_item(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    assert_error(evaluate(api, api.account("unit", lead), wid), 403, "forbidden")
    item = work_item(api, inspector, wid)
    assert item["status"] == "listed" and item["evaluation"] is None


def test_progress_after_evaluation_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(evaluate(api, inspector, wid))
    error = assert_error(progress(api, api.account("unit", lead), wid), 409, "invalid_transition")
    assert error["details"]["status"] == "evaluated"
    assert work_item(api, inspector, wid)["progress"] == []


def test_closure_after_evaluation_closes_the_work_item(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(evaluate(api, inspector, wid))
    ok(api.post(f"{WORK_ITEMS}/{wid}/closure", {"reason": "考评完毕，予以办结"}, inspector))
    item = work_item(api, inspector, wid)
    assert item["status"] == "closed"
    assert item["closing_reason"] == "考评完毕，予以办结"
    assert item["evaluation"]["grade"] == "good"


def test_closure_before_evaluation_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    response = api.post(f"{WORK_ITEMS}/{wid}/closure", {"reason": "提前办结"}, inspector)
    error = assert_error(response, 409, "invalid_transition")
    assert error["details"]["status"] == "listed"


def test_cancellation_of_an_open_work_item_cancels_it(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(progress(api, inspector, wid, 20))
    ok(api.post(f"{WORK_ITEMS}/{wid}/cancellation", {"reason": "上级调整任务清单"}, inspector))
    item = work_item(api, inspector, wid)
    assert item["status"] == "cancelled"
    assert item["closing_reason"] == "上级调整任务清单"


def test_cancelled_work_item_takes_no_more_progress(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(api.post(f"{WORK_ITEMS}/{wid}/cancellation", {"reason": "任务取消"}, inspector))
    error = assert_error(progress(api, inspector, wid), 409, "invalid_transition")
    assert error["details"]["status"] == "cancelled"


def test_unit_account_cannot_cancel_a_work_item(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    own = api.account("unit", lead)
    response = api.post(f"{WORK_ITEMS}/{wid}/cancellation", {"reason": "不想做了"}, own)
    assert_error(response, 403, "forbidden")
    assert work_item(api, inspector, wid)["status"] == "listed"


# -- reads ---------------------------------------------------------------------------------------


def test_work_item_shows_its_progress_entries_in_order_and_its_evaluation(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    co = api.unit("县财政局", "department")
    wid = listed(api, inspector, lead, (co,))["id"]
    ok(progress(api, api.account("unit", lead, "牵头单位联络员"), wid, 30, "完成立项审批"))
    ok(progress(api, api.account("unit", co, "配合单位联络员"), wid, 60, "资金拨付到位"))
    ok(progress(api, inspector, wid, 100, "全面完工"))
    ok(evaluate(api, inspector, wid, grade="excellent", score=95, comment="提前完成"))
    response = api.get(f"{WORK_ITEMS}/{wid}", inspector)
    item = ok(response)
    assert response.headers["ETag"] == '"5"' and item["version"] == 5
    assert [(p["note"], p["percent"]) for p in item["progress"]] == [
        ("完成立项审批", 30),
        ("资金拨付到位", 60),
        ("全面完工", 100),
    ]
    assert [p["actor"]["name"] for p in item["progress"]] == [
        "牵头单位联络员",
        "配合单位联络员",
        "督查员 王芳",
    ]
    assert item["percent"] == 100
    assert item["evaluation"] == {"score": 95, "grade": "excellent", "comment": "提前完成"}


def test_work_item_events_are_oldest_first_with_their_actors(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    ok(progress(api, api.account("unit", lead, "牵头单位联络员"), wid, 50))
    ok(evaluate(api, inspector, wid))
    items = ok(api.get(f"{WORK_ITEMS}/{wid}/events", inspector))["items"]
    assert [e["version"] for e in items] == [1, 2, 3]
    assert [e["event_type"] for e in items] == ["Listed", "ProgressLogged", "Evaluated"]
    assert [(e["actor"]["role"], e["actor"]["name"]) for e in items] == [
        ("inspector", "督查员 王芳"),
        ("unit", "牵头单位联络员"),
        ("inspector", "督查员 王芳"),
    ]
    # A list like every other: `limit` a page, `next_cursor` to the next.
    first = ok(api.get(f"{WORK_ITEMS}/{wid}/events", inspector, limit=2))
    assert [e["version"] for e in first["items"]] == [1, 2] and first["next_cursor"]
    rest = ok(api.get(f"{WORK_ITEMS}/{wid}/events", inspector, cursor=first["next_cursor"]))
    assert [e["version"] for e in rest["items"]] == [3] and rest["next_cursor"] is None
    for bad, status in (
        ({"limit": 0}, 422), ({"limit": "abc"}, 422), ({"cursor": "x"}, 400), ({"cursor": "²"}, 400)
    ):  # fmt: skip
        assert api.get(f"{WORK_ITEMS}/{wid}/events", inspector, **bad).status_code == status


def test_list_filters_by_year(api: Api, inspector: dict[str, str], lead: str) -> None:
    last_year = listed(api, inspector, lead, year=2025, due_on="2025-12-31")["id"]
    this_year = listed(api, inspector, lead, year=2026, due_on="2026-12-31")
    items = ledger(api, inspector, this_year["position"], unit_code=lead, year=2025)
    assert ids(items) == {last_year}
    items = ledger(api, inspector, this_year["position"], unit_code=lead, year=2026)
    assert ids(items) == {this_year["id"]}


def test_list_unit_filter_matches_the_lead_unit_or_a_co_unit(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    other, leads, co_owns, unrelated = around(api, inspector, lead, "县交通运输局")
    items = ledger(api, inspector, unrelated["position"], unit_code=lead)
    assert ids(items) == {leads, co_owns}
    items = ledger(api, inspector, unrelated["position"], unit_code=other)
    assert ids(items) == {co_owns, unrelated["id"]}


def test_list_filters_by_status(api: Api, inspector: dict[str, str], lead: str) -> None:
    evaluated = listed(api, inspector, lead)["id"]
    untouched = listed(api, inspector, lead)["id"]
    in_progress = listed(api, inspector, lead)["id"]
    ok(progress(api, inspector, in_progress, 50))
    position = ok(evaluate(api, inspector, evaluated))["position"]
    assert ids(ledger(api, inspector, position, unit_code=lead, status="evaluated")) == {evaluated}
    assert ids(ledger(api, inspector, position, unit_code=lead, status="listed")) == {untouched}
    items = ledger(api, inspector, position, unit_code=lead, status="in_progress")
    assert ids(items) == {in_progress}


def test_list_row_shows_the_current_status_and_percent(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    wid = listed(api, inspector, lead)["id"]
    position = ok(progress(api, inspector, wid, 70))["position"]
    (row,) = ledger(api, inspector, position, unit_code=lead)
    assert row["id"] == wid
    assert row["status"] == "in_progress" and row["percent"] == 70
    assert row["lead_unit"] == lead and row["year"] == 2026


def test_unknown_status_filter_is_refused_with_422(api: Api, inspector: dict[str, str]) -> None:
    assert_error(api.get(WORK_ITEMS, inspector, status="finished"), 422)


def test_unit_accounts_list_shows_only_items_its_unit_leads_or_co_owns(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    _, leads, co_owns, not_ours = around(api, inspector, lead, "县农业农村局")
    own = api.account("unit", lead)
    items = ledger(api, own, not_ours["position"])
    assert ids(items) == {leads, co_owns}
    assert all(i["lead_unit"] == lead or lead in i["co_units"] for i in items)


def test_unit_account_filtering_on_another_unit_sees_nothing_of_it(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    other = api.unit("县水利局", "department")
    theirs = listed(api, inspector, other)
    own = api.account("unit", lead)
    assert ledger(api, own, theirs["position"], unit_code=other) == []
    assert ids(ledger(api, inspector, theirs["position"], unit_code=other)) == {theirs["id"]}


def test_true_or_false_is_not_a_score_or_a_percent(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    """JSON's booleans are refused where a number is asked for, and nothing is recorded."""
    wid = listed(api, inspector, lead)["id"]
    refused = assert_error(evaluate(api, inspector, wid, score=True), 422, "validation_error")
    assert "score should be a number, not true or false" in refused["message"]
    assert_error(progress(api, inspector, wid, percent=False), 422, "validation_error")
    item = work_item(api, inspector, wid)
    assert item["version"] == 1 and item["evaluation"] is None and item["percent"] == 0
    bands = {"excellent": True, "good": 80, "pass": 60}  # inside a mapping too
    scheme = api.post("/api/v1/evaluation-schemes", {"year": 2031, "bands": bands}, inspector)
    assert "should be a number" in assert_error(scheme, 422, "validation_error")["message"]


def test_a_title_or_a_name_of_spaces_is_refused_as_a_blank_one(
    api: Api, inspector: dict[str, str], lead: str
) -> None:
    """A required text says something, in every body (as the Excel import and the command
    line already required): a work item's title, a finding's, a ruling subject's name."""
    blank = "  \u3000 "
    refused = assert_error(api.post(WORK_ITEMS, listing(lead, title=blank), inspector), 422)
    assert "text must not be blank" in refused["message"]
    finding = api.post("/api/v1/findings", {"unit_code": lead, "title": blank}, inspector)
    assert "text must not be blank" in assert_error(finding, 422, "validation_error")["message"]
    person = {"unit_code": lead, "person": {"name": blank, "position": "科长"}}
    ruling = api.post("/api/v1/rulings/accountability", {"subject": person}, inspector)
    assert "text must not be blank" in assert_error(ruling, 422, "validation_error")["message"]
