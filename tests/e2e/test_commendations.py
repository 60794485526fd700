"""激励 over HTTP (issue 18 item 2, 有考评、有激励): 通报表扬 and 评优评先推荐 rest on the
unit's work items evaluated 优秀 or 良好, 容错后正常使用 on its fault-tolerance ruling finally
decided 免责 or 从轻; every other ground is refused with 422 and records nothing; a liaison
reads its own unit's only; a commendation is withdrawn once, with its reason; the unit's
history shows both."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api

COMMENDATIONS = "/api/v1/commendations"
ITEMS = "/api/v1/work-items"


def item(api: Api, unit: str, grade: str | None) -> str:
    body = {"title": "优化营商环境", "year": 2026, "lead_unit": unit, "co_units": [],
            "due_on": "2026-12-31"}  # fmt: skip
    wid = str(ok(api.post(ITEMS, body, ADMIN), 201)["id"])
    if grade is not None:
        score = {"excellent": 95, "good": 85, "pass": 65}[grade]
        evaluation = {"score": score, "grade": grade, "comment": "年末考评"}
        ok(api.post(f"{ITEMS}/{wid}/evaluation", evaluation, api.account("inspector")))
    return wid


def commendation(unit: str, kind: str = "commendation_notice", **more: Any) -> dict[str, Any]:
    return {"kind": kind, "unit_code": unit, "year": 2026, "reason": "年度重点工作成效突出",
            "decided_on": "2026-01-20", **more}  # fmt: skip


def test_a_commendation_rests_on_work_evaluated_excellent_or_good(api: Api) -> None:
    unit = api.unit("县发展和改革局", "department")
    inspector, supervisor = api.account("inspector"), api.account("supervisor")
    excellent, passed, unrated = (
        item(api, unit, "excellent"),
        item(api, unit, "pass"),
        item(api, unit, None),
    )
    other = item(api, api.unit("县财政局", "department"), "excellent")
    for bad in ([passed], [unrated], [other]):
        body = commendation(unit, work_item_ids=bad)
        assert_error(api.post(COMMENDATIONS, body, inspector), 422, "invalid_value")
    missing = commendation(unit, work_item_ids=["00000000-0000-4000-8000-000000000000"])
    assert_error(api.post(COMMENDATIONS, missing, inspector), 422, "unknown_reference")
    early = commendation(unit, decided_on="2025-12-31", work_item_ids=[excellent])
    assert_error(api.post(COMMENDATIONS, early, inspector), 422, "invalid_value")
    other_year = commendation(unit, work_item_ids=[excellent], year=2027, decided_on="2026-01-20")
    assert_error(api.post(COMMENDATIONS, other_year, inspector), 422, "invalid_value")
    future = commendation(unit, decided_on="2099-01-01")
    assert_error(api.post(COMMENDATIONS, future, inspector), 422, "invalid_value")
    assert_error(api.post(COMMENDATIONS, commendation(unit, kind="bonus"), inspector), 422)
    liaison = api.account("unit", unit)
    assert_error(api.post(COMMENDATIONS, commendation(unit), liaison), 403)

    body = commendation(unit, "recommended_for_honours", work_item_ids=[excellent, excellent])
    created = ok(api.post(COMMENDATIONS, body, supervisor), 201)
    shown = ok(api.get(f"{COMMENDATIONS}/{created['id']}", liaison))
    assert shown["kind_label"] == "评优评先推荐" and shown["work_item_ids"] == [excellent]
    assert shown["withdrawn"] is None and shown["version"] == 1
    stranger = api.account("unit", api.unit("县林业局", "department"))
    assert_error(api.get(f"{COMMENDATIONS}/{created['id']}", stranger), 404)

    withdrawal = {"reason": "评选结果复核后调整"}
    withdrawal_path = f"{COMMENDATIONS}/{created['id']}/withdrawal"
    position = ok(api.post(withdrawal_path, withdrawal, inspector))["position"]
    again = api.post(f"{COMMENDATIONS}/{created['id']}/withdrawal", withdrawal, inspector)
    assert_error(again, 409, "invalid_transition")
    assert (
        ok(api.get(f"{COMMENDATIONS}/{created['id']}", ADMIN))["withdrawn"] == "评选结果复核后调整"
    )
    history = all_items(api, f"/api/v1/units/{unit}/history", ADMIN, min_position=position)
    lines = [h["summary"] for h in history if h["aggregate_id"] == created["id"]]
    assert lines == ["记录激励：评优评先推荐（2026年度）", "撤销激励"]


def test_normal_use_after_tolerance_rests_on_a_ruling_decided_exempted_or_mitigated(
    api: Api,
) -> None:
    unit = api.unit("县行政服务中心", "agency")
    inspector, authority = api.account("inspector"), api.account("authority")
    finding = api.finding(inspector, unit)["id"]
    tolerance = api.ruling("fault-tolerance", inspector, unit, [finding])["id"]
    denied = api.ruling("fault-tolerance", inspector, unit, [finding])["id"]
    accountability = api.accountability(inspector, unit, [finding])["id"]
    kind = "normal_use_after_tolerance"
    assert_error(api.post(COMMENDATIONS, commendation(unit, kind), inspector), 422)
    for not_yet in (tolerance, accountability):
        body = commendation(unit, kind, ruling_id=not_yet)
        assert_error(api.post(COMMENDATIONS, body, inspector), 422, "invalid_value")
    api.decided(authority, denied, {"outcome": "denied", "criteria_met": [],
                                    "reasoning": "不符合", "decided_on": "2026-01-10"})  # fmt: skip
    body = commendation(unit, kind, ruling_id=denied)
    assert_error(api.post(COMMENDATIONS, body, inspector), 422, "invalid_value")
    exempted = {"outcome": "exempted", "criteria_met": ["pilot_inexperience"],
                "reasoning": "先行先试", "decided_on": "2026-01-10"}  # fmt: skip
    api.decided(authority, tolerance, exempted)
    elsewhere = commendation(api.unit("县林业局", "department"), kind, ruling_id=tolerance)
    assert_error(api.post(COMMENDATIONS, elsewhere, inspector), 422, "invalid_value")
    cited = commendation(unit, kind, ruling_id=tolerance, work_item_ids=[item(api, unit, "good")])
    assert_error(api.post(COMMENDATIONS, cited, inspector), 422, "invalid_value")
    notice_with_ruling = commendation(unit, ruling_id=tolerance)
    assert_error(api.post(COMMENDATIONS, notice_with_ruling, inspector), 422, "invalid_value")
    created = ok(api.post(COMMENDATIONS, commendation(unit, kind, ruling_id=tolerance), inspector),
                 201)  # fmt: skip
    shown = ok(api.get(f"{COMMENDATIONS}/{created['id']}", inspector))
    assert shown["ruling_id"] == tolerance and shown["kind_label"] == "容错后正常使用"
