"""The finding list: read-your-writes, each filter, pagination and its limits."""

from __future__ import annotations

from tests.e2e.helpers import (
    FINDINGS,
    FUTURE,
    assert_error,
    board,
    ids,
    ok,
    order,
)
from tests.support import Api


def test_list_read_at_the_commands_position_holds_the_new_finding(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    raised = api.finding(inspector, unit, title="会议纪要未按期印发")
    items = board(api, inspector, raised["position"], unit_code=unit)
    assert ids(items) == [raised["id"]]
    assert items[0]["title"] == "会议纪要未按期印发"
    assert items[0]["status"] == "raised"
    assert items[0]["unit_code"] == unit


def test_list_read_at_a_later_commands_position_shows_the_new_status(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    fid = api.finding(inspector, unit)["id"]
    position = order(api, inspector, fid)["position"]
    items = board(api, inspector, position, unit_code=unit)
    assert ids(items) == [fid]
    assert items[0]["status"] == "rectifying"
    assert items[0]["deadline"] == FUTURE


def test_unit_code_filter_holds_only_that_units_findings(api: Api) -> None:
    first, second = api.unit("子镇"), api.unit("丑镇")
    inspector = api.account("inspector")
    a = api.finding(inspector, first)["id"]
    b = api.finding(inspector, first)["id"]
    last = api.finding(inspector, second)
    items = board(api, inspector, last["position"], unit_code=first)
    assert sorted(ids(items)) == sorted([a, b])
    assert {i["unit_code"] for i in items} == {first}


def test_status_filter_holds_only_findings_in_that_status(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    still_raised = api.finding(inspector, unit)["id"]
    rectifying = api.finding(inspector, unit)["id"]
    position = order(api, inspector, rectifying)["position"]
    assert ids(board(api, inspector, position, unit_code=unit, status="rectifying")) == [rectifying]
    assert ids(board(api, inspector, position, unit_code=unit, status="raised")) == [still_raised]
    assert board(api, inspector, position, unit_code=unit, status="closed") == []


def test_unknown_status_filter_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.get(FINDINGS, inspector, status="lost"), 422)


def test_overdue_filter_holds_a_rectifying_finding_past_its_deadline(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    late = api.finding(inspector, unit, found_on="2024-01-10")["id"]
    order(api, inspector, late, deadline="2024-02-01")
    on_time = api.finding(inspector, unit, found_on="2024-01-10")["id"]
    order(api, inspector, on_time, deadline=FUTURE)
    never_ordered = api.finding(inspector, unit, found_on="2024-01-10")
    items = board(api, inspector, never_ordered["position"], unit_code=unit, overdue=True)
    assert ids(items) == [late]
    assert items[0]["overdue"] is True
    rest = board(api, inspector, never_ordered["position"], unit_code=unit, overdue=False)
    assert sorted(ids(rest)) == sorted([on_time, never_ordered["id"]])


def test_a_rectifying_finding_past_its_deadline_reads_as_overdue(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    fid = api.finding(inspector, unit, found_on="2024-01-10")["id"]
    order(api, inspector, fid, deadline="2024-02-01")
    got = ok(api.get(f"{FINDINGS}/{fid}", inspector))
    assert got["status"] == "rectifying" and got["overdue"] is True


def test_category_filter_holds_only_that_category(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    style = api.finding(inspector, unit, category="work_style")["id"]
    last = api.finding(inspector, unit, category="integrity_risk")
    items = board(api, inspector, last["position"], unit_code=unit, category="work_style")
    assert ids(items) == [style]
    assert items[0]["category"] == "work_style"


def test_severity_filter_holds_only_that_severity(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    api.finding(inspector, unit, severity="minor")
    serious = api.finding(inspector, unit, severity="serious")
    last = api.finding(inspector, unit, severity="major")
    items = board(api, inspector, last["position"], unit_code=unit, severity="serious")
    assert ids(items) == [serious["id"]]
    assert items[0]["severity"] == "serious"


def test_year_filter_holds_only_findings_found_in_that_year(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    api.finding(inspector, unit, found_on="2024-12-31")
    in_2025 = api.finding(inspector, unit, found_on="2025-06-15")["id"]
    first_day = api.finding(inspector, unit, found_on="2025-01-01")["id"]
    last = api.finding(inspector, unit, found_on="2026-01-01")
    items = board(api, inspector, last["position"], unit_code=unit, year=2025)
    assert sorted(ids(items)) == sorted([in_2025, first_day])


def test_q_matches_a_chinese_substring_of_the_title(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    wanted = api.finding(inspector, unit, title="乡村振兴专项资金拨付滞后")["id"]
    last = api.finding(inspector, unit, title="营商环境投诉处理不及时", description="窗口服务差")
    items = board(api, inspector, last["position"], unit_code=unit, q="资金拨付")
    assert ids(items) == [wanted]
    assert board(api, inspector, last["position"], unit_code=unit, q="不存在的词语") == []


def test_q_treats_percent_and_underscore_as_ordinary_text(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    wanted = api.finding(inspector, unit, title="完成率仅30%_需加快")["id"]
    last = api.finding(inspector, unit, title="完成率仅300人需加快")
    assert ids(board(api, inspector, last["position"], unit_code=unit, q="30%_")) == [wanted]
    assert ids(board(api, inspector, last["position"], unit_code=unit, q="%")) == [wanted]


def test_limit_one_pages_through_every_finding_once(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    made = [api.finding(inspector, unit) for _ in range(3)]
    position = made[-1]["position"]

    first = ok(api.get(FINDINGS, inspector, unit_code=unit, limit=1, min_position=position))
    assert len(first["items"]) == 1
    assert isinstance(first["next_cursor"], str) and first["next_cursor"]

    second = ok(api.get(FINDINGS, inspector, unit_code=unit, limit=1, cursor=first["next_cursor"]))
    assert len(second["items"]) == 1
    assert second["items"][0]["id"] != first["items"][0]["id"]
    assert second["next_cursor"]

    third = ok(api.get(FINDINGS, inspector, unit_code=unit, limit=1, cursor=second["next_cursor"]))
    assert len(third["items"]) == 1
    assert third["next_cursor"] is None

    seen = ids(first["items"] + second["items"] + third["items"])
    assert sorted(seen) == sorted(f["id"] for f in made)


def test_a_page_that_holds_everything_has_no_next_cursor(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    last = [api.finding(inspector, unit) for _ in range(2)][-1]
    page = ok(api.get(FINDINGS, inspector, unit_code=unit, limit=2, min_position=last["position"]))
    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


def test_limit_over_500_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.get(FINDINGS, inspector, limit=501), 422)


def test_limit_of_500_is_accepted(api: Api) -> None:
    inspector = api.account("inspector")
    page = ok(api.get(FINDINGS, inspector, limit=500))
    assert len(page["items"]) <= 500
    assert "next_cursor" in page


def test_limit_zero_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.get(FINDINGS, inspector, limit=0), 422)


def test_a_garbage_cursor_is_a_bad_request(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.get(FINDINGS, inspector, cursor="this-is-not-a-cursor"), 400)
    assert_error(api.get(FINDINGS, inspector, cursor="!!!"), 400)


def test_a_garbage_cursor_on_the_unit_list_is_a_bad_request(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.get("/api/v1/units", inspector, cursor="garbage~cursor"), 400)


def test_min_position_far_beyond_the_head_is_refused_at_once_naming_the_head(api: Api) -> None:
    inspector = api.account("inspector")
    response = api.get(FINDINGS, inspector, min_position=10**15)
    assert_error(response, 422, "invalid_value")
    head = response.json()["error"]["details"]["head"]
    assert 0 < head < 10**15
