"""Operations and reference reads: health, readiness, metrics, vocabulary, projection status."""

from __future__ import annotations

import logging
import time
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from infra.database import Database
from tests.e2e.helpers import assert_error, ok
from tests.support import ADDED_CODES, ADMIN, CONTRACT_CODES, Api


def test_healthz_answers_200(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_readyz_answers_200_and_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 20
    response = client.get("/readyz")
    while response.status_code != 200 and time.monotonic() < deadline:
        assert response.status_code == 503, response.text  # not ready yet: starting up
        assert response.json()["ready"] is False
        time.sleep(0.2)
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["ready"] is True


def test_readyz_answers_503_naming_the_database_when_it_does_not_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(self: Database) -> None:
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(Database, "ping", down)
    with caplog.at_level(logging.WARNING, logger="api.http.routes.meta"):
        response = client.get("/readyz")
    assert response.status_code == 503, response.text
    assert response.json()["ready"] is False
    assert response.json()["checks"]["database"] == "unreachable"
    assert any(r.getMessage() == "readiness: database unreachable" for r in caplog.records)


def test_metrics_are_prometheus_text_with_the_request_counter(client: TestClient) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE supervision_http_requests_total counter" in text
    samples = [
        line for line in text.splitlines() if line.startswith("supervision_http_requests_total{")
    ]
    assert samples
    assert any('status="200"' in line for line in samples)
    for line in samples:
        assert float(line.rsplit(" ", 1)[1]) >= 1


def test_metrics_count_the_requests_made(client: TestClient) -> None:
    def healthz_count() -> float:
        for line in client.get("/metrics").text.splitlines():
            if (
                line.startswith("supervision_http_requests_total{")
                and 'route="/healthz"' in line
                and 'status="200"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = healthz_count()
    for _ in range(3):
        client.get("/healthz")
    assert healthz_count() == before + 3


def vocabulary(api: Api) -> dict[str, Any]:
    return ok(api.get("/api/v1/vocabulary", ADMIN))


def labels(entries: list[dict[str, str]]) -> dict[str, str]:
    return {entry["code"]: entry["label"] for entry in entries}


def test_vocabulary_labels_finding_statuses_in_chinese(api: Api) -> None:
    statuses = labels(vocabulary(api)["finding_statuses"])
    assert set(statuses) == {"raised", "rectifying", "reported", "closed", "withdrawn"}
    assert statuses["closed"] == "已销号"
    assert statuses["rectifying"] == "整改中"


def test_vocabulary_holds_every_enumeration_of_the_contract(api: Api) -> None:
    vocab = vocabulary(api)
    for name, codes in CONTRACT_CODES.items():
        assert set(labels(vocab[name])) == codes | ADDED_CODES.get(name, set()), name


def test_every_vocabulary_label_is_chinese_text(api: Api) -> None:
    for name, entries in vocabulary(api).items():
        for entry in entries:
            label = entry["label"]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in label), (name, entry)


def test_projections_list_finding_board_and_directory_with_their_positions(api: Api) -> None:
    response = api.get("/api/v1/projections", ADMIN)
    assert response.status_code == 200, response.text
    projections = {p["name"]: p for p in response.json()}
    assert {"finding_board", "directory"} <= set(projections)
    for name in ("finding_board", "directory"):
        p = projections[name]
        for field in ("position", "head", "lag"):
            assert isinstance(p[field], int), (name, field, p)
        assert 0 <= p["position"] <= p["head"]
        assert p["lag"] == p["head"] - p["position"]


def test_projections_catch_up_with_a_new_command(api: Api) -> None:
    inspector = api.account("inspector")
    raised = api.finding(inspector, api.unit())
    # read-your-writes on the board guarantees the projection has passed this position
    ok(api.get("/api/v1/findings", inspector, min_position=raised["position"], limit=1))
    response = api.get("/api/v1/projections", inspector)
    assert response.status_code == 200, response.text
    projections = {p["name"]: p for p in response.json()}
    board = projections["finding_board"]
    assert board["position"] >= raised["position"]
    assert board["head"] >= raised["position"]


def test_projections_need_a_token(api: Api) -> None:
    assert_error(api.get("/api/v1/projections", {}), 401)
