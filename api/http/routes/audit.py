"""Audit (auditors, admins): the event log in global order with its hash chain, the
verification of the whole chain from the first event, and signed checkpoints of its head."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from typing_extensions import TypedDict

from api.http.deps import Cursor, Limit, Reader, ServicesDep, require
from api.http.errors import ApiError
from api.http.presentation import event_out
from api.http.read_schemas import Answer, EventItem, Instant
from api.http.routing import Router
from api.http.schemas import Body
from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.vocabulary import Role
from infra.audit import read_log
from infra.bundle import MEDIA_TYPE, Export
from infra.checkpoints import (
    BadCosignature,
    CheckpointConflict,
    EmptyLog,
    NoSuchCheckpoint,
    add_cosignature,
    as_json,
    list_checkpoints,
    list_cosignatures,
)
from infra.merkle_store import prove_consistency, prove_inclusion
from infra.queries import chain_length
from infra.receipts import ReceiptPending, ReceiptUnavailable, make_receipt
from projections.paging import decode_cursor, encode_cursor

log = logging.getLogger(__name__)
router = Router(prefix="/api/v1", tags=["audit"])

Auditor = Annotated[Actor, Depends(require(Role.AUDITOR, Role.ADMIN))]


class LogPlace(Answer):
    """Where a stored event stands: in the global order, the ledger, and its record."""

    position: int
    ledger_index: int | None
    aggregate_id: UUID
    aggregate_type: str | None


class LogEntry(EventItem, LogPlace):
    """A stored event in global order, decoded, with its place in the hash chain."""

    hash: str | None
    prev_hash: str | None


class LogPage(Answer):
    items: list[LogEntry]
    next_cursor: str | None


class BadCheckpoint(TypedDict):
    id: int | None
    index: int | None  # null for a witness's co-signature of a checkpoint the log lacks
    hash: str | None
    problem: str


class ChainVerification(Answer):
    """The whole chain walked from the first event and every signed checkpoint checked
    against the pinned keys (docs/audit.md): ok, or where it first breaks and why."""

    ok: bool
    events_verified: int
    head_index: int
    head_hash: str | None
    first_invalid_index: int | None
    problem: str | None
    checkpoints_verified: int = Field(
        default=0, description="signed checkpoints found on the chain (against the pinned keys)"
    )
    bad_checkpoint: BadCheckpoint | None = Field(
        default=None, description="the first checkpoint that does not hold, and why"
    )


class Checkpoint(Answer):
    """The chain's head at a moment, signed, with the public key that checks the signature;
    since version 2 also the log's id, the checkpoint's place in the checkpoints' own chain
    (`seq`, `prev`) and the Merkle root of the chain up to `index` (docs/audit.md §2)."""

    version: int = Field(description="1: the head only; 2: chained, with the Merkle root")
    log_id: str | None = Field(description="the log's first chain hash (version 2)")
    seq: int | None = Field(description="1 for the log's first checkpoint, then one more each")
    index: int
    hash: str
    root: str | None = Field(description="RFC 9162 Merkle root of chain hashes 1..index")
    prev: str | None = Field(description="H(the previous checkpoint's signed message)")
    created_at: Instant
    algorithm: str
    key_id: str
    signature: str
    public_key: str


class ReceiptEvent(Answer):
    """The event as the chain hashes it (docs/audit.md §1): its stored state (base64), or,
    where that holds a secret, only its hash."""

    index: int
    position: int
    aggregate_id: str
    version: int
    topic: str
    state: str | None
    state_hash: str | None
    prev_hash: str
    hash: str


class Receipt(Answer):
    """Proof that one event was recorded: the event, the first chained checkpoint that
    reaches it, and the RFC 9162 inclusion proof under that checkpoint's root (§8)."""

    format: str
    version: int
    algorithm: str
    event: ReceiptEvent
    checkpoint: Checkpoint
    proof: list[str]


class CosignatureBody(Body):
    """A witness's co-signature of a chained checkpoint (docs/audit.md §9)."""

    public_key: Annotated[str, StringConstraints(max_length=100)] = Field(
        description="the witness's raw Ed25519 public key, base64"
    )
    signature: Annotated[str, StringConstraints(max_length=200)] = Field(
        description="Ed25519 over supervision-cosignature-v1, key id, the checkpoint's digest "
        "and signed_at, base64"
    )
    signed_at: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="when the witness signed: UTC, as checkpoints write their times"
    )


class Cosignature(Answer):
    seq: int
    key_id: str
    public_key: str
    signature: str
    signed_at: Instant


class CosignatureList(Answer):
    items: list[Cosignature]


class CheckpointPage(Answer):
    items: list[Checkpoint]
    next_cursor: str | None


def aggregate_type(first_topic: str | None) -> str | None:
    """`domain.rulings:AccountabilityRuling.Proposed` → `accountability_ruling`."""
    if not first_topic:
        return None
    name = first_topic.partition(":")[2].partition(".")[0]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@router.get("/events", response_model=LogPage)
def list_events(
    services: ServicesDep,
    actor: Auditor,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every event in global order, decoded, with who did it and its chain hashes."""
    start = decode_cursor(cursor) if cursor else after
    rows = read_log(services.datastore, start, limit + 1)
    items = [log_item(services, row) for row in rows[:limit]]
    more = len(rows) > limit
    return {
        "items": items,
        "next_cursor": encode_cursor(rows[limit - 1]["position"]) if more else None,
    }


def log_item(services: ServicesDep, row: dict[str, Any]) -> dict[str, Any]:
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    event = event_out(services.app.mapper.to_domain_event(stored))
    return {
        "position": row["position"],
        "ledger_index": row["ledger_index"],
        "aggregate_id": str(row["originator_id"]),
        "aggregate_type": aggregate_type(row["first_topic"]),
        "version": event["version"],
        "event_type": event["event_type"],
        "event_label": event["event_label"],
        "recorded_at": event["recorded_at"],
        "actor": event["actor"],
        "data": event["data"],
        "hash": bytes(row["hash"]).hex() if row["hash"] is not None else None,
        "prev_hash": bytes(row["prev_hash"]).hex() if row["prev_hash"] is not None else None,
    }


@router.get("/audit/verification", response_model=ChainVerification)
async def verification(services: ServicesDep, actor: Auditor) -> dict[str, Any]:
    """Recompute the whole hash chain from the first event (streaming) and check every
    signed checkpoint against the pinned keys (SUPERVISION_AUDIT_PUBLIC_KEYS, else the
    service's own): the verdict `supervision audit verify --public-key` gives."""
    result = await run_in_threadpool(services.audit_verdict)
    return result.as_dict()


class InclusionProof(Answer):
    """RFC 9162 §2.1.3: the chain row at `index` is leaf `index` of the tree of the first
    `size` rows, whose root is `root` (docs/audit.md §7)."""

    index: int
    size: int
    leaf: str = Field(description="the chain row's hash (the leaf's data), hex")
    root: str
    proof: list[str]


class ConsistencyProof(Answer):
    """RFC 9162 §2.1.4: the tree of the first `from` chain rows is a prefix of the tree of
    the first `to` (docs/audit.md §7)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: int = Field(alias="from")
    to: int
    old_root: str
    new_root: str
    proof: list[str]


def proof_of(services: Services, make: Callable[..., dict[str, Any]], *sizes: int) -> Any:
    """A proof over the chain as it is, or 422 when a size lies past the chain's head."""
    head = chain_length(services.database)
    if max(sizes) > head:
        raise ApiError(
            422, "invalid_value", f"the chain has {head} rows, not {max(sizes)}", {"head": head}
        )
    with services.database.connection() as conn:
        return make(conn, services.settings.hash_algorithm, *sizes)


@router.get("/audit/proofs/inclusion", response_model=InclusionProof)
async def inclusion_proof(
    services: ServicesDep,
    actor: Auditor,
    index: Annotated[int, Query(ge=1, le=2**62)],
    size: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Any:
    """That the chain row at `index` is in the tree of the first `size` rows (default: the
    whole chain): verify with the root a signed checkpoint, a bundle or an earlier proof gave."""
    if size is not None and index > size:
        raise ApiError(422, "invalid_value", "index lies past size", {"index": index})
    tree: int = (
        size if size is not None else await run_in_threadpool(chain_length, services.database)
    )
    return await run_in_threadpool(proof_of, services, prove_inclusion, index, max(tree, index))


@router.get("/audit/proofs/consistency", response_model=ConsistencyProof)
async def consistency_proof(
    services: ServicesDep,
    actor: Auditor,
    from_: Annotated[int, Query(alias="from", ge=1, le=2**62)],
    to: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Any:
    """That the chain's first `from` rows, as an auditor saw them, are a prefix of its first
    `to` rows (default: the whole chain now): the log was extended, never rewritten."""
    if to is not None and from_ > to:
        raise ApiError(422, "invalid_value", "from lies past to", {"from": from_})
    now: int = to if to is not None else await run_in_threadpool(chain_length, services.database)
    return await run_in_threadpool(proof_of, services, prove_consistency, from_, max(now, from_))


@router.post("/audit/checkpoints", status_code=201, response_model=Checkpoint)
async def create_checkpoint(services: ServicesDep, actor: Auditor) -> dict[str, Any]:
    """Sign the chain's head now: {index, hash, created_at, algorithm, key_id, signature,
    public_key}; when the newest checkpoint already covers the head, that one."""
    try:
        checkpoint = await run_in_threadpool(services.checkpoint)
    except EmptyLog as error:
        raise ApiError(409, "empty_log", str(error)) from None
    except CheckpointConflict as error:
        raise ApiError(409, "chain_changed", str(error)) from None
    return as_json(checkpoint)


@router.get("/audit/receipts/{position}", response_model=Receipt)
async def receipt(
    services: ServicesDep, actor: Reader, position: Annotated[int, Path(ge=1, le=2**62)]
) -> Any:
    """Proof that the event at `position` was recorded, to keep: verifiable later with the
    pinned key alone (`tools/verify_bundle.py --receipt`), whatever becomes of the database.
    Auditors and administrators get any event's; everyone else the events they recorded
    (a command's answer links to its own in its `Link` header). 409 `receipt_pending` until
    the next checkpoint is signed."""
    rows = await run_in_threadpool(read_log, services.datastore, position - 1, 1)
    if (
        not rows
        or rows[0]["position"] != position
        or not actor.keeps_receipt_of(log_item(services, rows[0])["actor"])
    ):
        raise ApiError(404, "not_found", f"no event of yours at position {position}")
    try:
        return await run_in_threadpool(
            make_receipt, services.database, services.settings.hash_algorithm, position
        )
    except ReceiptPending as error:
        raise ApiError(409, "receipt_pending", str(error)) from None
    except ReceiptUnavailable as error:
        log.error("receipt refused: the stored Merkle tree disagrees", extra={"error": str(error)})
        raise ApiError(409, "receipt_unavailable", str(error)) from None


Seq = Annotated[int, Path(ge=1, le=2**62, description="the checkpoint's number")]


@router.post("/audit/checkpoints/{seq}/cosignatures", status_code=201, response_model=Cosignature)
def add_cosignature_route(
    services: ServicesDep, actor: Auditor, seq: Seq, body: CosignatureBody
) -> Any:
    """A witness co-signs checkpoint `seq` (run by another party: `supervision witness run`);
    kept once it verifies. 201 when kept; 200 with the one this key gave before."""
    try:
        public = base64.b64decode(body.public_key, validate=True)
        signature = base64.b64decode(body.signature, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII at all
        raise ApiError(422, "validation_error", "public_key and signature are base64") from None
    try:
        kept, new = add_cosignature(services.database, seq, public, signature, body.signed_at)
    except NoSuchCheckpoint as error:
        raise ApiError(404, "not_found", str(error)) from None
    except BadCosignature as error:
        raise ApiError(422, "invalid_cosignature", str(error)) from None
    return kept if new else JSONResponse(Cosignature(**kept).model_dump(mode="json"))


@router.get("/audit/checkpoints/{seq}/cosignatures", response_model=CosignatureList)
def cosignatures(services: ServicesDep, actor: Auditor, seq: Seq) -> dict[str, Any]:
    """The witnesses' co-signatures of checkpoint `seq`, in the order they came; 404 when
    no chained checkpoint has that number."""
    try:
        return {"items": list_cosignatures(services.database, seq)}
    except NoSuchCheckpoint as error:
        raise ApiError(404, "not_found", str(error)) from None


@router.get("/audit/checkpoints", response_model=CheckpointPage)
def checkpoints(
    services: ServicesDep, actor: Auditor, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    """The signed checkpoints, oldest first."""
    after = decode_cursor(cursor) if cursor else 0
    rows = list_checkpoints(services.database, limit + 1, after)
    more = len(rows) > limit
    return {
        "items": [as_json(row) for row in rows[:limit]],
        "next_cursor": encode_cursor(rows[limit - 1]["id"]) if more else None,
    }


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "the bundle, JSON Lines",
        }
    },
)
async def export_bundle(services: ServicesDep, actor: Auditor) -> StreamingResponse:
    """The offline-verifiable bundle (docs/audit.md): every stored event with its chain row,
    the signed checkpoints and their public keys, as of one moment, streamed."""
    bundle = await run_in_threadpool(Export, services.database)
    filename = f"supervision-audit-{bundle.head_index}.jsonl"
    return StreamingResponse(
        bundle.chunks(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # the chunks close the snapshot when done, failed, or dropped by a client gone
