"""Finding commands: every verb of the contract, its resulting status, and what it refuses."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import (
    BEFORE_FOUND_ON,
    FINDINGS,
    FUTURE,
    LATER_FUTURE,
    assert_error,
    closed_finding,
    command,
    events_of,
    finding,
    no_server_errors,
    ok,
    order,
    report,
    status_of,
    verify,
)
from tests.support import Api, account_fixture, unit_fixture

__all__ = ["no_server_errors"]


inspector = account_fixture("inspector", "督查员 张伟")
unit = unit_fixture("县住建局")


def raised(api: Api, inspector: dict[str, str], unit: str, **overrides: Any) -> str:
    fid: str = api.finding(inspector, unit, **overrides)["id"]
    return fid


# -- the verbs -----------------------------------------------------------------------------------


def test_raising_a_finding_answers_201_and_status_raised(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    body = {
        "unit_code": unit,
        "title": "农村危房改造进度滞后",
        "description": "抽查发现三户未按期开工。",
        "category": "dereliction",
        "severity": "serious",
        "source": "random_inspection",
        "found_on": "2026-03-05",
        "evidence": [{"name": "现场照片.jpg", "sha256": "b" * 64, "size": 2048}],
    }
    response = api.post(FINDINGS, body, inspector)
    answer = ok(response, 201)
    assert answer["version"] == 1 and answer["position"] > 0
    assert response.headers["ETag"] == '"1"'
    got = finding(api, inspector, answer["id"])
    assert got["id"] == answer["id"] and got["version"] == 1
    assert got["status"] == "raised"
    assert got["unit_code"] == unit
    assert got["title"] == "农村危房改造进度滞后"
    assert got["description"] == "抽查发现三户未按期开工。"
    assert got["category"] == "dereliction" and got["severity"] == "serious"
    assert got["deadline"] is None and got["overdue"] is False


def test_rectification_order_makes_the_finding_rectifying(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    body = {"deadline": "2099-06-30", "requirements": "一个月内整改到位"}
    response = command(api, fid, "rectification-order", body, inspector)
    answer = ok(response)
    assert answer["id"] == fid and answer["version"] == 2
    assert response.headers["ETag"] == '"2"'
    got = finding(api, inspector, fid)
    assert got["status"] == "rectifying"
    assert got["deadline"] == "2099-06-30"
    assert got["version"] == 2


def test_rectification_report_by_the_units_account_makes_it_reported(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    liaison = api.account("unit", unit, name="住建局 联络员")
    body = {"summary": "已完成整改", "evidence": [{"name": "a.pdf", "sha256": "c" * 64, "size": 1}]}
    answer = ok(command(api, fid, "rectification-report", body, liaison))
    assert answer["version"] == 3
    assert status_of(api, liaison, fid) == "reported"


def test_rectification_report_by_an_inspector_makes_it_reported(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    report(api, inspector, fid)
    assert status_of(api, inspector, fid) == "reported"


def test_accepted_verification_closes_the_finding(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    report(api, inspector, fid)
    answer = verify(api, inspector, fid, "accepted")
    assert answer["version"] == 4
    got = finding(api, inspector, fid)
    assert got["status"] == "closed"
    assert got["overdue"] is False


def test_rejected_verification_sends_it_back_to_rectifying_with_the_new_deadline(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid, deadline=FUTURE)
    report(api, inspector, fid)
    answer = verify(api, inspector, fid, "rejected", new_deadline=LATER_FUTURE)
    assert answer["version"] == 4
    got = finding(api, inspector, fid)
    assert got["status"] == "rectifying"
    assert got["deadline"] == LATER_FUTURE


def test_unknown_verification_outcome_is_refused(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    report(api, inspector, fid)
    response = command(api, fid, "verification", {"outcome": "maybe"}, inspector)
    assert_error(response, 422)
    assert status_of(api, inspector, fid) == "reported"


def test_deadline_extension_moves_the_deadline_and_keeps_rectifying(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid, deadline=FUTURE)
    body = {"new_deadline": LATER_FUTURE, "reason": "汛期影响施工"}
    answer = ok(command(api, fid, "deadline-extension", body, inspector))
    assert answer["version"] == 3
    got = finding(api, inspector, fid)
    assert got["deadline"] == LATER_FUTURE
    assert got["status"] == "rectifying"


def test_escalation_is_recorded_and_keeps_the_status(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    answer = ok(command(api, fid, "escalation", {"reason": "整改不力，提级督办"}, inspector))
    assert answer["version"] == 3
    assert status_of(api, inspector, fid) == "rectifying"
    assert events_of(api, inspector, fid)[-1]["event_type"] == "Escalated"
    assert events_of(api, inspector, fid)[-1]["data"]["reason"] == "整改不力，提级督办"


def test_amendment_corrects_fields_and_keeps_the_status(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit, title="原标题有错别字")
    body = {"changes": {"title": "更正后的标题", "severity": "serious"}, "reason": "笔误"}
    answer = ok(command(api, fid, "amendment", body, inspector))
    assert answer["version"] == 2
    got = finding(api, inspector, fid)
    assert got["title"] == "更正后的标题"
    assert got["severity"] == "serious"
    assert got["status"] == "raised"


def test_amendment_with_an_unknown_field_is_refused(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    body = {"changes": {"unit_code": "other-unit"}, "reason": "改单位"}
    assert_error(command(api, fid, "amendment", body, inspector), 422)
    got = finding(api, inspector, fid)
    assert got["version"] == 1 and got["unit_code"] == unit


def test_amendment_with_an_unknown_category_is_refused(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    body = {"changes": {"category": "treason"}, "reason": "改类别"}
    assert_error(command(api, fid, "amendment", body, inspector), 422)
    assert finding(api, inspector, fid)["version"] == 1


def test_withdrawal_makes_the_finding_withdrawn(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    answer = ok(command(api, fid, "withdrawal", {"reason": "误报"}, inspector))
    assert answer["version"] == 2
    assert status_of(api, inspector, fid) == "withdrawn"


def test_reopening_a_closed_finding_makes_it_rectifying(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    closed = closed_finding(api, inspector, unit)
    fid = closed["id"]
    assert status_of(api, inspector, fid) == "closed"
    answer = ok(command(api, fid, "reopening", {"reason": "整改回头看发现反弹"}, inspector))
    assert answer["version"] == closed["version"] + 1
    assert status_of(api, inspector, fid) == "rectifying"


def test_command_on_an_unknown_finding_is_not_found(api: Api, inspector: dict[str, str]) -> None:
    fid = "00000000-0000-4000-8000-000000000000"
    assert_error(command(api, fid, "withdrawal", {"reason": "x"}, inspector), 404, "not_found")
    assert_error(api.get(f"{FINDINGS}/{fid}", inspector), 404, "not_found")


def test_finding_id_that_is_not_a_uuid_is_refused_not_crashed(
    api: Api, inspector: dict[str, str]
) -> None:
    response = api.get(f"{FINDINGS}/not-a-uuid", inspector)
    assert response.status_code in (404, 422), response.text
    assert_error(response, response.status_code)


# -- illegal transitions ---------------------------------------------------------------------


def test_reporting_on_a_raised_finding_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    body = {"summary": "尚未下达整改", "evidence": []}
    error = assert_error(
        command(api, fid, "rectification-report", body, inspector), 409, "invalid_transition"
    )
    assert error["details"]["status"] == "raised"
    assert finding(api, inspector, fid)["version"] == 1


def test_verifying_a_rectifying_finding_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    body = {"outcome": "accepted", "comment": "未报送即验收"}
    error = assert_error(command(api, fid, "verification", body, inspector), 409)
    assert error["code"] == "invalid_transition"
    assert error["details"]["status"] == "rectifying"


def test_ordering_rectification_twice_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    body = {"deadline": FUTURE, "requirements": "再次下达"}
    error = assert_error(command(api, fid, "rectification-order", body, inspector), 409)
    assert error["code"] == "invalid_transition"
    assert error["details"]["status"] == "rectifying"


def test_reopening_a_finding_that_is_not_closed_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    error = assert_error(command(api, fid, "reopening", {"reason": "x"}, inspector), 409)
    assert error["code"] == "invalid_transition"
    assert error["details"]["status"] == "raised"


def test_withdrawing_a_closed_finding_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = closed_finding(api, inspector, unit)["id"]
    error = assert_error(command(api, fid, "withdrawal", {"reason": "x"}, inspector), 409)
    assert error["code"] == "invalid_transition"
    assert error["details"]["status"] == "closed"


def test_a_withdrawn_finding_takes_no_further_commands(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    ok(command(api, fid, "withdrawal", {"reason": "误报"}, inspector))
    attempts = [
        ("rectification-order", {"deadline": FUTURE, "requirements": "x"}),
        ("escalation", {"reason": "x"}),
        ("withdrawal", {"reason": "x"}),
        ("reopening", {"reason": "x"}),
    ]
    for verb, body in attempts:
        error = assert_error(command(api, fid, verb, body, inspector), 409, "invalid_transition")
        assert error["details"]["status"] == "withdrawn", verb
    assert finding(api, inspector, fid)["version"] == 2


def test_extending_the_deadline_of_a_raised_finding_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    body = {"new_deadline": FUTURE, "reason": "x"}
    error = assert_error(command(api, fid, "deadline-extension", body, inspector), 409)
    assert error["code"] == "invalid_transition"
    assert error["details"]["status"] == "raised"


# -- deadlines -----------------------------------------------------------------------------------


def test_ordering_with_a_deadline_before_found_on_is_an_invalid_deadline(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    body = {"deadline": BEFORE_FOUND_ON, "requirements": "期限早于发现日期"}
    assert_error(command(api, fid, "rectification-order", body, inspector), 422, "invalid_deadline")
    got = finding(api, inspector, fid)
    assert got["status"] == "raised" and got["version"] == 1


def test_extending_to_a_date_before_found_on_is_an_invalid_deadline(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    body = {"new_deadline": BEFORE_FOUND_ON, "reason": "倒签"}
    assert_error(command(api, fid, "deadline-extension", body, inspector), 422, "invalid_deadline")
    got = finding(api, inspector, fid)
    assert got["deadline"] == FUTURE and got["version"] == 2


def test_rejecting_with_a_new_deadline_before_found_on_is_an_invalid_deadline(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit)
    order(api, inspector, fid)
    report(api, inspector, fid)
    body = {"outcome": "rejected", "comment": "退回", "new_deadline": BEFORE_FOUND_ON}
    assert_error(command(api, fid, "verification", body, inspector), 422, "invalid_deadline")
    got = finding(api, inspector, fid)
    assert got["status"] == "reported" and got["version"] == 3


def test_a_deadline_on_found_on_itself_is_accepted(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = raised(api, inspector, unit, found_on="2026-03-05")
    body = {"deadline": "2026-03-05", "requirements": "当日整改"}
    ok(command(api, fid, "rectification-order", body, inspector))
    assert finding(api, inspector, fid)["deadline"] == "2026-03-05"


def test_a_malformed_deadline_is_refused(api: Api, inspector: dict[str, str], unit: str) -> None:
    fid = raised(api, inspector, unit)
    body = {"deadline": "2026-13-45", "requirements": "日期非法"}
    assert_error(command(api, fid, "rectification-order", body, inspector), 422)
    assert finding(api, inspector, fid)["version"] == 1
