"""重大行政决策 in the console (issue 18 items 1 and 9): the responsible unit's liaison records
the procedure steps with their results and the decision; an unlawful legality review flags it
on the page and in the catalogue; another unit's liaison reads it but is offered no form (nor
a link to the unit's page, which it may not open); a
refused form says why in Chinese; an inspector plans the evaluation once it is implemented."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.console import console_as, submit
from tests.e2e.helpers import ok
from tests.support import ADMIN, Api

DECISIONS = "/api/v1/major-decisions"


def catalogued(api: Api, unit_name: str, title: str) -> tuple[str, str]:
    """A new unit and a decision of it catalogued: their code and id."""
    unit = api.unit(unit_name, "department")
    body = {"title": title, "year": 2026, "unit_code": unit}
    return unit, str(ok(api.post(DECISIONS, body, ADMIN), 201)["id"])


def test_a_liaison_records_the_procedure_and_the_decision_in_the_console(
    api: Api, client: TestClient
) -> None:
    unit, did = catalogued(api, "县住房和城乡建设局", "老旧小区改造实施方案<i>")
    page = f"/major-decisions/{did}"
    liaison = api.account("unit", unit)
    with console_as(client, liaison) as browser:
        shown = browser.get(page)
        assert shown.status_code == 200 and "老旧小区改造实施方案&lt;i&gt;" in shown.text
        assert 'id="form-evaluation-plan"' not in shown.text, "a unit plans no evaluation"
        review = {"form_key": "step-" + "a" * 20, "step": "legality_review",
                  "done_on": "2026-02-01", "outcome": "unlawful", "note": "",
                  "summary": "", "participants": "", "opinions": ""}  # fmt: skip
        assert submit(browser, shown, f"{page}/procedure-steps", review).status_code == 303
        bad = {**review, "form_key": "step-" + "b" * 20, "step": "risk_assessment",
               "outcome": "catastrophic"}  # fmt: skip
        refused = submit(browser, browser.get(page), f"{page}/procedure-steps", bad)
        assert refused.status_code == 422 and 'role="alert"' in refused.text
        assert "“结果”请选择有效的选项。" in refused.text, "the field, as the form labels it"
        decided = {"form_key": "decide-" + "c" * 20, "decided_on": "2026-02-10",
                   "summary": "经县政府常务会议研究通过"}  # fmt: skip
        assert submit(browser, browser.get(page), f"{page}/decision", decided).status_code == 303
        shown = browser.get(page)
        assert 'id="decision-flagged"' in shown.text and "合法性审查意见为不合法" in shown.text
        assert "不合法" in shown.text.split('id="procedure"')[1]
        timeline = shown.text.split("办理过程")[1].split("可办理的操作")[0]
        assert "不合法" in timeline and "unlawful" not in timeline, "labels, not codes"
        listing = browser.get("/major-decisions")
        row = listing.text.split(f'href="/major-decisions/{did}"')[1].split("</tr>")[0]
        assert "程序缺失或瑕疵" in row
    stranger = api.account("unit", api.unit("县林业局", "department"))
    with console_as(client, stranger) as browser:
        shown = browser.get(page)
        assert shown.status_code == 200 and 'id="form-implementation"' not in shown.text
        # The responsible unit by its name, not a link to a page it may not open.
        assert "县住房和城乡建设局" in shown.text and f'href="/units/{unit}"' not in shown.text
    with console_as(client, liaison) as browser:
        assert f'href="/units/{unit}"' in browser.get(page).text, "its own unit's page"
    assert browser.get(f"/major-decisions/{'0' * 8}").status_code in (302, 303, 404)
    answer = ok(api.get(f"{DECISIONS}/{did}", ADMIN))
    assert answer["status"] == "decided" and answer["version"] == 3


def test_an_inspector_plans_the_evaluation_of_an_implemented_decision(
    api: Api, client: TestClient
) -> None:
    _, did = catalogued(api, "县交通运输局", "公交线网优化")
    inspector = api.account("inspector")
    ok(api.post(f"{DECISIONS}/{did}/decision", {"decided_on": "2026-01-10", "summary": "通过"},
                inspector))  # fmt: skip
    page = f"/major-decisions/{did}"
    with console_as(client, inspector) as browser:
        implemented = {"form_key": "impl-" + "d" * 20, "implemented_on": "2026-01-20",
                       "note": ""}  # fmt: skip
        done = submit(browser, browser.get(page), f"{page}/implementation", implemented)
        assert done.status_code == 303 and done.headers["location"].endswith("done=implementation")
        plan = {"form_key": "plan-" + "e" * 20, "evaluator": "省社科院评估中心",
                "scope": "实施效果", "planned_on": "2026-02-01"}  # fmt: skip
        assert (
            submit(browser, browser.get(page), f"{page}/evaluation-plan", plan).status_code == 303
        )
        shown = browser.get(page).text
        assert "省社科院评估中心" in shown
        assert 'id="form-evaluation-plan"' not in shown, "one evaluation at a time"
