"""延期申请 with approval (issue 15 item 6): the unit applies before the deadline, the inspector
forwards or refuses it (初审), a supervisor approves or rejects it; only an approval moves the
deadline, and every step is an attributed event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain import clock
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import assert_error, command, events_of, finding, ok, order
from tests.support import Api, account_fixture

inspector = account_fixture("inspector", "督查员 陈静")
supervisor = account_fixture("supervisor", "督查室主任 周红")
SOON = (clock.today() + timedelta(days=10)).isoformat()
LATER = (clock.today() + timedelta(days=40)).isoformat()
REPORT: dict[str, Any] = {"summary": "已整改", "evidence": []}


@dataclass
class Matter:
    """A finding ordered today with a deadline SOON, and who takes part in its application."""

    api: Api
    fid: str
    liaison: dict[str, str]
    inspector: dict[str, str]
    supervisor: dict[str, str]

    def step(self, verb: str, who: dict[str, str], **body: str) -> dict[str, object]:
        return ok(command(self.api, self.fid, verb, body, who))

    def refused(self, verb: str, who: dict[str, str], body: dict[str, str], status: int) -> Any:
        return assert_error(command(self.api, self.fid, verb, body, who), status)

    def deadline(self) -> str:
        return str(finding(self.api, self.inspector, self.fid)["deadline"])


@pytest.fixture
def matter(api: Api, inspector: dict[str, str], supervisor: dict[str, str]) -> Matter:
    unit = api.unit("县水利局")
    fid: str = api.finding(inspector, unit, found_on=clock.today().isoformat())["id"]
    order(api, inspector, fid, deadline=SOON)
    return Matter(api, fid, api.account("unit", unit), inspector, supervisor)


def test_an_approved_application_moves_the_deadline_after_review_and_decision(
    matter: Matter,
) -> None:
    m = matter
    m.step("extension-application", m.liaison, new_deadline=LATER, reason="汛期影响施工")
    assert m.deadline() == SOON
    m.step("extension-review", m.inspector, outcome="forwarded", comment="属实")
    m.step("extension-decision", m.supervisor, outcome="approved", reason="同意")
    assert m.deadline() == LATER
    events = events_of(m.api, m.inspector, m.fid)[-3:]
    assert [(e["event_label"], e["actor"]["role"]) for e in events] == [
        ("延期申请", "unit"),
        ("延期申请初审", "inspector"),
        ("延期申请审批", "supervisor"),
    ]
    assert events[-1]["data"]["new_deadline"] == LATER


@pytest.mark.parametrize(
    ("review", "decision"),
    [
        pytest.param("refused", None, id="refused-at-review"),
        pytest.param("forwarded", "rejected", id="rejected-by-the-supervisor"),
    ],
)
def test_a_refused_or_rejected_application_leaves_the_deadline_and_allows_another(
    matter: Matter, review: str, decision: str | None
) -> None:
    m = matter
    m.step("extension-application", m.liaison, new_deadline=LATER, reason="人手不足")
    m.step("extension-review", m.inspector, outcome=review, comment="意见")
    if decision is not None:
        m.step("extension-decision", m.supervisor, outcome=decision, reason="不予批准")
    assert m.deadline() == SOON
    m.step("extension-application", m.liaison, new_deadline=LATER, reason="再次申请")


def test_an_approval_never_moves_the_deadline_back_to_an_earlier_day(matter: Matter) -> None:
    """The inspector extended the deadline past the day applied for: approving the stale
    application would shorten the unit's time, so it is refused; it may be rejected."""
    m = matter
    m.step("extension-application", m.liaison, new_deadline=LATER, reason="汛期影响施工")
    further = (clock.today() + timedelta(days=60)).isoformat()
    m.step("deadline-extension", m.inspector, new_deadline=further, reason="统筹安排")
    m.step("extension-review", m.inspector, outcome="forwarded", comment="属实")
    error = m.refused(
        "extension-decision", m.supervisor, {"outcome": "approved", "reason": "同意"}, 409
    )
    assert "no later than the deadline now" in error["message"] and m.deadline() == further
    m.step("extension-decision", m.supervisor, outcome="rejected", reason="期限已另行延长")
    assert m.deadline() == further


def test_an_application_lapses_with_the_report_and_the_unit_may_apply_in_the_next_round(
    matter: Matter,
) -> None:
    m = matter
    m.step("extension-application", m.liaison, new_deadline=LATER, reason="汛期影响施工")
    ok(command(m.api, m.fid, "rectification-report", REPORT, m.liaison))
    m.refused("extension-review", m.inspector, {"outcome": "forwarded", "comment": "c"}, 409)
    m.step("verification", m.inspector, outcome="rejected", comment="不到位")
    m.step("extension-application", m.liaison, new_deadline=LATER, reason="需补充整改")
    m.step("extension-review", m.inspector, outcome="forwarded", comment="属实")
    m.step("extension-decision", m.supervisor, outcome="approved", reason="同意")
    assert m.deadline() == LATER


def test_a_unit_reports_no_rectification_while_its_dispute_awaits_an_answer(
    matter: Matter,
) -> None:
    m = matter
    m.step("dispute", m.liaison, reason="不属本单位职责")
    answer = command(m.api, m.fid, "rectification-report", REPORT, m.liaison)
    error = assert_error(answer, 409, "invalid_transition")
    assert "退办" in error["message"]
    assert finding(m.api, m.inspector, m.fid)["status"] == "rectifying"


def test_each_step_is_its_roles_and_comes_in_its_order(matter: Matter) -> None:
    m = matter
    body = {"new_deadline": LATER, "reason": "申请延期"}
    assert m.refused("extension-application", m.inspector, body, 403)["code"] == "forbidden"
    decide = {"outcome": "approved", "reason": "同意"}
    m.refused("extension-decision", m.supervisor, decide, 409)
    m.step("extension-application", m.liaison, **body)
    m.refused("extension-application", m.liaison, body, 409)
    m.refused("extension-decision", m.supervisor, decide, 409)
    review = {"outcome": "maybe", "comment": "?"}
    assert m.refused("extension-review", m.inspector, review, 422)["code"] == "invalid_value"
    assert m.refused("extension-review", m.supervisor, review, 403)["code"] == "forbidden"


def test_an_application_asks_for_a_later_deadline(matter: Matter) -> None:
    body = {"new_deadline": SOON, "reason": "申请延期"}
    refused = matter.refused("extension-application", matter.liaison, body, 422)
    assert refused["code"] == "invalid_value"
    assert refused["details"] == {"deadline": SOON, "new_deadline": SOON}


def test_the_console_carries_an_application_from_the_unit_to_the_supervisor(
    matter: Matter, client: TestClient
) -> None:
    m = matter
    page_of = f"/findings/{m.fid}"
    forms = [
        (m.liaison, "extension-application", {"new_deadline": LATER, "reason": "汛期影响施工"}),
        (m.inspector, "extension-review", {"outcome": "forwarded", "comment": "理由属实"}),
        (m.supervisor, "extension-decision", {"outcome": "approved", "reason": "同意延期"}),
    ]
    for n, (who, action, fields) in enumerate(forms):
        with console_as(client, who) as browser:
            page = browser.get(page_of)
            offered = {a for _, a, _ in forms if f'id="form-{a}"' in page.text}
            assert offered == {action}, (action, offered)
            if n:
                assert "汛期影响施工" in page.text  # the application beside the form
            form_key = {"form_key": f"{action}-" + "e" * 20}
            sent = submit(browser, page, f"{page_of}/{action}", form_key | fields)
            assert sent.status_code == 303, sent.text
    assert m.deadline() == LATER
    with console_as(client, m.inspector) as browser:
        timeline = browser.get(page_of).text.split('class="timeline"', 1)[1]
    assert "初审通过，报请审批" in timeline and "批准延期" in timeline  # each in its own words
    for code in ("forwarded", "approved", "验收不通过"):
        assert code not in timeline, code


def test_a_deadline_on_a_day_off_takes_an_application_until_the_working_day_it_runs_to(
    api: Api, inspector: dict[str, str]
) -> None:
    """Saturday 2026-12-05 runs to Monday the 7th, as the finding's overdue does: the unit
    may still apply on the Monday, not on the Tuesday."""
    unit = api.unit("县交通局")
    liaison = api.account("unit", unit)
    fid: str = api.finding(inspector, unit, found_on="2026-11-20")["id"]
    order(api, inspector, fid, deadline="2026-12-05")
    asked = {"new_deadline": "2027-01-29", "reason": "冬季停工"}
    monday, tuesday = (
        clock.SettableClock(datetime(2026, 12, day, 10, tzinfo=clock.CHINA)) for day in (7, 8)
    )
    with clock.use(tuesday):
        late = assert_error(command(api, fid, "extension-application", asked, liaison), 422)
        assert late["details"]["deadline"] == "2026-12-05"
    with clock.use(monday):
        assert finding(api, inspector, fid)["overdue"] is False
        ok(command(api, fid, "extension-application", asked, liaison))
