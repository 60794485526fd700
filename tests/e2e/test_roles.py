"""Roles: who may command, who may only read, and what a unit's liaison can see."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import (
    FINDINGS,
    FUTURE,
    assert_error,
    board,
    command,
    finding,
    finding_body,
    ids,
    ok,
    order,
    report,
    status_of,
)
from tests.support import ADMIN, Api, unique


def test_unit_account_cannot_order_rectification(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit)["id"]
    body = {"deadline": FUTURE, "requirements": "自己给自己下达整改"}
    assert_error(command(api, fid, "rectification-order", body, liaison), 403, "forbidden")
    assert finding(api, inspector, fid)["version"] == 1


def test_unit_account_cannot_raise_findings(api: Api) -> None:
    unit = api.unit()
    liaison = api.account("unit", unit)
    assert_error(
        api.post(FINDINGS, finding_body(unit, title="无权登记的问题"), liaison), 403, "forbidden"
    )


def test_unit_account_cannot_see_another_units_finding(api: Api) -> None:
    mine, theirs = api.unit("甲镇"), api.unit("乙镇")
    inspector = api.account("inspector")
    liaison = api.account("unit", mine)
    fid = api.finding(inspector, theirs)["id"]
    assert_error(api.get(f"{FINDINGS}/{fid}", liaison), 404, "not_found")
    assert_error(api.get(f"{FINDINGS}/{fid}/events", liaison), 404, "not_found")
    assert_error(api.get(f"{FINDINGS}/{fid}", liaison, version=1), 404, "not_found")


def test_unit_account_sees_its_own_units_finding(api: Api) -> None:
    unit = api.unit("丙镇")
    inspector = api.account("inspector")
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit)["id"]
    assert finding(api, liaison, fid)["unit_code"] == unit
    assert len(ok(api.get(f"{FINDINGS}/{fid}/events", liaison))["items"]) == 1


def test_unit_account_cannot_report_on_another_units_finding(api: Api) -> None:
    mine, theirs = api.unit("丁镇"), api.unit("戊镇")
    inspector = api.account("inspector")
    liaison = api.account("unit", mine)
    fid = api.finding(inspector, theirs)["id"]
    order(api, inspector, fid)
    body = {"summary": "替别的单位报送", "evidence": []}
    assert_error(command(api, fid, "rectification-report", body, liaison), 404, "not_found")
    assert status_of(api, inspector, fid) == "rectifying"


def test_unit_accounts_finding_list_holds_only_its_own_units_findings(api: Api) -> None:
    mine, theirs = api.unit("己镇"), api.unit("庚镇")
    inspector = api.account("inspector")
    liaison = api.account("unit", mine)
    own = api.finding(inspector, mine)["id"]
    other = api.finding(inspector, theirs)
    items = board(api, liaison, other["position"])
    assert own in ids(items)
    assert other["id"] not in ids(items)
    assert {item["unit_code"] for item in items} == {mine}


def test_unit_account_filtering_on_another_unit_sees_nothing(api: Api) -> None:
    mine, theirs = api.unit("辛镇"), api.unit("壬镇")
    inspector = api.account("inspector")
    liaison = api.account("unit", mine)
    other = api.finding(inspector, theirs)
    assert board(api, liaison, other["position"], unit_code=theirs) == []
    assert other["id"] in ids(board(api, inspector, other["position"], unit_code=theirs))


@pytest.mark.parametrize("role", ["supervisor", "auditor"])
def test_reader_roles_can_read_findings(api: Api, role: str) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    reader = api.account(role)
    raised = api.finding(inspector, unit)
    assert finding(api, reader, raised["id"])["status"] == "raised"
    assert raised["id"] in ids(board(api, reader, raised["position"], unit_code=unit))
    assert len(ok(api.get(f"{FINDINGS}/{raised['id']}/events", reader))["items"]) == 1


@pytest.mark.parametrize("role", ["supervisor", "auditor", "authority", "admin"])
def test_only_inspectors_raise_findings_and_order_rectification(api: Api, role: str) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    who = api.account(role)
    fid = api.finding(inspector, unit)["id"]
    body = {"deadline": FUTURE, "requirements": "越权下达"}
    assert_error(command(api, fid, "rectification-order", body, who), 403, "forbidden")
    assert_error(
        api.post(FINDINGS, finding_body(unit, title="无权登记的问题"), who), 403, "forbidden"
    )
    assert finding(api, inspector, fid)["version"] == 1


@pytest.mark.parametrize("role", ["supervisor", "auditor"])
@pytest.mark.parametrize(
    ("verb", "body"),
    [
        ("escalation", {"reason": "越权"}),
        ("withdrawal", {"reason": "越权"}),
        ("amendment", {"changes": {"title": "越权更正"}, "reason": "越权"}),
        ("deadline-extension", {"new_deadline": "2100-12-31", "reason": "越权"}),
    ],
)
def test_reader_roles_cannot_command_findings(
    api: Api, role: str, verb: str, body: dict[str, object]
) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    assert_error(command(api, fid, verb, body, api.account(role)), 403, "forbidden")
    assert finding(api, inspector, fid)["version"] == 2


@pytest.mark.parametrize("role", ["supervisor", "auditor"])
def test_reader_roles_cannot_report_rectification(api: Api, role: str) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    body = {"summary": "越权报送", "evidence": []}
    assert_error(command(api, fid, "rectification-report", body, api.account(role)), 403)
    assert status_of(api, inspector, fid) == "rectifying"


def test_inspector_cannot_create_units(api: Api) -> None:
    inspector = api.account("inspector")
    body = {"code": unique("u"), "name": "越权单位", "kind": "other"}
    assert_error(api.post("/api/v1/units", body, inspector), 403, "forbidden")


@pytest.mark.parametrize("role", ["inspector", "unit"])
def test_only_admin_renames_units(api: Api, role: str) -> None:
    unit = api.unit("原名称")
    who = api.account(role, unit if role == "unit" else None)
    body = {"name": "新名称", "reason": "越权", "effective_on": "2026-01-01"}
    assert_error(api.post(f"/api/v1/units/{unit}/renaming", body, who), 403, "forbidden")
    assert ok(api.get(f"/api/v1/units/{unit}", ADMIN))["name"] == "原名称"


def test_unit_account_reports_on_its_own_finding(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    report(api, liaison, fid)
    assert status_of(api, liaison, fid) == "reported"
