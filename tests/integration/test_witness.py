"""Witnesses (issue 16 item 2): `supervision witness run`, a process of another party with
only HTTP access, co-signs each new checkpoint once the service's consistency proof leads
from the root it co-signed before to the new signed root; it refuses a rewritten log and a
log whose checkpoints went back. Verifiers demand M of N named witnesses."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.rows import dict_row

from api.runtime.bootstrap import Services, build
from bench.harness import free_port
from infra import merkle
from infra.bundle import Export, verify_bundle_file, verify_checkpoints
from infra.chain import hasher
from infra.checkpoints import (
    BadCosignature,
    NoSuchCheckpoint,
    _row_to_checkpoint,
    add_cosignature,
    digest,
)
from infra.signing import (
    cosign,
    public_key_raw,
    read_key,
    sign_checkpoint,
    timestamp,
    verify_cosignature,
    write_key,
)
from infra.witness import Witness, WitnessRefused, WitnessUnreachable
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.integration.test_checkpoints import forge_and_rechain
from tests.served import BIN, Service, migrated_service, running
from tests.support import TOOLS, as_dba

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Scene:
    """A running service, an in-process view of its database, and a witness's files."""

    service: Service
    services: Services
    data: Path
    witness_key: Path
    token_file: Path
    inspector: dict[str, str]

    def http(
        self, method: str, path: str, headers: dict[str, str] = ADMIN, **kw: Any
    ) -> httpx.Response:
        return httpx.request(method, self.service.url + path, headers=headers, timeout=30, **kw)

    def findings(self, count: int) -> None:
        code = f"w{time.monotonic_ns()}"
        body = {"code": code, "name": "见证测试单位", "kind": "township"}
        unit = self.http("POST", "/api/v1/units", json=body)
        assert unit.status_code == 201, unit.text
        for n in range(count):
            answer = self.http("POST", "/api/v1/findings", self.inspector, json={
                "unit_code": code, "title": f"问题{n}", "description": "说明",
                "category": "other", "severity": "minor", "source": "other",
                "found_on": "2026-03-05", "evidence": []})  # fmt: skip
            assert answer.status_code == 201, answer.text

    def checkpoint(self) -> dict[str, Any]:
        answer = self.http("POST", "/api/v1/audit/checkpoints")
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()
        return made

    @property
    def log_key(self) -> str:
        return base64.b64encode(public_key_raw(read_key(self.data / "signing-key.pem"))).decode()

    def witness(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """`supervision witness run --once`, with no database in its environment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERVISION_")}
        env["SUPERVISION_LOG_LEVEL"] = "WARNING"
        command = [str(BIN / "supervision"), "witness", "run", "--url", self.service.url,
                   "--log-key", self.log_key, "--key", str(self.witness_key),
                   "--token-file", str(self.token_file), *extra]  # fmt: skip
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    @property
    def witness_public(self) -> bytes:
        return public_key_raw(read_key(self.witness_key))


@pytest.fixture
def scene(new_database: Callable[[], str], tmp_path: Path) -> Iterator[Scene]:
    url = new_database()
    data = tmp_path / "service"
    data.mkdir()
    service = migrated_service(url, data)
    services = build(settings_for(url, tmp_path / "inproc"), runners="off")
    witness_key = tmp_path / "bureau" / "witness.pem"
    write_key(witness_key, Ed25519PrivateKey.generate())
    try:
        with running(service):
            account = httpx.post(f"{service.url}/api/v1/accounts", headers=ADMIN, timeout=30,
                                 json={"name": "县审计局见证", "role": "auditor"})  # fmt: skip
            assert account.status_code == 201, account.text
            token_file = tmp_path / "bureau" / "token"
            token_file.write_text(account.json()["token"], encoding="utf-8")
            inspector = httpx.post(f"{service.url}/api/v1/accounts", headers=ADMIN, timeout=30,
                                   json={"name": "督查员", "role": "inspector"})  # fmt: skip
            bearer = {"Authorization": f"Bearer {inspector.json()['token']}"}
            yield Scene(service, services, data, witness_key, token_file, bearer)
    finally:
        services.close()


def cosigned(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.splitlines()[-1])["cosigned"]


def test_a_witness_co_signs_a_log_that_grows_and_refuses_one_rewritten(scene: Scene) -> None:
    scene.findings(3)
    first = scene.checkpoint()
    assert cosigned(scene.witness("--once")) == first["seq"]
    assert cosigned(scene.witness("--once")) is None  # nothing new
    scene.findings(2)
    second = scene.checkpoint()
    assert cosigned(scene.witness("--once")) == second["seq"]
    listed = scene.http("GET", f"/api/v1/audit/checkpoints/{second['seq']}/cosignatures").json()
    (only,) = listed["items"]
    signature = base64.b64decode(only["signature"])
    assert verify_cosignature(scene.witness_public, digest(second), signature, only["signed_at"])
    pinned, witness = public_key_raw(read_key(scene.data / "signing-key.pem")), scene.witness_public
    verdict = verify_checkpoints(scene.services.database, pinned, witnesses=[witness],
                                 witnesses_required=1)  # fmt: skip
    assert verdict.ok and verdict.checkpoints_verified == 2, verdict
    # The database's administrator, holding the signing key too, rewrites the log and signs
    # its head as the next checkpoint, chained to the last one the witness saw.
    forge_and_rechain(scene.services)
    forged = hand_signed_checkpoint(scene, seq=second["seq"] + 1, prev_of=second)
    refused = scene.witness("--once")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "见证人拒绝联署" in refused.stderr and "another tree of the same size" in refused.stderr
    # Grown past what the witness saw: the consistency proof from its root does not hold.
    scene.findings(1)
    grown = hand_signed_checkpoint(scene, seq=forged["seq"] + 1, prev_of=forged)
    refused = scene.witness("--once")
    assert refused.returncode == 1 and "it was rewritten" in refused.stderr
    for cp in (forged, grown):
        after = scene.http("GET", f"/api/v1/audit/checkpoints/{cp['seq']}/cosignatures").json()
        assert after["items"] == []


def hand_signed_checkpoint(
    scene: Scene, seq: int, prev_of: dict[str, Any] | None
) -> dict[str, Any]:
    """A version-2 checkpoint of the chain as it is now, signed with the service's key by
    hand and inserted as the database's administrator would."""
    key = read_key(scene.data / "signing-key.pem")
    with as_dba(scene.services.database) as conn:
        rows = conn.execute("SELECT hash FROM supervision_chain ORDER BY ledger_index").fetchall()
        leaves = [bytes(row[0]) for row in rows]
        h = hasher("sha256")
        chained = {
            "log_id": leaves[0].hex(),
            "seq": seq,
            "root": merkle.root(h, merkle.in_memory(h, leaves), len(leaves)).hex(),
            "prev": digest(prev_of) if prev_of else "0" * 64,
        }
        made = sign_checkpoint(key, len(leaves), leaves[-1].hex(), timestamp(), "sha256",
                               chained=chained)  # fmt: skip
        conn.execute(
            "INSERT INTO supervision_checkpoints (version, log_id, seq, ledger_index, hash, root, "
            "prev, created_at, algorithm, key_id, signature, public_key) VALUES (2, %s, %s, %s, "
            "%s, %s, %s, %s, 'sha256', %s, %s, %s)",
            (bytes.fromhex(made["log_id"]), seq, made["index"], leaves[-1],
             bytes.fromhex(made["root"]), bytes.fromhex(made["prev"]), made["created_at"],
             made["key_id"], base64.b64decode(made["signature"]), public_key_raw(key)),
        )  # fmt: skip
    return made


def test_a_witness_refuses_checkpoints_that_went_back(scene: Scene) -> None:
    scene.findings(2)
    first = scene.checkpoint()
    assert cosigned(scene.witness("--once")) == first["seq"]
    with as_dba(scene.services.database) as conn:
        conn.execute("DELETE FROM supervision_checkpoints")
        conn.execute("DELETE FROM supervision_chain WHERE ledger_index > 2")
        conn.execute("DELETE FROM supervision_events WHERE notification_id > 2")
    hand_signed_checkpoint(scene, seq=1, prev_of=None)
    refused = scene.witness("--once")
    assert refused.returncode == 1 and "went back" in refused.stderr


def test_a_witness_trusts_nothing_but_the_logs_key_and_says_when_it_cannot_ask(
    scene: Scene, tmp_path: Path
) -> None:
    assert cosigned(scene.witness("--once")) is None  # no checkpoint yet: nothing to do
    scene.findings(1)
    scene.checkpoint()
    stranger = base64.b64encode(public_key_raw(Ed25519PrivateKey.generate())).decode()
    done = scene.witness("--once", "--log-key", stranger)
    assert done.returncode == 1 and "is not signed by the log's key" in done.stderr
    scene.token_file.write_text("not-a-token", encoding="utf-8")
    unreachable = scene.witness("--once")
    assert unreachable.returncode == 2 and "401" in unreachable.stderr
    scene.token_file.write_text("", encoding="utf-8")
    assert scene.witness("--once").returncode == 2  # no token at all: a usage error


def test_the_witness_follows_the_log_round_after_round(scene: Scene) -> None:
    """Without --once it runs until stopped, one round every --interval seconds."""
    scene.findings(1)
    scene.checkpoint()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERVISION_")}
    command = [str(BIN / "supervision"), "witness", "run", "--url", scene.service.url,
               "--log-key", scene.log_key, "--key", str(scene.witness_key),
               "--token-file", str(scene.token_file), "--interval", "1"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for_cosignatures(scene, 1)
        scene.findings(1)
        second = scene.checkpoint()
        assert wait_for_cosignatures(scene, second["seq"])
    finally:
        process.terminate()
        process.wait(10)


def wait_for_cosignatures(scene: Scene, seq: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listed = scene.http("GET", f"/api/v1/audit/checkpoints/{seq}/cosignatures").json()
        if listed["items"]:
            return True
        time.sleep(0.2)
    return False


def test_co_signatures_are_checked_before_they_are_kept(scene: Scene) -> None:
    scene.findings(1)
    cp = scene.checkpoint()
    witness = read_key(scene.witness_key)
    good = cosign(witness, digest(cp), timestamp())
    body = {k: good[k] for k in ("public_key", "signature", "signed_at")}
    path = f"/api/v1/audit/checkpoints/{cp['seq']}/cosignatures"
    assert scene.http("POST", path, json=body).status_code == 201
    again = scene.http("POST", path, json=body)
    assert again.status_code == 200 and again.json()["signature"] == good["signature"]
    for wrong, code in (
        (dict(body, signed_at="2026-01-01T00:00:00+08:00"), "invalid_cosignature"),
        (dict(body, signed_at="yesterday"), "invalid_cosignature"),
        (dict(body, signature=base64.b64encode(b"x" * 64).decode()), "invalid_cosignature"),
        (dict(body, public_key="not base64!"), "validation_error"),
    ):
        refused = scene.http("POST", path, json=wrong)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code
    missing = scene.http("POST", "/api/v1/audit/checkpoints/99/cosignatures", json=body)
    assert missing.status_code == 404
    # Listed: none co-signed yet is an empty list; no such checkpoint is 404, not the same.
    listed = scene.http("GET", "/api/v1/audit/checkpoints/99/cosignatures")
    assert listed.status_code == 404 and listed.json()["error"]["code"] == "not_found"
    with pytest.raises(NoSuchCheckpoint):
        add_cosignature(scene.services.database, 99, b"k" * 32, b"s" * 64, good["signed_at"])
    with pytest.raises(BadCosignature):
        add_cosignature(scene.services.database, cp["seq"], b"short", b"s", good["signed_at"])


def test_verifiers_demand_m_of_n_named_witnesses_and_name_a_changed_checkpoint(
    scene: Scene, tmp_path: Path
) -> None:
    """The database, a bundle and the standalone tool give one verdict."""
    scene.findings(2)
    scene.checkpoint()
    assert cosigned(scene.witness("--once")) == 1
    pinned = public_key_raw(read_key(scene.data / "signing-key.pem"))
    ours, other = scene.witness_public, public_key_raw(Ed25519PrivateKey.generate())

    def verdicts(witnesses: list[bytes], required: int) -> dict[str, Any]:
        in_database = verify_checkpoints(scene.services.database, pinned, witnesses=witnesses,
                                         witnesses_required=required).as_dict()  # fmt: skip
        bundle = tmp_path / f"bundle-{time.monotonic_ns()}.jsonl"
        with Export(scene.services.database) as export:
            export.write(bundle)
        assert verify_bundle_file(bundle, pinned, None, None, witnesses, required).as_dict() == (
            in_database
        )
        args = [
            str(TOOLS / "verify_bundle.py"),
            str(bundle),
            "--public-key",
            base64.b64encode(pinned).decode(),
            "--witnesses-required",
            str(required),
        ]
        for key in witnesses:
            args += ["--witness", base64.b64encode(key).decode()]  # fmt: skip
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60)
        assert json.loads(done.stdout) == in_database, done.stderr
        return in_database

    assert verdicts([ours], 1)["ok"] is True
    assert verdicts([ours, other], 1)["ok"] is True
    two = verdicts([ours, other], 2)
    assert two["ok"] is False and "co-signed by 2 of the named witnesses" in two["problem"]
    # The checkpoint the witness co-signed, replaced by one signed at another moment.
    with as_dba(scene.services.database) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        row = cursor.execute("SELECT * FROM supervision_checkpoints WHERE seq = 1").fetchone()
        conn.execute("DELETE FROM supervision_checkpoints")
    assert row is not None
    replaced = hand_signed_checkpoint(scene, seq=1, prev_of=None)
    assert replaced["created_at"] != _row_to_checkpoint(row)["created_at"]
    changed = verdicts([ours], 1)
    assert changed["ok"] is False and "does not verify" in changed["problem"]
    with as_dba(scene.services.database) as conn:
        conn.execute("DELETE FROM supervision_checkpoints")
    gone = verdicts([ours], 1)
    assert gone["ok"] is False and "which the log does not hold" in gone["problem"]


def test_a_witness_refuses_another_log_and_a_checkpoint_changed_under_its_number(
    tmp_path: Path,
) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{free_port()}") as nowhere:
        witness = Witness(nowhere, b"k" * 32, Ed25519PrivateKey.generate(), tmp_path / "r.json")
        with pytest.raises(WitnessUnreachable, match="GET /api/v1/audit/checkpoints"):
            witness.round()  # nothing listens there
    last = {"log_id": "aa" * 32, "seq": 2, "index": 5, "root": "00" * 32, "digest": "d1"}
    same = dict(last, algorithm="sha256")
    with pytest.raises(WitnessRefused, match="names another log"):
        witness.extends(last, dict(same, log_id="bb" * 32), "d1")
    with pytest.raises(WitnessRefused, match="changed since this witness co-signed it"):
        witness.extends(last, same, "d2")
    assert witness.extends(last, same, "d1") is True  # that very one: nothing to do
