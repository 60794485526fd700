"""Read-model status: how far each projection has processed the log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from api.http.deps import Admin, Reader, ServicesDep
from api.http.errors import ApiError
from api.http.presentation import conform
from api.http.read_schemas import Answer
from api.http.routing import Router
from projections.registry import PROJECTIONS

router = Router(prefix="/api/v1/projections", tags=["projections"])


class ProjectionStatus(Answer):
    """A read model: the log position it has processed, the head, the lag, its runner."""

    name: str
    position: int
    head: int
    lag: int
    state: str
    restarts: int | None


class RebuildDone(Answer):
    """A rebuild that finished: how far, how many events, how long, how long the switch."""

    name: str
    state: str
    position: int
    events_replayed: int
    seconds: float
    switch_ms: float


class RebuildRunning(Answer):
    """A rebuild still running: the position it has reached of the head."""

    name: str
    state: str
    position: int
    head: int


RUNNING = TypeAdapter(RebuildRunning)


@router.get("", response_model=list[ProjectionStatus])
def list_projections(services: ServicesDep, actor: Reader) -> list[dict[str, Any]]:
    """Each projection's position, the log's head and the lag between them."""
    head = services.head()
    states = services.projection_states()
    restarts = {name: status.restarts for name, status in services.runner_statuses.items()}
    answer = []
    for name, view in services.views.items():
        position = view.position()
        answer.append(
            {
                "name": name,
                "position": position,
                "head": head,
                "lag": max(head - position, 0),
                "state": states[name],
                "restarts": restarts.get(name),
            }
        )
    return answer


@router.post(
    "/{name}/rebuild",
    response_model=RebuildDone,
    responses={
        202: {"model": RebuildRunning, "description": "still running; poll GET /api/v1/projections"}
    },
)
def rebuild_projection(
    name: str,
    services: ServicesDep,
    actor: Admin,
    wait: Annotated[
        float, Query(ge=0, le=120, description="seconds to wait for the rebuild to finish")
    ] = 30.0,
) -> Any:
    """Rebuild one read model from zero beside the live one and switch atomically (readers
    never see it empty). 200 with the outcome when it finishes within `wait` seconds, else
    202 with its progress; asking again while it runs answers the running one."""
    spec = next((s for s in PROJECTIONS if s.name == name), None)
    if spec is None:
        raise ApiError(404, "not_found", f"no projection named {name!r}")
    job, _ = services.rebuilds.start(spec)
    job.done.wait(wait)
    if not job.done.is_set():
        return JSONResponse(conform(RUNNING, job.as_dict()), status_code=202)
    if job.state == "refused":
        raise ApiError(409, "rebuild_in_progress", job.error or "a rebuild is already running")
    if job.state == "failed":
        raise ApiError(503, "rebuild_failed", job.error or "the rebuild failed")
    return job.as_dict()
