"""Rulings (问责 and 容错免责): the list, a ruling's page and its actions."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.console.web import (
    AUTHORITIES,
    INSPECTORS,
    REPORTERS,
    Form,
    FormDep,
    FormError,
    PageError,
    Viewer,
    ViewerDep,
    after_command,
    perform,
    render,
    unit_names,
    validated,
    visible_units,
    wait_for_own_writes,
)
from api.http import scoping
from api.http.presentation import event_out
from api.http.schemas import Appeal, AppealDecision, Decision, Publication, RulingVerification
from domain.errors import NotFound
from domain.rulings import AccountabilityRuling, Ruling
from domain.vocabulary import Role, RulingKind, RulingStatus
from domain.vocabulary import RulingStatus as R
from projections.paging import InvalidCursor
from projections.rulings import RulingFilter

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=200)]

ACTIONS: dict[str, tuple[frozenset[Role], tuple[R, ...]]] = {
    "verification": (INSPECTORS, (R.PROPOSED, R.APPLIED)),
    "decision": (AUTHORITIES, (R.PROPOSED, R.APPLIED, R.VERIFIED)),
    "appeal": (REPORTERS, (R.DECIDED,)),
    "appeal-decision": (AUTHORITIES, (R.APPEALED,)),
    "publication": (AUTHORITIES, (R.DECIDED, R.APPEAL_DECIDED)),
}


@router.get("/rulings")
def rulings(
    request: Request,
    viewer: ViewerDep,
    kind: Text = None,
    status: Text = None,
    unit_code: Text = None,
    cursor: Text = None,
) -> Response:
    """问责与容错: every ruling the viewer may see, by kind, status and unit."""
    services = viewer.services
    wait_for_own_writes(viewer, services.rulings)
    kind = kind if kind in {k.value for k in RulingKind} else None
    status = status if status in {s.value for s in RulingStatus} else None
    unit_code = unit_code or None
    units = scoping.unit_codes(services, viewer.actor, unit_code)
    items: list[dict[str, Any]] = []
    next_cursor = None
    if units is not scoping.NOTHING:
        try:
            page = services.rulings.page(RulingFilter(kind, units, status), 50, cursor or None)
        except InvalidCursor:
            raise PageError(400, "翻页参数无效，请从第一页重新浏览。", viewer) from None
        items, next_cursor = page.items, page.next_cursor
    filters = {"kind": kind, "status": status, "unit_code": unit_code}
    return render(
        request,
        "_ruling_rows.html" if request.headers.get("HX-Request") else "rulings.html",
        viewer,
        items=items,
        next_cursor=next_cursor,
        filters={k: v for k, v in filters.items() if v},
        units=visible_units(viewer),
        names=unit_names(services),
    )


def load(viewer: Viewer, ruling_id: str) -> Ruling:
    try:
        return viewer.services.app.get_ruling(UUID(ruling_id), viewer=viewer.actor)
    except (ValueError, NotFound):
        raise PageError(404, "未找到该问责或容错记录，或您无权查看。", viewer) from None


def ruling_page(
    request: Request,
    viewer: Viewer,
    ruling_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    ruling = load(viewer, ruling_id)
    allowed = [
        action
        for action, (roles, statuses) in ACTIONS.items()
        if viewer.may(roles)
        and ruling.status in statuses
        and not (action == "appeal" and ruling.appeal is not None)
    ]
    return render(
        request,
        "ruling.html",
        viewer,
        status=status,
        ruling=ruling,
        accountability=isinstance(ruling, AccountabilityRuling),
        events=[event_out(e) for e in viewer.services.app.aggregate_history(ruling.id)],
        actions=allowed,
        errors=errors or {},
        values=values or {},
        form_key=secrets.token_urlsafe(24),
        names=unit_names(viewer.services),
    )


@router.get("/rulings/{ruling_id}")
def show_ruling(request: Request, ruling_id: str, viewer: ViewerDep) -> Response:
    """A ruling: subject, linked findings, decision, appeal, publication, its events."""
    return ruling_page(request, viewer, ruling_id)


def tags_of(text: str) -> list[str]:
    """Tags typed in one field, separated by commas, 、 or spaces."""
    return [t for t in re.split(r"[,，、;；\s]+", text) if t]


def body_of(action: str, form: Form) -> Any:
    criteria = form.getlist("criteria_met")
    builders: dict[str, Callable[[], Any]] = {
        "verification": lambda: validated(RulingVerification, {"comment": form.get("comment")}),
        "decision": lambda: validated(
            Decision,
            {
                "form": form.optional("form"),
                "outcome": form.optional("outcome"),
                "criteria_met": criteria,
                "reasoning": form.get("reasoning"),
                "decided_on": form.optional("decided_on"),
            },
        ),
        "appeal": lambda: validated(Appeal, {"grounds": form.get("grounds")}),
        "appeal-decision": lambda: validated(
            AppealDecision,
            {
                "result": form.get("result"),
                "reasoning": form.get("reasoning"),
                "form": form.optional("form"),
                "outcome": form.optional("outcome"),
                "criteria_met": criteria if form.optional("outcome") else None,
            },
        ),
        "publication": lambda: validated(
            Publication, {"summary": form.get("summary"), "tags": tags_of(form.get("tags"))}
        ),
    }
    return builders[action]()


def command_of(action: str, body: Any, viewer: Viewer, ruling_id: UUID) -> Callable[..., Any]:
    """The application method the JSON route for `action` calls, with the same arguments."""
    app, actor = viewer.services.app, viewer.actor

    def criteria(values: Any) -> list[str] | None:
        return None if values is None else [c.value for c in values]

    commands: dict[str, Callable[..., Any]] = {
        "verification": lambda **kw: app.verify_ruling(
            ruling_id, comment=body.comment, actor=actor, **kw
        ),
        "decision": lambda **kw: app.decide_ruling(
            ruling_id,
            reasoning=body.reasoning,
            decided_on=body.decided_on,
            actor=actor,
            form=body.form and body.form.value,
            outcome=body.outcome and body.outcome.value,
            criteria_met=[c.value for c in body.criteria_met],
            **kw,
        ),
        "appeal": lambda **kw: app.appeal_ruling(
            ruling_id, grounds=body.grounds, actor=actor, **kw
        ),
        "appeal-decision": lambda **kw: app.decide_appeal(
            ruling_id,
            result=body.result.value,
            reasoning=body.reasoning,
            actor=actor,
            form=body.form and body.form.value,
            outcome=body.outcome and body.outcome.value,
            criteria_met=criteria(body.criteria_met),
            **kw,
        ),
        "publication": lambda **kw: app.publish_ruling(
            ruling_id, summary=body.summary, tags=list(body.tags), actor=actor, **kw
        ),
    }
    return commands[action]


@router.post("/rulings/{ruling_id}/{action}")
def ruling_action(
    request: Request, ruling_id: str, action: str, viewer: ViewerDep, form: FormDep
) -> Response:
    """One of the ruling's commands; a refusal is shown beside its form, in Chinese."""
    ruling = load(viewer, ruling_id)
    if action not in ACTIONS:
        raise PageError(404, "页面不存在。", viewer)
    viewer.require(ACTIONS[action][0])
    try:
        body = body_of(action, form)
        answer = perform(request, viewer, form, body, command_of(action, body, viewer, ruling.id))
    except FormError as error:
        return ruling_page(
            request,
            viewer,
            ruling_id,
            {action: error.message},
            {action: form.values()},
            error.status,
        )
    return after_command(request, viewer, answer, f"/rulings/{ruling.id}?done={action}")
