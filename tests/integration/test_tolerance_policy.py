"""The county's 容错免责办法 over HTTP, on a database of its own (issue 18 item 4): until it is
adopted a decision keeps the v1 contract's rule; once adopted, 免责 and 从轻 — first decisions
and modified appeal decisions alike — need a circumstance (情形) met and every required
condition (条件) verified, else 422 `tolerance_criteria_unmet` naming what is missing and
nothing recorded. The policy is adopted once, revised, and read back with the vocabulary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.runtime.bootstrap import build
from infra.settings import Settings
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import assert_error, ok
from tests.support import ADMIN, Api

POLICY = "/api/v1/tolerance-policy"


@pytest.fixture
def api(fresh_settings: Settings) -> Iterator[Api]:
    services = build(fresh_settings, runners="off")
    try:
        with TestClient(create_app(services.settings, services=services)) as client:
            yield Api(client)
    finally:
        services.close()


def applied(api: Api, inspector: dict[str, str], unit: str) -> str:
    finding = api.finding(inspector, unit)["id"]
    return str(api.ruling("fault-tolerance", inspector, unit, [finding])["id"])


def decision(outcome: str, *criteria: str) -> dict[str, Any]:
    return {"outcome": outcome, "criteria_met": list(criteria), "reasoning": "经集体研究认定",
            "decided_on": "2026-03-20"}  # fmt: skip


def test_a_decision_keeps_the_contracts_rule_until_the_county_adopts_its_policy(
    api: Api,
) -> None:
    inspector, authority = api.account("inspector"), api.account("authority")
    unit = api.unit("县发展和改革局", "department")
    shown = ok(api.get(POLICY, inspector))
    assert shown["adopted"] is False and shown["required_conditions"] == []
    assert shown["circumstances"] == [
        "pilot_inexperience", "exploration_without_clear_rules", "unintended_for_public_good"
    ]  # fmt: skip
    assert "no_collusion" in shown["conditions"] and "due_procedure" in shown["conditions"]
    rid = applied(api, inspector, unit)
    api.decided(authority, rid, decision("exempted", "due_procedure"))  # a condition alone


def test_once_adopted_exemption_needs_a_circumstance_and_every_required_condition(
    api: Api,
) -> None:
    inspector, authority = api.account("inspector"), api.account("authority")
    unit = api.unit("县发展和改革局", "department")
    body = {"locality": "新昌县", "required_conditions": ["no_personal_gain", "due_procedure"]}
    assert_error(api.post(POLICY, body, inspector), 403)
    ok(api.post(POLICY, body, authority), 201)
    assert_error(api.post(POLICY, body, ADMIN), 409, "already_exists")
    rid = applied(api, inspector, unit)
    path = f"/api/v1/rulings/{rid}/decision"

    no_circumstance = api.post(path, decision("exempted", "no_personal_gain", "due_procedure"),
                               authority)  # fmt: skip
    error = assert_error(no_circumstance, 422, "tolerance_criteria_unmet")
    assert "不符合容错免责条件" in error["message"]
    assert error["details"] == {"circumstance_met": False, "missing_conditions": []}
    missing = api.post(path, decision("mitigated", "pilot_inexperience", "no_personal_gain"),
                       authority)  # fmt: skip
    error = assert_error(missing, 422, "tolerance_criteria_unmet")
    assert error["details"] == {"circumstance_met": True, "missing_conditions": ["due_procedure"]}
    assert ok(api.get(f"/api/v1/rulings/{rid}", authority))["status"] == "applied"
    with console_as(api.client, authority) as browser:
        page = browser.get(f"/rulings/{rid}")
        hint = "新昌县容错免责办法：免责或从轻减轻须至少符合一项情形"
        assert hint in page.text and "并查实“决策程序合规”、“未谋取私利”。" in page.text
        form = {"form_key": "decision-" + "t" * 20, "outcome": "exempted",
                "criteria_met": "due_procedure", "reasoning": "认定",
                "decided_on": "2026-03-20"}  # fmt: skip
        refused = submit(browser, page, f"/rulings/{rid}/decision", form)
        assert refused.status_code == 422 and "免责或从轻减轻须至少符合一项容错情形" in refused.text

    api.decided(authority, rid, decision("mitigated", "pilot_inexperience", "no_personal_gain",
                                         "due_procedure"))  # fmt: skip
    ok(api.post(f"/api/v1/rulings/{rid}/appeal", {"grounds": "应予免责"}, inspector))
    appeal = {"result": "modified", **decision("exempted", "due_procedure", "no_personal_gain")}
    appeal.pop("decided_on")
    refused = api.post(f"/api/v1/rulings/{rid}/appeal-decision", appeal, authority)
    assert_error(refused, 422, "tolerance_criteria_unmet")
    assert ok(api.get(f"/api/v1/rulings/{rid}", authority))["status"] == "appealed"

    other = applied(api, inspector, unit)
    api.decided(authority, other, decision("denied"))  # 不予容错 needs nothing of the policy


def test_the_policy_is_revised_and_bears_on_decisions_made_after(api: Api) -> None:
    inspector, authority = api.account("inspector"), api.account("authority")
    unit = api.unit("县发展和改革局", "department")
    revision = {"required_conditions": ["no_collusion"], "reason": "县办法修订"}
    assert_error(api.post(f"{POLICY}/revision", revision, authority), 404, "not_found")
    ok(api.post(POLICY, {"locality": "新昌县", "required_conditions": []}, authority), 201)
    circumstance = {"required_conditions": ["pilot_inexperience"], "reason": "r"}
    bad = api.post(f"{POLICY}/revision", circumstance, authority)
    assert_error(bad, 422, "invalid_value")
    unknown = api.post(f"{POLICY}/revision", {"required_conditions": ["nope"], "reason": "r"},
                       authority)  # fmt: skip
    assert_error(unknown, 422)
    first = applied(api, inspector, unit)
    api.decided(authority, first, decision("exempted", "pilot_inexperience"))
    ok(api.post(f"{POLICY}/revision", revision, ADMIN))
    again = api.post(f"{POLICY}/revision", revision, ADMIN)
    assert_error(again, 422, "invalid_value")
    shown = ok(api.get(POLICY, inspector))
    assert shown["adopted"] is True and shown["locality"] == "新昌县"
    assert shown["required_conditions"] == ["no_collusion"] and shown["version"] == 2
    later = applied(api, inspector, unit)
    refused = api.post(f"/api/v1/rulings/{later}/decision",
                       decision("exempted", "pilot_inexperience"), authority)  # fmt: skip
    assert_error(refused, 422, "tolerance_criteria_unmet")
    api.decided(authority, later, decision("exempted", "pilot_inexperience", "no_collusion"))
    first_shown = ok(api.get(f"/api/v1/rulings/{first}", authority))
    assert first_shown["decision"]["outcome"] == "exempted", "an earlier decision stands"


def test_an_appeal_cannot_clear_a_case_the_negative_list_barred(api: Api) -> None:
    inspector, authority = api.account("inspector"), api.account("authority")
    unit = api.unit("县发展和改革局", "department")
    rid = applied(api, inspector, unit)
    api.decided(authority, rid, {**decision("denied"), "exclusions": ["personal_gain"]})
    ok(api.post(f"/api/v1/rulings/{rid}/appeal", {"grounds": "未谋取私利"}, inspector))
    appeal = {"result": "modified", "outcome": "exempted", "criteria_met": ["pilot_inexperience"],
              "reasoning": "复核"}  # fmt: skip
    refused = api.post(f"/api/v1/rulings/{rid}/appeal-decision", appeal, authority)
    error = assert_error(refused, 422, "excluded_from_tolerance")
    assert error["details"]["exclusions"] == ["personal_gain"]
    assert ok(api.get(f"/api/v1/rulings/{rid}", authority))["status"] == "appealed"
    upheld = {"result": "upheld", "reasoning": "维持"}
    ok(api.post(f"/api/v1/rulings/{rid}/appeal-decision", upheld, authority))


def test_the_same_conditions_in_another_order_are_the_same_policy(api: Api) -> None:
    authority = api.account("authority")
    body = {"locality": "新昌县", "required_conditions": ["due_procedure", "no_personal_gain"]}
    ok(api.post(POLICY, body, authority), 201)
    shown = ok(api.get(POLICY, authority))
    assert shown["required_conditions"] == ["due_procedure", "no_personal_gain"]
    again = {"required_conditions": ["no_personal_gain", "due_procedure"], "reason": "重排"}
    assert_error(api.post(f"{POLICY}/revision", again, authority), 422, "invalid_value")
