"""Year-end grades over HTTP (issue 18 item 2): once a year's scheme is adopted, a grade its
bands do not give the score is 422 naming the rule; a scheme is adopted once and revised; a
year without one keeps the contract's free grade; work items past their due date show as
overdue and filter so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain import clock
from domain.clock import SettableClock
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api

SCHEMES = "/api/v1/evaluation-schemes"
ITEMS = "/api/v1/work-items"


def listing(api: Api, year: int, due_on: str) -> dict[str, Any]:
    """A new work item's answer: its id, version and position."""
    unit = api.unit("县发展和改革局")
    body = {"title": "推进项目建设", "year": year, "lead_unit": unit, "co_units": [],
            "due_on": due_on}  # fmt: skip
    answer: dict[str, Any] = ok(api.post(ITEMS, body, ADMIN), 201)
    return answer


def listed(api: Api, year: int, due_on: str) -> str:
    return str(listing(api, year, due_on)["id"])


def evaluate(api: Api, item: str, score: int, grade: str) -> Any:
    body = {"score": score, "grade": grade, "comment": "年末考评"}
    return api.post(f"{ITEMS}/{item}/evaluation", body, api.account("inspector"))


def test_a_score_of_12_graded_excellent_is_refused_and_nothing_changes(api: Api) -> None:
    bands = {"excellent": 90, "good": 80, "pass": 60}
    ok(api.post(SCHEMES, {"year": 2031, "bands": bands}, api.account("inspector")), 201)
    item = listed(api, 2031, "2031-12-31")
    error = assert_error(evaluate(api, item, 12, "excellent"), 422, "grade_disagrees_with_score")
    assert "等次与得分不符" in error["message"] and error["details"]["expected"] == "fail"
    assert ok(api.get(f"{ITEMS}/{item}", ADMIN))["version"] == 1
    ok(evaluate(api, item, 12, "fail"))


def test_a_year_without_a_scheme_takes_the_evaluators_grade(api: Api) -> None:
    item = listed(api, 2037, "2037-12-31")
    ok(evaluate(api, item, 73, "excellent"))
    assert ok(api.get(f"{ITEMS}/{item}", ADMIN))["evaluation"]["grade"] == "excellent"


def test_a_years_scheme_is_adopted_once_revised_and_grades_by_its_bands(api: Api) -> None:
    inspector = api.account("inspector")
    assert ok(api.get(f"{SCHEMES}/2032", inspector)) == {
        "year": 2032, "bands": {"excellent": 90, "good": 80, "pass": 60}, "adopted": False,
        "version": 0, "weights": {"ledger": 30, "supervision": 30, "evaluation": 40},
    }  # fmt: skip
    bands = {"excellent": 95, "good": 85, "pass": 70}
    ok(api.post(SCHEMES, {"year": 2032, "bands": bands}, inspector), 201)
    again = api.post(SCHEMES, {"year": 2032, "bands": bands}, inspector)
    assert_error(again, 409, "already_exists")
    item = listed(api, 2032, "2032-12-31")
    assert_error(evaluate(api, item, 92, "excellent"), 422, "grade_disagrees_with_score")
    revision = {"bands": {"excellent": 90, "good": 80, "pass": 60}, "reason": "县考评办法修订"}
    ok(api.post(f"{SCHEMES}/2032/revision", revision, inspector))
    ok(evaluate(api, item, 92, "excellent"))
    shown = ok(api.get(f"{SCHEMES}/2032", inspector))
    assert shown["adopted"] is True and shown["version"] == 2


def test_bad_bands_and_unknown_years_are_refused_with_422_or_404(api: Api) -> None:
    inspector = api.account("inspector")
    unordered = {"year": 2033, "bands": {"excellent": 60, "good": 80, "pass": 90}}
    assert_error(api.post(SCHEMES, unordered, inspector), 422, "invalid_value")
    missing = {"year": 2033, "bands": {"excellent": 90}}
    assert_error(api.post(SCHEMES, missing, inspector), 422)
    revision = {"bands": {"excellent": 90, "good": 80, "pass": 60}, "reason": "r"}
    assert_error(api.post(f"{SCHEMES}/2034/revision", revision, inspector), 404, "not_found")
    unit = api.account("unit", api.unit("某镇"))
    assert_error(api.post(SCHEMES, {"year": 2035, "bands": unordered["bands"]}, unit), 403)


def test_bands_and_weights_out_of_their_rules_answer_the_documented_codes(api: Api) -> None:
    """Bands: whole numbers from 1 to 100 in order, else 422 invalid_value (on adoption and on
    revision); weights: those three, whole numbers from 0 to 100, else 422 validation_error;
    refused, nothing is recorded."""
    inspector = api.account("inspector")
    whole = {"excellent": 90.0, "good": 80, "pass": 60}  # 90.0 is a whole number
    ok(api.post(SCHEMES, {"year": 2039, "bands": whole}, inspector), 201)
    for bad in ({"pass": 0}, {"excellent": 101}, {"excellent": 90.5}, {"fail": 0}):
        bands = {"excellent": 90, "good": 80, "pass": 60} | bad
        refused = api.post(SCHEMES, {"year": 2038, "bands": bands}, inspector)
        assert_error(refused, 422, "invalid_value")
        revision = {"bands": bands, "reason": "县考评办法修订"}
        revised = api.post(f"{SCHEMES}/2039/revision", revision, inspector)
        assert_error(revised, 422, "invalid_value")
    assert ok(api.get(f"{SCHEMES}/2038", inspector))["adopted"] is False
    for weights in (
        {"ledger": 50, "supervision": 50},
        {"ledger": 40, "supervision": 30, "evaluation": 30, "other": 0},
        {"ledger": 101, "supervision": 0, "evaluation": -1},
        {"ledger": 50.5, "supervision": 19.5, "evaluation": 30},
    ):
        body = {"weights": weights, "reason": "县办法"}
        assert_error(api.post(f"{SCHEMES}/2039/weights", body, inspector), 422, "validation_error")
    shown = ok(api.get(f"{SCHEMES}/2039", inspector))
    assert shown["version"] == 1 and shown["bands"] == {"excellent": 90, "good": 80, "pass": 60}
    assert shown["weights"] == {"ledger": 30, "supervision": 30, "evaluation": 40}


def test_work_items_past_their_due_date_are_overdue_and_filter_so(api: Api) -> None:
    with clock.use(SettableClock(datetime(2036, 7, 1, 4, tzinfo=UTC))):
        late = listed(api, 2036, "2036-06-30")
        answer = listing(api, 2036, "2036-07-01")
        due, position = str(answer["id"]), answer["position"]
        assert ok(api.get(f"{ITEMS}/{late}", ADMIN))["overdue"] is True
        assert ok(api.get(f"{ITEMS}/{due}", ADMIN))["overdue"] is False
        overdue = all_items(api, ITEMS, ADMIN, year=2036, overdue="true", min_position=position)
        on_time = all_items(api, ITEMS, ADMIN, year=2036, overdue="false", min_position=position)
        assert [i["id"] for i in overdue] == [late] and overdue[0]["overdue"] is True
        assert [i["id"] for i in on_time] == [due]
        ok(evaluate(api, late, 85, "good"))
        assert ok(api.get(f"{ITEMS}/{late}", ADMIN))["overdue"] is False


def test_a_units_year_end_score_weighs_its_parts_by_the_years_weights(api: Api) -> None:
    inspector = api.account("inspector")
    unit = api.unit("县发展和改革局")
    body = {"title": "推进项目建设", "year": 2033, "lead_unit": unit, "co_units": [],
            "due_on": "2033-12-31"}  # fmt: skip
    first = str(ok(api.post(ITEMS, body, ADMIN), 201)["id"])
    second = str(ok(api.post(ITEMS, {**body, "title": "优化营商环境"}, ADMIN), 201)["id"])
    ok(api.post(f"{ITEMS}/{first}/progress", {"note": "完成", "percent": 100}, inspector))
    ok(api.post(f"{ITEMS}/{second}/progress", {"note": "推进中", "percent": 40}, inspector))
    ok(evaluate(api, first, 90, "excellent"))
    position = ok(evaluate(api, second, 70, "pass"))["position"]
    path = f"/api/v1/units/{unit}/year-end-score"
    card = ok(api.get(path, ADMIN, year=2033, min_position=position))
    assert card["parts"] == {"ledger": 70.0, "supervision": None, "evaluation": 80.0}
    assert card["weights"] == {"ledger": 30, "supervision": 30, "evaluation": 40}
    assert card["weights_used"] == {"ledger": 30, "evaluation": 40}, "no finding closed"
    assert card["score"] == 75.71, "(30 × 70 + 40 × 80) / 70"
    weights = {"weights": {"ledger": 50, "supervision": 20, "evaluation": 30}, "reason": "县办法"}
    assert_error(api.post(f"{SCHEMES}/2033/weights", weights, inspector), 404, "not_found")
    bands = {"excellent": 90, "good": 80, "pass": 60}
    ok(api.post(SCHEMES, {"year": 2033, "bands": bands}, inspector), 201)
    bad = {"weights": {"ledger": 50, "supervision": 20, "evaluation": 20}, "reason": "r"}
    error = assert_error(api.post(f"{SCHEMES}/2033/weights", bad, inspector), 422)
    assert "add up to 100, not 90" in error["message"]
    ok(api.post(f"{SCHEMES}/2033/weights", weights, inspector))
    assert_error(api.post(f"{SCHEMES}/2033/weights", weights, inspector), 422, "invalid_value")
    card = ok(api.get(path, ADMIN, year=2033))
    assert card["weights"] == weights["weights"] and card["score"] == 73.75
    liaison = api.account("unit", api.unit("县林业局"))
    assert_error(api.get(path, liaison, year=2033), 404, "not_found")
    none = ok(api.get(f"/api/v1/units/{api.unit('县水利局')}/year-end-score", ADMIN, year=2033))
    assert none["score"] is None and none["weights_used"] == {}
