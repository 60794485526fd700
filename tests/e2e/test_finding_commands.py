"""Finding commands: every verb of the contract, its resulting status, and what it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from httpx import Response

from domain.clock import today
from tests.e2e.helpers import (
    BEFORE_FOUND_ON,
    FINDINGS,
    FUTURE,
    LATER_FUTURE,
    assert_error,
    command,
    events_of,
    finding,
    finding_body,
    ok,
    order,
    report,
    verify,
)
from tests.support import Api, account_fixture, cases, unit_fixture

inspector = account_fixture("inspector", "督查员 张伟")
unit = unit_fixture("县住建局")


@dataclass
class Desk:
    """The findings on one unit, as its inspector raises and follows them up."""

    api: Api
    inspector: dict[str, str]
    unit: str

    def raised(self, **overrides: Any) -> str:
        fid: str = self.api.finding(self.inspector, self.unit, **overrides)["id"]
        return fid

    def in_state(self, state: str, deadline: str = FUTURE) -> str:
        """A finding carried to `state`: raised, rectifying (ordered with `deadline`), reported
        (by the inspector), closed (accepted) or withdrawn (straight from raised)."""
        fid = self.raised()
        if state == "withdrawn":
            ok(self.command(fid, "withdrawal", {"reason": "误报"}))
        if state in ("rectifying", "reported", "closed"):
            order(self.api, self.inspector, fid, deadline)
        if state in ("reported", "closed"):
            report(self.api, self.inspector, fid)
        if state == "closed":
            verify(self.api, self.inspector, fid)
        return fid

    def command(
        self, fid: str, verb: str, body: dict[str, Any], who: dict[str, str] | None = None
    ) -> Response:
        return command(self.api, fid, verb, body, who or self.inspector)

    def finding(self, fid: str, who: dict[str, str] | None = None) -> dict[str, Any]:
        return finding(self.api, who or self.inspector, fid)

    def status(self, fid: str, who: dict[str, str] | None = None) -> str:
        status: str = self.finding(fid, who)["status"]
        return status


@pytest.fixture
def desk(api: Api, inspector: dict[str, str], unit: str) -> Desk:
    return Desk(api, inspector, unit)


# -- the verbs -----------------------------------------------------------------------------------


def test_raising_a_finding_answers_201_and_status_raised(desk: Desk) -> None:
    body = {
        "unit_code": desk.unit,
        "title": "农村危房改造进度滞后",
        "description": "抽查发现三户未按期开工。",
        "category": "dereliction",
        "severity": "serious",
        "source": "random_inspection",
        "found_on": "2026-03-05",
        "evidence": [{"name": "现场照片.jpg", "sha256": "b" * 64, "size": 2048}],
    }
    response = desk.api.post(FINDINGS, body, desk.inspector)
    answer = ok(response, 201)
    assert answer["version"] == 1 and answer["position"] > 0
    assert response.headers["ETag"] == '"1"'
    got = desk.finding(answer["id"])
    assert got["id"] == answer["id"] and got["version"] == 1
    assert got["status"] == "raised"
    assert got["unit_code"] == desk.unit
    assert got["title"] == "农村危房改造进度滞后"
    assert got["description"] == "抽查发现三户未按期开工。"
    assert got["category"] == "dereliction" and got["severity"] == "serious"
    assert got["deadline"] is None and got["overdue"] is False


def test_a_finding_found_tomorrow_is_refused_and_raises_nothing(desk: Desk) -> None:
    day, tomorrow = today().isoformat(), (today() + timedelta(days=1)).isoformat()
    body = finding_body(desk.unit, found_on=tomorrow)
    refused = assert_error(desk.api.post(FINDINGS, body, desk.inspector), 422, "invalid_value")
    assert refused["details"] == {"found_on": tomorrow, "today": day}
    found = ok(desk.api.post(FINDINGS, finding_body(desk.unit, found_on=day), desk.inspector), 201)
    seen = {"unit_code": desk.unit, "min_position": found["position"]}
    listed = ok(desk.api.get(FINDINGS, desk.inspector, **seen))["items"]
    assert [(f["id"], f["found_on"]) for f in listed] == [(found["id"], day)]


def test_a_day_is_written_yyyy_mm_dd_from_1900_on_or_refused_and_raises_nothing(
    desk: Desk,
) -> None:
    """Not a number (which pydantic would read as seconds since 1970: 0 as 1970-01-01), nor
    a datetime at midnight, nor a year before 1900, which no year filter could find."""
    for written in (0, 86400, "2026-03-05T00:00:00", "20260305", "0001-01-01", "1899-12-31"):
        body = finding_body(desk.unit, found_on=written)
        refused = assert_error(desk.api.post(FINDINGS, body, desk.inspector), 422)
        assert refused["code"] == "validation_error", written
    earliest = finding_body(desk.unit, found_on="1900-01-01")
    found = ok(desk.api.post(FINDINGS, earliest, desk.inspector), 201)
    seen = {"unit_code": desk.unit, "min_position": found["position"]}
    listed = ok(desk.api.get(FINDINGS, desk.inspector, **seen))["items"]
    assert [(f["id"], f["found_on"]) for f in listed] == [(found["id"], "1900-01-01")]


def test_a_day_after_2100_is_refused_so_no_deadline_never_falls_due(desk: Desk) -> None:
    fid = desk.raised()
    for written in ("9999-12-31", "2101-01-01"):
        body = {"deadline": written, "requirements": "整改到位"}
        refused = assert_error(desk.command(fid, "rectification-order", body), 422)
        assert refused["code"] == "validation_error", written
    assert desk.finding(fid)["version"] == 1, "nothing was recorded"
    latest = {"deadline": "2100-12-31", "requirements": "整改到位"}
    assert ok(desk.command(fid, "rectification-order", latest))["version"] == 2


def test_rectification_order_makes_the_finding_rectifying(desk: Desk) -> None:
    fid = desk.raised()
    body = {"deadline": "2099-06-30", "requirements": "一个月内整改到位"}
    response = desk.command(fid, "rectification-order", body)
    answer = ok(response)
    assert answer["id"] == fid and answer["version"] == 2
    assert response.headers["ETag"] == '"2"'
    got = desk.finding(fid)
    assert got["status"] == "rectifying"
    assert got["deadline"] == "2099-06-30"
    assert got["version"] == 2


def test_rectification_report_by_the_units_account_makes_it_reported(desk: Desk) -> None:
    fid = desk.in_state("rectifying")
    liaison = desk.api.account("unit", desk.unit, name="住建局 联络员")
    body = {"summary": "已完成整改", "evidence": [{"name": "a.pdf", "sha256": "c" * 64, "size": 1}]}
    answer = ok(desk.command(fid, "rectification-report", body, liaison))
    assert answer["version"] == 3
    assert desk.status(fid, liaison) == "reported"


def test_rectification_report_by_an_inspector_makes_it_reported(desk: Desk) -> None:
    fid = desk.in_state("reported")
    assert desk.status(fid) == "reported"


def test_accepted_verification_closes_the_finding(desk: Desk) -> None:
    fid = desk.in_state("reported")
    answer = verify(desk.api, desk.inspector, fid, "accepted")
    assert answer["version"] == 4
    got = desk.finding(fid)
    assert got["status"] == "closed"
    assert got["overdue"] is False


def test_rejected_verification_sends_it_back_to_rectifying_with_the_new_deadline(
    desk: Desk,
) -> None:
    fid = desk.in_state("reported", deadline=FUTURE)
    answer = verify(desk.api, desk.inspector, fid, "rejected", new_deadline=LATER_FUTURE)
    assert answer["version"] == 4
    got = desk.finding(fid)
    assert got["status"] == "rectifying"
    assert got["deadline"] == LATER_FUTURE


def test_deadline_extension_moves_the_deadline_and_keeps_rectifying(desk: Desk) -> None:
    fid = desk.in_state("rectifying", deadline=FUTURE)
    body = {"new_deadline": LATER_FUTURE, "reason": "汛期影响施工"}
    answer = ok(desk.command(fid, "deadline-extension", body))
    assert answer["version"] == 3
    got = desk.finding(fid)
    assert got["deadline"] == LATER_FUTURE
    assert got["status"] == "rectifying"


def test_escalation_is_recorded_and_keeps_the_status(desk: Desk) -> None:
    fid = desk.in_state("rectifying")
    answer = ok(desk.command(fid, "escalation", {"reason": "整改不力，提级督办"}))
    assert answer["version"] == 3
    assert desk.status(fid) == "rectifying"
    assert events_of(desk.api, desk.inspector, fid)[-1]["event_type"] == "Escalated"
    assert events_of(desk.api, desk.inspector, fid)[-1]["data"]["reason"] == "整改不力，提级督办"


def test_amendment_corrects_fields_and_keeps_the_status(desk: Desk) -> None:
    fid = desk.raised(title="原标题有错别字")
    body = {"changes": {"title": "更正后的标题", "severity": "serious"}, "reason": "笔误"}
    answer = ok(desk.command(fid, "amendment", body))
    assert answer["version"] == 2
    got = desk.finding(fid)
    assert got["title"] == "更正后的标题"
    assert got["severity"] == "serious"
    assert got["status"] == "raised"


def test_withdrawal_makes_the_finding_withdrawn(desk: Desk) -> None:
    fid = desk.raised()
    answer = ok(desk.command(fid, "withdrawal", {"reason": "误报"}))
    assert answer["version"] == 2
    assert desk.status(fid) == "withdrawn"


def test_reopening_a_closed_finding_makes_it_rectifying(desk: Desk) -> None:
    fid = desk.in_state("closed")
    closed = desk.finding(fid)
    assert closed["status"] == "closed"
    answer = ok(desk.command(fid, "reopening", {"reason": "整改回头看发现反弹"}))
    assert answer["version"] == closed["version"] + 1
    assert desk.status(fid) == "rectifying"


def test_command_on_an_unknown_finding_is_not_found(desk: Desk) -> None:
    fid = "00000000-0000-4000-8000-000000000000"
    assert_error(desk.command(fid, "withdrawal", {"reason": "x"}), 404, "not_found")
    assert_error(desk.api.get(f"{FINDINGS}/{fid}", desk.inspector), 404, "not_found")


def test_an_id_that_is_not_a_uuid_is_an_unknown_id(api: Api, inspector: dict[str, str]) -> None:
    """The contract's `unknown id → 404`, for an id no record can have as well: on a read, a
    record's events, and a command (whatever its body)."""
    for response in (
        api.get(f"{FINDINGS}/not-a-uuid", inspector),
        api.get(f"{FINDINGS}/does-not-exist/events", inspector),
        api.post(f"{FINDINGS}/not-a-uuid/escalation", {"reason": "提级督办"}, inspector),
        api.post(f"{FINDINGS}/not-a-uuid/escalation", {}, inspector),
        api.get("/api/v1/rulings/xyz", inspector),
    ):
        error = assert_error(response, 404, "not_found")
        assert error["message"].startswith("no record has the"), error


# -- refused commands ----------------------------------------------------------------------------

# A command the finding's status does not allow: the state the finding is carried to, the verb
# and its body (REASON and ORDER: bodies those verbs take in a state that allows them). Each
# answers 409 invalid_transition naming that status, and changes nothing.
REASON = {"reason": "x"}
ORDER = {"deadline": FUTURE, "requirements": "x"}
INVALID_TRANSITIONS = {
    "reporting-on-a-raised-finding": (
        "raised",
        "rectification-report",
        {"summary": "尚未下达整改", "evidence": []},
    ),
    "verifying-a-rectifying-finding": (
        "rectifying",
        "verification",
        {"outcome": "accepted", "comment": "未报送即验收"},
    ),
    "ordering-rectification-twice": ("rectifying", "rectification-order", ORDER),
    "reopening-a-raised-finding": ("raised", "reopening", REASON),
    "withdrawing-a-closed-finding": ("closed", "withdrawal", REASON),
    "ordering-rectification-of-a-withdrawn-finding": ("withdrawn", "rectification-order", ORDER),
    "escalating-a-withdrawn-finding": ("withdrawn", "escalation", REASON),
    "withdrawing-a-withdrawn-finding": ("withdrawn", "withdrawal", REASON),
    "reopening-a-withdrawn-finding": ("withdrawn", "reopening", REASON),
    "extending-the-deadline-of-a-raised-finding": (
        "raised",
        "deadline-extension",
        {"new_deadline": FUTURE, "reason": "x"},
    ),
}


@pytest.mark.parametrize(("state", "verb", "body"), cases(INVALID_TRANSITIONS))
def test_a_command_the_findings_status_does_not_allow_is_an_invalid_transition(
    desk: Desk, state: str, verb: str, body: dict[str, Any]
) -> None:
    fid = desk.in_state(state)
    before = desk.finding(fid)
    error = assert_error(desk.command(fid, verb, body), 409, "invalid_transition")
    assert error["details"]["status"] == state
    assert desk.finding(fid) == before


# A command whose body the finding refuses (422, with the error code when the contract names
# one): the state the finding is carried to, the verb, its body and the code. Each changes nothing.
TOMORROW = "tomorrow"  # the day after the test runs, worked out when it runs (not collected)
REFUSED_BODIES = {
    "unknown-verification-outcome": ("reported", "verification", {"outcome": "maybe"}, None),
    "amendment-of-an-unknown-field": (
        "raised",
        "amendment",
        {"changes": {"unit_code": "other-unit"}, "reason": "改单位"},
        None,
    ),
    "amendment-to-an-unknown-category": (
        "raised",
        "amendment",
        {"changes": {"category": "treason"}, "reason": "改类别"},
        None,
    ),
    "amending-found-on-to-tomorrow": (
        "raised",
        "amendment",
        {"changes": {"found_on": TOMORROW}, "reason": "改发现日期"},
        "invalid_value",
    ),
    "a-deadline-as-a-number": (
        "raised",
        "rectification-order",
        {"deadline": 0, "requirements": "1970年1月1日"},
        "validation_error",
    ),
    "amending-found-on-to-year-1": (
        "raised",
        "amendment",
        {"changes": {"found_on": "0001-01-01"}, "reason": "改发现日期"},
        "validation_error",
    ),
    "malformed-deadline": (
        "raised",
        "rectification-order",
        {"deadline": "2026-13-45", "requirements": "日期非法"},
        None,
    ),
    "ordering-with-a-deadline-before-found-on": (
        "raised",
        "rectification-order",
        {"deadline": BEFORE_FOUND_ON, "requirements": "期限早于发现日期"},
        "invalid_deadline",
    ),
    "extending-to-a-date-before-found-on": (
        "rectifying",
        "deadline-extension",
        {"new_deadline": BEFORE_FOUND_ON, "reason": "倒签"},
        "invalid_deadline",
    ),
    "rejecting-with-a-new-deadline-before-found-on": (
        "reported",
        "verification",
        {"outcome": "rejected", "comment": "退回", "new_deadline": BEFORE_FOUND_ON},
        "invalid_deadline",
    ),
}


@pytest.mark.parametrize(("state", "verb", "body", "code"), cases(REFUSED_BODIES))
def test_a_command_with_a_body_the_finding_does_not_take_is_refused_with_422(
    desk: Desk, state: str, verb: str, body: dict[str, Any], code: str | None
) -> None:
    fid = desk.in_state(state)
    before = desk.finding(fid)
    assert before["status"] == state
    if body.get("changes", {}).get("found_on") == TOMORROW:
        body = {**body, "changes": {"found_on": str(today() + timedelta(days=1))}}
    assert_error(desk.command(fid, verb, body), 422, code)
    assert desk.finding(fid) == before


# -- deadlines -----------------------------------------------------------------------------------


def test_a_deadline_on_found_on_itself_is_accepted(desk: Desk) -> None:
    fid = desk.raised(found_on="2026-03-05")
    body = {"deadline": "2026-03-05", "requirements": "当日整改"}
    ok(desk.command(fid, "rectification-order", body))
    assert desk.finding(fid)["deadline"] == "2026-03-05"
