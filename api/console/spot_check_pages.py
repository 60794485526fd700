"""一单两库一细则 in the console: the 随机抽查事项清单 with each matter's 细则 and rounds, the
size of the 检查对象名录库 and the 执法检查人员名录库, and the forms that keep them — a matter
listed (the department's liaison, an inspector, an administrator), an officer listed, an
entity listed (inspectors, administrators; a department's whole list is imported with
`supervision import market-entities`) — and, beside each matter in force, 启动随机抽查, which
goes on to the new round's page for its seed, draw and conclusion."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import (
    EVERY,
    OPTIONAL,
    ORGANISERS,
    REPORTERS,
    TEXT,
    Form,
    FormCommand,
    FormDep,
    FormError,
    PageError,
    Refusal,
    Viewer,
    ViewerDep,
    after_command,
    render,
    unit_names,
    visible_units,
    wait_for_own_writes,
)
from domain.errors import NotFound
from domain.registry import (
    LaunchSpotCheck,
    ListSpotCheckMatter,
    RegisterMarketEntity,
    RegisterOfficer,
)
from domain.vocabulary import Role
from projections.paging import MAX_LIMIT
from projections.spot_checks import MATTERS, OFFICERS, DirectoryFilter, SpotCheckView

router = APIRouter(include_in_schema=False)
KEEPERS = REPORTERS | ORGANISERS  # a unit keeps its own department's matters and officers
LAUNCH = "launch"


def lines(form: Form, name: str) -> list[str]:
    """One entry a line (blank lines left out)."""
    return [line.strip() for line in form.get(name).splitlines() if line.strip()]


FORMS: dict[str, tuple[frozenset[Role], FormCommand]] = {
    "matter": (
        KEEPERS,
        FormCommand(
            ListSpotCheckMatter,
            {
                "unit_code": TEXT,
                "title": TEXT,
                "legal_basis": TEXT,
                "method": TEXT,
                "share_percent": TEXT,
                "rounds_per_year": TEXT,
                "entity_kinds": EVERY,
                "industries": lines,
            },
        ),
    ),
    "officer": (
        KEEPERS,
        FormCommand(
            RegisterOfficer,
            {"name": TEXT, "unit_code": TEXT, "certificate": TEXT, "valid_until": TEXT},
        ),
    ),
    "entity": (
        ORGANISERS,
        FormCommand(
            RegisterMarketEntity,
            {
                "credit_code": TEXT,
                "name": TEXT,
                "entity_kind": TEXT,
                "industry": TEXT,
                "address": OPTIONAL,
            },
        ),
    ),
}
LAUNCHING = FormCommand(
    LaunchSpotCheck,
    {"title": TEXT, "period_start": TEXT, "period_end": TEXT, "team_size": TEXT},
)


def spot_check_page(request: Request, viewer: Viewer, refusal: Refusal | None = None) -> Response:
    view = viewer.services.view("spot_checks", SpotCheckView)
    wait_for_own_writes(viewer, view)
    matters = view.page(MATTERS.name, DirectoryFilter(), MAX_LIMIT, None).items
    officers = view.page(OFFICERS.name, DirectoryFilter(status="listed"), MAX_LIMIT, None).items
    actions = [name for name, (roles, _) in FORMS.items() if viewer.may(roles)]
    return render(
        request,
        "spot_checks.html",
        viewer,
        status=refusal.status if refusal else 200,
        matters=matters,
        officers=officers,
        counts=view.counts(),
        units=visible_units(viewer, active_only=True),
        names=unit_names(viewer.services),
        actions=actions,
        may_launch=viewer.may(ORGANISERS),
        errors={refusal.action: refusal.message} if refusal else {},
        values={refusal.action: refusal.values} if refusal else {},
        form_key=secrets.token_urlsafe(24),
    )


@router.get("/spot-checks")
def spot_checks(request: Request, viewer: ViewerDep) -> Response:
    """一单两库一细则: the matters, the two directories' size, the forms."""
    return spot_check_page(request, viewer)


@router.post("/spot-checks/{action}")
def keep(request: Request, action: str, viewer: ViewerDep, form: FormDep) -> Response:
    """A matter, an officer or an entity listed; back to the page with what was done."""
    if action not in FORMS:
        raise PageError(404, "页面不存在。", viewer)
    roles, command = FORMS[action]
    viewer.require(roles)
    try:
        answer = command.run(request, viewer, form, action=action)
    except FormError as error:
        refusal = Refusal(action, error.message, form.values(), error.status)
        return spot_check_page(request, viewer, refusal)
    return after_command(request, viewer, answer, f"/spot-checks?done={action}")


@router.post("/spot-checks/{matter_id}/launch")
def launch(request: Request, matter_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    """启动随机抽查 of a matter; on to the new round's page."""
    viewer.require(ORGANISERS)
    try:
        matter = viewer.services.app.get_spot_check_matter(UUID(matter_id))
    except (ValueError, NotFound):
        raise PageError(404, "未找到该抽查事项。", viewer) from None
    try:
        answer: dict[str, Any] = LAUNCHING.run(request, viewer, form, matter.id, LAUNCH)
    except FormError as error:
        refusal = Refusal(f"{LAUNCH}-{matter_id}", error.message, form.values(), error.status)
        return spot_check_page(request, viewer, refusal)
    return after_command(request, viewer, answer, f"/inspections/{answer['id']}?done=spot-check")
