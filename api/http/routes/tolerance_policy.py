"""The county's 容错免责办法: which conditions every 免责 and 从轻 needs verified (kept as data;
domain/tolerance_policies.py)."""

from __future__ import annotations

from typing import Any

from api.http.command_routes import mount
from api.http.deps import Reader, ServicesDep
from api.http.read_schemas import TolerancePolicyPublic
from api.http.routing import Router
from api.http.schemas import TolerancePolicyCreate, TolerancePolicyRevision
from domain.registry import AdoptTolerancePolicy, ReviseTolerancePolicy

router = Router(prefix="/api/v1/tolerance-policy", tags=["rulings"])

mount(
    router,
    {AdoptTolerancePolicy: TolerancePolicyCreate, ReviseTolerancePolicy: TolerancePolicyRevision},
)


@router.get("", response_model=TolerancePolicyPublic)
def tolerance_policy(services: ServicesDep, actor: Reader) -> dict[str, Any]:
    """容错免责办法: the conditions required, and the vocabulary's circumstances (情形) and
    conditions (条件); `adopted` false, nothing required, while the county has none."""
    return services.app.get_tolerance_policy()
