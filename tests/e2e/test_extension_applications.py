"""延期申请 with approval (issue 15 item 6): the unit applies before the deadline, the inspector
forwards or refuses it (初审), a supervisor approves or rejects it; only an approval moves the
deadline, and every step is an attributed event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from domain import clock
from tests.e2e.helpers import assert_error, command, events_of, finding, no_server_errors, ok, order
from tests.e2e.test_console import csrf_of, sign_in, token_of
from tests.support import Api, account_fixture

__all__ = ["no_server_errors"]

inspector = account_fixture("inspector", "督查员 陈静")
supervisor = account_fixture("supervisor", "督查室主任 周红")
SOON = (clock.today() + timedelta(days=10)).isoformat()
LATER = (clock.today() + timedelta(days=40)).isoformat()


@pytest.fixture
def matter(api: Api, inspector: dict[str, str]) -> tuple[str, dict[str, str]]:
    unit = api.unit("县水利局")
    fid: str = api.finding(inspector, unit, found_on=clock.today().isoformat())["id"]
    order(api, inspector, fid, deadline=SOON)
    return fid, api.account("unit", unit)


def step(api: Api, fid: str, verb: str, who: dict[str, str], **body: str) -> dict[str, object]:
    return ok(command(api, fid, verb, body, who))


def test_an_approved_application_moves_the_deadline_after_review_and_decision(
    api: Api,
    inspector: dict[str, str],
    supervisor: dict[str, str],
    matter: tuple[str, dict[str, str]],
) -> None:
    fid, liaison = matter
    step(api, fid, "extension-application", liaison, new_deadline=LATER, reason="汛期影响施工")
    assert finding(api, inspector, fid)["deadline"] == SOON
    step(api, fid, "extension-review", inspector, outcome="forwarded", comment="属实")
    step(api, fid, "extension-decision", supervisor, outcome="approved", reason="同意")
    assert finding(api, inspector, fid)["deadline"] == LATER
    events = events_of(api, inspector, fid)[-3:]
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
    api: Api,
    inspector: dict[str, str],
    supervisor: dict[str, str],
    matter: tuple[str, dict[str, str]],
    review: str,
    decision: str | None,
) -> None:
    fid, liaison = matter
    step(api, fid, "extension-application", liaison, new_deadline=LATER, reason="人手不足")
    step(api, fid, "extension-review", inspector, outcome=review, comment="意见")
    if decision is not None:
        step(api, fid, "extension-decision", supervisor, outcome=decision, reason="不予批准")
    assert finding(api, inspector, fid)["deadline"] == SOON
    step(api, fid, "extension-application", liaison, new_deadline=LATER, reason="再次申请")


def test_each_step_is_its_roles_and_comes_in_its_order(
    api: Api,
    inspector: dict[str, str],
    supervisor: dict[str, str],
    matter: tuple[str, dict[str, str]],
) -> None:
    fid, liaison = matter
    body = {"new_deadline": LATER, "reason": "申请延期"}
    assert_error(command(api, fid, "extension-application", body, inspector), 403, "forbidden")
    decide = {"outcome": "approved", "reason": "同意"}
    assert_error(command(api, fid, "extension-decision", decide, supervisor), 409)
    ok(command(api, fid, "extension-application", body, liaison))
    assert_error(command(api, fid, "extension-application", body, liaison), 409)
    assert_error(command(api, fid, "extension-decision", decide, supervisor), 409)
    review = {"outcome": "maybe", "comment": "?"}
    assert_error(command(api, fid, "extension-review", review, inspector), 422, "invalid_value")
    assert_error(command(api, fid, "extension-review", review, supervisor), 403, "forbidden")


def test_an_application_asks_for_a_later_deadline(
    api: Api, matter: tuple[str, dict[str, str]]
) -> None:
    fid, liaison = matter
    body = {"new_deadline": SOON, "reason": "申请延期"}
    refused = assert_error(command(api, fid, "extension-application", body, liaison), 422)
    assert refused["code"] == "invalid_value"
    assert refused["details"] == {"deadline": SOON, "new_deadline": SOON}


def test_the_console_carries_an_application_from_the_unit_to_the_supervisor(
    api: Api,
    inspector: dict[str, str],
    supervisor: dict[str, str],
    matter: tuple[str, dict[str, str]],
    client: TestClient,
) -> None:
    fid, liaison = matter
    page_of = f"/findings/{fid}"
    forms = [
        (liaison, "extension-application", {"new_deadline": LATER, "reason": "汛期影响施工"}),
        (inspector, "extension-review", {"outcome": "forwarded", "comment": "理由属实"}),
        (supervisor, "extension-decision", {"outcome": "approved", "reason": "同意延期"}),
    ]
    for n, (who, action, fields) in enumerate(forms):
        with TestClient(client.app, raise_server_exceptions=False) as browser:
            sign_in(browser, token_of(who))
            page = browser.get(page_of)
            offered = {a for _, a, _ in forms if f'id="form-{a}"' in page.text}
            assert offered == {action}, (action, offered)
            if n:
                assert "汛期影响施工" in page.text  # the application beside the form
            sent = browser.post(
                f"{page_of}/{action}",
                data={"csrf_token": csrf_of(page), "form_key": f"{action}-" + "e" * 20} | fields,
                follow_redirects=False,
            )
            assert sent.status_code == 303, sent.text
    assert finding(api, inspector, fid)["deadline"] == LATER
