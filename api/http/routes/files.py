"""Evidence files (issue 17 item 1, ADR 033): `POST /api/v1/files` keeps uploaded files by
their SHA-256 and answers what an evidence list cites them by; `GET /api/v1/files/{sha256}`
returns a file's bytes, hashed again on the way out, to whoever may read a record citing it
(or uploaded it); `…/thumbnail` a small PNG of an image."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import IO, Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Path, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api.http.deps import ActorDep, ServicesDep, reached, require
from api.http.errors import ApiError
from api.http.read_schemas import UploadAnswer
from api.http.routing import Router
from api.runtime.files import Incoming, Served, receive, serve, thumbnail
from domain.actors import Actor
from domain.vocabulary import Role
from infra.files import CHUNK, CorruptFile, FileMissing
from infra.uploads import Refused

log = logging.getLogger("supervision.files")
T = TypeVar("T")
router = Router(prefix="/api/v1/files", tags=["files"])
UPLOADERS = (Role.INSPECTOR, Role.UNIT, Role.ADMIN, Role.AUTHORITY, Role.SUPERVISOR)
Uploader = Annotated[Actor, Depends(require(*UPLOADERS))]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="the file's SHA-256")]
MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=UploadAnswer,
    openapi_extra=MULTIPART,
    responses={415: {"description": "not multipart, or a file of a type not kept"}},
)
async def upload_files(request: Request, services: ServicesDep, actor: Uploader) -> Any:
    """上传证据材料: one or more parts named `file` (multipart/form-data). Each file's type is
    read from its bytes; every file is checked before any is kept. The answer's items are
    what evidence lists cite (`name`, `sha256`, `size`)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "upload files as multipart/form-data")
    most = services.settings.upload_max_files
    try:
        form = await request.form(max_files=most + 1, max_fields=10)
    except HTTPException as error:  # the multipart parser's refusal, or the body limit's
        raise parser_refusal(error, most) from None
    try:
        parts = [p for p in form.getlist("file") if isinstance(p, UploadFile)]
        incoming = [Incoming(part.filename, part.file) for part in parts]
        return {"files": await run_in_threadpool(receive, services, incoming, actor)}
    except Refused as refused:
        log.info("upload_refused", extra={"code": refused.code, "by": actor.id})
        raise ApiError(refused.status, refused.code, str(refused)) from None
    finally:
        await form.close()


def parser_refusal(error: HTTPException, most: int) -> Exception:
    """What the multipart parser's refusal means: the body limit's 413 as it is; too many
    files (the parser stops at one past the limit) 413 `too_many_files`; else 400."""
    if error.status_code == 413:
        return error
    if str(error.detail).startswith("Too many files"):
        return ApiError(413, "too_many_files", f"one upload carries at most {most} files")
    return ApiError(400, "bad_request", str(error.detail))


def checked(load: Callable[[], T], what: str) -> T:
    """`load()`'s stored bytes, or the clear error of a file that no longer matches its hash
    (409 `file_corrupted`) or whose bytes are gone (409 `file_missing`)."""
    try:
        return load()
    except CorruptFile as corrupt:
        raise ApiError(
            409,
            "file_corrupted",
            "the stored file's bytes no longer match the SHA-256 the record cites; it is not "
            "served (restore it from a backup)",
            details={"sha256": corrupt.digest, "found": corrupt.found},
        ) from None
    except FileMissing:
        log.error("file_missing", extra={"what": what})
        raise ApiError(
            409, "file_missing", "the file was recorded but its bytes are missing from the store"
        ) from None


def served(services: Any, sha256: str, actor: Actor) -> Served:
    return checked(lambda: serve(services, sha256, actor), sha256)


def attachment(name: str) -> str:
    """Content-Disposition for a name that stays text (RFC 6266 with RFC 5987's filename*)."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name)}"


def binary(description: str, media_type: str = "application/octet-stream") -> Any:
    """The OpenAPI answer of a route that returns a file's bytes."""
    schema = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"content": {media_type: schema}, "description": description}}


@router.get(
    "/{sha256}",
    response_class=Response,
    responses=binary("the file's bytes, of the type they were read to be"),
    dependencies=[reached("evidence")],
)
def download_file(sha256: Sha256, services: ServicesDep, actor: ActorDep) -> Response:
    """下载证据材料: the file's bytes, hashed again before they are sent (409
    `file_corrupted` when they no longer match). 404 for a file never uploaded or one the
    caller may not read (its uploader, or whoever may read a record citing it)."""
    file = served(services, sha256, actor)
    return streamed(
        file.body,
        file.content_type,
        {
            "Content-Disposition": attachment(file.name),
            "ETag": f'"{file.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "no-store",
        },
    )


def streamed(body: IO[bytes], media_type: str, headers: dict[str, str]) -> StreamingResponse:
    """A verified file sent in chunks, closed once sent."""

    def chunks() -> Iterator[bytes]:
        with body:
            yield from iter(lambda: body.read(CHUNK), b"")

    # Closed once sent, or when the client went before the body started.
    closing = BackgroundTask(body.close)
    return StreamingResponse(chunks(), media_type=media_type, headers=headers, background=closing)


@router.get(
    "/{sha256}/thumbnail",
    response_class=Response,
    responses=binary("a PNG thumbnail", "image/png"),
    dependencies=[reached("evidence")],
)
def file_thumbnail(sha256: Sha256, services: ServicesDep, actor: ActorDep) -> Response:
    """缩略图: a PNG of at most 240×240 pixels of an image file (404 for other files, 422
    `unreadable_image` for one that cannot be decoded)."""
    try:
        data = checked(lambda: thumbnail(services, sha256, actor), sha256)
    except Refused as refused:
        raise ApiError(refused.status, refused.code, str(refused)) from None
    return Response(
        data,
        media_type="image/png",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
