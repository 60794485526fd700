"""Units (责任单位): register, read, rename, merge; a merged unit takes no new findings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api, unique

UNITS = "/api/v1/units"


def register(api: Api, name: str = "县教育局", kind: str = "department") -> tuple[str, Any]:
    code = unique("u")
    response = api.post(UNITS, {"code": code, "name": name, "kind": kind}, ADMIN)
    return code, response


@pytest.mark.parametrize("kind", ["township", "subdistrict", "department", "agency", "other"])
def test_admin_registers_a_unit_of_every_kind(api: Api, kind: str) -> None:
    code, response = register(api, "某单位", kind)
    answer = ok(response, 201)
    assert {"id", "version", "position"} <= set(answer)
    assert answer["version"] == 1
    assert isinstance(answer["position"], int) and answer["position"] > 0
    assert response.headers["ETag"] == '"1"'
    assert ok(api.get(f"{UNITS}/{code}", ADMIN))["kind"] == kind


def test_registered_unit_reads_back_with_its_fields(api: Api) -> None:
    code, response = register(api, "城关镇人民政府", "township")
    ok(response, 201)
    unit = ok(api.get(f"{UNITS}/{code}", ADMIN))
    assert {"code", "name", "kind", "status", "successor_code"} <= set(unit)
    assert unit["code"] == code
    assert unit["name"] == "城关镇人民政府"
    assert unit["kind"] == "township"
    assert unit["status"] == "active"
    assert unit["successor_code"] is None


def test_any_signed_in_role_can_read_a_unit(api: Api) -> None:
    code = api.unit("县卫健委", "department")
    for role in ("inspector", "supervisor", "auditor", "authority"):
        assert ok(api.get(f"{UNITS}/{code}", api.account(role)))["name"] == "县卫健委"


def test_duplicate_unit_code_is_already_exists(api: Api) -> None:
    code = api.unit("县交通局")
    response = api.post(UNITS, {"code": code, "name": "另一个", "kind": "agency"}, ADMIN)
    assert_error(response, 409, "already_exists")
    assert ok(api.get(f"{UNITS}/{code}", ADMIN))["name"] == "县交通局"


def test_unknown_unit_kind_is_refused(api: Api) -> None:
    _, response = register(api, "某单位", "ministry")
    assert_error(response, 422)


def test_unit_code_with_spaces_is_refused(api: Api) -> None:
    response = api.post(UNITS, {"code": "bad code", "name": "某单位", "kind": "other"}, ADMIN)
    assert_error(response, 422)


def test_unknown_unit_code_is_not_found_naming_the_code(api: Api) -> None:
    code = unique("missing")
    refused = assert_error(api.get(f"{UNITS}/{code}", ADMIN), 404, "not_found")
    assert refused["message"] == f"unit {code!r} not found"
    existing = api.unit()
    early = api.get(f"{UNITS}/{existing}", ADMIN, as_of="2000-01-01T00:00:00+08:00")
    then = assert_error(early, 404, "not_found")["message"]
    assert then == f"unit {existing!r} not found at 2000-01-01T00:00:00+08:00"


def test_inspector_cannot_register_units(api: Api) -> None:
    inspector = api.account("inspector")
    response = api.post(UNITS, {"code": unique("u"), "name": "越权", "kind": "other"}, inspector)
    assert_error(response, 403, "forbidden")


def test_renaming_keeps_the_code_and_changes_the_name(api: Api) -> None:
    code = api.unit("县国土资源局", "department")
    body = {"name": "县自然资源局", "reason": "机构改革更名", "effective_on": "2026-01-01"}
    response = api.post(f"{UNITS}/{code}/renaming", body, ADMIN)
    answer = ok(response)
    assert answer["version"] == 2 and response.headers["ETag"] == '"2"'
    unit = ok(api.get(f"{UNITS}/{code}", ADMIN))
    assert unit["code"] == code
    assert unit["name"] == "县自然资源局"
    assert unit["status"] == "active"


def test_a_command_on_an_unknown_unit_is_not_found_and_names_its_code(api: Api) -> None:
    code = unique("missing")
    other = api.unit("存在的单位")
    for path, body in (
        ("renaming", {"name": "新名", "reason": "更名", "effective_on": "2026-01-01"}),
        ("merger", {"into": other, "reason": "合并", "effective_on": "2026-01-01"}),
        ("split", {"into": [other, api.unit("另一单位")], "reason": "分设",
                   "effective_on": "2026-01-01"}),
        ("internal-units", {"name": "综合科"}),
    ):  # fmt: skip
        error = assert_error(api.post(f"{UNITS}/{code}/{path}", body, ADMIN), 404, "not_found")
        assert error["message"] == f"unit {code!r} not found", path


def test_merger_marks_the_unit_merged_with_its_successor(api: Api) -> None:
    old = api.unit("县林业局", "department")
    successor = api.unit("县自然资源和规划局", "department")
    body = {"into": successor, "reason": "机构改革合并", "effective_on": "2026-02-01"}
    answer = ok(api.post(f"{UNITS}/{old}/merger", body, ADMIN))
    assert answer["version"] == 2
    unit = ok(api.get(f"{UNITS}/{old}", ADMIN))
    assert unit["status"] == "merged"
    assert unit["successor_code"] == successor
    assert ok(api.get(f"{UNITS}/{successor}", ADMIN))["status"] == "active"


def test_merger_into_an_unknown_unit_is_refused(api: Api) -> None:
    old = api.unit("县粮食局")
    body = {"into": unique("missing"), "reason": "合并", "effective_on": "2026-02-01"}
    assert_error(api.post(f"{UNITS}/{old}/merger", body, ADMIN), 422)
    assert ok(api.get(f"{UNITS}/{old}", ADMIN))["status"] == "active"


def test_merger_into_a_unit_that_takes_no_records_is_a_conflict(api: Api) -> None:
    """Into a unit merged or dissolved: 409 unit_inactive, as every command naming one."""
    old, gone, successor = (api.unit(f"合并校验{n}") for n in range(3))
    ok(api.post(f"{UNITS}/{gone}/merger", {"into": successor, "reason": "合并",
                                           "effective_on": "2026-01-01"}, ADMIN))  # fmt: skip
    body = {"into": gone, "reason": "合并", "effective_on": "2026-02-01"}
    error = assert_error(api.post(f"{UNITS}/{old}/merger", body, ADMIN), 409, "unit_inactive")
    assert error["details"]["successor_code"] == successor
    assert ok(api.get(f"{UNITS}/{old}", ADMIN))["status"] == "active"
    # Nor are a merged unit's internal units changed any more, removed or added.
    refused = api.post(f"{UNITS}/{gone}/internal-units/removal", {"name": "科", "reason": "撤"},
                       ADMIN)  # fmt: skip
    assert_error(refused, 409, "invalid_transition")


def test_merged_unit_takes_no_new_findings(api: Api) -> None:
    old = api.unit("某乡人民政府", "township")
    successor = api.unit("某镇人民政府", "township")
    body = {"into": successor, "reason": "撤乡并镇", "effective_on": "2026-02-01"}
    ok(api.post(f"{UNITS}/{old}/merger", body, ADMIN))
    inspector = api.account("inspector")
    finding = {
        "unit_code": old,
        "title": "合并后仍登记问题",
        "description": "不应被接受",
        "category": "other",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": "2026-03-05",
        "evidence": [],
    }
    error = assert_error(api.post("/api/v1/findings", finding, inspector), 409, "unit_inactive")
    assert error["message"]


def test_finding_against_an_unknown_unit_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    finding = {
        "unit_code": unique("missing"),
        "title": "不存在的单位",
        "description": "不应被接受",
        "category": "other",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": "2026-03-05",
    }
    assert_error(api.post("/api/v1/findings", finding, inspector), 422)


def test_unit_list_read_at_the_commands_position_holds_the_new_unit(api: Api) -> None:
    code, response = register(api, "县审计局", "department")
    position = ok(response, 201)["position"]
    items = all_items(api, UNITS, ADMIN, min_position=position)
    mine = [u for u in items if u["code"] == code]
    assert len(mine) == 1
    assert mine[0]["name"] == "县审计局" and mine[0]["kind"] == "department"
    assert mine[0]["status"] == "active"


def test_unit_list_shows_a_merger_at_the_mergers_position(api: Api) -> None:
    old = api.unit("县档案局")
    successor = api.unit("县委办公室")
    body = {"into": successor, "reason": "职能划入", "effective_on": "2026-02-01"}
    position = ok(api.post(f"{UNITS}/{old}/merger", body, ADMIN))["position"]
    items = all_items(api, UNITS, ADMIN, min_position=position)
    mine = [u for u in items if u["code"] == old]
    assert len(mine) == 1
    assert mine[0]["status"] == "merged" and mine[0]["successor_code"] == successor


def test_a_unit_code_no_unit_can_have_is_not_found_in_every_path(api: Api) -> None:
    """A code of characters no code has, or too long, names no unit: 404, as an unknown
    code (and a record id that is no UUID) is."""
    body = {"name": "新名", "reason": "更名", "effective_on": "2026-01-01"}
    for code in ("城关镇", "-abc", "x" * 65):
        for answer in (
            api.get(f"{UNITS}/{code}", ADMIN),
            api.get(f"{UNITS}/{code}/history", ADMIN),
            api.post(f"{UNITS}/{code}/renaming", body, ADMIN),
        ):
            assert_error(answer, 404, "not_found")
