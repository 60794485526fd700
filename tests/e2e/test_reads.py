"""Reading a finding: now, at a version, as of a time, and its own events oldest first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain import clock
from domain.clock import SettableClock
from tests.e2e.helpers import (
    FINDINGS,
    FUTURE,
    assert_error,
    assert_verified_by,
    events_of,
    finding,
    ok,
    order,
    report,
    verify,
)
from tests.support import Api

BEIJING = timezone(timedelta(hours=8))
# Commands run on a frozen clock moved on between them, so their events' times are known and
# distinct without waiting for the real clock to move.
STEP = timedelta(seconds=1)


def test_get_with_version_returns_the_finding_as_it_was_then(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit(), title="原始标题")["id"]
    order(api, inspector, fid)
    body = {"changes": {"title": "更正后标题"}, "reason": "更正"}
    ok(api.post(f"{FINDINGS}/{fid}/amendment", body, inspector))

    first = finding(api, inspector, fid, version=1)
    assert first["version"] == 1
    assert first["status"] == "raised"
    assert first["deadline"] is None
    assert first["title"] == "原始标题"

    second = finding(api, inspector, fid, version=2)
    assert second["version"] == 2
    assert second["status"] == "rectifying" and second["deadline"] == FUTURE
    assert second["title"] == "原始标题"

    now = finding(api, inspector, fid)
    assert now["version"] == 3 and now["title"] == "更正后标题"


def test_get_with_a_version_beyond_the_latest_is_not_found(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    assert_error(api.get(f"{FINDINGS}/{fid}", inspector, version=9), 404, "not_found")


def test_get_with_as_of_returns_the_state_at_that_time(api: Api) -> None:
    inspector = api.account("inspector")
    with clock.use(SettableClock()) as frozen:
        fid = api.finding(inspector, api.unit())["id"]
        between = frozen.advance(STEP).astimezone(BEIJING)
        frozen.advance(STEP)
        order(api, inspector, fid)
        report(api, inspector, fid)
        after = frozen.advance(STEP).astimezone(BEIJING)

    then = finding(api, inspector, fid, as_of=between.isoformat())
    assert then["status"] == "raised"
    assert then["version"] == 1

    later = finding(api, inspector, fid, as_of=after.isoformat())
    assert later["status"] == "reported" and later["version"] == 3


def test_as_of_in_another_offset_names_the_same_instant(api: Api) -> None:
    inspector = api.account("inspector")
    with clock.use(SettableClock()) as frozen:
        fid = api.finding(inspector, api.unit())["id"]
        between = frozen.advance(STEP)
        frozen.advance(STEP)
        order(api, inspector, fid)

    utc = finding(api, inspector, fid, as_of=between.isoformat())
    beijing = finding(api, inspector, fid, as_of=between.astimezone(BEIJING).isoformat())
    west = timezone(timedelta(hours=-5))
    new_york = finding(api, inspector, fid, as_of=between.astimezone(west).isoformat())
    assert utc["version"] == beijing["version"] == new_york["version"] == 1
    assert utc["status"] == beijing["status"] == new_york["status"] == "raised"


def test_as_of_at_an_events_recorded_time_includes_that_event(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    order(api, inspector, fid)
    report(api, inspector, fid)
    events = events_of(api, inspector, fid)
    at = events[1]["recorded_at"]
    got = finding(api, inspector, fid, as_of=at)
    assert got["version"] == 2 and got["status"] == "rectifying"


def test_as_of_before_the_finding_existed_is_not_found(api: Api) -> None:
    inspector = api.account("inspector")
    before = (datetime.now(BEIJING) - timedelta(days=1)).isoformat()
    fid = api.finding(inspector, api.unit())["id"]
    assert_error(api.get(f"{FINDINGS}/{fid}", inspector, as_of=before), 404, "not_found")


def test_as_of_that_is_not_a_time_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    assert_error(api.get(f"{FINDINGS}/{fid}", inspector, as_of="yesterday"), 422)


def test_events_are_listed_oldest_first_with_actor_and_data(api: Api) -> None:
    unit = api.unit("县水利局", "department")
    inspector = api.account("inspector", name="督查员 刘洋")
    liaison = api.account("unit", unit, name="水利局 联络员")
    fid = api.finding(inspector, unit, title="河道清淤未完成")["id"]
    order(api, inspector, fid)
    report(api, liaison, fid)
    verify(api, inspector, fid, "rejected", new_deadline="2100-01-31")

    events = events_of(api, inspector, fid)
    assert [e["version"] for e in events] == [1, 2, 3, 4]
    assert [e["event_type"] for e in events] == [
        "Raised",
        "RectificationOrdered",
        "RectificationReported",
        "Verified",
    ]
    for event in events:
        assert {"version", "event_type", "recorded_at", "actor", "data"} <= set(event)
        assert set(event["actor"]) >= {"id", "name", "role"}
        assert isinstance(event["data"], dict)
    stamps = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert all(s.tzinfo is not None for s in stamps)
    assert stamps == sorted(stamps)
    assert_verified_by(events, "督查员 刘洋", "水利局 联络员")
    assert events[0]["data"]["title"] == "河道清淤未完成"
    assert events[1]["data"]["deadline"] == FUTURE
    assert events[3]["data"]["outcome"] == "rejected"
    assert events[3]["data"]["new_deadline"] == "2100-01-31"


def test_events_name_each_actor_by_their_own_account_id(api: Api) -> None:
    inspector = api.account("inspector")
    other = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    order(api, other, fid)
    report(api, inspector, fid)
    events = events_of(api, inspector, fid)
    assert all(isinstance(e["actor"]["id"], str) and e["actor"]["id"] for e in events)
    assert events[0]["actor"]["id"] != events[1]["actor"]["id"]
    assert events[0]["actor"]["id"] == events[2]["actor"]["id"]


def test_events_of_an_unknown_finding_are_not_found(api: Api) -> None:
    inspector = api.account("inspector")
    path = f"{FINDINGS}/00000000-0000-4000-8000-000000000000/events"
    assert_error(api.get(path, inspector), 404, "not_found")


def test_get_answers_the_etag_of_the_current_version(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    order(api, inspector, fid)
    response = api.get(f"{FINDINGS}/{fid}", inspector)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_a_findings_events_come_fifty_a_page_by_default_as_every_list(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit(), title="标题 0")["id"]
    for n in range(1, 53):
        body = {"changes": {"title": f"标题 {n}"}, "reason": "更正"}
        ok(api.post(f"{FINDINGS}/{fid}/amendment", body, inspector))
    first = ok(api.get(f"{FINDINGS}/{fid}/events", inspector))
    assert [e["version"] for e in first["items"]] == list(range(1, 51))
    assert first["next_cursor"] == "50"
    rest = ok(api.get(f"{FINDINGS}/{fid}/events", inspector, cursor=first["next_cursor"]))
    assert [e["version"] for e in rest["items"]] == [51, 52, 53]
    assert rest["next_cursor"] is None
