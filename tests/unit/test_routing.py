"""api/http/routing.Router: a request outside a router's prefix is passed over at once; the
router's own routes answer as an APIRouter's do."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from api.http.routing import Router

notes = Router(prefix="/api/v1/notes")
plain = APIRouter()


@notes.get("/{note_id}")
def read_note(note_id: int) -> dict[str, Any]:
    return {"note": note_id}


@notes.post("")
def add_note() -> dict[str, Any]:
    return {"added": True}


@plain.get("/api/v1/notes-archive")
def archive() -> dict[str, Any]:
    return {"archive": True}


def app() -> FastAPI:
    served = FastAPI()
    served.include_router(notes)
    served.include_router(plain)
    return served


def scope(path: str, method: str = "GET") -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def test_a_path_outside_the_prefix_is_passed_over_without_trying_a_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def tried(self: APIRouter, scope: Any) -> Any:
        raise AssertionError("the routes were tried")

    monkeypatch.setattr(APIRouter, "matches", tried)
    assert notes.matches(scope("/api/v1/findings")) == (Match.NONE, {})


def test_the_routes_inside_the_prefix_answer_as_before() -> None:
    with TestClient(app()) as client:
        assert client.get("/api/v1/notes/7").json() == {"note": 7}
        assert client.post("/api/v1/notes").json() == {"added": True}
        # The same prefix, then more: tried, and passed on to the router that has it.
        assert client.get("/api/v1/notes-archive").json() == {"archive": True}
        assert client.delete("/api/v1/notes/7").status_code == 405
        assert client.get("/api/v1/other").status_code == 404
        assert client.get("/api/v1/notes/seven").status_code == 422
