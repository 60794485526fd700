"""A person's record (人员问责容错记录, issue 18 items 5 and 9), the authority's alone: who
(while their data is not erased), their units, every decided ruling naming them — whichever
unit decided it — with its form or outcome, appeal and 影响期, and whether it stands against
them (屡错屡犯)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import AUTHORITIES, PageError, ViewerDep, render, unit_names
from api.http.routes.persons import person_out
from domain.errors import NotFound

router = APIRouter(include_in_schema=False)


@router.get("/persons/{person_id}")
def person(request: Request, person_id: str, viewer: ViewerDep) -> Response:
    """人员记录: the register's entry and the record the authority decides against."""
    viewer.require(AUTHORITIES)
    try:
        found = viewer.services.app.get_person(UUID(person_id))
    except (ValueError, NotFound):
        raise PageError(404, "未找到该人员。", viewer) from None
    return render(
        request, "person.html", viewer, person=person_out(found), names=unit_names(viewer.services)
    )
