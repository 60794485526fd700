"""The baseline for bench/commands.py: one HTTP route that does one plain `eventsourcing` save.

Nothing of the service is imported: no auth, no hash chain, no idempotency, no projections.
It is configured only by the library's own environment variables (PERSISTENCE_MODULE=
eventsourcing.postgres, POSTGRES_DBNAME/HOST/PORT/USER/PASSWORD, POSTGRES_POOL_SIZE, ...),
and served by uvicorn exactly as `supervision serve` serves the service (one worker, no access
log, no logging config), so the difference between the two is our command path alone.

    python bench/bare_app.py --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse
from typing import Any
from uuid import UUID

import uvicorn
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class Note(Aggregate):
    """The smallest useful aggregate: created with one field, one event."""

    def __init__(self, title: str) -> None:
        self.title = title


class BareApp(Application[UUID]):
    """A stock application: the library's recorder, transcoder and mapper, unchanged."""

    name = "BareApp"


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


def create_note(body: NoteIn, request: Request) -> JSONResponse:
    """Sync like the service's command routes, so both run in the same threadpool."""
    bare: BareApp = request.app.state.bare
    note = Note(title=body.title)
    recordings = bare.save(note)
    answer: dict[str, Any] = {
        "id": str(note.id),
        "version": note.version,
        "position": recordings[-1].notification.id,
    }
    return JSONResponse(answer, status_code=201)


def noop(body: NoteIn) -> JSONResponse:
    """The HTTP stack alone: the same body validated, nothing stored (bench/run_all.py)."""
    return JSONResponse({"id": "noop", "title": body.title}, status_code=201)


def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> FastAPI:
    app = FastAPI(title="bare eventsourcing save")
    # Built before serving, as the service builds its application in create_app().
    app.state.bare = BareApp()
    app.add_api_route("/notes", create_note, methods=["POST"], status_code=201)
    app.add_api_route("/noop", noop, methods=["POST"], status_code=201)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the bare-save baseline endpoint.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
