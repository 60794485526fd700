"""Merkle proofs over the chain (issue 16 item 3, RFC 9162): an inclusion proof for any row and
a consistency proof between two sizes, served to auditors and verified with the roots an
auditor computes from their own copy of the chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.runtime.bootstrap import Services
from infra.chain import hasher
from infra.merkle import in_memory, root, verify_consistency, verify_inclusion
from infra.settings import Settings
from tests.integration.conftest import ADMIN, raise_finding
from tests.support import ADMIN as ADMIN_HEADERS
from tests.support import Api, as_dba

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
