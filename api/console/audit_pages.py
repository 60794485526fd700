"""Audit (审计, auditors and admins): the chain's verification, signed checkpoints, and the
offline-verifiable export bundle."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.console.web import AUDITORS, FormDep, ViewerDep, redirect, render
from infra.bundle import MEDIA_TYPE, Export
from infra.checkpoints import CheckpointConflict, EmptyLog, list_checkpoints

router = APIRouter(include_in_schema=False)
SHOWN_CHECKPOINTS = 500


def audit_page(
    request: Request, viewer: ViewerDep, error: str | None = None, status: int = 200
) -> Response:
    services = viewer.services
    result = services.audit_verdict()
    checkpoints = list_checkpoints(services.database, SHOWN_CHECKPOINTS)
    return render(
        request,
        "audit.html",
        viewer,
        status=status,
        verification=result,
        algorithm=services.settings.hash_algorithm,
        checkpoints=list(reversed(checkpoints)),
        error=error,
    )


@router.get("/audit")
def audit(request: Request, viewer: ViewerDep) -> Response:
    """审计: the whole chain recomputed from the first event, and the signed checkpoints."""
    viewer.require(AUDITORS)
    return audit_page(request, viewer)


@router.post("/audit/checkpoints")
def create_checkpoint(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Sign the chain's head now (as POST /api/v1/audit/checkpoints)."""
    viewer.require(AUDITORS)
    try:
        viewer.services.checkpoint()
    except EmptyLog:
        return audit_page(request, viewer, "事件日志为空，无需签署检查点。", 409)
    except CheckpointConflict:
        return audit_page(request, viewer, "哈希链与已签署的检查点不一致，请立即核查！", 409)
    return redirect("/audit?done=checkpoint")


@router.get("/audit/export")
async def export_bundle(viewer: ViewerDep) -> StreamingResponse:
    """The offline-verifiable bundle (as GET /api/v1/audit/export), streamed."""
    viewer.require(AUDITORS)
    bundle = await run_in_threadpool(Export, viewer.services.database)
    filename = f"supervision-audit-{bundle.head_index}.jsonl"
    return StreamingResponse(
        bundle.chunks(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
