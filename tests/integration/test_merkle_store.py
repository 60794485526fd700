"""The Merkle tree kept in the database answers the same roots and proofs as the tree
computed from every leaf, however far it was extended and in how many steps."""

from __future__ import annotations

import pytest

from api.runtime.bootstrap import Services
from infra.chain import hasher
from infra.merkle import (
    consistency_proof,
    in_memory,
    inclusion_proof,
    root,
    verify_consistency,
    verify_inclusion,
)
from infra.merkle_store import BLOCK, StoredTree, extend
from tests.integration.conftest import ADMIN

EVENTS = 4 * BLOCK + 37  # four complete blocks and a part of a fifth


@pytest.fixture
def logged(services: Services) -> Services:
    for n in range(EVENTS):
        services.app.register_unit(code=f"m{n:03d}", name=f"单位{n}", kind="agency", actor=ADMIN)
    return services


def chain_hashes(services: Services) -> list[bytes]:
    with services.database.connect() as conn:
        rows = conn.execute("SELECT hash FROM supervision_chain ORDER BY ledger_index").fetchall()
    return [bytes(row[0]) for row in rows]


def test_the_kept_tree_answers_every_root_as_the_whole_tree_does(logged: Services) -> None:
    h = hasher("sha256")
    whole = in_memory(h, chain_hashes(logged))
    with logged.database.connect() as conn:
        assert extend(conn, "sha256", 2 * BLOCK + 5) == 2  # in two steps, as the log grows
        assert extend(conn, "sha256", EVENTS) == 4
        assert extend(conn, "sha256", EVENTS) == 4  # again: nothing new
        kept = conn.execute("SELECT level, count(*) FROM supervision_merkle GROUP BY level")
        assert dict(kept.fetchall()) == {6: 4, 7: 2, 8: 1}
        tree = StoredTree(conn, "sha256")
        for size in (1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK, 4 * BLOCK, EVENTS):
            assert root(h, tree.mth, size) == root(h, whole, size), size


def test_proofs_from_the_kept_tree_verify(logged: Services) -> None:
    h = hasher("sha256")
    leaves = chain_hashes(logged)
    with logged.database.connect() as conn:
        extend(conn, "sha256", EVENTS)
        tree = StoredTree(conn, "sha256")
        top = root(h, tree.mth, EVENTS)
        for index in (0, 63, 64, 200, EVENTS - 1):
            path = inclusion_proof(tree.mth, index, EVENTS)
            assert verify_inclusion(h, leaves[index], index, EVENTS, path, top)
        for old in (1, BLOCK, 2 * BLOCK + 3, EVENTS):
            proof = consistency_proof(tree.mth, old, EVENTS)
            assert verify_consistency(h, old, EVENTS, root(h, tree.mth, old), top, proof)


def test_a_kept_node_that_disagrees_with_the_chain_gives_a_proof_that_does_not_verify(
    logged: Services,
) -> None:
    h = hasher("sha256")
    leaves = chain_hashes(logged)
    true_root = root(h, in_memory(h, leaves), EVENTS)
    with logged.database.connect() as conn:
        extend(conn, "sha256", EVENTS)
        conn.execute(
            "UPDATE supervision_merkle SET hash = sha256(hash) WHERE level = 6 AND index = 1"
        )
        tree = StoredTree(conn, "sha256")
        path = inclusion_proof(tree.mth, 5, EVENTS)
    assert not verify_inclusion(h, leaves[5], 5, EVENTS, path, true_root)
