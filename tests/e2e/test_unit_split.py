"""Splits and internal units over HTTP (issue 18 item 6): a unit split into several hands its
open findings and the open work items it leads to the successors its assignments (else the
default) name, in one transaction, while its closed and withdrawn records stay its own; it
then takes no new records; bad splits are refused and record nothing. A unit's 内设机构 are
kept on it, and a power list item names one of them."""

from __future__ import annotations

from typing import Any

from tests.e2e.console import console_as
from tests.e2e.helpers import all_items, assert_error, closed_finding, ok
from tests.support import ADMIN, Api, account_fixture

UNITS = "/api/v1/units"
inspector = account_fixture("inspector", "督查员 分设")


def split_body(into: list[str], **overrides: Any) -> dict[str, Any]:
    return {"into": into, "reason": "机构改革：职责分设", "effective_on": "2026-06-01"} | overrides


def test_a_split_hands_open_records_to_the_successors_and_keeps_the_closed_ones(
    api: Api, inspector: dict[str, str]
) -> None:
    old = api.unit("县农林局（分设前）", "department")
    farming, forestry = api.unit("县农业农村局（分设）", "department"), api.unit("县林业局（分设）")
    kept_open, given = api.finding(inspector, old)["id"], api.finding(inspector, old)["id"]
    withdrawn = api.finding(inspector, old)["id"]
    ok(api.post(f"/api/v1/findings/{withdrawn}/withdrawal", {"reason": "误报"}, inspector))
    item = {"title": "林长制落实", "year": 2026, "lead_unit": old, "co_units": [forestry],
            "due_on": "2026-12-31"}  # fmt: skip
    led = ok(api.post("/api/v1/work-items", item, ADMIN), 201)["id"]

    assignments = [{"record_id": given, "unit_code": forestry},
                   {"record_id": led, "unit_code": forestry}]  # fmt: skip
    body = split_body([farming, forestry], assignments=assignments)
    done = ok(api.post(f"{UNITS}/{old}/split", body, ADMIN))
    unit = ok(api.get(f"{UNITS}/{old}", inspector, min_position=done["position"]))
    assert (unit["status"], unit["split_into"]) == ("dissolved", [farming, forestry])
    findings = {fid: ok(api.get(f"/api/v1/findings/{fid}", inspector))["unit_code"]
                for fid in (kept_open, given, withdrawn)}  # fmt: skip
    assert findings == {kept_open: farming, given: forestry, withdrawn: old}
    work = ok(api.get(f"/api/v1/work-items/{led}", inspector))
    assert (work["lead_unit"], work["co_units"]) == (forestry, []), "the co-unit now leads"
    history = all_items(api, f"{UNITS}/{forestry}/history", inspector,
                        min_position=done["position"])  # fmt: skip
    moved = [h["summary"] for h in history if h["aggregate_id"] in (given, led)]
    assert f"{old} → {forestry}" in " ".join(moved)
    own = all_items(api, f"{UNITS}/{old}/history", inspector, min_position=done["position"])
    assert any("分设为" in h["summary"] for h in own)
    finding = {"unit_code": old, "title": "新问题", "description": "分设后发现",
               "category": "work_style", "severity": "minor", "source": "routine_supervision",
               "found_on": "2026-07-01"}  # fmt: skip
    assert_error(api.post("/api/v1/findings", finding, inspector), 409, "unit_inactive")
    assert_error(api.post(f"{UNITS}/{old}/split", split_body([farming, forestry]), ADMIN), 409)
    # Its year's figures keep a row of its own for what stayed its own; the next year, none.
    rows = stats_rows(api, 2026, done["position"])
    assert rows[old]["findings_raised"] == 1 and rows[old]["findings_withdrawn"] == 1
    assert rows[farming]["findings_raised"] == 1 and rows[forestry]["findings_raised"] == 1
    assert old not in stats_rows(api, 2027, done["position"])


def stats_rows(api: Api, year: int, position: int) -> dict[str, dict[str, Any]]:
    answer = ok(api.get("/api/v1/stats/units", ADMIN, year=year, min_position=position))
    return {row["code"]: row for row in answer["items"]}


def test_bad_splits_are_refused_and_record_nothing(api: Api, inspector: dict[str, str]) -> None:
    old, a, b = (api.unit(f"分设校验{n}", "department") for n in range(3))
    finding = api.finding(inspector, old)["id"]
    other = api.finding(inspector, a)["id"]
    cases = [
        (split_body([a]), 422),  # one successor
        (split_body([a, old]), 422),  # into itself
        (split_body([a, "no-such-unit"]), 422),
        (split_body([a, b], default_unit="no-such-unit"), 422),
        (split_body([a, b], assignments=[{"record_id": other, "unit_code": a}]), 422),
        (split_body([a, b], assignments=[{"record_id": finding, "unit_code": old}]), 422),
    ]
    for body, status in cases:
        assert_error(api.post(f"{UNITS}/{old}/split", body, ADMIN), status)
    assert_error(api.post(f"{UNITS}/{old}/split", split_body([a, b]), inspector), 403)
    assert ok(api.get(f"{UNITS}/{old}", inspector))["status"] == "active"
    assert ok(api.get(f"/api/v1/findings/{finding}", inspector))["unit_code"] == old


def test_a_units_internal_units_are_kept_and_power_items_name_one_of_them(api: Api) -> None:
    unit = api.unit("县自然资源局（内设）", "department")
    ok(api.post(f"{UNITS}/{unit}/internal-units", {"name": "规划科"}, ADMIN))
    ok(api.post(f"{UNITS}/{unit}/internal-units", {"name": "执法大队"}, ADMIN))
    assert_error(api.post(f"{UNITS}/{unit}/internal-units", {"name": "规划科"}, ADMIN), 409)
    shown = ok(api.get(f"{UNITS}/{unit}", ADMIN))
    assert shown["internal_units"] == ["规划科", "执法大队"]
    power = {"name": "建设工程规划许可", "kind": "licensing", "legal_basis": "城乡规划法",
             "responsibilities": "受理、审查、决定", "internal_unit": "不存在科"}  # fmt: skip
    refused = assert_error(api.post(f"/api/v1/power-lists/{unit}/items", power, ADMIN), 422)
    assert refused["details"] == {"internal_units": ["规划科", "执法大队"]}
    ok(api.post(f"/api/v1/power-lists/{unit}/items", power | {"internal_unit": "规划科"}, ADMIN))
    removal = {"name": "执法大队", "reason": "划入综合执法局"}
    ok(api.post(f"{UNITS}/{unit}/internal-units/removal", removal, ADMIN))
    assert_error(api.post(f"{UNITS}/{unit}/internal-units/removal", removal, ADMIN), 422)
    assert ok(api.get(f"{UNITS}/{unit}", ADMIN))["internal_units"] == ["规划科"]


def test_a_power_item_added_or_amended_names_one_of_the_units_internal_units(api: Api) -> None:
    """Once a unit has internal units, an item added names one of them (naming none is
    refused too), and an amendment changes it only to another of them; refused, nothing is
    recorded."""
    unit = api.unit("县市场监督管理局（内设）", "department")
    items = f"/api/v1/power-lists/{unit}/items"
    power = {"name": "食品经营许可", "kind": "licensing", "legal_basis": "食品安全法",
             "responsibilities": "受理、审查、决定"}  # fmt: skip
    ok(api.post(f"{UNITS}/{unit}/internal-units", {"name": "行政审批科"}, ADMIN))
    unnamed = assert_error(api.post(items, power, ADMIN), 422, "invalid_value")
    assert unnamed["details"] == {"internal_units": ["行政审批科"]}
    added = ok(api.post(items, power | {"internal_unit": "行政审批科"}, ADMIN))
    amendment = {"reason": "职责调整", "internal_unit": "不存在科"}
    refused = assert_error(api.post(f"{items}/1/amendment", amendment, ADMIN), 422, "invalid_value")
    assert refused["details"] == {"internal_units": ["行政审批科"]}
    shown = ok(api.get(f"/api/v1/public/power-lists/{unit}", ADMIN))
    assert (
        shown["version"] == added["version"] and shown["items"][0]["internal_unit"] == "行政审批科"
    )
    ok(api.post(f"{UNITS}/{unit}/internal-units", {"name": "食品经营监管科"}, ADMIN))
    moved = {"reason": "职责调整", "internal_unit": "食品经营监管科"}
    ok(api.post(f"{items}/1/amendment", moved, ADMIN))
    shown = ok(api.get(f"/api/v1/public/power-lists/{unit}", ADMIN))
    assert shown["items"][0]["internal_unit"] == "食品经营监管科"


def test_a_split_transfers_the_open_records_of_the_units_merged_into_it(
    api: Api, inspector: dict[str, str]
) -> None:
    merged, survivor = api.unit("县法制办（分设链）"), api.unit("县司法局（分设链）")
    a, b = api.unit("县司法局甲（分设链）"), api.unit("县司法局乙（分设链）")
    inherited = api.finding(inspector, merged)["id"]
    merger = {"into": survivor, "reason": "机构改革", "effective_on": "2026-01-01"}
    ok(api.post(f"{UNITS}/{merged}/merger", merger, ADMIN))
    done = ok(api.post(f"{UNITS}/{survivor}/split", split_body([a, b], default_unit=b), ADMIN))
    assert done["version"] >= 2
    finding = ok(api.get(f"/api/v1/findings/{inherited}", inspector))
    assert finding["unit_code"] == b, "the merged unit's open finding goes on with the split"


def test_a_closed_finding_of_a_split_unit_is_not_reopened_on_it_nor_offered(
    api: Api, inspector: dict[str, str]
) -> None:
    """A split unit takes no records: the problem found again is a new finding of the unit
    now in charge (409 unit_inactive), and the console offers no reopening."""
    old, a, b = (api.unit(f"回头看分设{n}", "department") for n in range(3))
    closed = closed_finding(api, inspector, old)["id"]
    page = f"/findings/{closed}"
    with console_as(api.client, inspector) as browser:
        assert "/reopening" in browser.get(page).text
        done = ok(api.post(f"{UNITS}/{old}/split", split_body([a, b]), ADMIN))
        ok(api.get(f"{UNITS}/{old}", inspector, min_position=done["position"]))
        assert "/reopening" not in browser.get(page).text
    refused = api.post(f"/api/v1/findings/{closed}/reopening", {"reason": "回头看"}, inspector)
    error = assert_error(refused, 409, "unit_inactive")
    assert error["details"]["split_into"] == [a, b]
