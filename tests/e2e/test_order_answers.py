"""The unit's answer to a rectification order (issue 15 items 2 and 3): 签收 by its liaison, or
退办 before signing, which the inspector answers with 转办 to another unit or 不予认可."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.console import console_as, submit
from tests.e2e.helpers import FINDINGS, assert_error, command, events_of, finding, ok, order
from tests.support import Api, account_fixture

inspector = account_fixture("inspector", "督查员 陈静")
REASON = {"reason": "该事项属市场监管职责，不属本单位。"}


class Matter:
    """An ordered finding of one unit, with the liaisons of that unit and of a second one."""

    def __init__(self, api: Api, inspector: dict[str, str]) -> None:
        self.api, self.inspector = api, inspector
        self.first, self.second = api.unit("县国土局"), api.unit("县市场监管局")
        self.fid: str = api.finding(inspector, self.first)["id"]
        order(api, inspector, self.fid)
        self.liaison = api.account("unit", self.first)
        self.other = api.account("unit", self.second)

    def send(self, verb: str, who: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        return command(self.api, self.fid, verb, body or {}, who)

    def history(self, unit: str, position: int) -> list[str]:
        page = ok(
            self.api.get(f"/api/v1/units/{unit}/history", self.inspector, min_position=position)
        )
        return [item["event_type"] for item in page["items"]]


@pytest.fixture
def matter(api: Api, inspector: dict[str, str]) -> Matter:
    return Matter(api, inspector)


def test_the_liaison_signs_for_the_order_once(matter: Matter) -> None:
    signed = ok(matter.send("acknowledgement", matter.liaison, {"note": "已签收"}))
    assert signed["version"] == 3
    last = events_of(matter.api, matter.inspector, matter.fid)[-1]
    assert (last["event_type"], last["event_label"]) == ("OrderAcknowledged", "签收")
    assert last["actor"]["role"] == "unit" and last["data"]["note"] == "已签收"
    again = assert_error(matter.send("acknowledgement", matter.liaison), 409, "invalid_transition")
    assert again["details"] == {"status": "rectifying"}
    assert_error(matter.send("dispute", matter.liaison, REASON), 409, "invalid_transition")


def test_only_the_units_own_liaison_answers_an_order(matter: Matter) -> None:
    assert_error(matter.send("acknowledgement", matter.inspector), 403, "forbidden")
    assert_error(matter.send("acknowledgement", matter.other), 404, "not_found")
    assert_error(matter.send("dispute", matter.other, REASON), 404, "not_found")
    assert len(events_of(matter.api, matter.inspector, matter.fid)) == 2


def test_a_disputed_matter_reassigned_goes_to_the_other_unit_with_both_histories_showing_it(
    matter: Matter,
) -> None:
    ok(matter.send("dispute", matter.liaison, REASON))
    assert_error(matter.send("acknowledgement", matter.liaison), 409, "invalid_transition")
    moved = ok(
        matter.send(
            "reassignment",
            matter.inspector,
            {"to_unit": matter.second, "reason": "转市场监管局办理"},
        )
    )
    assert finding(matter.api, matter.inspector, matter.fid)["unit_code"] == matter.second
    for unit in (matter.first, matter.second):
        assert "Reassigned" in matter.history(unit, moved["position"])
    assert_error(matter.send("acknowledgement", matter.liaison), 404, "not_found")
    signed = ok(matter.send("acknowledgement", matter.other))
    assert "OrderAcknowledged" in matter.history(matter.second, signed["position"])
    assert "OrderAcknowledged" not in matter.history(matter.first, signed["position"])
    mine = ok(matter.api.get(FINDINGS, matter.other, min_position=signed["position"]))
    assert [item["id"] for item in mine["items"]] == [matter.fid]
    with console_as(matter.api.client, matter.inspector) as browser:
        page = browser.get(f"/units/{matter.second}").text
    assert "转办：县国土局 → 县市场监管局" in page, "the console names the units"
    assert f"{matter.first} → {matter.second}" not in page


def test_after_a_reassignment_every_version_is_the_new_units_to_read_and_none_the_first_units(
    matter: Matter,
) -> None:
    """Time travel is scoped by whose the finding is now, as its events are: the unit that
    had it reads none of its versions, the unit that has it all of them."""
    before = ok(matter.api.get(f"{FINDINGS}/{matter.fid}", matter.inspector))["updated_at"]
    ok(matter.send("dispute", matter.liaison, REASON))
    body = {"to_unit": matter.second, "reason": "转市场监管局办理"}
    ok(matter.send("reassignment", matter.inspector, body))
    path = f"{FINDINGS}/{matter.fid}"
    for at in ({"version": 1}, {"version": 3}, {"as_of": before}):
        assert_error(matter.api.get(path, matter.liaison, **at), 404, "not_found")
        then = ok(matter.api.get(path, matter.other, **at))
        assert then["unit_code"] == matter.first, at
    assert ok(matter.api.get(f"{path}/events", matter.other))["items"]


def test_the_console_asks_no_report_of_a_unit_whose_dispute_awaits_an_answer(
    matter: Matter,
) -> None:
    ok(matter.send("dispute", matter.liaison, REASON))
    page = f"/findings/{matter.fid}"
    with console_as(matter.api.client, matter.liaison) as browser:
        assert 'id="form-rectification-report"' not in browser.get(page).text
    ok(matter.send("dispute-rejection", matter.inspector, {"reason": "经核实属本单位职责"}))
    with console_as(matter.api.client, matter.liaison) as browser:
        assert 'id="form-rectification-report"' in browser.get(page).text


def test_a_rejected_dispute_leaves_the_order_for_the_unit_to_sign(matter: Matter) -> None:
    assert_error(matter.send("dispute-rejection", matter.inspector, REASON), 409)
    ok(matter.send("dispute", matter.liaison, REASON))
    assert_error(matter.send("dispute", matter.liaison, REASON), 409, "invalid_transition")
    assert_error(matter.send("dispute-rejection", matter.liaison, REASON), 403, "forbidden")
    ok(matter.send("dispute-rejection", matter.inspector, {"reason": "经核实属本单位职责"}))
    # The order stands: no second 退办 of it, here or in the console; the unit signs.
    again = assert_error(matter.send("dispute", matter.liaison, REASON), 409, "invalid_transition")
    assert "rejected" in again["message"]
    with console_as(matter.api.client, matter.liaison) as browser:
        page = browser.get(f"/findings/{matter.fid}").text
        assert 'id="form-dispute"' not in page and 'id="form-acknowledgement"' in page
    ok(matter.send("acknowledgement", matter.liaison))
    kinds = [e["event_type"] for e in events_of(matter.api, matter.inspector, matter.fid)]
    assert kinds[-3:] == ["OrderDisputed", "DisputeRejected", "OrderAcknowledged"]


def test_after_a_reassignment_the_new_unit_reads_the_finding_but_not_the_first_units_rulings(
    matter: Matter,
) -> None:
    """A ruling on the first unit's official, linked to the finding, stays the first unit's:
    its events are not on the timeline the new unit reads, over the API or in the console."""
    person = {"name": "司马相如", "position": "拆迁办主任"}
    subject = {"unit_code": matter.first, "person": person}
    rid = matter.api.accountability(matter.inspector, matter.first, [matter.fid], subject=subject)
    ok(matter.send("dispute", matter.liaison, REASON))
    body = {"to_unit": matter.second, "reason": "转市场监管局办理"}
    last = ok(matter.send("reassignment", matter.inspector, body))["position"]

    timeline = f"{FINDINGS}/{matter.fid}/timeline"
    shown = ok(matter.api.get(timeline, matter.other, min_position=last))
    assert {item["aggregate_id"] for item in shown["items"]} == {matter.fid}
    assert person["name"] not in str(shown)
    office = ok(matter.api.get(timeline, matter.inspector, min_position=last))["items"]
    assert rid["id"] in {item["aggregate_id"] for item in office}
    with console_as(matter.api.client, matter.other) as browser:
        page = browser.get(f"/findings/{matter.fid}")
    assert page.status_code == 200 and person["name"] not in page.text
    assert rid["id"] not in page.text


@pytest.mark.parametrize(
    ("to_unit", "status", "code"),
    [
        pytest.param("no-such-unit", 422, "unknown_reference", id="an-unknown-unit"),
        pytest.param(None, 422, "invalid_value", id="the-same-unit"),
        pytest.param("", 422, "validation_error", id="no-unit"),
    ],
)
def test_a_reassignment_names_another_active_unit(
    matter: Matter, to_unit: str | None, status: int, code: str
) -> None:
    ok(matter.send("dispute", matter.liaison, REASON))
    body = {"to_unit": matter.first if to_unit is None else to_unit, "reason": "转办"}
    assert_error(matter.send("reassignment", matter.inspector, body), status, code)
    assert finding(matter.api, matter.inspector, matter.fid)["unit_code"] == matter.first


def test_an_order_not_yet_given_or_undisputed_takes_no_answer(
    api: Api, inspector: dict[str, str]
) -> None:
    unit = api.unit("县住建局")
    fid = api.finding(inspector, unit)["id"]
    liaison = api.account("unit", unit)
    assert_error(command(api, fid, "acknowledgement", {}, liaison), 409, "invalid_transition")
    order(api, inspector, fid)
    body = {"to_unit": api.unit("县交通局"), "reason": "转办"}
    assert_error(command(api, fid, "reassignment", body, inspector), 409, "invalid_transition")


def test_the_console_offers_each_answer_when_the_order_awaits_it(
    matter: Matter, client: TestClient
) -> None:
    page_of = f"/findings/{matter.fid}"
    with console_as(client, matter.liaison) as liaison:
        page = liaison.get(page_of)
        assert 'id="form-acknowledgement"' in page.text and 'id="form-dispute"' in page.text
        assert 'id="form-reassignment"' not in page.text
        fields = {"form_key": "progress-" + "p" * 20, "note": "已完成三成", "percent": "30"}
        progress = submit(liaison, page, f"{page_of}/progress", fields)
        assert progress.status_code == 303 and 'id="form-progress"' in page.text
        fields = {"form_key": "dispute-" + "d" * 20} | REASON
        sent = submit(liaison, page, f"{page_of}/dispute", fields)
        assert sent.status_code == 303
        assert 'id="form-acknowledgement"' not in liaison.get(page_of).text
    with console_as(client, matter.inspector) as office:
        page = office.get(page_of)
        assert 'id="form-reassignment"' in page.text and 'id="form-dispute-rejection"' in page.text
        fields = {
            "form_key": "reassign-" + "r" * 20,
            "to_unit": matter.second,
            "reason": "转市场监管局办理",
        }
        moved = submit(office, page, f"{page_of}/reassignment", fields)
        assert moved.status_code == 303
        assert "转办" in office.get(moved.headers["location"]).text
    assert finding(matter.api, matter.inspector, matter.fid)["unit_code"] == matter.second


def test_the_unit_reports_progress_between_the_order_and_the_report(matter: Matter) -> None:
    body = {"note": "已完成一半", "percent": 50, "evidence": []}
    answer = ok(matter.send("progress", matter.liaison, body))
    last = events_of(matter.api, matter.inspector, matter.fid)[-1]
    assert (last["event_type"], last["event_label"]) == ("ProgressReported", "阶段进展")
    assert last["data"] == body
    assert "ProgressReported" in matter.history(matter.first, answer["position"])
    refused = assert_error(matter.send("progress", matter.liaison, body | {"percent": 101}), 422)
    assert refused["code"] == "invalid_value" and refused["details"] == {"percent": 101}
    assert_error(matter.send("progress", matter.other, body), 404, "not_found")
    ok(matter.send("rectification-report", matter.liaison, {"summary": "已整改", "evidence": []}))
    assert_error(matter.send("progress", matter.liaison, body), 409, "invalid_transition")
