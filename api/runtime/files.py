"""Evidence files between HTTP (or the console) and the store (issue 17 item 1, ADR 033):
receive an upload — every file checked before any is kept —, serve one back to those who may
read a record citing it, hashed again on the way out, and collect those no event cites after
their grace period."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO
from uuid import UUID

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.errors import NotFound
from domain.findings import Finding
from domain.major_decisions import MajorDecision
from domain.vocabulary import Role
from infra.files import (
    Upload,
    forget_upload,
    hash_file,
    key_of,
    read_verified,
    record_upload,
    uploaded_before,
    uploads_of,
)
from infra.uploads import Limits, Refused, accept
from projections.evidence import DECISION, FINDING, EvidenceView
from projections.registry import PROJECTIONS
from projections.runner import catch_up

log = logging.getLogger("supervision.files")
MB = 1024 * 1024
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
    data: bytes
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
        services.files.put(key, incoming.body)
        upload = Upload(
            key, sha256, size, accepted.content_type, accepted.name, actor.id,
            actor.unit_code if actor.role is Role.UNIT else None, None, now,
        )  # fmt: skip
        record_upload(services.database, upload)
        log.info("file_uploaded", extra={"sha256": sha256, "size": size, "by": actor.id})
        answer.append(
            {"name": accepted.name, "sha256": sha256, "size": size,
             "content_type": accepted.content_type}
        )  # fmt: skip
    return answer


def may_read(services: Services, sha256: str, uploads: list[Upload], actor: Actor) -> bool:
    """The uploader, or whoever may read a record citing the file: anyone but a unit's
    liaison reads every record; a liaison those of its unit (and of units merged into it)."""
    if any(u.uploaded_by == actor.id for u in uploads):
        return True
    if actor.role is Role.UNIT and any(u.unit_code in actor.unit_scope for u in uploads):
        return True
    citing = services.view("evidence", EvidenceView).citing(sha256)
    if actor.role is not Role.UNIT:
        return bool(citing) or actor.role is Role.ADMIN
    return any(readable(services, record_id, kind, actor) for record_id, kind in citing)


def readable(services: Services, record_id: UUID, kind: str, actor: Actor) -> bool:
    """The record is one the actor may read (a liaison: of its unit's scope)."""
    try:
        services.app.get_record(RECORDS[kind], record_id, viewer=actor)
    except NotFound:
        return False
    return True


def serve(services: Services, sha256: str, actor: Actor) -> Served:
    """The file's bytes, checked against its hash; `NotFound` for a file the actor may not
    read, or that was never uploaded (one answer for both), `CorruptFile` for bytes that no
    longer match."""
    sha256 = sha256.lower()
    uploads = [u for u in uploads_of(services.database, sha256) if u.subject_id is None]
    if not uploads or not may_read(services, sha256, uploads, actor):
        raise NotFound(f"no file {sha256} you may read")
    data = read_verified(services.files, key_of(sha256))
    names = services.view("evidence", EvidenceView).cited_names(sha256)
    return Served(data, names[0] if names else uploads[0].name, uploads[0].content_type, sha256)


def collect(services: Services, now: datetime, grace_hours: float) -> int:
    """Delete the uploads older than the grace period that no event cites; how many. The
    citations are read after the read model has caught up with the log's head, so a file
    cited a moment ago is kept."""
    catch_up(services.app, services.datastore, EVIDENCE, services.settings.read_wait_seconds)
    citations = services.view("evidence", EvidenceView)
    before, after, collected = now - timedelta(hours=grace_hours), None, 0
    while batch := uploaded_before(services.database, before, after):
        cited = citations.cited_among(u.sha256 for u in batch)
        for upload in batch:
            if upload.sha256 in cited:
                continue
            services.files.delete(upload.key)
            forget_upload(services.database, upload.key)
            collected += 1
            log.info("file_collected", extra={"sha256": upload.sha256, "file_name": upload.name})
        after = (batch[-1].uploaded_at, batch[-1].key)
    log.info("files_collected", extra={"collected": collected, "before": before.isoformat()})
    return collected
