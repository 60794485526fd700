"""Issue 15's walkthroughs, over HTTP and in the console: a finding goes 交办 → 签收 → 阶段进展 →
延期申请 (approved) → report → 退回 → report → 销号, and another goes 退办 → 转办 to a second
unit; each step is an event naming who took it, in the units' histories, and the liaison is told
at each turn that concerns them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain import clock
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import command, events_of, ok
from tests.support import ADMIN, Api, account_fixture

inspector = account_fixture("inspector", "督查员 陈静")
supervisor = account_fixture("supervisor", "督查室主任 周红")
TODAY = clock.today()
SOON, LATER, LAST = (TODAY + timedelta(days=d) for d in (20, 50, 80))
# The first walkthrough's steps: (form or command, who, fields), and the event each records.
LOOP: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "rectification-order",
        "inspector",
        {"deadline": SOON, "requirements": "限期整改"},
        "下达整改",
    ),
    ("acknowledgement", "liaison", {"note": "已签收"}, "签收"),
    ("progress", "liaison", {"note": "已完成一半", "percent": 50}, "阶段进展"),
    ("extension-application", "liaison", {"new_deadline": LATER, "reason": "汛期"}, "延期申请"),
    ("extension-review", "inspector", {"outcome": "forwarded", "comment": "属实"}, "延期申请初审"),
    ("extension-decision", "supervisor", {"outcome": "approved", "reason": "同意"}, "延期申请审批"),
    ("rectification-report", "liaison", {"summary": "已整改", "evidence": []}, "报送整改情况"),
    (
        "verification",
        "inspector",
        {"outcome": "rejected", "comment": "材料不全", "new_deadline": LAST},
        "整改验收",
    ),
    ("rectification-report", "liaison", {"summary": "已补齐材料", "evidence": []}, "报送整改情况"),
    ("verification", "inspector", {"outcome": "accepted", "comment": "同意销号"}, "整改验收"),
]
ROLES = {"inspector": "inspector", "liaison": "unit", "supervisor": "supervisor"}


def as_form(fields: dict[str, Any]) -> dict[str, str]:
    """A command's fields as a console form posts them."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in fields.items()
            if k != "evidence"}  # fmt: skip


def as_json(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in fields.items()}


def history(api: Api, who: dict[str, str], unit: str, position: int) -> list[dict[str, Any]]:
    page = ok(api.get(f"/api/v1/units/{unit}/history", who, min_position=position, limit=200))
    items: list[dict[str, Any]] = page["items"]
    return items


Step = Callable[[str, str, dict[str, Any]], None]


def head(api: Api) -> int:
    """The log's head: reads given it as min_position show every step taken so far."""
    projections = ok(api.get("/api/v1/projections", ADMIN))
    items = projections["items"] if isinstance(projections, dict) else projections
    return max(int(p["head"]) for p in items)


@pytest.fixture(params=["http", "console"])
def channel(
    request: pytest.FixtureRequest, api: Api, client: TestClient
) -> Callable[[dict[str, dict[str, str]]], Step]:
    """How the walkthrough's steps are taken: POSTed JSON, or the console's forms."""

    def over_http(people: dict[str, dict[str, str]]) -> Step:
        def step(fid: str, action: str, who_fields: dict[str, Any]) -> None:
            who, fields = who_fields["who"], who_fields["fields"]
            ok(command(api, fid, action, as_json(fields), people[who]))

        return step

    def in_console(people: dict[str, dict[str, str]]) -> Step:
        def step(fid: str, action: str, who_fields: dict[str, Any]) -> None:
            who, fields = who_fields["who"], who_fields["fields"]
            with console_as(client, people[who]) as browser:
                page = browser.get(f"/findings/{fid}")
                done = submit(browser, page, f"/findings/{fid}/{action}", as_form(fields))
                assert done.status_code == 303, (action, done.text)

        return step

    return over_http if request.param == "http" else in_console


def test_a_finding_goes_round_the_whole_loop_to_closure(
    api: Api,
    channel: Callable[[dict[str, dict[str, str]]], Step],
    inspector: dict[str, str],
    supervisor: dict[str, str],
) -> None:
    unit = api.unit("县交通运输局", "department")
    people = {
        "inspector": inspector,
        "supervisor": supervisor,
        "liaison": api.account("unit", unit),
    }
    step = channel(people)
    fid = api.finding(inspector, unit, found_on=TODAY.isoformat())["id"]
    for action, who, fields, _ in LOOP:
        step(fid, action, {"who": who, "fields": fields})
    events = events_of(api, inspector, fid)
    assert [(e["event_label"], e["actor"]["role"]) for e in events[1:]] == [
        (label, ROLES[who]) for _, who, _, label in LOOP
    ]
    last = head(api)
    finding = ok(api.get(f"/api/v1/findings/{fid}", inspector, min_position=last))
    assert finding["status"] == "closed" and finding["deadline"] == LAST.isoformat()
    own = [h for h in history(api, inspector, unit, last) if h["aggregate_id"] == fid]
    assert len(own) == 1 + len(LOOP)  # raised, and every step, in the unit's history
    told = ok(api.get("/api/v1/inbox", people["liaison"], min_position=last))["items"]
    assert sorted(n["kind"] for n in told) == [
        "extension_decision",
        "order",
        "verification",
        "verification",
    ]


def test_a_disputed_finding_is_reassigned_to_the_unit_it_belongs_to(
    api: Api, channel: Callable[[dict[str, dict[str, str]]], Step], inspector: dict[str, str]
) -> None:
    first, second = api.unit("县林业局", "department"), api.unit("县水利局", "department")
    people = {
        "inspector": inspector,
        "liaison": api.account("unit", first),
        "other": api.account("unit", second),
    }
    step = channel(people)
    fid = api.finding(inspector, first, found_on=TODAY.isoformat())["id"]
    step(fid, "rectification-order", {"who": "inspector", "fields": LOOP[0][2]})
    step(fid, "dispute", {"who": "liaison", "fields": {"reason": "属水利部门职责"}})
    moved = {"to_unit": second, "reason": "经核实属水利局职责"}
    step(fid, "reassignment", {"who": "inspector", "fields": moved})
    step(fid, "acknowledgement", {"who": "other", "fields": {"note": "已签收"}})
    events = events_of(api, inspector, fid)
    assert [(e["event_label"], e["actor"]["role"]) for e in events[1:]] == [
        ("下达整改", "inspector"),
        ("退办", "unit"),
        ("转办", "inspector"),
        ("签收", "unit"),
    ]
    last = head(api)
    before = [
        h["event_type"] for h in history(api, inspector, first, last) if h["aggregate_id"] == fid
    ]
    after = [
        h["event_type"] for h in history(api, inspector, second, last) if h["aggregate_id"] == fid
    ]
    assert before[-1] == "Reassigned" and "OrderAcknowledged" not in before
    assert after[-2:] == ["Reassigned", "OrderAcknowledged"]
    finding = ok(api.get(f"/api/v1/findings/{fid}", people["other"], min_position=last))
    assert finding["unit_code"] == second
    assert api.get(f"/api/v1/findings/{fid}", people["liaison"]).status_code == 404
    told = ok(api.get("/api/v1/inbox", people["other"], min_position=last))["items"]
    assert [n["kind"] for n in told] == ["reassigned"]
