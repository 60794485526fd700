"""Merkle proofs over the chain (issue 16 item 3, RFC 9162): an inclusion proof for any row and
a consistency proof between two sizes, served to auditors and verified with the roots an
auditor computes from their own copy of the chain."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.runtime.bootstrap import Services
from infra.bundle import Export
from infra.chain import hasher
from infra.merkle import in_memory, root, verify_consistency, verify_inclusion
from infra.settings import Settings
from tests.integration.conftest import ADMIN, raise_finding
from tests.support import ADMIN as ADMIN_HEADERS
from tests.support import TOOLS, Api, as_dba

PROOFS = "/api/v1/audit/proofs"


@pytest.fixture
def client(services: Services, fresh_settings: Settings) -> Iterator[TestClient]:
    services.app.register_unit(code="pf", name="单位", kind="township", actor=ADMIN)
    for n in range(70):  # past one block of 64 leaves: stored subtrees are used
        raise_finding(services, "pf", f"问题{n}")
    with TestClient(create_app(fresh_settings, services=services)) as made:
        yield made


def chain_hashes(services: Services) -> list[bytes]:
    with as_dba(services.database) as conn:
        rows = conn.execute("SELECT hash FROM supervision_chain ORDER BY ledger_index").fetchall()
    return [bytes(row[0]) for row in rows]


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    answer = client.get(path, params=params, headers=ADMIN_HEADERS)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_an_inclusion_proof_verifies_against_the_root_of_the_auditors_own_copy(
    client: TestClient, services: Services
) -> None:
    h, leaves = hasher("sha256"), chain_hashes(services)
    for index, size in ((1, 1), (3, 71), (64, 71), (71, 71), (5, 64)):
        proof = get(client, f"{PROOFS}/inclusion", index=index, size=size)
        expected = root(h, in_memory(h, leaves[:size]), size)
        assert proof["root"] == expected.hex() and proof["leaf"] == leaves[index - 1].hex()
        path = [bytes.fromhex(node) for node in proof["proof"]]
        assert verify_inclusion(h, leaves[index - 1], index - 1, size, path, expected)
        assert not verify_inclusion(h, bytes(32), index - 1, size, path, expected)
    whole = get(client, f"{PROOFS}/inclusion", index=2)
    assert whole["size"] == len(leaves)


def test_a_consistency_proof_shows_the_log_extended_what_an_auditor_saw(
    client: TestClient, services: Services
) -> None:
    h = hasher("sha256")
    seen = chain_hashes(services)[:10]  # what an auditor kept of the log before
    old_root = root(h, in_memory(h, seen), len(seen))
    raise_finding(services, "pf", "后来的问题")
    proof = get(client, f"{PROOFS}/consistency", **{"from": 10})
    assert proof["from"] == 10 and proof["to"] == len(chain_hashes(services))
    assert proof["old_root"] == old_root.hex()
    nodes = [bytes.fromhex(node) for node in proof["proof"]]
    new_root = bytes.fromhex(proof["new_root"])
    assert verify_consistency(h, 10, proof["to"], old_root, new_root, nodes)
    # A rewritten prefix no longer has the root the auditor kept.
    with as_dba(services.database) as conn:
        conn.execute("UPDATE supervision_chain SET hash = sha256(hash) WHERE ledger_index = 4")
    rewritten = get(client, f"{PROOFS}/consistency", **{"from": 10, "to": proof["to"]})
    assert rewritten["old_root"] != old_root.hex()


def test_a_proof_past_the_chain_or_out_of_order_is_refused(client: TestClient) -> None:
    api = Api(client)
    for path, params in (
        ("inclusion", {"index": 5, "size": 3}),
        ("inclusion", {"index": 500}),
        ("consistency", {"from": 9, "to": 3}),
        ("consistency", {"from": 500}),
        ("inclusion", {"index": 0}),
    ):
        answer = client.get(f"{PROOFS}/{path}", params=params, headers=ADMIN_HEADERS)
        assert answer.status_code == 422, (path, params, answer.text)
        assert set(answer.json()) == {"error"}
    inspector = api.account("inspector")
    assert (
        client.get(f"{PROOFS}/inclusion", params={"index": 1}, headers=inspector).status_code == 403
    )


def test_the_standalone_tool_checks_proofs_against_an_auditors_bundle(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    """docs/audit.md §7 with tools/verify_bundle.py alone: a consistency proof from the
    bundle an auditor kept to the log now, and an inclusion proof against its rows."""
    bundle = tmp_path / "kept.jsonl"
    with Export(services.database) as writer:
        writer.write(bundle)
    rows = len(chain_hashes(services))
    raise_finding(services, "pf", "后来的问题")
    consistency = get(client, f"{PROOFS}/consistency", **{"from": rows})
    inclusion = get(client, f"{PROOFS}/inclusion", index=7, size=rows)
    for kind, proof in (("consistency", consistency), ("inclusion", inclusion)):
        good = tool(bundle, kind, proof, tmp_path)
        assert good.returncode == 0, good.stdout + good.stderr
        assert json.loads(good.stdout)[kind] == {"ok": True, "problem": None}
        broken = dict(proof, proof=[*reversed(proof["proof"]), proof["proof"][0]])
        refused = tool(bundle, kind, broken, tmp_path)
        assert (
            refused.returncode == 1 and "does not verify" in json.loads(refused.stdout)["problem"]
        )
    malformed = tool(bundle, "inclusion", {"index": 1}, tmp_path)
    assert malformed.returncode == 1 and "malformed" in json.loads(malformed.stdout)["problem"]
    outside = tool(bundle, "inclusion", dict(inclusion, size=rows + 5), tmp_path)
    assert "not the root of the bundle's first" in json.loads(outside.stdout)["problem"]
    script = str(TOOLS / "verify_bundle.py")
    missing = [sys.executable, script, str(bundle), "--inclusion", str(tmp_path / "none.json")]
    assert subprocess.run(missing, capture_output=True, text=True).returncode == 2
    piped = subprocess.run(
        [sys.executable, script, "-", "--inclusion", str(tmp_path / "inclusion.json")],
        input=bundle.read_bytes(),
        capture_output=True,
    )
    assert piped.returncode == 2 and b"not -" in piped.stderr
    elsewhere = dict(consistency, old_root="00" * 32)
    assert (
        "another log"
        in json.loads(tool(bundle, "consistency", elsewhere, tmp_path).stdout)["problem"]
    )


def tool(bundle: Path, kind: str, proof: dict[str, Any], tmp_path: Path) -> Any:
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(TOOLS / "verify_bundle.py"), str(bundle), f"--{kind}", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
