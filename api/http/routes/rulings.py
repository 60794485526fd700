"""Rulings: accountability (问责) and fault tolerance (容错免责), decided by an authority."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query

from api.http import scoping
from api.http.command_routes import mount
from api.http.deps import (
    Cursor,
    Limit,
    Reader,
    ServicesDep,
    UnitFilter,
    reached,
)
from api.http.errors import ApiError
from api.http.presentation import record_out
from api.http.read_schemas import RulingPage
from api.http.routing import Router
from api.http.schemas import (
    AccountabilityCreate,
    Appeal,
    AppealDecision,
    Decision,
    Publication,
    RulingVerification,
    Service,
    Statement,
    ToleranceCreate,
)
from domain.registry import (
    AppealRuling,
    ApplyForTolerance,
    DecideAppeal,
    DecideRuling,
    ProposeAccountability,
    PublishRuling,
    RecordStatement,
    ServeRuling,
    VerifyRuling,
)
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling, subject_kind
from domain.vocabulary import RulingStatus
from projections.finding_board import due_by_of
from projections.rulings import RulingFilter

router = Router(prefix="/api/v1/rulings", tags=["rulings"])

KINDS = {
    "accountability": "accountability",
    "fault_tolerance": "fault_tolerance",
    "fault-tolerance": "fault_tolerance",
}


RulingKindFilter = Annotated[str | None, Query(max_length=30)]  # read with ruling_kind


def ruling_kind(kind: str | None) -> str | None:
    """The kind of ruling a list filters on (None: both); an unknown one is refused, 422."""
    if kind is not None and kind not in KINDS:
        raise ApiError(422, "validation_error", "kind is accountability or fault_tolerance")
    return KINDS.get(kind or "")


def ruling_out(r: Ruling) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": r.kind.value,
        "kind_label": r.kind.label,
        "status": r.status.value,
        "status_label": r.status.label,
        "subject": r.subject,
        "unit_code": r.unit_code,
        "finding_ids": r.finding_ids,
        "verification": r.verification,
        "decision": r.decision,
        "appeal": r.appeal,
        "publication": r.publication,
        "service": r.service and {**r.service, "appeal_by": r.appeal_until(due_by_of)},
        "paired_ruling_id": r.paired_with,
    }
    if isinstance(r, AccountabilityRuling):
        out.update(form=r.form.value, form_label=r.form.label, basis=r.basis, facts=r.facts)
        out.update(subject_kind=subject_kind(r.subject).value, statements=r.statements)
        out.update(
            measure=r.measure and r.measure.value,
            measure_label=r.measure and r.measure.label,
            effects_until=r.effects_until,
            heard=bool(r.statements),
        )
    elif isinstance(r, ToleranceRuling):
        out.update(
            grounds=r.grounds,
            criteria_claimed=r.criteria_claimed,
            outcome=r.outcome.value if r.outcome else None,
            criteria_met=r.criteria_met,
            exclusions=r.exclusions,
        )
    return record_out(r, out)


@router.get("", response_model=RulingPage, dependencies=[reached("rulings")])
def list_rulings(
    services: ServicesDep,
    actor: Reader,
    kind: RulingKindFilter = None,
    unit_code: UnitFilter = None,
    status: RulingStatus | None = None,
    finding_id: UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Rulings by kind, unit (with merged units) and status, oldest first."""
    chosen = ruling_kind(kind)
    return scoping.scoped_page(
        services,
        actor,
        unit_code,
        lambda units: services.rulings.page(
            RulingFilter(chosen, units, status and status.value, finding_id), limit, cursor
        ),
    )


mount(
    router,
    {
        ProposeAccountability: AccountabilityCreate,
        ApplyForTolerance: ToleranceCreate,
        DecideRuling: Decision,
        DecideAppeal: AppealDecision,
        VerifyRuling: RulingVerification,
        RecordStatement: Statement,
        ServeRuling: Service,
        AppealRuling: Appeal,
        PublishRuling: Publication,
    },
)
