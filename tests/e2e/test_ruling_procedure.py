"""The accountability procedure over HTTP (issue 18 item 3): a form the subject's kind does not
take, a late appeal, a statement after the decision — each refused naming its rule, and
nothing recorded; 约谈, the measure of an organisational adjustment, 陈述申辩, 送达 and 影响期
shown on the ruling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain import clock
from domain.clock import SettableClock
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import assert_error, ok
from tests.e2e.test_rulings import RULINGS, Desk, authority, inspector, unit
from tests.support import ADMIN, Api

__all__ = ["authority", "inspector", "unit"]  # the fixtures, as test_rulings makes them


@pytest.fixture
def desk(api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str) -> Desk:
    return Desk(api, inspector, authority, unit)


def propose(desk: Desk, form: str, person: bool = True) -> Any:
    subject: dict[str, Any] = {"unit_code": desk.unit}
    if person:
        subject["person"] = {"name": "王五", "position": "科长"}
    body = {"subject": subject, "finding_ids": [], "form": form, "basis": "问责条例", "facts": "x"}
    return desk.api.post(f"{RULINGS}/accountability", body, desk.inspector)


@pytest.mark.parametrize(
    ("form", "person"),
    [("reorganisation", True), ("admonishment", False), ("disciplinary_sanction", False)],
)
def test_a_form_the_subject_does_not_take_is_refused_with_422_naming_the_rule(
    desk: Desk, form: str, person: bool
) -> None:
    before = desk.listing(0)
    error = assert_error(propose(desk, form, person), 422, "form_not_for_subject")
    assert "问责方式与问责对象不符" in error["message"]
    assert error["details"]["form"] == form
    assert desk.listing(0) == before


def test_a_decision_in_a_form_the_subject_does_not_take_changes_nothing(desk: Desk) -> None:
    rid = ok(propose(desk, "circulated_criticism"), 201)["id"]
    assert_error(desk.decide_form(rid, "reorganisation"), 422, "form_not_for_subject")
    assert desk.ruling(rid)["version"] == 1 and desk.ruling(rid)["decision"] is None


def test_an_interview_is_a_form_for_a_unit_and_for_a_person(desk: Desk) -> None:
    for person in (True, False):
        ruling = ok(propose(desk, "interview", person), 201)
        assert desk.ruling(ruling["id"])["form_label"] == "约谈"
        kind = desk.ruling(ruling["id"])["subject_kind"]
        assert kind == ("person" if person else "organisation")


def test_the_procedure_from_statement_to_service_and_a_timely_appeal(desk: Desk) -> None:
    with clock.use(SettableClock(datetime(2026, 4, 20, 2, tzinfo=UTC))) as today:
        rid = ok(propose(desk, "organisational_adjustment"), 201)["id"]
        heard = {"statement": "对事实无异议，但系客观原因所致", "made_on": "2026-04-08"}
        ok(desk.act(desk.api.account("unit", desk.unit), rid, "statement", heard))
        decision = {
            "form": "organisational_adjustment",
            "measure": "dismissal",
            "reasoning": "经集体研究，决定免职",
            "decided_on": "2026-04-10",
        }
        ok(desk.act(desk.authority, rid, "decision", decision))
        assert_error(desk.act(desk.inspector, rid, "statement", heard), 409, "invalid_transition")
        served = {"served_on": "2026-04-12", "served_to": "王五"}
        ok(desk.act(desk.authority, rid, "service", served))
        ruling = desk.ruling(rid)
        assert ruling["statements"] == [heard]
        assert ruling["measure"] == "dismissal" and ruling["measure_label"] == "免职"
        assert ruling["effects_until"] == "2027-04-10"  # 免职: a year
        assert ruling["heard"] is True
        assert set(ruling["decision"]) == {"form", "reasoning", "decided_on"}
        assert ruling["service"] == {**served, "appeal_by": "2026-05-12"}
        today.set(datetime(2026, 5, 12, 9, tzinfo=UTC))
        ok(desk.appeal(rid))
        assert desk.status(rid) == "appealed"


def test_an_appeal_after_the_window_is_refused_with_422_and_changes_nothing(desk: Desk) -> None:
    with clock.use(SettableClock(datetime(2026, 4, 20, 2, tzinfo=UTC))) as today:
        rid = desk.propose()
        ok(desk.decide_form(rid))
        ok(desk.act(desk.authority, rid, "service", {"served_on": "2026-04-11", "served_to": "张"}))
        today.set(datetime(2026, 5, 12, 2, tzinfo=UTC))
        error = assert_error(desk.appeal(rid), 422, "appeal_window_closed")
        assert "申诉期限已过" in error["message"]
        assert error["details"] == {"appeal_by": "2026-05-11"}
        assert desk.status(rid) == "decided" and desk.ruling(rid)["version"] == 3


def test_only_the_authority_or_an_inspector_serves_and_only_a_decided_ruling(desk: Desk) -> None:
    rid = desk.propose()
    served = {"served_on": "2026-04-11", "served_to": "张志强"}
    assert_error(desk.act(desk.authority, rid, "service", served), 409, "invalid_transition")
    ok(desk.decide_form(rid))
    liaison = desk.api.account("unit", desk.unit)
    assert_error(desk.act(liaison, rid, "service", served), 403)
    assert_error(desk.act(desk.authority, rid, "service", {"served_on": "2026-04-01",
                 "served_to": "张"}), 422, "invalid_value")  # fmt: skip
    ok(desk.act(desk.inspector, rid, "service", served))


def test_a_tolerance_ruling_takes_no_statement_and_no_measure(desk: Desk) -> None:
    rid = desk.apply()
    heard = {"statement": "x", "made_on": "2026-04-01"}
    assert_error(desk.act(desk.inspector, rid, "statement", heard), 409, "invalid_transition")
    body = {"outcome": "denied", "criteria_met": [], "reasoning": "r", "decided_on": "2026-04-12"}
    refused = desk.act(desk.authority, rid, "decision", {**body, "measure": "dismissal"})
    assert_error(refused, 422, "invalid_value")
    assert desk.ruling(rid)["version"] == 1


def test_the_vocabulary_lists_subject_kinds_and_measures(api: Api) -> None:
    words = ok(api.get("/api/v1/vocabulary", ADMIN))
    assert {"code": "interview", "label": "约谈"} in words["accountability_forms"]
    assert {w["code"] for w in words["organisational_measures"]} == {
        "suspension", "reassignment", "ordered_resignation", "demotion", "dismissal"
    }  # fmt: skip
    assert {w["code"] for w in words["subject_kinds"]} == {"organisation", "person"}


def test_the_console_hears_the_statement_decides_with_a_measure_and_serves(
    desk: Desk, client: TestClient
) -> None:
    rid = ok(propose(desk, "organisational_adjustment"), 201)["id"]
    page = f"/rulings/{rid}"
    liaison = desk.api.account("unit", desk.unit)
    with console_as(client, liaison) as browser:
        shown = browser.get(page)
        assert "记录陈述申辩" in shown.text and "记录送达" not in shown.text
        heard = {"statement": "情况属实，<b>已整改</b>", "made_on": "2026-04-08"}
        assert submit(browser, shown, f"{page}/statement", heard).status_code == 303
    with console_as(client, desk.authority) as browser:
        shown = browser.get(page)
        assert "组织调整或者组织处理的方式" in shown.text and "影响期至" in shown.text
        decision = {
            "form": "organisational_adjustment",
            "measure": "reassignment",
            "effects_until": "",
            "reasoning": "调整职务",
            "decided_on": "2026-04-10",
        }
        assert submit(browser, shown, f"{page}/decision", decision).status_code == 303
        shown = browser.get(page)
        assert "记录陈述申辩" not in shown.text
        late = {"served_on": "2026-04-01", "served_to": "王五"}
        refused = submit(browser, shown, f"{page}/service", late)
        assert refused.status_code == 422 and "送达决定" in refused.text
        served = {"served_on": "2026-04-12", "served_to": "王五"}
        assert submit(browser, browser.get(page), f"{page}/service", served).status_code == 303
        shown = browser.get(page)
    assert "情况属实，&lt;b&gt;已整改&lt;/b&gt;" in shown.text  # user text stays text
    for words in ("调整职务", "影响期至", "2027年4月10日", "送达王五", "申诉期限至 2026年5月12日"):
        assert words in shown.text, words
    assert "记录送达" not in shown.text
    ruling = desk.ruling(rid)
    assert ruling["measure"] == "reassignment" and ruling["effects_until"] == "2027-04-10"
    with console_as(client, liaison) as browser:  # served in April: its month has passed
        late = browser.get(page).text
    assert 'id="form-appeal"' not in late and "申诉期限至 2026年5月12日" in late


def test_the_console_offers_only_the_forms_the_subjects_kind_takes(
    desk: Desk, client: TestClient
) -> None:
    """A unit is held to account by 检查, 通报, 改组 or 约谈; a person by 通报, 诫勉, 组织调整,
    纪律处分, 检查 or 约谈: the decision form offers those and no other."""
    offered = {}
    for person in (True, False):
        rid = ok(propose(desk, "circulated_criticism", person), 201)["id"]
        with console_as(client, desk.authority) as browser:
            offered[person] = browser.get(f"/rulings/{rid}").text
    for form in ("admonishment", "organisational_adjustment", "disciplinary_sanction"):
        assert f'<option value="{form}"' in offered[True], form
        assert f'<option value="{form}"' not in offered[False], form
    assert '<option value="reorganisation"' not in offered[True]
    assert '<option value="reorganisation"' in offered[False]
    for page in offered.values():
        assert '<option value="circulated_criticism"' in page
    assert 'name="measure"' in offered[True] and 'name="measure"' not in offered[False]


def test_the_console_serves_and_takes_the_appeal_of_a_ruling_published_from_its_decision(
    desk: Desk, client: TestClient
) -> None:
    rid = ok(propose(desk, "admonishment"), 201)["id"]
    ok(desk.decide_form(rid))
    ok(desk.publish(rid, "某局诫勉案例"))
    page = f"/rulings/{rid}"
    with console_as(client, desk.authority) as browser:
        shown = browser.get(page)
        assert 'id="form-service"' in shown.text
        served = {"served_on": clock.today().isoformat(), "served_to": "王五"}
        assert submit(browser, shown, f"{page}/service", served).status_code == 303
        assert 'id="form-service"' not in browser.get(page).text
    with console_as(client, desk.api.account("unit", desk.unit)) as browser:
        shown = browser.get(page)
        assert 'id="form-appeal"' in shown.text
        appeal = {"grounds": "处理过重，申请复核"}
        assert submit(browser, shown, f"{page}/appeal", appeal).status_code == 303
        assert 'id="form-appeal"' not in browser.get(page).text
    assert desk.ruling(rid)["status"] == "appealed"
    ok(desk.appeal_decision(rid))
    assert desk.ruling(rid)["status"] == "published"
    with console_as(client, desk.authority) as browser:
        shown = browser.get(page)
    for form in ("service", "appeal", "appeal-decision", "publication"):
        assert f'id="form-{form}"' not in shown.text, form


def test_an_exemption_where_the_negative_list_applies_is_refused_with_422(desk: Desk) -> None:
    rid = desk.apply()
    body = {"outcome": "exempted", "criteria_met": ["pilot_inexperience"], "reasoning": "r",
            "decided_on": "2026-04-12", "exclusions": ["collusion"]}  # fmt: skip
    error = assert_error(desk.act(desk.authority, rid, "decision", body), 422,
                         "excluded_from_tolerance")  # fmt: skip
    assert "与他人恶意串通" in error["message"] and desk.ruling(rid)["version"] == 1
    denied = {**body, "outcome": "denied", "criteria_met": []}
    ok(desk.act(desk.authority, rid, "decision", denied))
    assert desk.ruling(rid)["exclusions"] == ["collusion"]
    accountability = desk.propose()
    refused = desk.act(desk.authority, accountability, "decision",
                       {"form": "admonishment", "reasoning": "r", "decided_on": "2026-04-10",
                        "exclusions": ["collusion"]})  # fmt: skip
    assert_error(refused, 422, "invalid_value")


def test_the_console_offers_the_negative_list_and_shows_a_denial_by_it(
    desk: Desk, client: TestClient
) -> None:
    rid = desk.apply()
    page = f"/rulings/{rid}"
    with console_as(client, desk.authority) as browser:
        shown = browser.get(page)
        assert "负面清单" in shown.text and "谋取私利" in shown.text
        decision = {"outcome": "denied", "reasoning": "查实谋取私利", "decided_on": "2026-04-12",
                    "exclusions": "personal_gain"}  # fmt: skip
        assert submit(browser, shown, f"{page}/decision", decision).status_code == 303
        shown = browser.get(page)
    assert "不予容错情形" in shown.text and "谋取私利" in shown.text
    assert "personal_gain" not in shown.text.split("不予容错情形")[1][:200]


def test_an_appeal_due_on_a_sunday_is_taken_on_the_monday_and_shown_so(desk: Desk) -> None:
    """Served on 6 November 2026, due a month later on Sunday 6 December: the ruling shows,
    and the service takes, Monday the 7th."""
    with clock.use(SettableClock(datetime(2026, 11, 20, 2, tzinfo=UTC))) as today:
        rid = desk.propose()
        ok(desk.decide_form(rid))
        ok(desk.act(desk.authority, rid, "service", {"served_on": "2026-11-06", "served_to": "张"}))
        assert desk.ruling(rid)["service"]["appeal_by"] == "2026-12-07"
        today.set(datetime(2026, 12, 7, 2, tzinfo=UTC))
        ok(desk.appeal(rid))
        assert desk.status(rid) == "appealed"
