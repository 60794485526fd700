"""The console's work-item page (issue 18 items 2 and 9): a unit's liaison reports progress,
sets a milestone and reports it reached; an inspector names the responsible leader; a refused
form says why in Chinese and records nothing; the ledger links each item with its colour."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.console import console_as, submit
from tests.e2e.helpers import ok
from tests.support import ADMIN, Api

ITEMS = "/api/v1/work-items"


def listed(api: Api, unit: str) -> str:
    body = {"title": "推进项目建设<b>", "year": 2026, "lead_unit": unit, "co_units": [],
            "due_on": "2026-12-31"}  # fmt: skip
    return str(ok(api.post(ITEMS, body, ADMIN), 201)["id"])


def test_a_liaison_reports_progress_and_milestones_and_an_inspector_names_the_leader(
    api: Api, client: TestClient
) -> None:
    unit = api.unit("县交通运输局")
    liaison = api.account("unit", unit, name="交通局联络员")
    item = listed(api, unit)
    page = f"/work-items/{item}"
    with console_as(client, liaison) as browser:
        shown = browser.get(page)
        assert shown.status_code == 200 and "尚未设定工作节点" in shown.text
        assert "推进项目建设&lt;b&gt;" in shown.text, "user text stays text"
        assert 'id="form-leader"' not in shown.text, "a unit does not name leaders"
        assert 'id="form-milestone-completion"' not in shown.text, "no milestone to report"
        progress = {"form_key": "progress-" + "a" * 20, "note": "已开工", "percent": "30"}
        assert submit(browser, shown, f"{page}/work-progress", progress).status_code == 303
        milestone = {"form_key": "milestone-" + "b" * 20, "title": "完成设计",
                     "due_on": "2026-06-30", "leader": ""}  # fmt: skip
        done = submit(browser, browser.get(page), f"{page}/milestone", milestone)
        assert done.status_code == 303 and done.headers["location"].endswith("done=milestone")
        late = {"form_key": "milestone-" + "c" * 20, "title": "太晚", "due_on": "2027-01-05"}
        refused = submit(browser, browser.get(page), f"{page}/milestone", late)
        assert refused.status_code == 422
        assert "工作节点的完成时限不能晚于工作完成时限" in refused.text
        reached = {"form_key": "reached-" + "d" * 20, "number": "1",
                   "reached_on": "2026-01-05", "note": "设计已批复"}  # fmt: skip
        shown = browser.get(page)
        assert 'id="form-milestone-completion"' in shown.text
        assert submit(browser, shown, f"{page}/milestone-completion", reached).status_code == 303
        unnamed = {"form_key": "reached-" + "e" * 20, "number": "", "reached_on": "2026-01-05"}
        refused = submit(browser, browser.get(page), f"{page}/milestone-completion", unnamed)
        assert refused.status_code == 422 and "请选择要报告完成的工作节点" in refused.text
        shown = browser.get(page)
        assert "2026年1月5日完成：设计已批复" in shown.text
        assert browser.get(f"/work-items/{'0' * 8}").status_code == 404
    inspector = api.account("inspector")
    with console_as(client, inspector) as browser:
        shown = browser.get(page)
        leader = {"form_key": "leader-" + "f" * 20, "leader": "分管副县长"}
        assert submit(browser, shown, f"{page}/leader", leader).status_code == 303
        ledger = browser.get("/ledger", params={"year": 2026})
        assert f'href="/work-items/{item}"' in ledger.text and "分管副县长" in ledger.text
    answer = ok(api.get(f"{ITEMS}/{item}", ADMIN))
    assert answer["leader"] == "分管副县长" and answer["percent"] == 30
    assert [(m["title"], m["reached_on"], m["note"]) for m in answer["milestones"]] == [
        ("完成设计", "2026-01-05", "设计已批复")
    ]
    assert answer["version"] == 5, "listed, progress, a milestone set and reached, a leader"


def test_a_milestone_form_without_a_choice_is_refused_in_chinese(
    api: Api, client: TestClient
) -> None:
    unit = api.unit("县水务局")
    liaison = api.account("unit", unit)
    item = listed(api, unit)
    page = f"/work-items/{item}"
    ok(api.post(f"{ITEMS}/{item}/milestones", {"title": "方案", "due_on": "2026-12-01"}, liaison))
    with console_as(client, liaison) as browser:
        unnamed = {"form_key": "reached-" + "g" * 20, "number": "", "reached_on": "2026-01-05"}
        refused = submit(browser, browser.get(page), f"{page}/milestone-completion", unnamed)
        assert refused.status_code == 422 and "请选择要报告完成的工作节点" in refused.text
        odd = {**unnamed, "form_key": "reached-" + "h" * 20, "number": "²"}
        refused = submit(browser, browser.get(page), f"{page}/milestone-completion", odd)
        assert refused.status_code == 422 and "请选择要报告完成的工作节点" in refused.text
        blank = {"form_key": "milestone-" + "i" * 20, "title": "", "due_on": "2026-05-01"}
        refused = submit(browser, browser.get(page), f"{page}/milestone", blank)
        assert refused.status_code == 422 and "“节点内容”不能为空" in refused.text
        cancelled = {"reason": "调整"}
        ok(api.post(f"{ITEMS}/{item}/cancellation", cancelled, api.account("inspector")))
        stale = {"form_key": "milestone-" + "j" * 20, "title": "晚了", "due_on": "2026-05-01"}
        refused = submit(browser, browser.get(page), f"{page}/milestone", stale)
        assert refused.status_code == 409 and "当前状态为“已取消”" in refused.text
        other = api.unit("县林业局")
    outsider = api.account("unit", other)
    with console_as(client, outsider) as browser:
        assert browser.get(page).status_code == 404, "another unit's item is not there"
    assert ok(api.get(f"{ITEMS}/{item}", ADMIN))["milestones"][0]["reached_on"] is None
