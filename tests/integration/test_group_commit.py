"""Group commit: concurrent commands share transactions, yet each keeps its own version
check and answer — a conflicting command fails alone and the rest of its batch commits —
and the hash chain covers every committed event, in commit order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from psycopg.types.json import Jsonb

from api.runtime.bootstrap import Services, build
from infra.audit import verify_chain
from infra.group_commit import Pending
from infra.recorder import ChainedApplicationRecorder
from infra.settings import Settings
from tests.integration.conftest import ADMIN, raise_finding


@pytest.fixture
def grouped(fresh_settings: Settings) -> Iterator[Services]:
    opened = build(fresh_settings.model_copy(update={"group_commit": True}), runners="off")
    yield opened
    opened.close()


def recorder_of(services: Services) -> ChainedApplicationRecorder:
    recorder = services.app.recorder
    assert isinstance(recorder, ChainedApplicationRecorder)
    return recorder


def stored(services: Services, finding_id: UUID, version: int) -> list[object]:
    """A stored event for `finding_id` at `version` (its content does not matter here)."""
    recorder = recorder_of(services)
    return [recorder.construct_pg_stored_event(finding_id, version, "test:Event", b"{}")]


def no_key() -> tuple[None, None, str, int, Jsonb]:
    return (None, None, "", 0, Jsonb(None))


def test_thirty_two_concurrent_commands_all_commit_in_fewer_transactions(
    grouped: Services,
) -> None:
    grouped.app.register_unit(code="gc01", name="城关镇", kind="township", actor=ADMIN)
    group = recorder_of(grouped).group
    assert group is not None
    batches_before, commands_before = group.batches, group.commands
    barrier, results, errors = threading.Barrier(32), [], []

    def command(n: int) -> None:
        try:
            barrier.wait()
            for k in range(5):
                results.append(raise_finding(grouped, "gc01", title=f"问题 {n}-{k}"))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=command, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(set(results)) == 160
    assert group.commands - commands_before == 160
    assert group.batches - batches_before < 160, "some commands shared a transaction"
    verification = verify_chain(grouped.database, "sha256")
    assert verification.ok and verification.events_verified == grouped.head()


def test_a_conflicting_command_fails_alone_and_the_rest_of_its_batch_commits(
    grouped: Services,
) -> None:
    grouped.app.register_unit(code="gc02", name="南山镇", kind="township", actor=ADMIN)
    taken = raise_finding(grouped, "gc02")  # version 1 of this finding exists
    fresh_a, fresh_b = uuid4(), uuid4()
    batch = [
        Pending(stored(grouped, fresh_a, 1), no_key()),
        Pending(stored(grouped, taken, 1), no_key()),  # conflicts: version 1 is taken
        Pending(stored(grouped, fresh_b, 1), ("p", "key-1", "f", 201, Jsonb({"id": "x"}))),
        Pending(stored(grouped, uuid4(), 1), ("p", "key-1", "f", 201, Jsonb({"id": "y"}))),
    ]
    outcomes = recorder_of(grouped)._write_batch(batch)
    assert outcomes[0][1] is None and outcomes[0][0]
    assert outcomes[1] == (None, "events")
    assert outcomes[2][1] is None and outcomes[2][0]
    assert outcomes[3] == (None, "idempotency"), "the same key twice: the second fails alone"
    assert outcomes[0][0][0] < outcomes[2][0][0], "positions follow the batch's order"
    verification = verify_chain(grouped.database, "sha256")
    assert verification.ok and verification.events_verified == 4  # unit, finding, a, b


def test_a_taken_version_through_the_committer_raises_the_librarys_integrity_error(
    grouped: Services,
) -> None:
    """What the command layer turns into a retry (no If-Match) or a 409 (If-Match)."""
    grouped.app.register_unit(code="gc03", name="北岭乡", kind="township", actor=ADMIN)
    finding = raise_finding(grouped, "gc03")
    group = recorder_of(grouped).group
    assert group is not None
    with pytest.raises(IntegrityError):
        group.write(Pending(stored(grouped, finding, 1), no_key()))
    assert verify_chain(grouped.database, "sha256").ok
