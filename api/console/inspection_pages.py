"""督查活动 (inspection rounds) in the console: the board of rounds; launching a round (启动督查
活动); a round with its draw's every input, the draw re-derived from the stored events (as
GET /api/v1/inspections/{id}/draw-verification and `supervision inspections verify-draw`),
its timeline, and the forms of the round's steps — the inspector's seed commitment (the seed
hashed in the browser, never sent until the draw), the second party's commitment and reveal,
the draw, and the conclusion with each inspected unit's (or market entity's) result."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import (
    EVERY,
    ORGANISERS,
    TEXT,
    Form,
    FormCommand,
    FormError,
    Offered,
    PageError,
    Refusal,
    Text,
    Viewer,
    ViewerDep,
    creation_form,
    creation_routes,
    offered,
    one_page,
    record_page,
    record_routes,
    render,
    wait_for_own_writes,
)
from api.http.presentation import event_out
from api.http.routes.inspections import board
from api.runtime.draws import verify_draw
from domain.errors import NotFound
from domain.inspections import DRAWN_KINDS, Inspection
from domain.registry import (
    SECOND_PARTIES,
    AssignInspection,
    CommitInspectionCoSeed,
    CommitInspectionSeed,
    ConcludeInspection,
    DrawInspection,
    Launch,
    RevealInspectionCoSeed,
)
from domain.vocabulary import InspectionKind
from domain.vocabulary import InspectionStatus as S
from projections.inspection_board import BoardFilter
from projections.spot_checks import SpotCheckView

router = APIRouter(include_in_schema=False)
SHOWN = 100
SECONDS = frozenset(SECOND_PARTIES)
RESULT = "result-"  # a conclusion's field per inspected target: result-<code>
SEPARATORS = re.compile(r"[,，、\s]+")


def pool_of(form: Form, name: str) -> list[dict[str, Any]]:
    """The inspector pool typed one per line: a name, then (for 回避) the code of the unit
    they belong to, if any."""
    pool = []
    for line in form.get(name).splitlines():
        parts = [p for p in SEPARATORS.split(line.strip()) if p]
        if parts:
            pool.append({"name": parts[0], "unit_code": parts[1] if len(parts) > 1 else None})
    return pool


def targets_of(form: Form, name: str) -> list[dict[str, Any]]:
    """指派: one unit a line, `单位代码：姓名、姓名` (the unit, then its team)."""
    targets = []
    for line in form.get(name).splitlines():
        code, _, team = line.strip().replace("：", ":").partition(":")
        if code.strip():
            names = [n for n in SEPARATORS.split(team.strip()) if n]
            targets.append({"unit_code": code.strip(), "team": names})
    return targets


def rules_of(form: Form, _: str) -> dict[str, str]:
    """抽查规则: the team size and the share drawn (blank: the API's defaults)."""
    given = {"team_size": form.get("team_size"), "share_percent": form.get("share_percent")}
    return {k: v for k, v in given.items() if v}


def results_of(form: Form, _: str) -> list[dict[str, str]]:
    """Each inspected target's result, as typed beside it (a blank one is left out)."""
    return [
        {"unit_code": name[len(RESULT) :], "result": form.get(name)}
        for name in form.fields
        if name.startswith(RESULT) and form.get(name)
    ]


LAUNCH = FormCommand(
    Launch,
    {
        "title": TEXT,
        "kind": TEXT,
        "scope": TEXT,
        "period_start": TEXT,
        "period_end": TEXT,
        "units": EVERY,
        "inspectors": pool_of,
        "rules": rules_of,
    },
)


ACTIONS: dict[str, Offered] = {
    "seed-commitment": (
        ORGANISERS,
        (S.LAUNCHED,),
        FormCommand(CommitInspectionSeed, {"commitment": TEXT}),
    ),
    "co-seed-commitment": (
        SECONDS,
        (S.SEED_COMMITTED,),
        FormCommand(CommitInspectionCoSeed, {"commitment": TEXT}),
    ),
    "assignment": (
        ORGANISERS,
        (S.LAUNCHED,),
        FormCommand(AssignInspection, {"targets": targets_of}),
    ),
    "co-seed": (SECONDS, (S.SEED_COMMITTED,), FormCommand(RevealInspectionCoSeed, {"seed": TEXT})),
    "draw": (ORGANISERS, (S.SEED_COMMITTED,), FormCommand(DrawInspection, {"seed": TEXT})),
    "conclusion": (
        ORGANISERS,
        (S.DRAWN,),
        FormCommand(
            ConcludeInspection,
            {"summary": TEXT, "concluded_on": TEXT, "results": results_of},
        ),
    ),
}


def steps_due(round_: Inspection) -> set[str]:
    """The steps of a round that its state leaves open (the domain checks them again)."""
    due = {"conclusion"}
    if round_.kind not in DRAWN_KINDS:
        due.add("assignment")
    else:
        due.add("seed-commitment")
        if round_.co_commitment is None:
            due.add("co-seed-commitment")
        elif round_.co_seed is None:
            due.add("co-seed")
        else:
            due.add("draw")
    return due


@router.get("/inspections")
def inspections(request: Request, viewer: ViewerDep, cursor: Text = None) -> Response:
    """督查活动: every round, newest first."""
    view = board(viewer.services)
    wait_for_own_writes(viewer, view)
    page = one_page(viewer, lambda: view.page(BoardFilter(), SHOWN, cursor))
    return render(
        request,
        "inspections.html",
        viewer,
        items=page.items,
        next_cursor=page.next_cursor,
        may_launch=viewer.may(ORGANISERS),
    )


def launch_form(
    request: Request, viewer: Viewer, refused: FormError | None = None, form: Form | None = None
) -> Response:
    kinds = [k for k in InspectionKind if k is not InspectionKind.MARKET_RANDOM]
    values, chosen = (form.values(), set(form.getlist("units"))) if form else ({}, set())
    return creation_form(
        request, viewer, "inspection_new.html", values, refused, kinds=kinds, chosen=chosen
    )


# 启动督查活动: the form, then the round launched and its page shown.
creation_routes(
    router, "/inspections", ORGANISERS, launch_form, LAUNCH, "/inspections/{}?done=launched".format
)


def load(viewer: Viewer, inspection_id: str) -> Inspection:
    """A round (every signed-in account may read every round: 一公开)."""
    try:
        return viewer.services.app.get_inspection(UUID(inspection_id))
    except (ValueError, NotFound):
        raise PageError(404, "未找到该督查活动。", viewer) from None


def entity_names(viewer: Viewer, round_: Inspection) -> dict[str, str]:
    """A market round's entities by name (from the 检查对象名录库); none for other rounds."""
    if round_.kind is not InspectionKind.MARKET_RANDOM:
        return {}
    view = viewer.services.view("spot_checks", SpotCheckView)
    return view.entity_names(round_.population)


def inspection_page(
    request: Request, viewer: Viewer, inspection_id: str, refusal: Refusal | None = None
) -> Response:
    """A round: its scope, pool and rules, the draw's inputs, the units and teams, the draw
    checked again from the stored events, its timeline, and the viewer's steps."""
    round_ = load(viewer, inspection_id)
    due = steps_due(round_)
    refused = refusal.action if refusal else None
    actions = [a for a in offered(viewer, ACTIONS, round_.status) if a in due or a == refused]
    verdict = verify_draw(viewer.services, round_.id) if round_.seed is not None else None
    return record_page(
        request,
        "inspection.html",
        viewer,
        actions,
        refusal,
        round_.version,
        round=round_,
        verdict=verdict,
        entities=entity_names(viewer, round_),
        events=[event_out(e) for e in viewer.services.app.aggregate_history(round_.id)],
    )


record_routes(router, "/inspections/{inspection_id}", inspection_page, load, ACTIONS)
