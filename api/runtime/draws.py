"""The double-random draw where it meets the audit log: the chain head a draw mixes in, and
the check of a recorded draw from the stored events and their chain rows alone.

The domain (`domain.draw`) holds the algorithm and `infra.queries` reads the chain's head,
its rows and a round's stored events; putting them together happens here, in the outermost
layer, which the HTTP route and the `supervision inspections verify-draw` command share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic

from domain.draw import ChainHead, check_draw
from domain.errors import InvalidTransition, NotFound
from domain.inspections import Inspection
from infra import queries
from infra.chain import envelope, hasher

if TYPE_CHECKING:  # the services give the application `beacon` (api/runtime/bootstrap.py)
    from api.runtime.bootstrap import Services

CO_SEED_TOPIC = get_topic(Inspection.CoSeedCommitted)
V1, V2 = "sha256-ctr-fisher-yates/v1", "sha256-ctr-fisher-yates/v2"


def beacon(services: Services, inspection_id: UUID) -> ChainHead:
    """The public value a v2 draw mixes in: the chain head signed by the first checkpoint
    made after the round's second commitment — unknown to both parties when they committed,
    and fixed before either seed is revealed. None yet: the reveal waits (409)."""
    committed = [
        r for r in queries.chained_events(services.datastore, inspection_id)
        if r.topic == CO_SEED_TOPIC
    ]  # fmt: skip
    found = (
        None
        if not committed
        else queries.first_checkpoint_after(services.datastore, committed[-1].position)
    )
    if found is None:
        raise InvalidTransition(
            "reveal the second seed before a checkpoint is signed after both commitments",
            "seed_committed",
        )
    return ChainHead(found.index, found.position, found.hash.hex())


@dataclass
class DrawVerification:
    """What `verify-draw` answers: ok, or every problem found."""

    inspection_id: str
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    algorithm: str | None = None
    commitment: str | None = None
    seed: str | None = None
    co_commitment: str | None = None  # v2: the second party's commitment and seed
    co_seed: str | None = None
    chain_head: dict[str, Any] | None = None
    population: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StoredRow:
    position: int
    event: Any


def verify_draw(services: Services, inspection_id: UUID) -> DrawVerification:
    """Re-derive a round's draw from its stored events: each event still matches its chain
    row; H(seed) is the commitment; the chain head mixed in is the chain's row at that index
    and lies between the commitment and the draw; the algorithm over the recorded population
    and pool gives exactly the recorded units and teams (and so 回避 holds)."""
    result = DrawVerification(str(inspection_id))
    rows = stored_rows(services, inspection_id, result.problems)
    if rows and type(rows[0].event) is not Inspection.Launched:
        raise NotFound(f"inspection {inspection_id} not found")
    drawn = next((r for r in rows if isinstance(r.event, Inspection.Drawn)), None)
    committed = next((r for r in rows if isinstance(r.event, Inspection.SeedCommitted)), None)
    if drawn is None or committed is None:
        result.problems.append("the round has no recorded seed commitment and draw")
        return result
    before: Any = None
    for row in rows:
        if row.event.originator_version >= drawn.event.originator_version:
            break
        before = row.event.mutate(before)
    e = drawn.event
    result.algorithm, result.seed, result.chain_head = e.algorithm, e.seed, dict(e.chain_head)
    result.commitment, result.population = before.commitment, list(before.population)
    result.targets = list(e.targets)
    if e.algorithm not in (V1, V2):
        result.problems.append(f"unknown draw algorithm {e.algorithm!r}")
    try:
        head = ChainHead(
            int(e.chain_head["index"]), int(e.chain_head["position"]), e.chain_head["hash"]
        )
    except (KeyError, TypeError, ValueError):
        result.problems.append("the draw names no readable chain head")
        return result
    if e.algorithm == V2:  # the beacon: signed by a checkpoint after the second commitment
        co = next((r for r in rows if isinstance(r.event, Inspection.CoSeedCommitted)), None)
        after = co.position if co is not None else drawn.position
        signed = queries.first_checkpoint_after(services.datastore, after)
        if signed is None or (signed.index, signed.hash.hex()) != (head.index, head.hash):
            result.problems.append(
                "the beacon is not the head signed by the first checkpoint after the second "
                "commitment"
            )
        revealed = next((r for r in rows if isinstance(r.event, Inspection.CoSeedRevealed)), None)
        if revealed is None or revealed.position <= head.position:
            result.problems.append("the second seed was not revealed after the beacon was fixed")
        result.co_commitment, result.co_seed = before.co_commitment, before.co_seed
    else:
        check_head(services.datastore, head, committed.position, drawn.position, result.problems)
    given = before.draw_input(e.seed, head.index, head.hash, before.co_seed)
    result.problems += check_draw(given, before.commitment, list(e.targets), before.co_commitment)
    result.ok = not result.problems
    return result


def stored_rows(services: Services, inspection_id: UUID, problems: list[str]) -> list[StoredRow]:
    """The round's stored events, each checked against its chain row, then decoded."""
    h = hasher(services.settings.hash_algorithm)
    records = queries.chained_events(services.datastore, inspection_id)
    if not records:
        raise NotFound(f"inspection {inspection_id} not found")
    rows = []
    for r in records:
        state, version, position = r.state, r.version, r.position
        if r.link is None:
            problems.append(f"event version {version} (position {position}) has no chain row")
        else:
            link = envelope(r.link.index, position, str(inspection_id), version, r.topic, h(state))
            if h(r.link.prev_hash + link) != r.link.hash:
                problems.append(
                    f"event version {version} (position {position}) was altered: it no longer "
                    "matches its chain row"
                )
        stored = StoredEvent(inspection_id, version, r.topic, state)
        try:
            rows.append(StoredRow(position, services.app.mapper.to_domain_event(stored)))
        except (ValueError, TypeError, KeyError) as error:
            problems.append(f"event version {version} cannot be read: {error}")
            break
    return rows


def check_head(
    datastore: PostgresDatastore,
    head: ChainHead,
    committed_at: int,
    drawn_at: int,
    problems: list[str],
) -> None:
    """The chain head named by the draw is the chain's row at that index, recorded at or
    after the commitment and before the draw itself."""
    row = queries.chain_row(datastore, head.index)
    if row is None or row.position != head.position or row.hash.hex() != head.hash:
        problems.append(f"the chain head mixed into the draw is not chain row {head.index}")
    if not committed_at <= head.position < drawn_at:
        problems.append(
            "the chain head mixed into the draw does not lie between the commitment "
            f"(position {committed_at}) and the draw (position {drawn_at})"
        )
