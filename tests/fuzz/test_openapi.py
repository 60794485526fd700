"""Hostile input, generated: schemathesis derives requests from the app's own OpenAPI
document — valid ones and deliberately invalid ones — for every operation, sends them to the
app in process (over ASGI, on a database of its own) with a token of a role the authorization
matrix allows, and requires no server error and answers that conform to the document: status
code, content type, and the body against the operation's response schema (every route
declares its response model, and every error its envelope).

Bounded and reproducible: a fixed number of examples per operation, derandomised, so a run
sends more than 1,000 requests and finishes in a few minutes on two cores.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from api.runtime.bootstrap import Services, build, migrate_database
from infra.settings import Settings
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.security_matrix import MATRIX, first_allowed_role
from tests.support import Api

# A longer, random exploration: SUPERVISION_FUZZ_EXAMPLES=200 SUPERVISION_FUZZ_RANDOM=1.
EXAMPLES_PER_OPERATION = int(os.environ.get("SUPERVISION_FUZZ_EXAMPLES", "16"))
DERANDOMIZE = not os.environ.get("SUPERVISION_FUZZ_RANDOM")
MINIMUM_REQUESTS = 1_000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A read that asked for a position the projections have not reached is a 503 the contract
# names (`projection_lagging`): no server error, but its body must conform all the same.
LAGGING_CHECKS = [check for check in CHECKS if check is not not_a_server_error]


def operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI document, read without a database."""
    document = create_app(Settings(database_url="postgresql://unused/unused")).openapi()
    return [
        (method.upper(), path)
        for path, entries in document["paths"].items()
        for method in entries
        if method in ("get", "post", "put", "patch", "delete")
    ]


OPERATIONS = operations()
ROLE_OF = {row.key: first_allowed_role(row) for row in MATRIX}


@dataclass
class Target:
    """The app under test, its schema, a token per role and real ids to aim at."""

    schema: Any
    tokens: dict[str, str]
    known: dict[str, str]
    sent: dict[tuple[str, str], int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def target(
    new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    settings = settings_for(
        new_database(),
        tmp_path_factory.mktemp("fuzz"),
        projection_runners="off",  # reads answer from what is there, without waiting
        read_wait_seconds=0.0,
    )
    migrate_database(settings)
    services: Services = build(settings)
    app = create_app(settings, services=services)
    try:
        with TestClient(app) as client:
            tokens, known = seed(Api(client))
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        yield Target(schema, tokens, known)
    finally:
        services.close()


def seed(api: Api) -> tuple[dict[str, str], dict[str, str]]:
    """One record of each kind, so that part of the generated requests reach real ones."""
    unit = api.unit("模糊测试单位")
    auth = {"admin": f"Bearer {ADMIN_TOKEN}"}
    for role in ("inspector", "authority", "supervisor", "auditor", "unit"):
        auth[role] = api.account(role, unit if role == "unit" else None)["Authorization"]
    inspector = {"Authorization": auth["inspector"]}
    finding = api.finding(inspector, unit)["id"]
    ruling = api.accountability(inspector, unit, [finding], form="circulated_criticism")["id"]
    item = api.post(
        "/api/v1/work-items",
        {"title": "任务", "year": 2026, "lead_unit": unit, "co_units": [], "due_on": "2026-12-31"},
        inspector,
    ).json()["id"]
    known = {"finding_id": finding, "ruling_id": ruling, "item_id": item, "code": unit}
    return auth, known


def aim(case: Any, known: dict[str, str]) -> None:
    """Point the case's path at the seeded records where it has such a parameter."""
    for name, value in (case.path_parameters or {}).items():
        if name in known:
            case.path_parameters[name] = known[name]
        elif name.endswith("_id") and not isinstance(value, str):
            case.path_parameters[name] = str(uuid.uuid4())


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_get_no_server_error_and_conforming_answers(
    target: Target, method: str, path: str
) -> None:
    fuzz(target, method, path)


def fuzz(target: Target, method: str, path: str) -> None:
    """Send one operation its generated requests; count them in `target.sent`."""
    operation = target.schema[path][method]
    token = target.tokens[ROLE_OF.get((method, path), "admin")]
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=DERANDOMIZE,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @given(case=strategy, real_ids=st.booleans())
    def run(case: Any, real_ids: bool) -> None:
        if real_ids:
            aim(case, target.known)
        response = case.call(headers={"Authorization": token})
        target.sent[(method, path)] = target.sent.get((method, path), 0) + 1
        assert response.status_code < 500 or lagging(response), (
            f"{response.status_code} for {case.as_curl_command()}: {response.text[:500]}"
        )
        case.validate_response(response, checks=LAGGING_CHECKS if lagging(response) else CHECKS)

    run()


def lagging(response: Any) -> bool:
    """A 503 the contract names: a read asked for a position the projections have not reached."""
    return response.status_code == 503 and "projection_lagging" in response.text


@pytest.mark.timeout(1200)
def test_the_fuzzer_sent_enough_requests(target: Target) -> None:
    # A run that selected only some operations (-k) has the rest fuzzed here, so the count
    # is always over every operation of the document.
    for method, path in OPERATIONS:
        if (method, path) not in target.sent:
            fuzz(target, method, path)
    total = sum(target.sent.values())
    print(f"schemathesis: {total} requests over {len(target.sent)} operations")
    assert total >= MINIMUM_REQUESTS, f"only {total} requests were generated"
