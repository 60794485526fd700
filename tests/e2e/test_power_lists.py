"""Power and responsibility lists over HTTP (issue 18 item 7): a unit's liaison compiles its
list with the first power and amends and removes powers, each with its reason; another unit's
list is not there to it; bad input is refused and records nothing; anyone reads the lists in
force without a token, and any version the list ever had."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api

LISTS = "/api/v1/power-lists"
PUBLIC = "/api/v1/public/power-lists"
LICENCE = {
    "name": "建设工程规划许可",
    "kind": "licensing",
    "legal_basis": "《中华人民共和国城乡规划法》第四十条",
    "responsibilities": "受理责任、审查责任、决定责任、送达责任、事后监管责任",
    "internal_unit": "规划科",
}


def public(api: Api, code: str, **params: Any) -> Any:
    return api.client.get(f"{PUBLIC}/{code}", params=params)


def test_a_liaison_keeps_its_units_list_and_every_version_stays_readable(api: Api) -> None:
    unit = api.unit("县自然资源和规划局", "department")
    liaison = api.account("unit", unit)
    assert_error(public(api, unit), 404, "not_found")
    first = ok(api.post(f"{LISTS}/{unit}/items", LICENCE, liaison))
    penalty = {"name": "违法建设行政处罚", "kind": "penalty",
               "legal_basis": "《城乡规划法》第六十四条",
               "responsibilities": "立案、调查、审查、告知、决定、送达、执行责任"}  # fmt: skip
    ok(api.post(f"{LISTS}/{unit}/items", penalty, liaison))
    shown = ok(public(api, unit))
    assert [(i["number"], i["name"], i["kind_label"]) for i in shown["items"]] == [
        (1, "建设工程规划许可", "行政许可"), (2, "违法建设行政处罚", "行政处罚")
    ]  # fmt: skip
    assert shown["items"][0]["internal_unit"] == "规划科" and shown["version"] == 3

    amend = {"legal_basis": "《城乡规划法》第四十条、《浙江省城乡规划条例》", "reason": "依据修订"}
    ok(api.post(f"{LISTS}/{unit}/items/1/amendment", amend, liaison))
    removal = {"reason": "事项划转综合执法部门"}
    removed = ok(api.post(f"{LISTS}/{unit}/items/2/removal", removal, liaison))
    again = api.post(f"{LISTS}/{unit}/items/2/removal", removal, liaison)
    assert_error(again, 409, "invalid_transition")
    now = ok(public(api, unit))
    assert [i["number"] for i in now["items"]] == [1] and now["version"] == 5
    assert now["items"][0]["legal_basis"].startswith("《城乡规划法》第四十条、")
    before = ok(public(api, unit, version=3))
    assert [i["name"] for i in before["items"]] == ["建设工程规划许可", "违法建设行政处罚"]
    assert before["items"][0]["legal_basis"] == LICENCE["legal_basis"]
    assert_error(public(api, unit, version=9), 404, "not_found")
    assert first["version"] == 2, "compiled and the first power in one command"

    events = ok(api.get(f"{LISTS}/{unit}/events", api.account("inspector")))["items"]
    assert [(e["event_type"], e["event_label"]) for e in events] == [
        ("Compiled", "编制权力清单"), ("ItemAdded", "列入权力事项"), ("ItemAdded", "列入权力事项"),
        ("ItemAmended", "调整权力事项"), ("ItemRemoved", "取消权力事项"),
    ]  # fmt: skip
    index = ok(api.client.get(PUBLIC, params={"min_position": removed["position"]}))["items"]
    entry = next(e for e in index if e["unit_code"] == unit)
    assert entry == {"unit_code": unit, "unit_name": "县自然资源和规划局", "items": 1,
                     "version": 5, "updated_at": entry["updated_at"]}  # fmt: skip


def test_bad_items_and_another_units_list_are_refused_and_record_nothing(api: Api) -> None:
    unit = api.unit("县市场监督管理局", "department")
    liaison = api.account("unit", unit)
    other = api.account("unit", api.unit("县林业局", "department"))
    guarded = api.post(f"{LISTS}/{unit}/items", LICENCE, {**liaison, "If-Match": '"3"'})
    assert_error(guarded, 409, "version_conflict")
    ok(api.post(f"{LISTS}/{unit}/items", LICENCE, liaison))
    assert_error(api.post(f"{LISTS}/{unit}/items", LICENCE, liaison), 409, "already_exists")
    assert_error(api.post(f"{LISTS}/{unit}/items", {**LICENCE, "name": "x", "kind": "tax"},
                          liaison), 422, "invalid_value")  # fmt: skip
    assert_error(api.post(f"{LISTS}/{unit}/items", {**LICENCE, "name": ""}, liaison), 422)
    assert_error(api.post(f"{LISTS}/{unit}/items", {**LICENCE, "name": "y"}, other), 404)
    same = {"kind": "licensing", "reason": "无变化"}
    assert_error(api.post(f"{LISTS}/{unit}/items/1/amendment", same, liaison), 422,
                 "invalid_value")  # fmt: skip
    no_item = api.post(f"{LISTS}/{unit}/items/7/removal", {"reason": "r"}, liaison)
    assert "power list" not in assert_error(no_item, 404, "not_found")["message"]  # the item's
    for verb in ("removal", "amendment"):  # another unit's list is not there; nor is none
        body = {"reason": "r", "kind": "tax"}
        assert_error(api.post(f"{LISTS}/{unit}/items/1/{verb}", body, other), 404, "not_found")
        missing = api.post(f"{LISTS}/no-list-zz/items/1/{verb}", body, ADMIN)
        assert assert_error(missing, 404)["message"] == "power list 'no-list-zz' not found"
    missing_unit = api.post(f"{LISTS}/no-such-unit-zz/items", LICENCE, ADMIN)
    assert_error(missing_unit, 422, "unknown_reference")
    assert ok(public(api, unit))["version"] == 2, "nothing refused was recorded"


def test_the_public_portal_shows_every_list_in_force_without_sign_in(api: Api) -> None:
    unit = api.unit("县文化广电旅游局", "department")
    liaison = api.account("unit", unit)
    hostile = {**LICENCE, "name": "<script>alert(1)</script>营业性演出审批"}
    added = ok(api.post(f"{LISTS}/{unit}/items", hostile, liaison))
    ok(api.client.get(PUBLIC, params={"min_position": added["position"]}))  # directory caught up
    page = api.client.get("/public/power-lists")
    assert page.status_code == 200 and "权力清单和责任清单" in page.text
    section = page.text.split(f'id="power-list-{unit}"')[1].split("</section>")[0]
    assert "县文化广电旅游局" in section and "行政许可" in section and "规划科" in section
    assert "共 1 项 · 第 2 版" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;营业性演出审批" in section, "text stays text"
    assert "<script>alert" not in page.text


def test_a_finding_cites_a_power_in_force_of_its_units_list(api: Api) -> None:
    unit = api.unit("县综合行政执法局", "department")
    inspector = api.account("inspector")
    finding = api.finding(inspector, unit)["id"]
    cite = f"/api/v1/findings/{finding}/power-items"
    assert_error(api.post(cite, {"number": 1}, inspector), 422, "invalid_value")  # no list yet
    ok(api.post(f"{LISTS}/{unit}/items", LICENCE, ADMIN))
    assert_error(api.post(cite, {"number": 2}, inspector), 422, "invalid_value")
    assert_error(api.post(cite, {"number": 1}, api.account("unit", unit)), 403)
    position = ok(api.post(cite, {"number": 1}, inspector))["position"]
    assert_error(api.post(cite, {"number": 1}, inspector), 409, "already_exists")
    shown = ok(api.get(f"/api/v1/findings/{finding}", inspector))
    assert shown["power_items"] == [{"unit_code": unit, "number": 1, "name": "建设工程规划许可"}]
    assert shown["version"] == 2, "raised, then the one citation"
    history = all_items(api, f"/api/v1/units/{unit}/history", ADMIN, min_position=position)
    assert "引用权力事项：1. 建设工程规划许可" in [h["summary"] for h in history]
