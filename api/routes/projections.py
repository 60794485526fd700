"""Read-model status: how far each projection has processed the log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import Admin, Reader, ServicesDep
from api.errors import ApiError
from projections.registry import PROJECTIONS

router = APIRouter(prefix="/api/v1/projections", tags=["projections"])


@router.get("")
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
    responses={202: {"description": "still running; poll GET /api/v1/projections"}},
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
        return JSONResponse(job.as_dict(), status_code=202)
    if job.state == "refused":
        raise ApiError(409, "rebuild_in_progress", job.error or "a rebuild is already running")
    if job.state == "failed":
        raise ApiError(503, "rebuild_failed", job.error or "the rebuild failed")
    return job.as_dict()
