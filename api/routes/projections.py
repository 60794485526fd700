"""Read-model status: how far each projection has processed the log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Reader, ServicesDep

router = APIRouter(prefix="/api/v1/projections", tags=["projections"])


@router.get("")
def list_projections(services: ServicesDep, actor: Reader) -> list[dict[str, Any]]:
    """Each projection's position, the log's head and the lag between them."""
    head = services.head()
    states = services.projection_states()
    restarts = {r.spec.name: r.status.restarts for r in services.runners}
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
