"""约谈 (task 11), the command added by the recipe in docs/commands.md: an inspector or the
authority records an interview with the responsible unit's head over an open finding."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from domain import clock
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import (
    assert_error,
    closed_finding,
    command,
    events_of,
    ok,
    order,
)
from tests.support import Api, account_fixture, unit_fixture

inspector = account_fixture("inspector", "督查员 王敏")
authority = account_fixture("authority", "县纪委 李强")
unit = unit_fixture("县交通运输局")

HELD = {"held_on": "2026-04-01", "interviewee": "局长", "summary": "约谈局长，要求十日内整改到位。"}


def test_an_inspector_records_an_interview_and_the_timeline_names_it_in_chinese(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    response = command(api, fid, "interview", HELD, inspector)
    answer = ok(response)
    assert answer["version"] == 3 and response.headers["ETag"] == '"3"'
    last = events_of(api, inspector, fid)[-1]
    assert (last["event_type"], last["event_label"]) == ("InterviewHeld", "约谈")
    assert last["data"] == HELD


def test_the_authority_may_hold_one_but_the_unit_and_the_supervisor_may_not(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    ok(command(api, fid, "interview", HELD, authority))
    for role in ("unit", "supervisor"):
        who = api.account(role, unit if role == "unit" else None)
        assert_error(command(api, fid, "interview", HELD, who), 403, "forbidden")
    assert len(events_of(api, inspector, fid)) == 2


def test_the_units_history_shows_the_interview(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    position = ok(command(api, fid, "interview", HELD, inspector))["position"]
    history = ok(api.get(f"/api/v1/units/{unit}/history", inspector, min_position=position))
    assert "InterviewHeld" in {item["event_type"] for item in history["items"]}


def test_a_closed_finding_takes_no_interview(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = closed_finding(api, inspector, unit)["id"]
    error = assert_error(command(api, fid, "interview", HELD, inspector), 409)
    assert error["code"] == "invalid_transition"


def test_an_interview_is_dated_between_the_finding_and_today_and_names_who_and_what(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit, found_on="2026-03-05")["id"]
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()  # China's business date
    for held_on in ("2026-03-04", tomorrow):
        error = assert_error(
            command(api, fid, "interview", HELD | {"held_on": held_on}, inspector),
            422,
            "invalid_value",
        )
        assert error["details"]["held_on"] == held_on
    for bad in ({"interviewee": ""}, {"summary": "x" * 2001}, {"held_on": "not a day"}):
        assert_error(command(api, fid, "interview", HELD | bad, inspector), 422)
    assert len(events_of(api, inspector, fid)) == 1


def test_the_console_offers_the_interview_form_and_records_what_the_api_records(
    api: Api, inspector: dict[str, str], unit: str, client: TestClient
) -> None:
    fid = api.finding(inspector, unit)["id"]
    action = f"/findings/{fid}/interview"
    with console_as(client, inspector) as browser:
        page = browser.get(f"/findings/{fid}")
        assert 'id="form-interview"' in page.text and "记录约谈" in page.text
        done = submit(browser, page, action, {"form_key": "interview-" + "x" * 20} | HELD)
        assert done.status_code == 303
        assert "约谈" in browser.get(done.headers["location"]).text
        fields = {"form_key": "interview-" + "y" * 20} | HELD | {"held_on": "2026-03-01"}
        refused = submit(browser, page, action, fields)
        assert refused.status_code == 422 and "2026-03-01" in refused.text
    assert [e["event_type"] for e in events_of(api, inspector, fid)] == ["Raised", "InterviewHeld"]
    liaison = api.account("unit", unit)
    with console_as(client, liaison) as browser:
        assert 'id="form-interview"' not in browser.get(f"/findings/{fid}").text
