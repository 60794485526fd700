"""Unit scoping: a unit liaison sees and acts on its own unit's records only, and another
unit's record is, to it, a record that does not exist (404, never 403)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest

from tests.e2e.helpers import FINDINGS, all_items, assert_error, ok, order
from tests.support import Api

RULINGS = "/api/v1/rulings"
WORK_ITEMS = "/api/v1/work-items"
PERSON = {"name": "王建国", "position": "局长"}


@dataclass
class World:
    """Two units, each with a finding, a work item and a ruling; a liaison of the first."""

    mine: str
    theirs: str
    liaison: dict[str, str]
    inspector: dict[str, str]
    authority: dict[str, str]
    records: dict[str, dict[str, str]]  # kind → {"mine": id, "theirs": id}
    titles: dict[str, str]  # unit → its work item's title
    position: int


def work_item(api: Api, who: dict[str, str], unit: str, title: str) -> dict[str, Any]:
    body = {"title": title, "year": 2026, "lead_unit": unit, "co_units": [], "due_on": "2026-12-31"}
    return ok(api.post(WORK_ITEMS, body, who), 201)


def accountability(api: Api, who: dict[str, str], unit: str, finding_id: str) -> dict[str, Any]:
    body = {
        "subject": {"unit_code": unit, "person": PERSON},
        "finding_ids": [finding_id],
        "form": "circulated_criticism",
        "basis": "《中国共产党问责条例》第七条",
        "facts": "整改不力。",
    }
    return ok(api.post(f"{RULINGS}/accountability", body, who), 201)


@pytest.fixture(scope="module")
def world(client: Any) -> World:
    api = Api(client)
    mine, theirs = api.unit("本单位镇"), api.unit("他单位镇")
    inspector, authority = api.account("inspector"), api.account("authority")
    records: dict[str, dict[str, str]] = {"finding": {}, "work_item": {}, "ruling": {}}
    titles = {}
    position = 0
    for side, unit in (("mine", mine), ("theirs", theirs)):
        finding = api.finding(inspector, unit)
        order(api, inspector, finding["id"])
        titles[unit] = f"单位隔离测试任务 {uuid.uuid4().hex[:8]}"
        item = work_item(api, inspector, unit, titles[unit])
        ruling = accountability(api, inspector, unit, finding["id"])
        records["finding"][side] = finding["id"]
        records["work_item"][side] = item["id"]
        records["ruling"][side] = ruling["id"]
        position = max(position, ruling["position"], item["position"])
    liaison = api.account("unit", mine)
    return World(mine, theirs, liaison, inspector, authority, records, titles, position)


READS = [
    ("finding", FINDINGS + "/{id}", {}),
    ("finding", FINDINGS + "/{id}", {"version": 1}),
    ("finding", FINDINGS + "/{id}", {"as_of": "2999-01-01T00:00:00+08:00"}),
    ("finding", FINDINGS + "/{id}/events", {}),
    ("finding", FINDINGS + "/{id}/timeline", {}),
    ("work_item", WORK_ITEMS + "/{id}", {}),
    ("work_item", WORK_ITEMS + "/{id}", {"version": 1}),
    ("work_item", WORK_ITEMS + "/{id}/events", {}),
    ("ruling", RULINGS + "/{id}", {}),
    ("ruling", RULINGS + "/{id}", {"version": 1}),
    ("ruling", RULINGS + "/{id}/events", {}),
]
READ_IDS = [f"{path}{'?' + next(iter(q)) if q else ''}" for _, path, q in READS]


@pytest.mark.parametrize(("kind", "path", "query"), READS, ids=READ_IDS)
def test_a_unit_reads_its_own_record(
    api: Api, world: World, kind: str, path: str, query: dict[str, Any]
) -> None:
    ok(api.get(path.format(id=world.records[kind]["mine"]), world.liaison, **query))


@pytest.mark.parametrize(("kind", "path", "query"), READS, ids=READ_IDS)
def test_another_units_record_answers_exactly_like_one_that_does_not_exist(
    api: Api, world: World, kind: str, path: str, query: dict[str, Any]
) -> None:
    theirs, missing = world.records[kind]["theirs"], str(uuid.uuid4())
    hidden = assert_error(api.get(path.format(id=theirs), world.liaison, **query), 404)
    absent = assert_error(api.get(path.format(id=missing), world.liaison, **query), 404)
    assert hidden["code"] == absent["code"] == "not_found"
    assert hidden["message"].replace(theirs, "ID") == absent["message"].replace(missing, "ID")
    assert world.theirs not in str(hidden)
    # …while the record is there for everyone else
    ok(api.get(path.format(id=theirs), world.inspector, **query))


@pytest.mark.parametrize(
    ("kind", "verb", "body"),
    [
        ("finding", "rectification-report", {"summary": "替他单位报送", "evidence": []}),
        ("work_item", "progress", {"note": "替他单位登记", "percent": 50}),
        ("ruling", "appeal", {"grounds": "替他单位申诉"}),
    ],
)
def test_a_unit_cannot_act_on_another_units_record(
    api: Api, world: World, kind: str, verb: str, body: dict[str, Any]
) -> None:
    base = {"finding": FINDINGS, "work_item": WORK_ITEMS, "ruling": RULINGS}[kind]
    theirs = world.records[kind]["theirs"]
    before = ok(api.get(f"{base}/{theirs}", world.inspector))["version"]
    assert_error(api.post(f"{base}/{theirs}/{verb}", body, world.liaison), 404, "not_found")
    assert ok(api.get(f"{base}/{theirs}", world.inspector))["version"] == before


@pytest.mark.parametrize(
    ("kind", "verb", "body"),
    [
        ("finding", "rectification-report", {"summary": "替他单位报送", "evidence": []}),
        ("work_item", "progress", {"note": "替他单位登记", "percent": 50}),
        ("ruling", "statement", {"statement": "替他单位陈述", "made_on": "2026-05-10"}),
    ],
)
def test_a_version_expected_of_another_units_record_answers_as_a_missing_one(
    api: Api, world: World, kind: str, verb: str, body: dict[str, Any]
) -> None:
    """If-Match is checked after the scope: a stale version of another unit's record is not a
    409 that names the record's version, which would tell the unit that it exists."""
    base = {"finding": FINDINGS, "work_item": WORK_ITEMS, "ruling": RULINGS}[kind]
    theirs, missing = world.records[kind]["theirs"], str(uuid.uuid4())
    current = ok(api.get(f"{base}/{theirs}", world.inspector))["version"]
    for version in (current + 1, current):
        matching = {**world.liaison, "If-Match": f'"{version}"'}
        hidden = assert_error(api.post(f"{base}/{theirs}/{verb}", body, matching), 404)
        absent = assert_error(api.post(f"{base}/{missing}/{verb}", body, matching), 404)
        assert hidden["code"] == absent["code"] == "not_found"
        assert hidden["message"].replace(theirs, "ID") == absent["message"].replace(missing, "ID")
    assert ok(api.get(f"{base}/{theirs}", world.inspector))["version"] == current


def test_a_unit_reports_rectification_on_its_own_finding(api: Api, world: World) -> None:
    fid = api.finding(world.inspector, world.mine)["id"]
    order(api, world.inspector, fid)
    body = {"summary": "已整改", "evidence": []}
    ok(api.post(f"{FINDINGS}/{fid}/rectification-report", body, world.liaison))


@pytest.mark.parametrize(
    ("path", "kind"),
    [(FINDINGS, "finding"), (WORK_ITEMS, "work_item"), (RULINGS, "ruling")],
)
def test_a_units_lists_hold_only_its_own_records(
    api: Api, world: World, path: str, kind: str
) -> None:
    items = all_items(api, path, world.liaison, min_position=world.position)
    listed = {str(item["id"]) for item in items}
    assert world.records[kind]["mine"] in listed
    assert world.records[kind]["theirs"] not in listed
    filtered = all_items(api, path, world.liaison, unit_code=world.theirs)
    assert filtered == []


def test_a_units_ruling_list_by_another_units_finding_is_empty(api: Api, world: World) -> None:
    theirs = world.records["finding"]["theirs"]
    items = all_items(api, RULINGS, world.liaison, finding_id=theirs, min_position=world.position)
    assert items == []
    assert all_items(api, RULINGS, world.inspector, finding_id=theirs) != []


def test_a_units_ledger_export_holds_only_its_own_work_items(api: Api, world: World) -> None:
    response = api.get(f"{WORK_ITEMS}/export.xlsx", world.liaison, year=2026)
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    cells = {
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
    }
    assert world.titles[world.mine] in cells
    assert world.titles[world.theirs] not in cells


def test_another_units_history_and_scorecard_answer_404(api: Api, world: World) -> None:
    for path in (
        f"/api/v1/units/{world.theirs}/history",
        f"/api/v1/units/{world.theirs}/scorecard",
    ):
        assert_error(api.get(path, world.liaison, year=2026), 404, "not_found")
    ok(api.get(f"/api/v1/units/{world.mine}/history", world.liaison))
    ok(api.get(f"/api/v1/units/{world.mine}/scorecard", world.liaison, year=2026))


def test_a_units_statistics_hold_its_own_row_only(api: Api, world: World) -> None:
    rows = ok(api.get("/api/v1/stats/units", world.liaison, year=2026))["items"]
    assert {row["code"] for row in rows} == {world.mine}


def test_a_unit_cannot_link_another_units_finding_and_learns_nothing_of_it(
    api: Api, world: World
) -> None:
    def apply(finding_id: str) -> dict[str, Any]:
        body = {
            "subject": {"unit_code": world.mine},
            "finding_ids": [finding_id],
            "grounds": "先行先试",
            "criteria_claimed": ["pilot_inexperience"],
        }
        return assert_error(api.post(f"{RULINGS}/fault-tolerance", body, world.liaison), 422)

    theirs, missing = world.records["finding"]["theirs"], str(uuid.uuid4())
    hidden, absent = apply(theirs), apply(missing)
    assert hidden["code"] == absent["code"] == "unknown_reference"
    assert hidden["message"].replace(theirs, "ID") == absent["message"].replace(missing, "ID")
    assert world.theirs not in str(hidden)


def test_a_unit_applies_for_fault_tolerance_only_for_itself(api: Api, world: World) -> None:
    body = {
        "subject": {"unit_code": world.theirs},
        "grounds": "代他单位申请",
        "criteria_claimed": [],
    }
    assert_error(api.post(f"{RULINGS}/fault-tolerance", body, world.liaison), 403, "forbidden")
    own = {
        **body,
        "subject": {"unit_code": world.mine},
        "finding_ids": [world.records["finding"]["mine"]],
    }
    ok(api.post(f"{RULINGS}/fault-tolerance", own, world.liaison), 201)


def test_the_case_library_shows_published_cases_anonymised_and_never_drafts(
    api: Api, world: World
) -> None:
    draft = world.records["ruling"]["theirs"]  # proposed, never published
    published = accountability(
        api, world.inspector, world.theirs, world.records["finding"]["theirs"]
    )
    rid = published["id"]
    decision = {"form": "admonishment", "reasoning": "诫勉", "decided_on": "2026-04-10"}
    ok(api.post(f"{RULINGS}/{rid}/decision", decision, world.authority))
    answer = ok(
        api.post(
            f"{RULINGS}/{rid}/publication", {"summary": "某局案例", "tags": []}, world.authority
        )
    )
    cases = all_items(api, "/api/v1/case-library", world.liaison, min_position=answer["position"])
    ids = {str(case["id"]) for case in cases}
    assert rid in ids and draft not in ids
    assert PERSON["name"] not in str(cases)


def test_a_units_view_as_of_a_time_is_scoped_too(api: Api, world: World) -> None:
    now = datetime.now(UTC).isoformat()
    theirs = world.records["finding"]["theirs"]
    assert_error(api.get(f"{FINDINGS}/{theirs}", world.liaison, as_of=now), 404, "not_found")
