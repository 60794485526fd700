"""POST /api/v1/projections/{name}/rebuild: admin only; the read model is rebuilt from zero,
switched in, and every answer stays the same."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.helpers import assert_error
from tests.support import ADMIN, Api


def test_rebuild_answers_the_outcome_and_leaves_the_answers_unchanged(
    client: TestClient, api: Api
) -> None:
    unit = api.unit("城关镇")
    inspector = api.account("inspector")
    raised = [api.finding(inspector, unit, title=f"台账资料缺失 {n}") for n in range(3)]
    position = max(f["position"] for f in raised)
    params = {"unit_code": unit, "min_position": position}
    before = api.get("/api/v1/findings", ADMIN, **params).json()
    history_before = api.get(f"/api/v1/units/{unit}/history", ADMIN, min_position=position).json()

    for name in ("finding_board", "unit_history"):
        response = client.post(f"/api/v1/projections/{name}/rebuild", headers=ADMIN)
        assert response.status_code == 200, response.text
        outcome = response.json()
        assert outcome["name"] == name and outcome["state"] == "done"
        assert outcome["position"] >= position and outcome["events_replayed"] >= 3

    assert api.get("/api/v1/findings", ADMIN, **params).json() == before
    assert api.get(f"/api/v1/units/{unit}/history", ADMIN).json() == history_before
    states = {p["name"]: p for p in api.get("/api/v1/projections", ADMIN).json()}
    assert states["finding_board"]["position"] >= position


def test_rebuild_is_for_admins_only(client: TestClient, api: Api) -> None:
    for role in ("inspector", "supervisor", "auditor"):
        response = client.post(
            "/api/v1/projections/finding_board/rebuild", headers=api.account(role)
        )
        assert_error(response, 403, "forbidden")


def test_rebuild_of_an_unknown_projection_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/projections/no_such_thing/rebuild", headers=ADMIN)
    assert_error(response, 404, "not_found")
