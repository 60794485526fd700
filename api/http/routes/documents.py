"""Issued documents (公文, issue 17 items 2–3, ADR 034): `POST /api/v1/documents` issues one
(督办通知书, 整改通知书, 情况通报, 年度考评报告, 问责决定书, 容错免责认定书) under its kind's
next 发文字号; `GET /api/v1/documents` lists them; `GET /api/v1/documents/{id}` returns the
issued bytes (PDF or Word), hashed again against the event before they are sent."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import Query
from fastapi.responses import Response

from api.http.command_routes import Route, mount
from api.http.deps import Cursor, Limit, Reader, ServicesDep, reached
from api.http.errors import ApiError
from api.http.presentation import check_query_text
from api.http.read_schemas import DocumentPage
from api.http.routes.files import binary, checked
from api.http.routing import Router
from api.http.schemas import DocumentIssue
from api.runtime.bootstrap import Services
from api.runtime.documents import Erased, document_bytes
from domain.actors import Actor
from domain.documents import IssuedDocument
from domain.errors import NotFound
from domain.findings import Finding
from domain.registry import IssueDocument
from domain.rulings import Ruling
from domain.vocabulary import Role
from infra.documents.compose import FORMATS
from projections.evidence import EvidenceView

router = Router(prefix="/api/v1/documents", tags=["documents"])
mount(router, {IssueDocument: Route(DocumentIssue)})
Format = Literal["pdf", "docx"]


def readable(services: Services, document: IssuedDocument, actor: Actor) -> bool:
    """Whoever may read the document's record: a finding's or a ruling's readers (a unit
    account: its own unit's), a unit's report its unit and every other role, a county's
    bulletin everyone signed in, a group's bulletin the group's units and every other role
    (one recorded before its units were: no unit)."""
    kind, key = document.record["kind"], str(document.record["id"])
    if kind == "group":
        units = document.record.get("units", ())
        return actor.role is not Role.UNIT or any(actor.covers_unit(code) for code in units)
    try:
        if kind == "finding":
            services.app.get_record(Finding, UUID(key), viewer=actor)
        elif kind == "ruling":
            services.app.get_record(Ruling, UUID(key), viewer=actor)
        elif kind == "unit":
            return actor.role is not Role.UNIT or key in actor.unit_scope
    except NotFound:
        return False
    return True


def issued(services: Services, document_id: UUID, actor: Actor) -> IssuedDocument:
    try:
        document = loaded(services, document_id)
    except NotFound:
        document = None
    if document is None or not readable(services, document, actor):
        raise ApiError(404, "not_found", f"document {document_id} not found")
    return document


@router.get("", response_model=DocumentPage, dependencies=[reached("evidence")])
def list_documents(
    services: ServicesDep,
    actor: Reader,
    record_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """公文: the issued documents, the latest first; `record_id` (a finding's or ruling's
    id, a unit's code, a bulletin's period) narrows them to one record's. A unit account
    names a record of its own."""
    if record_id is not None:
        check_query_text(record_id)
    if actor.role is Role.UNIT and record_id is None:
        raise ApiError(422, "validation_error", "a unit account lists one record's documents")
    page = services.view("evidence", EvidenceView).document_page(record_id, limit, cursor)
    items = page.items
    if actor.role is Role.UNIT:  # one record's documents: all readable, or none
        items = [i for i in items if readable(services, loaded(services, i["id"]), actor)]
    return {"items": items, "next_cursor": page.next_cursor}


def loaded(services: Services, document_id: Any) -> IssuedDocument:
    return services.app.get_record(IssuedDocument, UUID(str(document_id)))


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={
        **binary("the issued document's exact bytes", FORMATS["pdf"]),
        410: {"description": "the person the document names was shredded: the copy is gone"},
    },
)
def download_document(
    document_id: UUID,
    services: ServicesDep,
    actor: Reader,
    format: Format = "pdf",
) -> Response:
    """下载公文: the bytes issued (`format`: pdf or docx), checked against the hash the
    `IssuedDocument.Issued` event records (409 `file_corrupted` when they no longer match).
    A ruling's document whose person's data was shredded is gone: 410
    `personal_data_erased` (issue it anew: the new one says the data was deleted)."""
    document = issued(services, document_id, actor)
    try:
        data = checked(lambda: document_bytes(services, document, format), document.number)
    except Erased:
        raise ApiError(
            410,
            "personal_data_erased",
            "the person this document names has had their personal data deleted; the issued "
            "copy is gone (a document issued anew says so)",
        ) from None
    name = f"{document.number}.{format}"
    return Response(
        data,
        media_type=FORMATS[format],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "ETag": f'"{document.files[format]["sha256"]}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
