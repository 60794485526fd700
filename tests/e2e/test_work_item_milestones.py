"""A work item's responsible leader and milestones over HTTP (issue 18 item 2): an inspector
names the leader, the item's own unit sets and reaches milestones, each rule refused with
422/409 and nothing recorded; the item and the ledger show the 红/黄/蓝 colour, a missed
milestone's as the item's when graver."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain import clock
from domain.clock import SettableClock
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api

ITEMS = "/api/v1/work-items"


def listed(api: Api, unit: str, year: int) -> dict[str, Any]:
    body = {"title": "推进项目建设", "year": year, "lead_unit": unit, "co_units": [],
            "due_on": f"{year}-12-31"}  # fmt: skip
    answer: dict[str, Any] = ok(api.post(ITEMS, body, ADMIN), 201)
    return answer


def test_the_units_liaison_sets_and_reaches_milestones_and_the_item_shows_them(
    api: Api,
) -> None:
    unit = api.unit("县发展和改革局")
    liaison = api.account("unit", unit)
    with clock.use(SettableClock(datetime(2038, 3, 1, 4, tzinfo=UTC))) as frozen:
        item = str(listed(api, unit, 2038)["id"])
        leader = {"leader": "分管副县长"}
        ok(api.post(f"{ITEMS}/{item}/leader", leader, api.account("inspector")))
        first = {"title": "制定实施方案", "due_on": "2038-03-31"}
        ok(api.post(f"{ITEMS}/{item}/milestones", first, liaison))
        second = {"title": "完成年度任务", "due_on": "2038-12-31", "leader": "县政府办公室主任"}
        position = ok(api.post(f"{ITEMS}/{item}/milestones", second, liaison))["position"]
        shown = ok(api.get(f"{ITEMS}/{item}", ADMIN))
        assert shown["leader"] == "分管副县长" and shown["deadline_colour"] is None
        assert [(m["number"], m["title"], m["leader"], m["reached_on"]) for m in
                shown["milestones"]] == [(1, "制定实施方案", None, None),
                                         (2, "完成年度任务", "县政府办公室主任", None)]  # fmt: skip

        frozen.set(datetime(2038, 4, 2, 4, tzinfo=UTC))  # the first milestone missed
        shown = ok(api.get(f"{ITEMS}/{item}", ADMIN))
        assert shown["milestones"][0]["deadline_colour"] == "red"
        assert shown["deadline_colour"] == "red", "a missed milestone colours the item"
        ledger = all_items(api, ITEMS, ADMIN, year=2038, unit_code=unit, min_position=position)
        row = next(i for i in ledger if i["id"] == item)
        assert row["deadline_colour"] == "red" and row["leader"] == "分管副县长"

        reached = {"reached_on": "2038-04-02", "note": "方案已印发"}
        done = ok(api.post(f"{ITEMS}/{item}/milestones/1/completion", reached, liaison))
        shown = ok(api.get(f"{ITEMS}/{item}", ADMIN))
        assert shown["milestones"][0]["reached_on"] == "2038-04-02"
        assert shown["milestones"][0]["note"] == "方案已印发"
        assert shown["milestones"][0]["deadline_colour"] is None
        assert shown["deadline_colour"] is None, "reached: the item's own colour, none yet"
        frozen.set(datetime(2038, 6, 15, 4, tzinfo=UTC))  # a third of the year, 0% reported
        assert ok(api.get(f"{ITEMS}/{item}", ADMIN))["deadline_colour"] == "yellow"
        listed_now = all_items(api, ITEMS, ADMIN, year=2038, min_position=done["position"])
        row = next(i for i in listed_now if i["id"] == item)
        assert row["deadline_colour"] == "yellow"


def test_milestone_and_leader_rules_are_refused_and_record_nothing(api: Api) -> None:
    unit = api.unit("县发展和改革局")
    liaison = api.account("unit", unit)
    with clock.use(SettableClock(datetime(2039, 3, 1, 4, tzinfo=UTC))):
        item = str(listed(api, unit, 2039)["id"])
        late = {"title": "太晚", "due_on": "2040-01-01"}
        error = assert_error(api.post(f"{ITEMS}/{item}/milestones", late, liaison), 422)
        assert "2039-12-31" in error["message"]
        early = {"title": "太早", "due_on": "2038-12-31"}
        assert_error(api.post(f"{ITEMS}/{item}/milestones", early, liaison), 422, "invalid_value")
        blank = {"title": "", "due_on": "2039-05-01"}
        assert_error(api.post(f"{ITEMS}/{item}/milestones", blank, liaison), 422)
        unknown = {"reached_on": "2039-03-01"}
        missing = api.post(f"{ITEMS}/{item}/milestones/1/completion", unknown, liaison)
        assert_error(missing, 404, "not_found")
        ok(
            api.post(
                f"{ITEMS}/{item}/milestones", {"title": "方案", "due_on": "2039-05-01"}, liaison
            )
        )
        future = {"reached_on": "2039-03-02"}
        path = f"{ITEMS}/{item}/milestones/1/completion"
        assert_error(api.post(path, future, liaison), 422, "invalid_value")
        ok(api.post(path, {"reached_on": "2039-03-01", "note": "提前完成"}, liaison))
        assert_error(api.post(path, {"reached_on": "2039-03-01"}, liaison), 409)
        other = api.account("unit", api.unit("县财政局"))
        refused = api.post(f"{ITEMS}/{item}/milestones", {"title": "x", "due_on": "2039-06-01"},
                           other)  # fmt: skip
        assert refused.status_code in (403, 404)
        assert_error(api.post(f"{ITEMS}/{item}/leader", {"leader": "副县长"}, liaison), 403)
        ok(api.post(f"{ITEMS}/{item}/leader", {"leader": "副县长"}, ADMIN))
        again = api.post(f"{ITEMS}/{item}/leader", {"leader": "副县长"}, ADMIN)
        assert_error(again, 422, "invalid_value")
        shown = ok(api.get(f"{ITEMS}/{item}", ADMIN))
        assert len(shown["milestones"]) == 1 and shown["milestones"][0]["note"] == "提前完成"
        assert shown["version"] == 4, "listed, one milestone set and reached, one leader"
