"""Operations and reference: health, readiness, metrics, vocabulary, projection status."""

from __future__ import annotations

import logging
from typing import Any, NotRequired

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from api.http.deps import ServicesDep, current_actor
from api.http.presentation import conform
from api.http.read_schemas import Answer
from api.runtime.metrics import exposition, observe_projections
from domain.vocabulary import vocabulary

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


class Health(Answer):
    status: str


class ReadinessChecks(TypedDict):
    """The database (`ok` or `unreachable`), each projection runner's state, and the
    automatic checkpoints: `ok`, `off` (not made by this process) or `refused` (degraded: the
    log does not extend what the signer signed last — it was cut or rewritten)."""

    database: str
    projections: dict[str, str]
    checkpoints: NotRequired[str]


class Readiness(Answer):
    ready: bool
    checks: ReadinessChecks


class Term(TypedDict):
    """A code of an enumeration and its Chinese label."""

    code: str
    label: str


READINESS = TypeAdapter(Readiness)


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        503: {"model": Readiness, "description": "not ready: the same body, with `ready` false"}
    },
)
def readyz(services: ServicesDep) -> JSONResponse:
    """The database answers and every in-process projection runner is running."""
    checks: dict[str, Any] = {}
    try:
        services.database.ping()
        checks["database"] = "ok"
    except Exception as error:  # reported in the answer, not raised
        log.warning("readiness: database unreachable", extra={"error": str(error)})
        checks["database"] = "unreachable"
    try:
        checks["projections"] = services.projection_states()
    except Exception as error:  # reported in the answer, not raised
        log.warning("readiness: projection states unknown", extra={"error": str(error)})
        checks["projections"] = {name: "unknown" for name in services.views}
    runners_ok = services.settings.projection_runners == "off" or all(
        state in ("running", "standby") for state in checks["projections"].values()
    )
    checker = services.checkpointer
    checks["checkpoints"] = (
        "off" if checker is None else "refused" if checker.refused is not None else "ok"
    )
    # A refusal to sign (the log does not extend what was signed) degrades the service, for
    # operators and auditors to see here and in the log; it keeps serving what it records.
    ready = checks["database"] == "ok" and runners_ok
    answer = conform(READINESS, {"ready": ready, "checks": checks})
    return JSONResponse(answer, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": f"Prometheus text exposition ({CONTENT_TYPE_LATEST})"}},
)
def metrics(services: ServicesDep) -> Response:
    """Prometheus text: requests, latencies, log head and projection lag."""
    observe_projections(services)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/api/v1/vocabulary",
    response_model=dict[str, list[Term]],
    dependencies=[Depends(current_actor)],
)
def get_vocabulary() -> dict[str, list[dict[str, str]]]:
    """Every enumeration with its Chinese label (any signed-in role)."""
    return vocabulary()
