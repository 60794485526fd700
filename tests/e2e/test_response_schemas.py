"""Answers show only their contract (issue 14, item 5): every item of a list, and every single
answer, carries exactly the fields its OpenAPI schema declares, so no column of a read model
(the finding board's search grams, a paging key) leaks into an answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.helpers import ok
from tests.support import ADMIN, Api

YEAR = 2026
# The answers that are files, not JSON: the ledger and the audit bundle.
FILES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/x-ndjson",
    "application/octet-stream",  # an evidence file, of whichever type it was read to be
    "image/png",  # its thumbnail
    "application/pdf",  # an issued document
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class Seeded:
    """One record of each kind, and the log positions around them."""

    unit: str
    finding: str
    accountability: str
    tolerance: str
    item: str
    first: int
    last: int


@pytest.fixture(scope="module")
def seeded(client: TestClient) -> Seeded:
    api = Api(client)
    start = ok(api.get("/api/v1/projections", ADMIN))[0]["head"]
    unit = api.unit("答复字段测试单位")
    inspector = api.account("inspector", name="督查员 字段")
    authority = api.account("authority", name="审理室 字段")
    finding = api.finding(inspector, unit, title="答复字段核对问题")["id"]
    order = {"deadline": "2099-12-31", "requirements": "限期整改"}
    ok(api.post(f"/api/v1/findings/{finding}/rectification-order", order, inspector))
    report = {"summary": "已整改", "evidence": [{"name": "a.pdf", "sha256": "b" * 64, "size": 9}]}
    ok(api.post(f"/api/v1/findings/{finding}/rectification-report", report, inspector))
    subject = {"unit_code": unit, "person": {"name": "王某", "position": "科长"}}
    body = {"subject": subject, "finding_ids": [finding], "form": "admonishment"}
    body |= {"basis": "条例", "facts": "事实"}
    accountability = ok(api.post("/api/v1/rulings/accountability", body, inspector), 201)["id"]
    decision = {"form": "admonishment", "reasoning": "理由", "decided_on": "2026-05-01"}
    ok(api.post(f"/api/v1/rulings/{accountability}/decision", decision, authority))
    publication = {"summary": "答复字段案例", "tags": ["字段"]}
    ok(api.post(f"/api/v1/rulings/{accountability}/publication", publication, authority))
    body = {"subject": {"unit_code": unit}, "grounds": "先行先试", "criteria_claimed": []}
    tolerance = ok(api.post("/api/v1/rulings/fault-tolerance", body, inspector), 201)["id"]
    listing = {"title": "任务", "year": YEAR, "lead_unit": unit, "due_on": "2026-12-31"}
    item = ok(api.post("/api/v1/work-items", listing, inspector), 201)["id"]
    progress = {"note": "进展", "percent": 40}
    last = ok(api.post(f"/api/v1/work-items/{item}/progress", progress, inspector))["position"]
    return Seeded(unit, finding, accountability, tolerance, item, start, last)


# (path as the OpenAPI document names it, its parameters, the query) of a seeded record.
Case = tuple[str, dict[str, str], dict[str, Any]]


def read_of(path: str, **params: str) -> Callable[[Seeded], Case]:
    """The case of `path` with no query, each parameter filled by the seeded record it names
    (`finding_id="finding"`: the id of the seeded finding)."""
    return lambda s: (path, {name: getattr(s, field) for name, field in params.items()}, {})


LISTS: dict[str, Callable[[Seeded], Case]] = {
    "findings": lambda s: ("/api/v1/findings", {}, {"unit_code": s.unit}),
    "findings found by text": lambda s: ("/api/v1/findings", {}, {"q": "答复字段"}),
    "finding events": read_of("/api/v1/findings/{finding_id}/events", finding_id="finding"),
    "finding timeline": read_of("/api/v1/findings/{finding_id}/timeline", finding_id="finding"),
    "rulings": lambda s: ("/api/v1/rulings", {}, {"unit_code": s.unit}),
    "units": read_of("/api/v1/units"),
    "unit history": read_of("/api/v1/units/{code}/history", code="unit"),
    "work items": lambda s: ("/api/v1/work-items", {}, {"unit_code": s.unit}),
    "case library": lambda s: ("/api/v1/case-library", {}, {"unit_code": s.unit}),
    "event log": lambda s: ("/api/v1/events", {}, {"after": s.first}),
    "accounts": read_of("/api/v1/accounts"),
    "unit stats": lambda s: ("/api/v1/stats/units", {}, {"year": YEAR}),
}

SINGLES: dict[str, Callable[[Seeded], Case]] = {
    "finding": read_of("/api/v1/findings/{finding_id}", finding_id="finding"),
    "accountability ruling": read_of("/api/v1/rulings/{ruling_id}", ruling_id="accountability"),
    "fault-tolerance ruling": read_of("/api/v1/rulings/{ruling_id}", ruling_id="tolerance"),
    "unit": read_of("/api/v1/units/{code}", code="unit"),
    "work item": read_of("/api/v1/work-items/{item_id}", item_id="item"),
    "scorecard": lambda s: ("/api/v1/units/{code}/scorecard", {"code": s.unit}, {"year": YEAR}),
}


def answer(client: TestClient, seeded: Seeded, case: Case) -> tuple[Any, dict[str, Any]]:
    """The answer to GET `case` (read after the seeded writes) and its OpenAPI schema."""
    path, params, query = case
    url = path.format(**params)
    body = ok(Api(client).get(url, ADMIN, **query, min_position=seeded.last))
    document = client.app.openapi()  # type: ignore[attr-defined]
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    return body, content["application/json"]["schema"]


def resolve(client: TestClient, schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """`schema` with its $ref followed; of a oneOf, the branch `value`'s discriminator names."""
    components = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    if "discriminator" in schema:
        discriminator = schema["discriminator"]
        schema = {"$ref": discriminator["mapping"][value[discriminator["propertyName"]]]}
    while "$ref" in schema:
        schema = components[schema["$ref"].rpartition("/")[2]]
    return schema


def fields(client: TestClient, schema: dict[str, Any], value: Any) -> set[str]:
    return set(resolve(client, schema, value)["properties"])


@pytest.mark.parametrize("name", LISTS)
def test_every_list_item_carries_exactly_the_fields_of_its_schema(
    client: TestClient, seeded: Seeded, name: str
) -> None:
    body, schema = answer(client, seeded, LISTS[name](seeded))
    page = resolve(client, schema, body)
    assert set(body) == set(page["properties"])
    item_schema = page["properties"]["items"]["items"]
    assert body["items"], f"{name}: nothing to check"
    for item in body["items"]:
        assert set(item) == fields(client, item_schema, item), item


@pytest.mark.parametrize("name", SINGLES)
def test_a_single_answer_carries_exactly_the_fields_of_its_schema(
    client: TestClient, seeded: Seeded, name: str
) -> None:
    body, schema = answer(client, seeded, SINGLES[name](seeded))
    assert set(body) == fields(client, schema, body), body


def test_finding_list_items_carry_no_search_grams(client: TestClient, seeded: Seeded) -> None:
    for query in ({"unit_code": seeded.unit}, {"q": "答复字段"}):
        body, _ = answer(client, seeded, ("/api/v1/findings", {}, query))
        assert [item["id"] for item in body["items"]] == [seeded.finding]
        assert "grams" not in body["items"][0] and "raised_position" not in body["items"][0]


@pytest.mark.parametrize("name", ["finding", "accountability ruling", "work item"])
def test_a_single_answer_keeps_its_etag(client: TestClient, seeded: Seeded, name: str) -> None:
    path, params, _ = SINGLES[name](seeded)
    response = Api(client).get(path.format(**params), ADMIN)
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'


def test_every_api_route_declares_its_response_model(client: TestClient) -> None:
    """A route without a response model answers whatever it builds; every /api route has one,
    and every JSON answer of the document names a schema (files name their media type)."""
    from fastapi.routing import APIRoute

    undeclared = [
        f"{sorted(route.methods)} {route.path}"
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
        and route.path.startswith("/api/")
        and route.response_model is None
        and route.status_code != 204
    ]
    assert undeclared == []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("2") and status != "204" and path.startswith("/api/"):
                    content = response["content"]
                    json = content.get("application/json")
                    assert json is None or json["schema"], f"{method} {path} {status}"
                    assert json or set(content) <= FILES, f"{method} {path} {status}"
