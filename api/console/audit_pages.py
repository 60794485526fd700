"""Audit (审计, auditors and admins): the chain's verification, signed checkpoints, and the
offline-verifiable export bundle."""

from __future__ import annotations

import json
import logging
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.console.web import AUDITORS, FormDep, PageError, ViewerDep, redirect, render
from domain.errors import NotFound
from infra.bundle import MEDIA_TYPE, Export
from infra.checkpoints import CheckpointConflict, EmptyLog, newest_checkpoints
from infra.receipts import ReceiptPending, ReceiptUnavailable, make_receipt, position_of

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
SHOWN_CHECKPOINTS = 500


def audit_page(
    request: Request, viewer: ViewerDep, error: str | None = None, status: int = 200
) -> Response:
    services = viewer.services
    result = services.audit_verdict()
    checkpoints = newest_checkpoints(services.database, SHOWN_CHECKPOINTS)
    return render(
        request,
        "audit.html",
        viewer,
        status=status,
        verification=result,
        algorithm=services.settings.hash_algorithm,
        checkpoints=checkpoints,
        shown=SHOWN_CHECKPOINTS,
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


@router.get("/receipts/{aggregate_id}/{version}")
def receipt_download(viewer: ViewerDep, aggregate_id: UUID, version: int) -> Response:
    """回执: one step's receipt (as GET /api/v1/audit/receipts/{position}), as a file to
    keep — for the account that recorded the step, and for auditors and administrators."""
    services = viewer.services
    missing = PageError(404, "未找到该步骤，或您无权下载其回执。", viewer)
    try:
        history = services.app.aggregate_history(aggregate_id)
    except NotFound:
        raise missing from None
    if not 1 <= version <= len(history):
        raise missing
    if not viewer.actor.keeps_receipt_of(getattr(history[version - 1], "actor", None)):
        raise missing
    position = position_of(services.database, aggregate_id, version)
    try:
        receipt = make_receipt(services.database, services.settings.hash_algorithm, position or 0)
    except ReceiptPending:
        raise PageError(
            409, "该步骤尚未被已签署的检查点覆盖，下一个检查点签署后即可下载回执。", viewer
        ) from None
    except ReceiptUnavailable as error:
        log.error("receipt refused: the stored Merkle tree disagrees", extra={"error": str(error)})
        raise PageError(
            409, "存储的默克尔树与已签署的根不一致，请联系审计人员核查。", viewer
        ) from None
    if receipt is None:
        raise missing
    return Response(
        json.dumps(receipt, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="receipt-{position}.json"'},
    )
