"""Evidence files between HTTP (or the console) and the store (issue 17 item 1, ADR 033):
receive an upload — every file checked before any is kept —, serve one back to those who may
read a record citing it, hashed again on the way out, and collect those no event cites after
their grace period."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO
from uuid import UUID

from PIL import Image

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.errors import NotFound
from domain.findings import Finding
from domain.major_decisions import MajorDecision
from domain.vocabulary import Role
from infra.files import (
    Upload,
    claim_uncited,
    hash_file,
    key_locked,
    key_of,
    mark_cited,
    open_verified,
    record_upload,
    uncited_before,
    uploads_of,
)
from infra.uploads import IMAGES, Limits, Refused, accept
from projections.evidence import DECISION, FINDING, EvidenceView
from projections.registry import PROJECTIONS
from projections.runner import catch_up

log = logging.getLogger("supervision.files")
MB = 1024 * 1024
THUMBNAIL_PIXELS = 240
EVIDENCE = [spec for spec in PROJECTIONS if spec.name == "evidence"]
RECORDS: dict[str, type[Finding] | type[MajorDecision]] = {
    FINDING: Finding,
    DECISION: MajorDecision,
}


@dataclass(frozen=True)
class Incoming:
    """A file as the request brought it: the name the client gave and its spooled bytes."""

    name: str | None
    body: IO[bytes]


@dataclass(frozen=True)
class Served:
    body: IO[bytes]  # verified, from its start; the caller closes it
    name: str
    content_type: str
    sha256: str


def limits_of(services: Services) -> Limits:
    s = services.settings
    return Limits(
        max_file_bytes=s.upload_max_file_mb * MB,
        max_unpacked_bytes=s.upload_max_unpacked_mb * MB,
        max_pixels=s.upload_max_pixels,
    )


def receive(services: Services, files: list[Incoming], actor: Actor) -> list[dict[str, object]]:
    """Check every file, then keep them all: what evidence lists cite them by."""
    if not files:
        raise Refused(422, "no_files", "the request carries no file (a part named `file`)")
    if len(files) > services.settings.upload_max_files:
        raise Refused(
            413,
            "too_many_files",
            f"one upload carries at most {services.settings.upload_max_files} files",
        )
    checked = []
    for incoming in files:
        incoming.body.seek(0)
        sha256, size = hash_file(incoming.body)
        accepted = accept(incoming.body, incoming.name, size, limits_of(services))
        checked.append((incoming, sha256, size, accepted))
    now = services.clock.now()
    answer: list[dict[str, object]] = []
    for incoming, sha256, size, accepted in checked:
        key = key_of(sha256)
        upload = Upload(
            key, sha256, size, accepted.content_type, accepted.name, actor.id,
            actor.unit_code if actor.role is Role.UNIT else None, None, now,
        )  # fmt: skip
        with key_locked(services.database, key) as conn:
            services.files.put(key, incoming.body)
            record_upload(conn, upload)
        log.info("file_uploaded", extra={"sha256": sha256, "size": size, "by": actor.id})
        answer.append(
            {"name": accepted.name, "sha256": sha256, "size": size,
             "content_type": accepted.content_type}
        )  # fmt: skip
    return answer


def may_read(services: Services, sha256: str, uploads: list[Upload], actor: Actor) -> bool:
    """Its uploader; a liaison of an uploading unit; or whoever may read a record citing the
    file — anyone but a unit's liaison reads every record, a liaison those of its unit (and
    of units merged into it), and then only through citations made by someone other than a
    liaison: a file's hash is no secret, and citing someone else's file in one's own report
    gives no right to read it."""
    if any(u.uploaded_by == actor.id for u in uploads):
        return True
    if actor.role is Role.UNIT and any(u.unit_code in actor.unit_scope for u in uploads):
        return True
    citations = services.view("evidence", EvidenceView)
    if actor.role is not Role.UNIT:
        return bool(citations.citing(sha256)) or actor.role is Role.ADMIN
    citing = citations.citing(sha256, by_unit=False)
    return any(readable(services, record_id, kind, actor) for record_id, kind in citing)


def readable(services: Services, record_id: UUID, kind: str, actor: Actor) -> bool:
    """The record is one the actor may read (a liaison: of its unit's scope)."""
    try:
        services.app.get_record(RECORDS[kind], record_id, viewer=actor)
    except NotFound:
        return False
    return True


def readable_uploads(services: Services, sha256: str, actor: Actor) -> list[Upload]:
    """The file's uploads, when the actor may read it; `NotFound` for a file the actor may
    not read or that was never uploaded (one answer for both)."""
    sha256 = sha256.lower()
    uploads = [u for u in uploads_of(services.database, sha256) if u.subject_id is None]
    if not uploads or not may_read(services, sha256, uploads, actor):
        raise NotFound(f"no file {sha256} you may read")
    return uploads


def serve(services: Services, sha256: str, actor: Actor) -> Served:
    """The file, its bytes checked against its hash as they are copied out (`CorruptFile`
    when they no longer match), under the name it was uploaded with; the caller closes
    `body`."""
    uploads = readable_uploads(services, sha256, actor)
    own = [u.name for u in uploads if u.uploaded_by == actor.id]
    cited = services.view("evidence", EvidenceView).cited_names(sha256)
    name = (own or cited or [uploads[0].name])[0]  # never another account's own name for it
    body = open_verified(services.files, key_of(sha256.lower()))
    return Served(body, name, uploads[0].content_type, sha256.lower())


def thumbnail(services: Services, sha256: str, actor: Actor) -> bytes:
    """缩略图: a PNG of at most 240×240 pixels of an image the actor may read, made once and
    kept beside the file; `Refused` for a file that is not an image, or one that cannot be
    decoded."""
    uploads = readable_uploads(services, sha256, actor)
    if uploads[0].content_type not in IMAGES:
        raise Refused(404, "not_found", "only images have thumbnails")
    kept = thumbnail_key(sha256)
    if services.files.exists(kept):
        with services.files.open(kept) as stored:
            return stored.read()
    with open_verified(services.files, key_of(sha256.lower())) as original:
        try:
            with Image.open(original) as image:
                image.draft("RGB", (THUMBNAIL_PIXELS * 2, THUMBNAIL_PIXELS * 2))  # JPEG: less
                image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                out = io.BytesIO()
                image.convert("RGBA").save(out, format="PNG")
        except (OSError, SyntaxError, Image.DecompressionBombError) as error:
            log.warning("thumbnail_failed", extra={"sha256": sha256, "error": str(error)})
            raise Refused(
                422, "unreadable_image", f"the image cannot be decoded: {error}"
            ) from None
    services.files.put(kept, io.BytesIO(out.getvalue()))
    return out.getvalue()


def thumbnail_key(sha256: str) -> str:
    key_of(sha256.lower())  # a hash, nothing else
    return f"thumbnails/{sha256.lower()}.png"


def collect(services: Services, now: datetime, grace_hours: float, page: int = 500) -> int:
    """Delete the files uploaded longer ago than the grace period that no event cites; how
    many. Each page of candidates is read after the read model has caught up with the
    log's head, so a file cited a moment ago is kept; a file found cited is marked so, and
    never looked at again (an event is never undone)."""
    citations = services.view("evidence", EvidenceView)
    before, after, collected = now - timedelta(hours=grace_hours), None, 0
    while True:
        catch_up(services.app, services.datastore, EVIDENCE, services.settings.read_wait_seconds)
        batch = uncited_before(services.database, before, after, page)
        if not batch:
            break
        cited = citations.cited_among(sha256 for _, sha256, _ in batch)
        mark_cited(services.database, [key for key, sha256, _ in batch if sha256 in cited])
        for key, sha256, _ in batch:
            if sha256 in cited:
                continue
            with key_locked(services.database, key) as conn:
                if not claim_uncited(conn, key, before):
                    continue  # uploaded again meanwhile
                services.files.delete(key)
                services.files.delete(thumbnail_key(sha256))
            collected += 1
            log.info("file_collected", extra={"sha256": sha256})
        key, _, last = batch[-1]
        after = (last, key)
    log.info("files_collected", extra={"collected": collected, "before": before.isoformat()})
    return collected
