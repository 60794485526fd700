"""The console's forms that make a new record from a record's page send the registered creating
command: the new record gets an id of its own and lists the page's record."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from domain.clock import today
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import all_items, ok
from tests.support import ADMIN, Api


def proposal(unit: str, key: str, **person: str) -> dict[str, str]:
    """The fields of a finding page's 问责建议 form (`key`: the form's once-only key)."""
    return {
        "form_key": "accountability-" + key * 20,
        "unit_code": unit,
        "form": "written_inspection",
        "basis": "《中国共产党问责条例》第七条",
        "facts": "整改不力，造成不良影响。",
        **person,
    }


def test_proposing_accountability_from_a_finding_makes_a_ruling_that_links_it(
    api: Api, client: TestClient
) -> None:
    inspector = api.account("inspector", name="督查员 周明")
    unit = api.unit("县水利局")
    fid = api.finding(inspector, unit)["id"]
    fields = proposal(unit, "z")
    with console_as(client, inspector) as browser:
        page = browser.get(f"/findings/{fid}")
        done = submit(browser, page, f"/findings/{fid}/accountability", fields)
    assert done.status_code == 303
    ruling_id = done.headers["location"].split("/rulings/")[1].split("?")[0]
    assert ruling_id != fid
    ruling = ok(api.get(f"/api/v1/rulings/{ruling_id}", inspector))
    assert ruling["finding_ids"] == [fid] and ruling["status"] == "proposed"
    assert ruling["subject"] == {"unit_code": unit}


def test_a_finding_of_a_merged_unit_offers_no_new_ruling(api: Api, client: TestClient) -> None:
    """A merged unit takes no new record (409 unit_inactive): its findings' pages offer no
    proposal of accountability nor application for tolerance."""
    inspector = api.account("inspector", name="督查员 周明")
    unit, successor = api.unit("县农林局"), api.unit("县农业农村局")
    fid = api.finding(inspector, unit)["id"]
    with console_as(client, inspector) as browser:
        before = browser.get(f"/findings/{fid}").text
    assert 'id="form-accountability"' in before and 'id="form-fault-tolerance"' in before
    body = {"into": successor, "reason": "机构改革", "effective_on": today().isoformat()}
    ok(api.post(f"/api/v1/units/{unit}/merger", body, ADMIN))
    with console_as(client, inspector) as browser:
        after = browser.get(f"/findings/{fid}").text
    assert 'id="form-accountability"' not in after and 'id="form-fault-tolerance"' not in after


def test_a_position_without_a_name_is_refused_not_dropped(api: Api, client: TestClient) -> None:
    inspector = api.account("inspector")
    unit = api.unit("县交通运输局")
    fid = api.finding(inspector, unit)["id"]
    fields = proposal(unit, "y", person_name="", person_position="科长")
    with console_as(client, inspector) as browser:
        page = browser.get(f"/findings/{fid}")
        refused = submit(browser, page, f"/findings/{fid}/accountability", fields)
    assert refused.status_code == 422 and "“责任人姓名”不能为空" in refused.text
    assert 'value="科长"' in refused.text, "what was typed is kept"
    head = max(p["head"] for p in ok(api.get("/api/v1/projections", ADMIN)))
    rulings = all_items(api, "/api/v1/rulings", inspector, unit_code=unit, min_position=head)
    assert rulings == [], "nothing was recorded"


def test_a_day_done_is_picked_no_later_than_today_and_a_later_one_is_refused_and_kept(
    api: Api, client: TestClient
) -> None:
    """发现日期 offers no day after today, a deadline any day; a later day sent anyway (an old
    browser, a typed one) is refused naming the field, with what was typed kept, as is a day
    before 1900."""
    inspector = api.account("inspector")
    unit = api.unit("县应急管理局")
    day, tomorrow = today().isoformat(), (today() + timedelta(days=1)).isoformat()
    fields = {
        "unit_code": unit,
        "title": "应急预案未演练",
        "description": "年度演练计划未执行。",
        "category": "work_style",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": tomorrow,
    }
    fid = api.finding(inspector, unit)["id"]
    with console_as(client, inspector) as browser:
        form = browser.get("/findings/new")
        refused = submit(browser, form, "/findings", fields)
        too_early = submit(browser, form, "/findings", fields | {"found_on": "0001-01-01"})
        ordering = browser.get(f"/findings/{fid}").text
    assert f'name="found_on" value="{day}" max="{day}" required' in form.text
    assert 'name="deadline" value="" required' in ordering, "a deadline may lie ahead"
    assert refused.status_code == 422 and "“发现日期”不能晚于今天。" in refused.text
    assert f'name="found_on" value="{tomorrow}" max="{day}"' in refused.text, "what was typed"
    assert too_early.status_code == 422 and "“发现日期”不能早于1900年。" in too_early.text
    head = max(p["head"] for p in ok(api.get("/api/v1/projections", ADMIN)))
    listed = all_items(api, "/api/v1/findings", inspector, unit_code=unit, min_position=head)
    assert [f["id"] for f in listed] == [fid], "nothing more was recorded"
