"""The named reads of the log's own tables (infra/queries.py) that api/ asks instead of
writing SQL: an Idempotency-Key's answer, the chain's head, rows and length, and a stream's
events beside their chain rows, including one that has none."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from api.runtime.bootstrap import Services
from infra import queries
from infra.recorder import IdempotencyRecord
from tests.integration.conftest import ADMIN


def test_an_empty_log_has_no_chain_head_and_no_length(services: Services) -> None:
    assert queries.chain_head(services.datastore) is None
    assert queries.chain_row(services.datastore, 0) is None
    assert queries.chain_length(services.database) == 0


def test_the_head_is_the_last_of_the_chains_rows(services: Services) -> None:
    for code in ("u1", "u2", "u3"):
        services.app.register_unit(code=code, name="单位", kind="township", actor=ADMIN)
    head = queries.chain_head(services.datastore)
    assert head is not None
    assert queries.chain_row(services.datastore, head.index) == head
    assert queries.chain_row(services.datastore, head.index + 1) is None
    assert queries.chain_length(services.database) == 3 and len(head.hash) == 32


def test_a_streams_events_come_oldest_first_each_with_its_chain_row(services: Services) -> None:
    unit = services.app.register_unit(code="u1", name="单位", kind="township", actor=ADMIN).id
    # a second event of the same stream
    services.app.rename_unit(
        "u1", name="新名", reason="更名", effective_on=date(2024, 1, 1), actor=ADMIN
    )
    events = queries.chained_events(services.datastore, unit)
    assert [e.version for e in events] == sorted(e.version for e in events) and len(events) == 2
    for event in events:
        assert event.link is not None
        row = queries.chain_row(services.datastore, event.link.index)
        assert row is not None and (row.position, row.hash) == (event.position, event.link.hash)


def test_an_event_inserted_by_hand_has_no_chain_row(services: Services) -> None:
    services.app.register_unit(code="u1", name="单位", kind="township", actor=ADMIN)
    forged = UUID(int=7)
    with services.database.connection() as conn:
        conn.execute(
            "INSERT INTO supervision_events (originator_id, originator_version, topic, state) "
            "SELECT %s, 1, topic, state FROM supervision_events LIMIT 1",
            (forged,),
        )
    [event] = queries.chained_events(services.datastore, forged)
    assert event.link is None and event.version == 1
    assert queries.chained_events(services.datastore, UUID(int=8)) == []


def test_an_idempotency_keys_answer_is_found_only_for_its_principal(services: Services) -> None:
    record = IdempotencyRecord("p-1", "key-1", "fp", 201, {"note": "first"})
    services.app.register_unit(
        code="u1", name="单位", kind="township", actor=ADMIN, idempotency=record
    )
    answer = queries.stored_answer(services.datastore, "p-1", "key-1")
    assert answer is not None
    assert (answer.fingerprint, answer.status_code) == ("fp", 201)
    assert answer.body["note"] == "first" and "version" in answer.body
    assert queries.stored_answer(services.datastore, "p-2", "key-1") is None
    assert queries.idempotency_key_used(services.database, "p-1", "key-1")
    assert not queries.idempotency_key_used(services.database, "p-1", "key-2")
