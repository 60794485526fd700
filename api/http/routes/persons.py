"""The person register (人员名录, issue 18 item 5): a person rulings name by id — registered and
moved by the authority, an inspector or an administrator (the commands below
`/api/v1/persons`), and their record (问责、容错记录 across units and reorganisations, the
影响期 still running) read by the authority alone."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends

from api.http.command_routes import mount
from api.http.deps import ServicesDep, require
from api.http.presentation import record_out
from api.http.read_schemas import PersonRecord
from api.http.routing import Router
from domain.actors import Actor
from domain.clock import today
from domain.persons import ACCOUNTABILITY, Person
from domain.vocabulary import AccountabilityForm, Role, ToleranceOutcome

router = Router(prefix="/api/v1/persons", tags=["persons"])
Authority = Annotated[Actor, Depends(require(Role.AUTHORITY))]

mount(router, {})  # RegisterPerson, MovePerson: bodies from their fields


def result_label(entry: dict[str, Any]) -> str:
    kind = AccountabilityForm if entry["kind"] == ACCOUNTABILITY else ToleranceOutcome
    return kind(entry["result"]).label


def person_out(person: Person) -> dict[str, Any]:
    """The person's record: who (while not erased), where, every decided ruling."""
    record = [{**entry, "result_label": result_label(entry)} for entry in person.record]
    return record_out(
        person,
        {
            "name": person.name,
            "position": person.position,
            "unit_code": person.unit_code,
            "units": person.units,
            "record": record,
            "effects_until": person.effects_until(today()),
            "erased": person.erased,
            "subject_id": person.subject_id,
        },
    )


@router.get("/{person_id}", response_model=PersonRecord)
def read_person(person_id: UUID, services: ServicesDep, actor: Authority) -> dict[str, Any]:
    """人员问责容错记录 (the authority): the person, their units, every decided ruling
    naming them with its form or outcome, appeal and 影响期, and the 影响期 still running."""
    return person_out(services.app.get_person(person_id))
