"""The export bundle and the checkpoint checks: every tampering named, in the database and in
a bundle, by infra's verifier and by the standalone tools/verify_bundle.py alike."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner

from api.cli.main import cli
from api.runtime.bootstrap import Services, build, migrate_database
from domain.vocabulary import Role
from infra import merkle
from infra.audit import verify_chain
from infra.bundle import (
    Export,
    snapshot,
    stored_checkpoints,
    verify_bundle,
    verify_bundle_file,
    verify_checkpoints,
)
from infra.chain import hasher, link
from infra.database import Database
from tests.conftest import settings_for
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding
from tests.support import as_dba, load_tool

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_bundle.py"
FINDINGS = 10  # a unit and ten findings, each raised and ordered: 21 events
CHECKPOINTS_DDL = (
    "CREATE TABLE IF NOT EXISTS supervision_checkpoints (id bigserial PRIMARY KEY, "
    "ledger_index bigint NOT NULL, hash bytea NOT NULL, created_at timestamptz NOT NULL, "
    "algorithm text NOT NULL, key_id text NOT NULL, signature bytea NOT NULL, "
    "public_key bytea NOT NULL)"
)


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def write_events(services: Services, findings: int, code: str = "b0") -> None:
    services.app.register_unit(code=code, name="单位", kind="township", actor=ADMIN)
    for n in range(findings):
        fid = raise_finding(services, code, f"问题{n}")
        services.app.order_rectification(
            fid, deadline=date(2024, 2, 1), requirements="r", actor=INSPECTOR
        )


@dataclass
class Log:
    """A hash-chained log of 21 events with checkpoints 1 (index 10) and 2 (index 21)
    signed by `key`, which an auditor pins; `pool` the worker processes that verify it in
    stretches as well."""

    services: Services
    key: Ed25519PrivateKey
    tmp: Path
    pool: Executor | None = None

    @property
    def pinned(self) -> bytes:
        return raw(self.key)

    @property
    def algorithm(self) -> str:
        return self.services.settings.hash_algorithm

    def cli_env(self) -> dict[str, str]:
        """The environment a `supervision` command on this log runs with."""
        return {
            "SUPERVISION_DATABASE_URL": str(self.services.settings.database_url),
            "SUPERVISION_HASH_ALGORITHM": self.algorithm,
            "SUPERVISION_LOG_LEVEL": "WARNING",
        }

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with as_dba(self.services.database) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def hash_at(self, index: int) -> bytes:
        (row,) = self.sql("SELECT hash FROM supervision_chain WHERE ledger_index = %s", (index,))
        return bytes(row[0])

    def sign(
        self,
        index: int,
        hash_: bytes | None = None,
        key: Ed25519PrivateKey | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Sign a checkpoint as the fixed interface says, and keep it; its row id."""
        key = key or self.key
        hash_hex = (hash_ or self.hash_at(index)).hex()
        signed_at = (created_at or datetime.now(UTC)).isoformat()
        kid = hashlib.sha256(raw(key)).hexdigest()[:16]
        algorithm = self.services.settings.hash_algorithm
        message = f"supervision-checkpoint-v1\n{index}\n{hash_hex}\n{signed_at}\n{algorithm}\n{kid}"
        signature = key.sign(message.encode("utf-8"))
        ((id_,),) = self.sql(
            "INSERT INTO supervision_checkpoints (ledger_index, hash, created_at, algorithm, "
            "key_id, signature, public_key) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (index, bytes.fromhex(hash_hex), signed_at, algorithm, kid, signature, raw(key)),
        )
        return int(id_)

    def sign_v2(
        self,
        index: int,
        *,
        seq: int | None = None,
        prev: bytes | None = None,
        root: bytes | None = None,
        log_id: bytes | None = None,
    ) -> int:
        """Sign a chained (version 2) checkpoint as docs/audit.md §2 says, by default the
        next one after the newest stored; its row id."""
        h = hasher(self.algorithm)
        hashes = [self.hash_at(n) for n in range(1, index + 1)]
        kid = hashlib.sha256(raw(self.key)).hexdigest()[:16]
        ((count,),) = self.sql("SELECT count(*) FROM supervision_checkpoints")
        signed_at = datetime.now(UTC).isoformat()
        fields = {
            "log_id": (log_id or hashes[0]).hex(),
            "seq": seq or count + 1,
            "root": (root or merkle.root(h, merkle.in_memory(h, hashes), index)).hex(),
            "prev": (prev or self.newest_digest()).hex(),
        }
        message = "\n".join(
            ("supervision-checkpoint-v2", fields["log_id"], str(fields["seq"]), str(index),
             hashes[-1].hex(), fields["root"], fields["prev"], signed_at, self.algorithm, kid)
        )  # fmt: skip
        ((id_,),) = self.sql(
            "INSERT INTO supervision_checkpoints (version, log_id, seq, ledger_index, hash, "
            "root, prev, created_at, algorithm, key_id, signature, public_key) "
            "VALUES (2, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (bytes.fromhex(fields["log_id"]), fields["seq"], index, hashes[-1],
             bytes.fromhex(fields["root"]), bytes.fromhex(fields["prev"]), signed_at,
             self.algorithm, kid, self.key.sign(message.encode("utf-8")), raw(self.key)),
        )  # fmt: skip
        return int(id_)

    def newest_digest(self) -> bytes:
        """H(the signed message of the newest stored checkpoint), as docs/audit.md §2 says."""
        rows = self.sql("SELECT id FROM supervision_checkpoints ORDER BY id DESC LIMIT 1")
        if not rows:
            return bytes(32)
        with snapshot(self.services.database) as conn:
            newest = list(stored_checkpoints(conn))[-1]
        return hasher(self.algorithm)(newest.message())

    def export(self, name: str = "bundle.jsonl") -> Path:
        path = self.tmp / name
        with Export(self.services.database) as bundle:
            bundle.write(path)
        return path


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    """Two spawned worker processes, kept for the module: the parallel walks' (ADR 028)."""
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as executor:
        yield executor


@pytest.fixture(params=["sha256", "sm3"])
def log(
    request: pytest.FixtureRequest, new_database: Any, tmp_path: Path, pool: Executor
) -> Iterator[Log]:
    """Every tamper test runs on a log of each hash: SHA-256 (chained in SQL) and SM3
    (chained by the service)."""
    settings = settings_for(new_database(), tmp_path, hash_algorithm=request.param)
    migrate_database(settings)
    services = build(settings, runners="off")
    try:
        made = Log(services, Ed25519PrivateKey.generate(), tmp_path, pool)
        made.sql(CHECKPOINTS_DDL)  # the checkpoints' own migration may not have landed yet
        write_events(services, FINDINGS)
        assert made.sign(10) == 1 and made.sign(21) == 2
        yield made
    finally:
        services.close()


def tool(path: Path, *keys: bytes | str) -> tuple[int, dict[str, Any]]:
    """The standalone verifier's exit status and verdict; keys are pinned, texts passed on."""
    args = [
        arg
        for key in keys
        for arg in (
            ("--public-key", base64.b64encode(key).decode()) if isinstance(key, bytes) else (key,)
        )
    ]
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path), *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


# The parallel walks in stretches of four rows, however short the log (ADR 028).
STRETCHES = {"workers": 2, "chunk": 4, "parallel_from": 0}


STRETCHED = ("--workers", "2", "--stretch", "4")


def tool_in_stretches(path: Path, key: bytes) -> tuple[dict[str, Any], str]:
    """The standalone verifier's verdict with two worker processes and stretches of four
    event lines, and what it said on standard error."""
    pinned = base64.b64encode(key).decode()
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path), "--public-key", pinned, *STRETCHED],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout), done.stderr


def judge_bundle(path: Path, *keys: bytes, pool: Executor | None = None) -> dict[str, Any]:
    """infra's verdict on the bundle, once the standalone verifier has given the same (and,
    given worker processes, infra's walk in stretches too)."""
    ours = verify_bundle_file(path, list(keys)).as_dict()
    status, theirs = tool(path, *keys)
    assert theirs == ours
    assert status == (0 if ours["ok"] else 1)
    if pool is not None:
        in_stretches = verify_bundle_file(path, list(keys), executor=pool, **STRETCHES)
        assert in_stretches.as_dict() == ours
    return ours


def judge(log: Log) -> dict[str, Any]:
    """The database's verdict, the same walked in stretches by worker processes, once a
    bundle exported from it got the same from every verifier (the database was tampered with
    before the export)."""
    database = log.services.database
    in_database = verify_checkpoints(database, log.pinned).as_dict()
    in_stretches = verify_checkpoints(database, log.pinned, executor=log.pool, **STRETCHES)
    assert in_stretches.as_dict() == in_database
    assert judge_bundle(log.export(), log.pinned, pool=log.pool) == in_database
    return in_database


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rewrite(path: Path, items: list[dict[str, Any]], recount: bool = True) -> Path:
    if recount:
        end = items[-1]
        end["events"] = sum(1 for item in items if item["type"] == "event")
        end["checkpoints"] = sum(1 for item in items if item["type"] == "checkpoint")
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    path.write_text(text, encoding="utf-8")
    return path


def slot(items: list[dict[str, Any]], index: int) -> int:
    return next(n for n, item in enumerate(items) if item.get("index") == index and "state" in item)


def broken_at(verdict: dict[str, Any], index: int) -> None:
    assert verdict["ok"] is False and verdict["first_invalid_index"] == index, verdict
    assert verdict["events_verified"] == index - 1 and verdict["bad_checkpoint"] is None


def bad_checkpoint(verdict: dict[str, Any], id_: int, index: int, words: str) -> None:
    assert verdict["ok"] is False and verdict["first_invalid_index"] is None, verdict
    bad = verdict["bad_checkpoint"]
    assert (bad["id"], bad["index"]) == (id_, index), verdict
    assert words in bad["problem"] and verdict["problem"] == bad["problem"]


# Untouched ------------------------------------------------------------------------------


def test_an_untouched_log_and_its_bundle_verify_with_every_checkpoint(log: Log) -> None:
    verdict = judge(log)
    assert verdict["ok"] and verdict["problem"] is None and verdict["bad_checkpoint"] is None
    assert verdict["events_verified"] == verdict["head_index"] == 21
    assert verdict["head_hash"] == log.hash_at(21).hex()
    assert verdict["checkpoints_verified"] == 2


def test_a_bundle_holds_the_stored_bytes_exactly_with_the_pinned_key(log: Log) -> None:
    items = lines(log.export())
    header, end = items[0], items[-1]
    assert header["format"] == "supervision-audit-bundle" and header["version"] == 1
    assert header["algorithm"] == log.algorithm
    assert header["public_keys"] == [base64.b64encode(log.pinned).decode()]
    assert [item["type"] for item in items[1:3]] == ["checkpoint", "checkpoint"]
    assert end == {"type": "end", "events": 21, "checkpoints": 2, "cosignatures": 0}
    ((state,),) = log.sql("SELECT state FROM supervision_events WHERE notification_id = 7")
    assert base64.b64decode(items[slot(items, 7)]["state"]) == bytes(state)


def test_with_no_checkpoints_table_there_are_no_checkpoints(
    services: Services, tmp_path: Path
) -> None:
    write_events(services, 2)
    log = Log(services, Ed25519PrivateKey.generate(), tmp_path)
    log.sql("DROP TABLE IF EXISTS supervision_checkpoints")
    verdict = judge(log)  # against the pinned key: nothing signed covers the log
    assert verdict["ok"] is False and verdict["events_verified"] == 5
    assert verdict["checkpoints_verified"] == 0 and "no checkpoint" in verdict["problem"]
    unpinned = verify_checkpoints(services.database, None)
    assert unpinned.ok and unpinned.checkpoints_verified == 0
    assert lines(log.export())[0]["public_keys"] == []


# One byte changed -------------------------------------------------------------------------


def test_one_byte_changed_in_a_stored_event_is_named_in_the_database(log: Log) -> None:
    log.sql(
        "UPDATE supervision_events SET state = set_byte(state, 10, get_byte(state, 10) # 1) "
        "WHERE notification_id = 7"
    )
    broken_at(judge(log), 7)


def test_one_byte_changed_in_a_bundle_is_named(log: Log) -> None:
    path = log.export()
    items = lines(path)
    event = items[slot(items, 7)]
    state = bytearray(base64.b64decode(event["state"]))
    state[10] ^= 1
    event["state"] = base64.b64encode(bytes(state)).decode()
    verdict = judge_bundle(rewrite(path, items), log.pinned)
    broken_at(verdict, 7)
    assert "altered" in verdict["problem"]


# An event deleted -----------------------------------------------------------------------


def test_a_deleted_event_is_named_in_the_database(log: Log) -> None:
    log.sql("DELETE FROM supervision_events WHERE notification_id = 5")
    verdict = judge(log)
    broken_at(verdict, 5)
    assert "has no event" in verdict["problem"]


def test_an_event_deleted_from_a_bundle_is_named(log: Log) -> None:
    path = log.export()
    items = lines(path)
    del items[slot(items, 5)]
    broken_at(judge_bundle(rewrite(path, items), log.pinned), 5)


# Two events swapped ---------------------------------------------------------------------


def test_two_swapped_events_are_named_in_the_database(log: Log) -> None:
    for old, new in ((3, -3), (6, 3), (-3, 6)):
        log.sql(
            "UPDATE supervision_events SET notification_id = %s WHERE notification_id = %s",
            (new, old),
        )
    broken_at(judge(log), 3)


def test_two_events_swapped_in_a_bundle_are_named(log: Log) -> None:
    path = log.export()
    items = lines(path)
    a, b = slot(items, 3), slot(items, 6)
    items[a], items[b] = items[b], items[a]
    broken_at(judge_bundle(rewrite(path, items), log.pinned), 3)


# An event inserted ----------------------------------------------------------------------


def leave_a_gap(log: Log) -> None:
    """A gap in the positions, as rolled-back transactions leave; then the three events of one
    more unit and its ordered finding."""
    log.sql("SELECT setval(pg_get_serial_sequence('supervision_events', 'notification_id'), 25)")
    write_events(log.services, 1, code="b1")  # positions 26 to 28: indexes 22 to 24


def insert_into_the_gap(log: Log) -> None:
    """A copy of the event at position 2, inserted at position 23 with no chain row of its own."""
    log.sql(
        "INSERT INTO supervision_events (notification_id, originator_id, originator_version, "
        "topic, state) SELECT 23, originator_id, 99, topic, state FROM supervision_events "
        "WHERE notification_id = 2"
    )


def judged_on_a_valid_chain(log: Log) -> dict[str, Any]:
    """The verdict on a log whose hash chain still verifies on its own: only its checkpoints can
    tell it was tampered with."""
    assert verify_chain(log.services.database, log.algorithm).ok
    return judge(log)


def test_an_event_inserted_into_the_database_is_named_where_it_sits(log: Log) -> None:
    leave_a_gap(log)
    insert_into_the_gap(log)
    verdict = judge(log)
    broken_at(verdict, 22)
    assert verdict["problem"] == "event at position 23 has no chain row"


def rechain(log: Log, after_index: int) -> None:
    """What a database administrator can do: recompute every chain row after an index."""
    h = hasher(log.algorithm)
    prev = log.hash_at(after_index)
    log.sql("DELETE FROM supervision_chain WHERE ledger_index > %s", (after_index,))
    (position,) = log.sql(
        "SELECT position FROM supervision_chain WHERE ledger_index = %s", (after_index,)
    )[0]
    events = log.sql(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM supervision_events WHERE notification_id > %s ORDER BY notification_id",
        (position,),
    )
    for index, (pos, aggregate, version, topic, state) in enumerate(events, after_index + 1):
        row = link(h, prev, index, pos, str(aggregate), version, topic, bytes(state))
        log.sql(
            "INSERT INTO supervision_chain VALUES (%s, %s, %s, %s)",
            (index, pos, row.prev_hash, row.hash),
        )
        prev = row.hash


def test_an_event_inserted_and_rechained_in_the_database_is_named_by_a_checkpoint(
    log: Log,
) -> None:
    leave_a_gap(log)
    assert log.sign(23) == 3
    insert_into_the_gap(log)
    rechain(log, 21)
    verdict = judged_on_a_valid_chain(log)
    bad_checkpoint(verdict, 3, 23, "was rewritten")
    assert verdict["checkpoints_verified"] == 2 and verdict["events_verified"] == 25


def test_an_event_inserted_into_a_bundle_is_named(log: Log) -> None:
    path = log.export()
    items = lines(path)
    items.insert(slot(items, 4), dict(items[slot(items, 2)]))
    broken_at(judge_bundle(rewrite(path, items), log.pinned), 4)


def test_an_event_inserted_and_rechained_in_a_bundle_is_named_by_a_checkpoint(log: Log) -> None:
    path = log.export()
    items = lines(path)
    at = slot(items, 4)
    items.insert(at, dict(items[slot(items, 2)], version=99))
    h, prev = hasher(log.algorithm), bytes.fromhex(items[at - 1]["hash"])
    for number, item in enumerate(items[at:-1], start=4):  # renumber and rehash the rest
        item.update(index=number, position=number)
        state = base64.b64decode(item["state"])
        row = link(
            h, prev, number, number, item["aggregate_id"], item["version"], item["topic"], state
        )
        item.update(prev_hash=prev.hex(), hash=row.hash.hex())
        prev = row.hash
    verdict = judge_bundle(rewrite(path, items), log.pinned)
    bad_checkpoint(verdict, 1, 10, "was rewritten")
    assert verdict["events_verified"] == 22


# The tail cut after a checkpoint --------------------------------------------------------


def test_the_tail_cut_after_a_checkpoint_is_named_in_the_database(log: Log) -> None:
    log.sql("DELETE FROM supervision_chain WHERE ledger_index > 15")
    log.sql("DELETE FROM supervision_events WHERE notification_id > 15")
    verdict = judged_on_a_valid_chain(log)
    bad_checkpoint(verdict, 2, 21, "cut off")
    assert verdict["events_verified"] == 15 and verdict["checkpoints_verified"] == 1


def test_the_tail_cut_from_a_bundle_after_a_checkpoint_is_named(log: Log) -> None:
    path = log.export()
    items = [item for item in lines(path) if "state" not in item or item["index"] <= 15]
    bad_checkpoint(judge_bundle(rewrite(path, items), log.pinned), 2, 21, "cut off")
    bad_checkpoint(judge_bundle(rewrite(path, items[:-1], False), log.pinned), 2, 21, "cut off")


def test_a_bundle_cut_short_without_its_end_line_fails(log: Log) -> None:
    path = log.export()
    items = [item for item in lines(path) if item["type"] != "checkpoint"][:-5]
    verdict = judge_bundle(rewrite(path, items, recount=False), log.pinned)
    assert not verdict["ok"] and verdict["first_invalid_index"] is None
    assert verdict["bad_checkpoint"] is None and "no end line" in verdict["problem"]


# A fork -----------------------------------------------------------------------------------


def test_two_checkpoints_of_one_index_with_different_hashes_are_a_fork(log: Log) -> None:
    assert log.sign(10, log.hash_at(9)) == 3
    verdict = judge(log)
    bad_checkpoint(verdict, 3, 10, "fork at index 10")
    assert "checkpoint 1 and checkpoint 3" in verdict["problem"]


# The checkpoints' own chain (version 2) ---------------------------------------------------


def test_chained_checkpoints_after_version_1_ones_verify(log: Log) -> None:
    assert log.sign_v2(15) == 3 and log.sign_v2(21) == 4
    verdict = judge(log)
    assert verdict["ok"] is True and verdict["checkpoints_verified"] == 4, verdict


def test_a_checkpoint_deleted_from_the_checkpoints_chain_is_named_by_the_next(log: Log) -> None:
    log.sign_v2(15), log.sign_v2(18), log.sign_v2(21)
    log.sql("DELETE FROM supervision_checkpoints WHERE id = 4")
    bad_checkpoint(judge(log), 5, 21, "number 5 of the log, but it is number 4")


def test_checkpoints_reordered_in_the_database_are_named(log: Log) -> None:
    log.sign_v2(15), log.sign_v2(21)
    log.sql("UPDATE supervision_checkpoints SET id = 100 + id")
    log.sql("UPDATE supervision_checkpoints SET id = CASE id WHEN 103 THEN 4 WHEN 104 THEN 3 "
            "ELSE id - 100 END")  # fmt: skip
    bad_checkpoint(judge(log), 3, 21, "number 4 of the log, but it is number 3")


def test_a_checkpoint_that_names_another_previous_one_is_named(log: Log) -> None:
    log.sign_v2(15, prev=hashlib.sha256(b"another history").digest())
    bad_checkpoint(judge(log), 3, 15, "the checkpoints before it were changed or reordered")


def test_a_checkpoint_whose_merkle_root_is_not_the_chains_is_named(log: Log) -> None:
    log.sign_v2(15, root=log.hash_at(15))
    bad_checkpoint(judge(log), 3, 15, "signs Merkle root")


def test_a_checkpoint_signed_for_another_log_is_named(log: Log) -> None:
    log.sign_v2(15, log_id=log.hash_at(2))
    bad_checkpoint(judge(log), 3, 15, "it was signed for another log")


def test_a_chained_checkpoint_line_missing_its_root_is_malformed_in_both(log: Log) -> None:
    log.sign_v2(21)
    path = log.export()
    items = lines(path)
    (chained,) = [i for i in items if i["type"] == "checkpoint" and i["version"] == 2]
    del chained["root"]
    verdict = judge_bundle(rewrite(path, items), log.pinned)
    assert verdict["ok"] is False and "root is not" in verdict["problem"], verdict


# A signature that does not match the pinned key -------------------------------------------


def test_a_checkpoint_signed_by_another_key_than_the_pinned_one_is_named(log: Log) -> None:
    assert log.sign(21, key=Ed25519PrivateKey.generate()) == 3
    bad_checkpoint(judge(log), 3, 21, "not the pinned key")
    # Unpinned, the keys stored with the checkpoints are trusted: it passes. Pin the key.
    assert verify_checkpoints(log.services.database, None).ok
    assert judge_bundle(log.export())["ok"]


def test_a_checkpoint_whose_signature_was_altered_is_named_in_the_database(log: Log) -> None:
    log.sql(
        "UPDATE supervision_checkpoints SET signature = set_byte(signature, 0, "
        "get_byte(signature, 0) # 1) WHERE id = 1"
    )
    bad_checkpoint(judge(log), 1, 10, "does not verify")
    assert not verify_checkpoints(log.services.database, None).ok


def test_a_checkpoint_changed_in_a_bundle_no_longer_verifies_under_the_pinned_key(
    log: Log,
) -> None:
    path = log.export()
    items = lines(path)
    items[2]["hash"] = log.hash_at(20).hex()  # checkpoint 2 now claims index 21 is hash 20
    bad_checkpoint(judge_bundle(rewrite(path, items), log.pinned), 2, 21, "does not verify")
    bad_checkpoint(judge_bundle(path), 2, 21, "does not verify")


def test_a_bundle_re_signed_with_another_key_fails_against_the_pinned_key(log: Log) -> None:
    forger = Ed25519PrivateKey.generate()
    log.sql("DELETE FROM supervision_checkpoints")
    assert log.sign(21, key=forger) == 3
    path = log.export()
    bad_checkpoint(judge_bundle(path, log.pinned), 3, 21, "not the pinned key")
    assert judge_bundle(path)["ok"]  # its own keys vouch for it: why a key is pinned


# SM3 ------------------------------------------------------------------------------------


def test_an_sm3_log_exports_a_bundle_both_verifiers_check(
    new_database: Any, tmp_path: Path
) -> None:
    settings = settings_for(new_database(), tmp_path, hash_algorithm="sm3")
    migrate_database(settings)
    services = build(settings, runners="off")
    try:
        log = Log(services, Ed25519PrivateKey.generate(), tmp_path)
        log.sql(CHECKPOINTS_DDL)
        write_events(services, 2)
        log.sign(5)
        verdict = judge(log)
        assert verdict["ok"] and verdict["checkpoints_verified"] == 1
        assert lines(log.export())[0]["algorithm"] == "sm3"
        log.sql("UPDATE supervision_events SET topic = topic || ' ' WHERE notification_id = 2")
        broken_at(judge(log), 2)
    finally:
        services.close()


# The two verifiers agree -------------------------------------------------------------------


def test_both_verifiers_agree_on_hundreds_of_random_damages(log: Log) -> None:
    standalone = load_tool("verify_bundle")
    assert log.sign(10, log.hash_at(9)) == 3  # a fork, for the damages to meet
    original = log.export().read_bytes()
    chance = random.Random(5)
    verdicts = set()
    for _ in range(300):
        data = bytearray(original)
        if chance.random() < 0.8:  # a byte changed
            data[chance.randrange(len(data))] = chance.choice(b' 0179afAZ+/=",:{}-\n')
        else:  # a line dropped or repeated
            rows = bytes(data).splitlines(keepends=True)
            at = chance.randrange(len(rows))
            rows[at : at + 1] = [] if chance.random() < 0.5 else [rows[at], rows[at]]
            data = bytearray(b"".join(rows))
        for keys in ([log.pinned], []):
            ours = verify_bundle(io.BytesIO(bytes(data)), keys).as_dict()
            assert standalone.verify(io.BytesIO(bytes(data)), keys) == ours
            verdicts.add((ours["first_invalid_index"], (ours["bad_checkpoint"] or {}).get("id")))
    assert len(verdicts) > 10  # the damages were varied, and not all alike


# The walk in stretches (ADR 028) -----------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 2, 4, 8, 32])
def test_an_untouched_log_is_walked_in_stretches_side_by_side(
    log: Log, chunk: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Chained checkpoints at a stretch's last row (12), inside one (15) and at the head are
    met with the Merkle tree joined from the stretches' subtrees; no stretch is walked
    again row by row; with stretches of one row, the bundle's last stretch is its end line."""
    assert log.sign_v2(12) == 3 and log.sign_v2(15) == 4 and log.sign_v2(21) == 5
    caplog.set_level(logging.DEBUG, logger="infra")
    walked = {"workers": 2, "chunk": chunk, "parallel_from": 0, "executor": log.pool}
    seen = []
    in_database = verify_checkpoints(
        log.services.database, log.pinned, progress=seen.append, **walked
    )
    assert in_database.ok and in_database.checkpoints_verified == 5, in_database
    assert in_database.events_verified == 21 and seen[-1] == 21
    stretches = -(-21 // chunk)
    assert f"walk in {stretches} stretches on 2 workers" in caplog.text
    path = log.export()
    read: list[int] = []
    in_bundle = verify_bundle_file(path, log.pinned, read.append, **walked)
    assert in_bundle.as_dict() == in_database.as_dict()
    assert read[-1] == path.stat().st_size
    if chunk == 4:
        verdict, said = tool_in_stretches(path, log.pinned)
        assert verdict == in_bundle.as_dict() and "in 6 stretches on 2 processes" in said
    lines = 22  # the bundle's 21 event lines and its end line, cut into stretches
    assert f"walk in {-(-lines // chunk)} stretches on 2 workers" in caplog.text
    assert "row by row" not in caplog.text and "line by line" not in caplog.text


def test_a_changed_event_sends_the_walk_back_row_by_row_for_its_message(
    log: Log, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="infra")
    log.sql("UPDATE supervision_events SET topic = topic || ' ' WHERE notification_id = "
            "(SELECT position FROM supervision_chain WHERE ledger_index = 14)")  # fmt: skip
    broken_at(judge(log), 14)
    assert "is not clean: walking row by row" in caplog.text
    assert "parallel walk stopped at" in caplog.text
    assert "parallel verification stopped at" in caplog.text
    path = log.export()
    verdict, said = tool_in_stretches(path, log.pinned)
    assert verdict == verify_bundle_file(path, log.pinned).as_dict()
    assert "the stretch from index 13 did not line up: reading again line by line" in said


def test_a_bad_root_is_named_inside_a_stretch_without_walking_again(
    log: Log, caplog: pytest.LogCaptureFixture
) -> None:
    log.sign_v2(14, root=log.hash_at(14))
    caplog.set_level(logging.DEBUG, logger="infra")
    verdict = verify_checkpoints(log.services.database, log.pinned, executor=log.pool, **STRETCHES)
    bad_checkpoint(verdict.as_dict(), 3, 14, "signs Merkle root")
    assert "walk in 6 stretches" in caplog.text and "row by row" not in caplog.text
    in_tool, said = tool_in_stretches(log.export(), log.pinned)
    assert in_tool == verdict.as_dict() and "line by line" not in said


@pytest.mark.parametrize(
    "damage",
    [
        "a blank line among the events",
        "a line that is no event among them",
        "an event line that is no JSON object",
        "a malformed event",
        "a line after the end line",
        "the header replaced by a blank line",
        "the checkpoints and events all dropped",
        "an event line holding a state hash that is not one",
    ],
)
def test_a_bundle_whose_stretches_do_not_line_up_is_read_again_line_by_line(
    log: Log, damage: str
) -> None:
    path = log.export()
    rows = path.read_bytes().splitlines(keepends=True)
    at = slot([json.loads(row) for row in rows], 6)
    if damage == "a blank line among the events":
        rows.insert(at, b"\n")
    elif damage == "a line that is no event among them":
        rows.insert(at, b'{"type": "comment"}\n')
    elif damage == "an event line that is no JSON object":
        rows[at] = b"[1, 2]\n"
    elif damage == "a malformed event":
        rows[at] = rows[at].replace(b'"version": ', b'"version": -')
    elif damage == "the header replaced by a blank line":
        rows[0] = b"\n"  # the first line read is an event: a stretch, where a header must be
    elif damage == "the checkpoints and events all dropped":
        rows = [rows[0], rows[-1]]
    elif damage == "an event line holding a state hash that is not one":
        line = json.loads(rows[at])
        line["state_hash"] = "AB" * 32
        del line["state"]
        rows[at] = (json.dumps(line) + "\n").encode()
    else:
        rows.append(b'{"type": "end"}\n')
    path.write_bytes(b"".join(rows))
    assert verify_bundle_file(path, log.pinned, executor=log.pool, **STRETCHES).as_dict() == (
        verify_bundle_file(path, log.pinned).as_dict()
    )
    verdict = judge_bundle(path, log.pinned, pool=log.pool)
    assert tool_in_stretches(path, log.pinned)[0] == verdict


def test_stretches_are_a_power_of_two_rows_long(log: Log) -> None:
    for bad in (["--stretch", "6"], ["--workers", "0"]):
        done = subprocess.run(
            [sys.executable, str(TOOL), str(log.export()), *bad], capture_output=True, text=True
        )
        assert done.returncode == 2 and (
            "power of two" in done.stderr or "at least 1" in done.stderr
        )
    with pytest.raises(ValueError, match="a power of two"):
        verify_checkpoints(log.services.database, log.pinned, workers=2, chunk=3)
    with pytest.raises(ValueError, match="a power of two"):
        verify_bundle_file(log.export(), log.pinned, workers=2, chunk=6)


def test_a_chain_row_missing_where_a_stretch_begins_sends_the_walk_row_by_row(
    log: Log, caplog: pytest.LogCaptureFixture
) -> None:
    log.sql("DELETE FROM supervision_chain WHERE ledger_index = 5")
    verdict = judge(log)
    assert verdict["ok"] is False and verdict["first_invalid_index"] == 5
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="infra")
    walked = verify_checkpoints(log.services.database, log.pinned, executor=log.pool, **STRETCHES)
    assert walked.as_dict() == verdict and "walk in" not in caplog.text  # no stretch planned


def test_a_log_below_the_threshold_is_walked_in_one_process(
    log: Log, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="infra")
    verdict = verify_checkpoints(log.services.database, log.pinned, workers=2)
    assert verdict.ok and verify_bundle_file(log.export(), log.pinned, workers=2).ok
    assert "stretches" not in caplog.text


def test_the_worker_processes_are_spawned_when_none_are_lent(
    log: Log, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="infra")
    walked = {"workers": 2, "chunk": 8, "parallel_from": 0}
    assert verify_checkpoints(log.services.database, log.pinned, **walked).ok
    assert verify_bundle_file(log.export(), log.pinned, **walked).ok
    assert caplog.text.count("walk in 3 stretches on 2 workers") == 2


# The command line ------------------------------------------------------------------------


def forbid_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.database

    def refuse(*_: object) -> None:
        raise AssertionError("a bundle's verification touched a database")

    monkeypatch.setattr(infra.database, "resolve_database", refuse)
    monkeypatch.setattr(infra.database, "start_embedded", refuse)


def test_the_cli_exports_a_bundle_that_verifies_with_no_database(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = log.tmp / "export.jsonl"
    runner = CliRunner()
    env = log.cli_env()
    exported = runner.invoke(cli, ["audit", "export", "--out", str(out), "--quiet"], env=env)
    assert exported.exit_code == 0, exported.output
    assert "exported 21 events and 2 checkpoints" in exported.output
    assert lines(out)[-1] == {"type": "end", "events": 21, "checkpoints": 2, "cosignatures": 0}
    forbid_databases(monkeypatch)
    empty = log.tmp / "no-database"
    empty.mkdir()
    offline = {"SUPERVISION_DATABASE_URL": None, "SUPERVISION_DATA_DIR": str(empty)}
    key = base64.b64encode(log.pinned).decode()
    args = ["audit", "verify", "--bundle", str(out), "--quiet", "--public-key"]
    ok = runner.invoke(cli, [*args, key], env=offline)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout.splitlines()[-1])["checkpoints_verified"] == 2
    other = base64.b64encode(raw(Ed25519PrivateKey.generate())).decode()
    wrong_key = runner.invoke(cli, [*args, other], env=offline)
    assert wrong_key.exit_code == 1 and "bad checkpoint 1 at index 10" in wrong_key.output
    assert list(empty.iterdir()) == []


def test_verifying_a_bundle_in_a_fresh_process_starts_no_database(log: Log, tmp_path: Path) -> None:
    path = log.export()
    items = lines(path)
    items[slot(items, 7)]["topic"] += "x"
    rewrite(path, items)
    data_dir = tmp_path / "empty-data-dir"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERVISION_")}
    env.update(SUPERVISION_DATA_DIR=str(data_dir), SUPERVISION_LOG_LEVEL="WARNING")
    command = [str(Path(sys.executable).parent / "supervision"), "audit", "verify", "--quiet"]
    done = subprocess.run(
        [*command, "--bundle", str(path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "chain broken at index 7" in done.stderr
    assert json.loads(done.stdout)["first_invalid_index"] == 7
    assert list(data_dir.iterdir()) == [] and not (tmp_path / "var").exists()


def test_the_cli_verifies_the_database_against_the_pinned_key(log: Log) -> None:
    log.sign(21, key=Ed25519PrivateKey.generate())
    env = log.cli_env()
    key = base64.b64encode(log.pinned).decode()
    pinned = CliRunner().invoke(cli, ["audit", "verify", "--quiet", "--public-key", key], env=env)
    assert pinned.exit_code == 1 and "bad checkpoint 3 at index 21" in pinned.output
    unpinned = CliRunner().invoke(cli, ["audit", "verify", "--quiet"], env=env)
    assert unpinned.exit_code == 0, unpinned.output
    log.sql("DELETE FROM supervision_checkpoints WHERE id = 3")
    fresh = ["audit", "verify", "--quiet", "--public-key", key, "--max-age-hours", "1"]
    assert CliRunner().invoke(cli, fresh, env=env).exit_code == 0
    log.sql("DELETE FROM supervision_checkpoints")
    deleted = CliRunner().invoke(cli, fresh, env=env)
    assert deleted.exit_code == 1 and "no checkpoint signed by the pinned key" in deleted.output
    bundle = log.export()
    uncovered = CliRunner().invoke(
        cli, ["audit", "verify", "--bundle", str(bundle), "--quiet", "--public-key", key], env=env
    )
    assert uncovered.exit_code == 1 and "no checkpoint" in uncovered.output


# Secrets ----------------------------------------------------------------------------------


def test_a_bundle_carries_no_token_hash_and_still_verifies(log: Log) -> None:
    """An account's creation event holds its token's hash: the bundle carries the hash of
    that event's state instead (issue 21 item 7), and both verifiers check the chain."""
    token_hash = hashlib.sha256(b"a-token-nobody-may-read").hexdigest()
    log.services.app.create_account(
        token_hash=token_hash, name="督查员 周", role=Role.INSPECTOR, unit_code=None, actor=ADMIN
    )
    path = log.export()
    assert token_hash not in path.read_text(encoding="utf-8")
    (account,) = [item for item in lines(path) if item.get("topic", "").startswith("domain.acc")]
    assert "state" not in account and len(account["state_hash"]) == 64
    verdict = judge_bundle(path, log.pinned)
    assert verdict["ok"] is True and verdict["events_verified"] == 2 * FINDINGS + 2, verdict


def test_a_state_hash_changed_in_a_bundle_is_named(log: Log) -> None:
    log.services.app.create_account(
        token_hash="0" * 64, name="督查员 吴", role=Role.INSPECTOR, unit_code=None, actor=ADMIN
    )
    items = lines(log.export())
    (account,) = [item for item in items if "state_hash" in item]
    account["state_hash"] = "f" * 64
    broken_at(judge_bundle(rewrite(log.tmp / "changed.jsonl", items), log.pinned), 22)


def test_a_forged_state_beside_the_hash_of_the_recorded_one_is_malformed_in_both(
    log: Log,
) -> None:
    """A line may not show other content beside the hash of what was recorded (the hash
    would verify, the content would be a forgery), nor hide an ordinary event's content
    behind its hash: only an account's creation carries state_hash, and then no state."""
    items = lines(log.export())
    line = items[slot(items, 4)]
    recorded = base64.b64decode(line["state"])
    line["state_hash"] = hashlib.sha256(recorded).hexdigest()
    line["state"] = base64.b64encode(recorded.replace(b"2026", b"2025")).decode()
    verdict = judge_bundle(rewrite(log.tmp / "both.jsonl", items), log.pinned)
    assert verdict["ok"] is False and "both state and state_hash" in verdict["problem"], verdict
    del line["state"]  # the content withheld: the hash alone
    verdict = judge_bundle(rewrite(log.tmp / "withheld.jsonl", items), log.pinned)
    assert verdict["ok"] is False and "only an account's creation" in verdict["problem"], verdict


# Issue 16: what a database administrator tried ---------------------------------------------


def test_checkpoints_deleted_from_the_database_fail_against_the_pinned_key(log: Log) -> None:
    """DELETE FROM supervision_checkpoints: with a pinned key, a log no checkpoint covers is
    not verified (without one, the verdict only says the chain agrees with itself)."""
    log.sql("DELETE FROM supervision_checkpoints")
    verdict = judge(log)
    assert verdict["ok"] is False and verdict["checkpoints_verified"] == 0, verdict
    assert "no checkpoint signed by the pinned key" in verdict["problem"]
    assert verify_checkpoints(log.services.database, None).ok is True


def test_the_tail_cut_and_the_checkpoints_deleted_fail_against_the_pinned_key(log: Log) -> None:
    log.sql("DELETE FROM supervision_chain WHERE ledger_index > 15")
    log.sql("DELETE FROM supervision_events WHERE notification_id > 15")
    log.sql("DELETE FROM supervision_checkpoints")
    verdict = judge(log)
    assert verdict["ok"] is False and "no checkpoint signed by the pinned key" in verdict["problem"]


def test_a_checkpoint_older_than_the_age_asked_for_fails(log: Log) -> None:
    log.sql("DELETE FROM supervision_checkpoints")
    log.sign(21, created_at=datetime.now(UTC) - timedelta(days=3))
    database = log.services.database
    assert verify_checkpoints(database, log.pinned).ok is True
    stale = verify_checkpoints(database, log.pinned, max_age=timedelta(days=1))
    assert stale.ok is False and "older than" in str(stale.problem), stale
    assert verify_checkpoints(database, log.pinned, max_age=timedelta(days=7)).ok is True
    path = log.export()
    assert verify_bundle_file(path, [log.pinned], max_age=timedelta(days=1)).ok is False
    status, theirs = tool(path, log.pinned, "--max-age-hours", "24")
    assert status == 1 and "older than" in theirs["problem"], theirs


@pytest.mark.parametrize("column", ["state", "topic"])
def test_an_event_whose_column_was_set_to_null_is_named_not_a_crash(log: Log, column: str) -> None:
    log.sql(f"ALTER TABLE supervision_events ALTER COLUMN {column} DROP NOT NULL")
    log.sql(f"UPDATE supervision_events SET {column} = NULL WHERE notification_id = 7")
    in_database = verify_checkpoints(log.services.database, log.pinned).as_dict()
    broken_at(in_database, 7)
    assert "has a field emptied" in in_database["problem"]
    exported = judge_bundle(log.export(), log.pinned)  # both verifiers, one verdict
    broken_at(exported, 7)
    assert "malformed event" in exported["problem"]
    plain = verify_chain(log.services.database, log.services.settings.hash_algorithm)
    assert plain.ok is False and plain.first_invalid_index == 7, plain


def test_a_lone_surrogate_in_a_bundle_is_named_not_a_crash(log: Log) -> None:
    items = lines(log.export())
    items[slot(items, 4)]["topic"] = "domain.findings:Finding.\ud800Raised"
    path = log.tmp / "surrogate.jsonl"
    text = "".join(json.dumps(item) + "\n" for item in items)  # ASCII: \ud800 as an escape
    path.write_text(text, encoding="ascii")
    verdict = judge_bundle(path, log.pinned)
    assert verdict["ok"] is False and "line" in verdict["problem"], verdict


@pytest.mark.parametrize("algorithm", ["sha256", "sm3"])
def test_a_raw_insert_past_the_head_is_never_chained_by_the_next_command(
    new_database: Any, tmp_path: Path, algorithm: str
) -> None:
    """Either writer (SHA-256 in SQL, SM3 in the service) chains only the rows its own
    transaction inserted: an event put in the table by hand stays unchained, and named."""
    settings = settings_for(new_database(), tmp_path, hash_algorithm=algorithm)
    migrate_database(settings)
    services = build(settings, runners="off")
    try:
        log = Log(services, Ed25519PrivateKey.generate(), tmp_path)
        write_events(services, 1)
        log.sql(
            "INSERT INTO supervision_events (originator_id, originator_version, topic, state) "
            "SELECT originator_id, 99, topic, state FROM supervision_events "
            "WHERE notification_id = 2"
        )
        write_events(services, 1, code="b1")  # an ordinary command after it
        (raw_position,) = log.sql("SELECT max(notification_id) FROM supervision_events "
                                  "WHERE originator_version = 99")[0]  # fmt: skip
        verdict = verify_checkpoints(services.database, None).as_dict()
        broken_at(verdict, 4)
        assert verdict["problem"] == f"event at position {raw_position} has no chain row"
    finally:
        services.close()


def test_the_cli_proves_the_log_extends_a_bundle_exported_before(log: Log) -> None:
    """`audit verify --since OLD`: an RFC 9162 consistency proof from the chain the earlier
    bundle holds to the chain now; a rewritten or cut prefix fails."""
    earlier = log.export("earlier.jsonl")
    write_events(log.services, 2, code="b7")
    env, key = log.cli_env(), base64.b64encode(log.pinned).decode()
    since = ["audit", "verify", "--quiet", "--public-key", key, "--since", str(earlier)]
    extended = CliRunner().invoke(cli, since, env=env)
    assert extended.exit_code == 0, extended.output
    assert json.loads(extended.stdout.splitlines()[0])["extends"] is True
    with_bundle = CliRunner().invoke(cli, [*since, "--bundle", str(earlier)], env=env)
    assert with_bundle.exit_code == 2
    log.sql(  # an event forged, and the chain recomputed after it: the chain alone verifies
        "UPDATE supervision_events SET state = state || ' '::bytea WHERE notification_id = 5"
    )
    rechain(log, 3)
    rewritten = CliRunner().invoke(cli, since, env=env)
    assert rewritten.exit_code == 1 and "were rewritten" in rewritten.output
    log.sql("DELETE FROM supervision_chain WHERE ledger_index > 5")
    log.sql("DELETE FROM supervision_events WHERE notification_id > 5")
    cut = CliRunner().invoke(cli, since, env=env)
    assert cut.exit_code == 1 and "it was cut" in cut.output


@pytest.mark.parametrize("position", [-1, 0, 2**63 - 1])
def test_an_event_written_at_a_position_no_sequence_gives_is_named_by_every_verifier(
    log: Log, position: int
) -> None:
    """Zero, a negative position or the largest bigint: the walk has no bound where it starts
    or ends, so such a row is walked, exported and found without a chain row."""
    log.sql(
        "INSERT INTO supervision_events (notification_id, originator_id, originator_version, "
        "topic, state) SELECT %s, originator_id, 99, topic, state FROM supervision_events "
        "WHERE notification_id = 2",
        (position,),
    )
    in_database = verify_checkpoints(log.services.database, log.pinned).as_dict()
    assert in_database["ok"] is False, in_database
    assert in_database["problem"] == f"event at position {position} has no chain row"
    exported = judge_bundle(log.export(), log.pinned)
    assert exported["ok"] is False, exported
    plain = verify_chain(log.services.database, log.services.settings.hash_algorithm)
    assert plain.ok is False and plain.problem == in_database["problem"], plain


def test_a_hash_function_the_administrator_put_before_the_servers_does_not_fool_the_check(
    log: Log,
) -> None:
    """An altered event, and a `sha256()` in the public schema, first on the search path,
    answering the altered bytes with the original's hash: the check calls PostgreSQL's own."""
    ((state, digest),) = log.sql(
        "SELECT state, sha256(state) FROM supervision_events WHERE notification_id = 7"
    )
    altered = bytes(state).replace(b"}", b" }", 1)
    log.sql("UPDATE supervision_events SET state = %s WHERE notification_id = 7", (altered,))
    log.sql(
        "CREATE FUNCTION public.sha256(bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS "
        f"$$ SELECT CASE WHEN $1 = '\\x{altered.hex()}'::bytea THEN '\\x{bytes(digest).hex()}'"
        "::bytea ELSE pg_catalog.sha256($1) END $$"
    )
    log.sql(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET search_path = public, pg_catalog', "
        "current_database()); END $$"
    )
    assert log.sql(f"SELECT sha256('\\x{altered.hex()}'::bytea) = %s", (digest,)) == [(True,)]
    # A verifier started afterwards: its connections take the database's new search path.
    fresh = Database(log.services.database.conninfo)
    in_database = verify_checkpoints(fresh, log.pinned).as_dict()
    broken_at(in_database, 7)
    assert in_database["problem"] == "event at ledger index 7 (position 7) was altered"


def test_a_version_past_the_envelopes_range_is_named_not_a_crash(log: Log) -> None:
    log.sql("UPDATE supervision_events SET originator_version = -1 WHERE notification_id = 7")
    in_database = verify_checkpoints(log.services.database, log.pinned).as_dict()
    broken_at(in_database, 7)
    assert in_database["problem"] == (
        "event at ledger index 7 (position 7) has a number out of range"
    )
    exported = judge_bundle(log.export(), log.pinned)
    broken_at(exported, 7)
    plain = verify_chain(log.services.database, log.services.settings.hash_algorithm)
    assert plain.ok is False and plain.first_invalid_index == 7, plain


def test_a_checkpoint_signed_at_infinity_is_named_not_a_crash(log: Log) -> None:
    log.sql("UPDATE supervision_checkpoints SET created_at = 'infinity' WHERE id = 2")
    in_database = verify_checkpoints(log.services.database, log.pinned).as_dict()
    assert in_database["ok"] is False and in_database["bad_checkpoint"]["id"] == 2, in_database
    exported = judge_bundle(log.export(), log.pinned)
    assert exported["ok"] is False and exported["bad_checkpoint"]["index"] == 21, exported


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("version = 3", "version 3 is not 1 or 2"),
        ("seq = NULL, log_id = NULL", "log_id is not a string"),
    ],
)
def test_a_checkpoint_row_no_export_could_carry_is_malformed_in_the_database_as_in_the_bundle(
    log: Log, change: str, problem: str
) -> None:
    chained = log.sign_v2(21)  # a version-2 checkpoint, whose fields a row may lose
    log.sql(f"UPDATE supervision_checkpoints SET {change} WHERE id = %s", (chained,))
    in_database = verify_checkpoints(log.services.database, log.pinned).as_dict()
    assert in_database["ok"] is False, in_database
    assert in_database["bad_checkpoint"]["problem"] == f"malformed checkpoint: {problem}"
    assert in_database["bad_checkpoint"]["id"] == chained
    exported = judge_bundle(log.export(), log.pinned)
    assert exported["ok"] is False, exported
    assert exported["bad_checkpoint"]["problem"].endswith(f"malformed checkpoint: {problem}")


def test_a_stored_public_key_that_is_no_key_leaves_both_verdicts_to_the_pinned_key(
    log: Log,
) -> None:
    log.sql("UPDATE supervision_checkpoints SET public_key = '\\x0102030405' WHERE id = 2")
    in_database = verify_checkpoints(log.services.database, log.pinned).as_dict()
    exported = judge_bundle(log.export(), log.pinned)
    assert in_database["ok"] is exported["ok"] is True, (in_database, exported)
    assert in_database["checkpoints_verified"] == exported["checkpoints_verified"] == 2
