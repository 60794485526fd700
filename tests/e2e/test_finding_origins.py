"""立项 (issue 15 item 1): a finding may come from a leader's instruction (领导批示, naming the
leader and the day) or a meeting's decision (会议议定, naming the meeting and the day), beside
the contract's sources; the list filters by source; a wrong origin is a 422 that records
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.console import console_as, submit
from tests.e2e.helpers import FINDINGS, FOUND_ON, assert_error, command, finding, ok
from tests.support import Api, account_fixture

inspector = account_fixture("inspector", "督查员 吴敏")
LEADER = {"leader": "县长 王建国", "instructed_on": "2026-03-01"}
MEETING = {"meeting": "县政府第12次常务会议", "held_on": "2026-03-04"}


@pytest.fixture
def unit(api: Api) -> str:
    return api.unit("县自然资源和规划局", "department")


def listed(api: Api, who: dict[str, str], unit: str, position: int, **params: Any) -> set[str]:
    page = ok(api.get(FINDINGS, who, unit_code=unit, min_position=position, **params))
    return {item["id"] for item in page["items"]}


def test_a_finding_names_the_instruction_or_the_meeting_it_came_from_and_lists_by_source(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    by_leader = api.finding(inspector, unit, source="leader_instruction", origin=LEADER)
    by_meeting = api.finding(inspector, unit, source="meeting_decision", origin=MEETING)
    routine = api.finding(inspector, unit)
    assert finding(api, inspector, by_leader["id"])["origin"] == LEADER
    assert finding(api, inspector, by_meeting["id"])["origin"] == MEETING
    assert finding(api, inspector, routine["id"])["origin"] is None
    position = routine["position"]
    assert listed(api, inspector, unit, position, source="leader_instruction") == {by_leader["id"]}
    assert listed(api, inspector, unit, position, source="meeting_decision") == {by_meeting["id"]}
    assert len(listed(api, inspector, unit, position)) == 3
    assert_error(api.get(FINDINGS, inspector, source="rumour"), 422)


@pytest.mark.parametrize(
    ("source", "origin"),
    [
        pytest.param("leader_instruction", None, id="an-instruction-without-its-leader"),
        pytest.param("leader_instruction", MEETING, id="an-instruction-naming-a-meeting"),
        pytest.param("meeting_decision", {"meeting": "常务会议"}, id="a-meeting-without-its-day"),
        pytest.param("petition", LEADER, id="a-petition-naming-a-leader"),
        pytest.param(
            "leader_instruction",
            {"leader": "县长", "instructed_on": "2026-03-09"},
            id="an-instruction-after-the-finding",
        ),
        pytest.param(
            "meeting_decision", {"meeting": " ", "held_on": "2026-03-01"}, id="a-blank-meeting"
        ),
    ],
)
def test_a_wrong_origin_is_refused_and_records_nothing(
    api: Api, inspector: dict[str, str], unit: str, source: str, origin: Any
) -> None:
    body = {
        "unit_code": unit,
        "title": "规划许可未公示",
        "description": "未按规定公示。",
        "category": "procedure_violation",
        "severity": "minor",
        "source": source,
        "found_on": FOUND_ON,
        "origin": origin,
    }
    answer = api.post(FINDINGS, body, inspector)
    assert answer.status_code == 422, answer.text
    assert_error(answer, 422)
    position = api.finding(inspector, unit)["position"]
    assert len(listed(api, inspector, unit, position)) == 1


def test_an_amendment_moves_a_finding_to_another_source_with_its_origin(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    refused = command(
        api,
        fid,
        "amendment",
        {"changes": {"source": "meeting_decision"}, "reason": "更正"},
        inspector,
    )
    assert_error(refused, 422)
    changes = {"source": "meeting_decision", "origin": MEETING}
    ok(command(api, fid, "amendment", {"changes": changes, "reason": "来源更正"}, inspector))
    assert finding(api, inspector, fid)["origin"] == MEETING
    back = {"source": "routine_supervision", "origin": None}
    ok(command(api, fid, "amendment", {"changes": back, "reason": "来源更正"}, inspector))
    amended = finding(api, inspector, fid)
    assert amended["origin"] is None and amended["source"] == "routine_supervision"


def test_the_console_raises_a_finding_from_an_instruction_and_shows_where_it_came_from(
    api: Api, client: TestClient, inspector: dict[str, str], unit: str
) -> None:
    fields = {
        "unit_code": unit,
        "title": "违规占用耕地",
        "description": "县长批示要求核查。",
        "category": "dereliction",
        "severity": "serious",
        "source": "leader_instruction",
        "found_on": FOUND_ON,
        "origin_leader": "",
        "origin_instructed_on": "",
    }
    with console_as(client, inspector) as browser:
        form = browser.get("/findings/new")
        assert "立项依据" in form.text and "批示领导" in form.text
        refused = submit(browser, form, "/findings", fields)
        assert refused.status_code == 422
        assert "须填写批示领导和批示日期" in refused.text
        fields |= {"origin_leader": "县长 王建国", "origin_instructed_on": "2026-03-01"}
        done = submit(browser, browser.get("/findings/new"), "/findings", fields)
        assert done.status_code == 303, done.text
        page = browser.get(done.headers["location"])
        assert "领导批示：县长 王建国（2026年3月1日批示）" in page.text


def events_of(api: Api, who: dict[str, str], fid: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api.get(f"{FINDINGS}/{fid}/events", who))["items"]
    return items


def test_an_amendment_to_a_source_that_names_no_origin_clears_it_without_being_told(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit, source="leader_instruction", origin=LEADER)["id"]
    to_a_meeting = {"changes": {"source": "meeting_decision"}, "reason": "来源登记有误"}
    refused = command(api, fid, "amendment", to_a_meeting, inspector)
    assert "origin" in assert_error(refused, 422, "invalid_value")["details"]
    assert len(events_of(api, inspector, fid)) == 1, "a refusal records nothing"
    routine = {"changes": {"source": "routine_supervision"}, "reason": "来源登记有误"}
    ok(command(api, fid, "amendment", routine, inspector))
    amended = finding(api, inspector, fid)
    assert amended["source"] == "routine_supervision" and amended["origin"] is None
    recorded = events_of(api, inspector, fid)[-1]["data"]["changes"]
    assert recorded == {"source": "routine_supervision", "origin": None}


def test_the_console_corrects_a_source_to_and_from_an_instruction_or_a_meeting(
    api: Api, client: TestClient, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit, source="leader_instruction", origin=LEADER)["id"]
    path = f"/findings/{fid}"
    with console_as(client, inspector) as browser:
        page = browser.get(path)
        form = page.text.split('id="form-amendment"', 1)[1].split("</form>", 1)[0]
        assert "立项依据" in form
        for name in ("origin_leader", "origin_instructed_on", "origin_meeting", "origin_held_on"):
            assert f'name="{name}"' in form, name
        routine = {"form_key": "origin-" + "a" * 20, "source": "routine_supervision",
                   "reason": "来源登记有误"}  # fmt: skip
        done = submit(browser, page, f"{path}/amendment", routine)
        assert done.status_code == 303, done.text
        assert finding(api, inspector, fid)["origin"] is None
        assert "立项依据：无（已清除）" in browser.get(path).text
        meeting = {"form_key": "origin-" + "b" * 20, "source": "meeting_decision",
                   "reason": "经核实为会议议定事项"}  # fmt: skip
        refused = submit(browser, browser.get(path), f"{path}/amendment", meeting)
        assert refused.status_code == 422
        assert "为会议议定时须填写会议名称和会议日期" in refused.text
        assert finding(api, inspector, fid)["source"] == "routine_supervision"
        meeting |= {"origin_meeting": MEETING["meeting"], "origin_held_on": MEETING["held_on"]}
        done = submit(browser, browser.get(path), f"{path}/amendment", meeting)
        assert done.status_code == 303, done.text
        shown = finding(api, inspector, fid)
        assert (shown["source"], shown["origin"]) == ("meeting_decision", MEETING)
        assert "会议议定：县政府第12次常务会议（2026年3月4日）" in browser.get(path).text
