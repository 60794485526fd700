"""Rulings: accountability (问责) and fault tolerance (容错免责), decided by an authority."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.http import scoping
from api.http.command_routes import mount
from api.http.commands import Command
from api.http.deps import (
    Authority,
    Cursor,
    Inspector,
    Limit,
    Reader,
    Reporter,
    ServicesDep,
    reached,
)
from api.http.errors import ApiError
from api.http.presentation import answered, check_time_travel, event_out
from api.http.read_schemas import AnyRuling, EventPage, RulingPage
from api.http.schemas import (
    AccountabilityCreate,
    Appeal,
    AppealDecision,
    CommandAnswer,
    Decision,
    Publication,
    RulingVerification,
    ToleranceCreate,
)
from domain.ruling_commands import AppealRuling, PublishRuling, VerifyRuling
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.vocabulary import RulingStatus
from projections.rulings import RulingFilter

router = APIRouter(prefix="/api/v1/rulings", tags=["rulings"])

KINDS = {
    "accountability": "accountability",
    "fault_tolerance": "fault_tolerance",
    "fault-tolerance": "fault_tolerance",
}


def ruling_out(r: Ruling) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "kind": r.kind.value,
        "kind_label": r.kind.label,
        "version": r.version,
        "status": r.status.value,
        "status_label": r.status.label,
        "subject": r.subject,
        "unit_code": r.unit_code,
        "finding_ids": r.finding_ids,
        "verification": r.verification,
        "decision": r.decision,
        "appeal": r.appeal,
        "publication": r.publication,
        "created_at": r.created_on,
        "updated_at": r.modified_on,
    }
    if isinstance(r, AccountabilityRuling):
        out.update(form=r.form.value, form_label=r.form.label, basis=r.basis, facts=r.facts)
    elif isinstance(r, ToleranceRuling):
        out.update(
            grounds=r.grounds,
            criteria_claimed=r.criteria_claimed,
            outcome=r.outcome.value if r.outcome else None,
            criteria_met=r.criteria_met,
        )
    encoded: dict[str, Any] = jsonable_encoder(out)
    return encoded


@router.post("/accountability", status_code=201, response_model=CommandAnswer)
def propose_accountability(
    body: AccountabilityCreate,
    actor: Inspector,
    cmd: Command,
) -> JSONResponse:
    """提出问责建议: status `proposed`; linked findings must belong to the subject's unit."""
    return answered(
        cmd.run(
            actor,
            body,
            lambda **kw: cmd.app.propose_accountability(
                subject=body.subject.model_dump(exclude_none=True),
                finding_ids=body.finding_ids,
                form=body.form.value,
                basis=body.basis,
                facts=body.facts,
                actor=actor,
                **kw,
            ),
            status=201,
        )
    )


@router.post("/fault-tolerance", status_code=201, response_model=CommandAnswer)
def apply_for_tolerance(
    body: ToleranceCreate,
    actor: Reporter,
    cmd: Command,
) -> JSONResponse:
    """申请容错免责 (an inspector, or the unit for itself): status `applied`."""
    scoping.only_visible_findings(cmd.services, actor, body.finding_ids)
    return answered(
        cmd.run(
            actor,
            body,
            lambda **kw: cmd.app.apply_for_tolerance(
                subject=body.subject.model_dump(exclude_none=True),
                finding_ids=body.finding_ids,
                grounds=body.grounds,
                criteria_claimed=[c.value for c in body.criteria_claimed],
                actor=actor,
                **kw,
            ),
            status=201,
        )
    )


@router.get("", response_model=RulingPage, dependencies=[reached("rulings")])
def list_rulings(
    services: ServicesDep,
    actor: Reader,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    unit_code: Annotated[str | None, Query(max_length=64)] = None,
    status: RulingStatus | None = None,
    finding_id: UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Rulings by kind, unit (with merged units) and status, oldest first."""
    if kind is not None and kind not in KINDS:
        raise ApiError(422, "validation_error", "kind is accountability or fault_tolerance")
    units = scoping.unit_codes(services, actor, unit_code)
    if units is scoping.NOTHING:
        return {"items": [], "next_cursor": None}
    page = services.rulings.page(
        RulingFilter(KINDS.get(kind or ""), units, status and status.value, finding_id),
        limit,
        cursor,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{ruling_id}", response_model=AnyRuling)
def get_ruling(
    ruling_id: UUID,
    services: ServicesDep,
    actor: Reader,
    response: Response,
    version: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """One ruling now, at `version=N`, or as it was at `as_of=<time>`."""
    check_time_travel(version, as_of)
    ruling = services.app.get_ruling(ruling_id, version=version, as_of=as_of, viewer=actor)
    if version is not None and ruling.version != version:
        raise ApiError(404, "not_found", f"ruling {ruling_id} has no version {version}")
    response.headers["ETag"] = f'"{ruling.version}"'
    return ruling_out(ruling)


@router.get("/{ruling_id}/events", response_model=EventPage)
def ruling_events(ruling_id: UUID, services: ServicesDep, actor: Reader) -> dict[str, Any]:
    """The ruling's own events, oldest first."""
    services.app.get_ruling(ruling_id, viewer=actor)
    return {
        "items": [event_out(e) for e in services.app.aggregate_history(ruling_id)],
        "next_cursor": None,
    }


@router.post("/{ruling_id}/decision", response_model=CommandAnswer)
def decide_ruling(
    ruling_id: UUID,
    body: Decision,
    actor: Authority,
    cmd: Command,
) -> JSONResponse:
    """作出决定 (authority only) → `decided`."""
    return answered(
        cmd.run(
            actor,
            body,
            lambda **kw: cmd.app.decide_ruling(
                ruling_id,
                reasoning=body.reasoning,
                decided_on=body.decided_on,
                actor=actor,
                form=body.form and body.form.value,
                outcome=body.outcome and body.outcome.value,
                criteria_met=[c.value for c in body.criteria_met],
                expected_version=cmd.expected,
                **kw,
            ),
        )
    )


@router.post("/{ruling_id}/appeal-decision", response_model=CommandAnswer)
def decide_appeal(
    ruling_id: UUID,
    body: AppealDecision,
    actor: Authority,
    cmd: Command,
) -> JSONResponse:
    """申诉复核 (authority only): upheld or modified → `appeal_decided`; revoked → `revoked`."""
    criteria = [c.value for c in body.criteria_met] if body.criteria_met is not None else None
    return answered(
        cmd.run(
            actor,
            body,
            lambda **kw: cmd.app.decide_appeal(
                ruling_id,
                result=body.result.value,
                reasoning=body.reasoning,
                actor=actor,
                form=body.form and body.form.value,
                outcome=body.outcome and body.outcome.value,
                criteria_met=criteria,
                expected_version=cmd.expected,
                **kw,
            ),
        )
    )


mount(router, {VerifyRuling: RulingVerification, AppealRuling: Appeal, PublishRuling: Publication})
