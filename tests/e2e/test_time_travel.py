"""Units and work items as they were: at a version or at a time (time travel)."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from domain.clock import SettableClock
from tests.support import ADMIN, Api

# Each command runs on a frozen clock moved on between commands, so that its events' times
# are known and distinct without waiting for the real clock to move.
STEP = timedelta(seconds=1)


def test_a_unit_answers_its_old_name_at_an_earlier_version_and_time(api: Api) -> None:
    with clock.use(SettableClock()) as frozen:
        code = api.unit("县国土局", "department")
        before = frozen.advance(STEP).isoformat()
        frozen.advance(STEP)
        renamed = api.post(
            f"/api/v1/units/{code}/renaming",
            {"name": "县自然资源和规划局", "reason": "机构改革", "effective_on": "2019-03-01"},
            ADMIN,
        )
    assert renamed.status_code == 200
    assert api.get(f"/api/v1/units/{code}", ADMIN).json()["name"] == "县自然资源和规划局"
    assert api.get(f"/api/v1/units/{code}", ADMIN, version=1).json()["name"] == "县国土局"
    assert api.get(f"/api/v1/units/{code}", ADMIN, as_of=before).json()["name"] == "县国土局"
    assert api.get(f"/api/v1/units/{code}", ADMIN, version=9).status_code == 404


def test_a_units_events_list_its_renaming_with_the_actor(api: Api) -> None:
    code = api.unit("某乡", "township")
    api.post(
        f"/api/v1/units/{code}/renaming",
        {"name": "某镇", "reason": "撤乡设镇", "effective_on": "2020-01-01"},
        ADMIN,
    )
    events = api.get(f"/api/v1/units/{code}/events", ADMIN).json()["items"]
    assert [e["event_type"] for e in events] == ["Registered", "Renamed"]
    assert events[1]["data"]["name"] == "某镇" and events[1]["actor"]["role"] == "admin"


def test_a_work_item_answers_its_state_before_its_evaluation(api: Api) -> None:
    unit = api.unit("县发改局", "department")
    inspector = api.account("inspector")
    with clock.use(SettableClock()) as frozen:
        listed = api.post(
            "/api/v1/work-items",
            {"title": "重点工作清单管理", "year": 2024, "lead_unit": unit, "due_on": "2024-12-31"},
            inspector,
        )
        item_id = listed.json()["id"]
        before = frozen.advance(STEP).isoformat()
        frozen.advance(STEP)
        evaluated = api.post(
            f"/api/v1/work-items/{item_id}/evaluation",
            {"score": 92, "grade": "excellent", "comment": "完成"},
            inspector,
        )
    assert evaluated.status_code == 200
    then = api.get(f"/api/v1/work-items/{item_id}", inspector, as_of=before).json()
    assert (then["status"], then["evaluation"]) == ("listed", None)
    assert api.get(f"/api/v1/work-items/{item_id}", inspector, version=2).json()["status"] == (
        "evaluated"
    )
    naive = api.get(f"/api/v1/work-items/{item_id}", inspector, as_of="2024-01-01T00:00:00")
    assert naive.status_code == 422
