"""Evidence files and documents in the console (issue 17 item 4): the upload a form's
drop zone sends (static/evidence-upload.js), a file and its thumbnail for those who may read
it, the 生成 buttons that issue a document about a finding, a ruling, a unit or the county,
and its 下载 links."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api.console.web import (
    OPTIONAL,
    TEXT,
    Form,
    FormCommand,
    FormDep,
    FormError,
    PageError,
    Viewer,
    ViewerDep,
    after_command,
    behind,
    local_path,
    waited_for,
)
from api.http.errors import ApiError
from api.http.routes.documents import issued
from api.http.routes.files import UPLOADERS, attachment, checked, parser_refusal, streamed
from api.runtime.documents import Erased, document_bytes
from api.runtime.files import Incoming, receive, serve, thumbnail
from domain.documents import KINDS
from domain.errors import NotFound
from domain.registry import IssueDocument
from domain.vocabulary import DocumentKind, Role
from infra.documents.compose import FORMATS
from infra.files import DIGEST
from infra.uploads import Refused
from projections.evidence import EvidenceView

T = TypeVar("T")
log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CITATIONS = ("evidence",)  # the read model of who cites a file: whoever may read it
REFUSED_FILE = "没有这个文件，或您无权查看。"
ISSUE = FormCommand(
    IssueDocument,
    {name: OPTIONAL for name in ("finding_id", "ruling_id", "unit_code", "year", "period")}
    | {"kind": TEXT},
)
REFUSED = {
    "file_too_large": "文件过大",
    "too_many_files": "一次上传的文件过多",
    "unsupported_file_type": "不支持的文件类型（可上传图片、PDF、Word、Excel、MP4）",
    "file_type_mismatch": "文件扩展名与文件内容不符",
    "unsafe_file": "文件不安全（解压后过大或图片尺寸过大），已拒收",
    "empty_file": "文件为空",
    "no_files": "请选择要上传的文件",
}


def evidence(form: Form, name: str) -> list[Any]:
    """The files a form's drop zone kept: each hidden `evidence` field holds one as JSON
    ({name, sha256, size}); one that is not JSON fails the body's check (422)."""
    cited = []
    for value in form.getlist(name):
        try:
            cited.append(json.loads(value))
        except ValueError:
            cited.append({"invalid": value})
    return cited


def refused(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "refused", "message": message, "details": None}}, status_code=status
    )


@router.post("/files")
async def upload(request: Request, viewer: ViewerDep) -> Response:
    """上传证据材料 from a form's drop zone: the API's upload, checked by the session's CSRF
    token; the answer is the API's (what the form's hidden fields cite), or a reason in
    Chinese."""
    if viewer.role not in UPLOADERS:
        return refused(403, "当前账号不能上传证据材料。")
    most = viewer.services.settings.upload_max_files
    try:
        form = await request.form(max_files=most + 1, max_fields=10)
    except HTTPException as error:
        answer = parser_refusal(error, most)
        if isinstance(answer, ApiError) and answer.code == "too_many_files":
            return refused(413, f"一次最多上传 {most} 个文件。")
        if error.status_code == 413:
            return refused(413, "上传的文件总量过大。")
        return refused(400, "上传内容无法读取，请重试。")
    try:
        csrf = form.get("csrf_token")
        if not isinstance(csrf, str) or not viewer.session.csrf_matches(csrf):
            return refused(403, "页面已过期或来源不明（安全校验未通过），请刷新页面后重试。")
        parts = [p for p in form.getlist("file") if isinstance(p, UploadFile)]
        incoming = [Incoming(part.filename, part.file) for part in parts]
        kept = await run_in_threadpool(receive, viewer.services, incoming, viewer.actor)
    except Refused as error:
        # The page says why in Chinese; the technical detail goes to the log.
        log.info("upload refused", extra={"code": error.code, "detail": str(error)})
        reason = REFUSED.get(error.code, "文件未能上传")
        if error.code == "file_too_large":
            reason += f"（单个文件不超过 {viewer.services.settings.upload_max_file_mb} MB）"
        return refused(error.status, reason + "。")
    finally:
        await form.close()
    return JSONResponse({"files": kept}, status_code=201)


@router.get("/files/{sha256}")
async def download(sha256: str, viewer: ViewerDep) -> Response:
    """A file the viewer may read (its uploader, or a reader of a record citing it)."""
    file = await console_file(viewer, lambda: serve(viewer.services, sha256, viewer.actor), sha256)
    return streamed(
        file.body,
        file.content_type,
        {
            "Content-Disposition": attachment(file.name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@router.get("/files/{sha256}/thumbnail")
async def thumbnail_of(sha256: str, viewer: ViewerDep) -> Response:
    """缩略图 of an image the viewer may read."""
    data = await console_file(
        viewer, lambda: thumbnail(viewer.services, sha256, viewer.actor), sha256
    )
    return Response(data, media_type="image/png")


async def console_file(viewer: Viewer, load: Callable[[], T], sha256: str) -> T:
    """What `load` answers of a file, or the page saying why not, in Chinese.

    A record's page reads its events, so it links a file the moment a report cites it; but
    who may read the file is known from its citations in the evidence read model
    (api/runtime/files.py `may_read`), and a viewer who did not make that write has no
    position of it to wait for (ADR 009). So a file refused while that read model is behind
    is asked for again once it has processed the head of the log as it was then (waiting
    as `min_position` does); one it does not reach in time is a 503 saying so, never a
    404 for a file the page has just shown. An up-to-date read model costs a refusal one
    query for the head and one for its position."""
    if not DIGEST.match(sha256.lower()):
        raise PageError(404, "没有这个文件。", viewer)
    try:
        return await run_in_threadpool(file_or_page, viewer, load, sha256)
    except NotFound:
        head = await run_in_threadpool(behind, viewer.services, CITATIONS)
        if head is None:
            raise PageError(404, REFUSED_FILE, viewer) from None
    if not await waited_for(viewer.services, CITATIONS, head, viewer.actor.id):
        raise PageError(503, "数据正在同步，请稍后重试。", viewer)
    try:
        return await run_in_threadpool(file_or_page, viewer, load, sha256)
    except NotFound:
        raise PageError(404, REFUSED_FILE, viewer) from None


def file_or_page(viewer: Viewer, load: Callable[[], T], sha256: str) -> T:
    """What `load` answers of a file (`NotFound` for one the viewer may not read, or that
    was never uploaded), or the page saying why it cannot be given, in Chinese."""
    try:
        return checked(load, sha256)
    except Refused as refusal:  # a thumbnail of what is not an image, or cannot be decoded
        raise PageError(
            refusal.status, "该文件没有缩略图（不是图片或无法解码）。", viewer
        ) from None
    except ApiError:  # the bytes no longer match their hash, or are gone
        message = "文件与记录的哈希值不符或已缺失，已拒绝提供（请联系管理员从备份恢复）。"
        raise PageError(409, message, viewer) from None


@router.post("/documents")
def issue_document(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """生成公文: a document about the record the button stands beside, then back to it."""
    back = local_path(form.optional("back"), "/")
    try:
        answer = ISSUE.run(request, viewer, form)
    except FormError as error:
        raise PageError(error.status, f"公文未能生成：{error.message}", viewer) from None
    return after_command(request, viewer, answer, back.split("#")[0] + "#documents")


@router.get("/documents/{document_id}")
def download_document(document_id: UUID, viewer: ViewerDep, format: str = "pdf") -> Response:
    """下载公文 (PDF or Word)."""
    if format not in FORMATS:
        raise PageError(404, "没有这种格式的公文。", viewer)
    try:
        document = issued(viewer.services, document_id, viewer.actor)
        data = checked(lambda: document_bytes(viewer.services, document, format), str(document_id))
    except Erased:
        raise PageError(410, "当事人个人信息已依法删除，该公文原件不再提供。", viewer) from None
    except ApiError as error:
        if error.status == 404:
            raise PageError(404, "没有这份公文，或您无权查看。", viewer) from None
        raise PageError(409, "公文文件与记录的哈希值不符，已拒绝提供。", viewer) from None
    return Response(
        data,
        media_type=FORMATS[format],
        headers={"Content-Disposition": attachment(f"{document.number}.{format}")},
    )


def documents_of(viewer: Viewer, record_id: str) -> list[dict[str, Any]]:
    """The documents issued about a record, for its page (what the viewer may read)."""
    page = viewer.services.view("evidence", EvidenceView).document_page(record_id, 100, None)
    return page.items


def issuable(viewer: Viewer, *kinds: DocumentKind) -> list[tuple[str, str]]:
    """Of `kinds`, those the viewer may issue: (kind, label)."""
    role: Role = viewer.role
    return [(k.value, k.label) for k in kinds if role in KINDS[k].roles]
