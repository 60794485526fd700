"""The golden log (docs/adr/020): one stored event of every event type, as the service stored
them, kept under version control and never regenerated. Every one must still load with the
current code, keep its chain link, and replay into every read model; and every event type
the code has must have one there, so a new type cannot be stored before it is."""

from __future__ import annotations

import base64
import importlib
import json
import pkgutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing import domain as library
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from psycopg.sql import SQL

import domain
from api.runtime.bootstrap import Services, build, migrate_database
from infra.chain import envelope, hasher
from infra.migrations import datastore_for
from infra.settings import Settings
from projections.base import ReadModelView
from projections.registry import PROJECTIONS
from projections.replay import digest, replay, scratch_schema
from projections.runner import catch_up
from tests.conftest import settings_for

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ALGORITHMS = ("sha256", "sm3")


@dataclass(frozen=True)
class Golden:
    """One stored event of the fixture, with its chain row."""

    log: str
    position: int
    topic: str
    originator_id: UUID
    originator_version: int
    state: bytes
    chain: dict[str, Any]

    @property
    def class_version(self) -> int:
        """The class version the event's state was stored with."""
        return int(json.loads(self.state).get("class_version", 1))

    @property
    def stored(self) -> StoredEvent:
        return StoredEvent(self.originator_id, self.originator_version, self.topic, self.state)


def fixture_lines() -> list[dict[str, Any]]:
    lines = []
    for path in sorted(GOLDEN.glob("log-v*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def golden_events(log: str) -> list[Golden]:
    return [
        Golden(
            line["log"],
            line["position"],
            line["topic"],
            UUID(line["originator_id"]),
            line["originator_version"],
            base64.b64decode(line["state"]),
            line["chain"],
        )
        for line in fixture_lines()
        if line["type"] == "event" and line["log"] == log
    ]


def stored_event_types() -> set[str]:
    """The topics of every event class the domain can store: each concrete aggregate's
    creation event(s) and the event class of every `@event` method. (The library keeps
    both in module registries; there is no public way to list them.)"""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    decorated = {
        get_topic(c) for c in library.decorated_funcs if c.__module__.startswith("domain.")
    }
    created = {
        get_topic(event_class)
        for aggregate, classes in library._created_event_classes.items()
        if aggregate.__module__.startswith("domain.") and not aggregate.__subclasses__()
        for event_class in classes
    }
    return decorated | created


@pytest.fixture(params=ALGORITHMS)
def golden_services(
    request: pytest.FixtureRequest, new_database: Any, tmp_path: Path
) -> Iterator[tuple[str, Services]]:
    """A fresh database with the log's hash, the fixture's subject keys in it (the sealed
    personal data of its ruling events opens with them), and the services over it."""
    log: str = request.param
    settings: Settings = settings_for(new_database(), tmp_path, hash_algorithm=log)
    migrate_database(settings)
    services = build(settings, one_shot=True)
    keys = [
        line for line in fixture_lines() if line["type"] == "subject_key" and line["log"] == log
    ]
    with services.database.connection() as conn:
        for key in keys:
            conn.execute(
                "INSERT INTO supervision_subject_keys (subject_id, unit_code, algorithm, key) "
                "VALUES (%s, %s, %s, %s)",
                (
                    key["subject_id"],
                    key["unit_code"],
                    key["algorithm"],
                    base64.b64decode(key["key"]),
                ),
            )
    yield log, services
    services.close()


@pytest.mark.parametrize("log", ALGORITHMS)
def test_every_event_type_the_code_can_store_has_a_golden_event_of_its_class_version(
    log: str,
) -> None:
    """A type's current class version too: a class whose fields changed (with its upcaster)
    keeps its old golden events and gains one as it stores now."""
    held = {(event.topic, event.class_version) for event in golden_events(log)}
    wanted = {
        (topic, getattr(resolve_topic(topic), "class_version", 1)) for topic in stored_event_types()
    }
    missing = wanted - held
    assert not missing, f"no golden event for {sorted(missing)}: add a fixture (ADR 020)"


def test_every_golden_topic_still_names_a_class() -> None:
    for event in golden_events("sha256") + golden_events("sm3"):
        resolve_topic(event.topic)  # a moved class must register its old topic


def test_every_golden_event_loads_with_the_current_code(
    golden_services: tuple[str, Services],
) -> None:
    log, services = golden_services
    for event in golden_events(log):
        loaded = services.app.mapper.to_domain_event(event.stored)
        assert isinstance(loaded, resolve_topic(event.topic)), event.topic
        assert (loaded.originator_id, loaded.originator_version) == (
            event.originator_id,
            event.originator_version,
        )
        if event.topic.startswith(("domain.rulings:", "domain.persons:")):
            assert "[已删除]" not in json.dumps(vars(loaded), default=str, ensure_ascii=False)


@pytest.mark.parametrize("log", ALGORITHMS)
def test_every_golden_event_keeps_its_chain_link(log: str) -> None:
    h = hasher(log)
    for event in golden_events(log):
        chain = event.chain
        assert chain["position"] == event.position
        link = envelope(
            chain["ledger_index"],
            event.position,
            str(event.originator_id),
            event.originator_version,
            event.topic,
            h(event.state),
        )
        assert h(bytes.fromhex(chain["prev_hash"]) + link).hex() == chain["hash"], event.topic


def stored(log: str, services: Services) -> list[Golden]:
    """The golden log's events, stored in `services`' log in their order."""
    events = sorted(golden_events(log), key=lambda e: e.position)
    with services.database.connection() as conn:
        for event in events:
            conn.execute(
                "INSERT INTO supervision_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)",
                (event.originator_id, event.originator_version, event.topic, event.state),
            )
    return events


def test_a_fill_of_the_golden_log_builds_every_read_model_as_its_statements_do(
    golden_services: tuple[str, Services],
) -> None:
    """A rebuild's fill (three read models by COPY, the rest by statements) reads every
    stored event type as the live runners' statements do, and makes the same rows."""
    log, services = golden_services
    head = len(stored(log, services))
    for spec in PROJECTIONS:
        digests = []
        for filling in (False, True):
            with scratch_schema(services.database) as schema:
                datastore = datastore_for(services.database, pool_size=1, schema=schema)
                try:
                    view = spec.view_class(datastore)
                    view.create_table()
                    view.filling = filling
                    replay(services.app, view, spec, head)
                    if filling:
                        with datastore.get_connection() as conn, conn.transaction():
                            view.finish_filling(conn)
                    digests.append(digest(view))
                finally:
                    datastore.close()
        assert digests[0] == digests[1], spec.name


def test_the_golden_log_replays_into_every_read_model(
    golden_services: tuple[str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    """…each event in one statement of each read model: a second statement for the same
    event would find the tracking advanced already and write nothing."""
    applied: Counter[tuple[str, int]] = Counter()
    apply = ReadModelView.apply

    def counted(view: ReadModelView, tracking: Any, *args: Any, **kwargs: Any) -> None:
        applied[(view.projection_name, tracking.notification_id)] += 1
        apply(view, tracking, *args, **kwargs)

    monkeypatch.setattr(ReadModelView, "apply", counted)
    log, services = golden_services
    events = stored(log, services)
    catch_up(services.app, services.datastore, PROJECTIONS)
    twice = [key for key, n in applied.items() if n > 1]
    assert not twice, f"events written in more than one statement: {twice}"
    head = services.head()
    assert head == len(events)
    for name, view in services.views.items():
        assert view.position() == head, name
    finding = next(e for e in events if e.topic == "domain.findings:Finding.Raised")
    query = SQL("SELECT id FROM {} WHERE id = %s").format(services.board.table("finding_board"))
    (row,) = services.board.fetch_all(query, (finding.originator_id,))
    assert row["id"] == finding.originator_id
