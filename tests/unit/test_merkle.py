"""The Merkle tree of RFC 9162 §2 over the chain: the reference roots, and proofs that verify
and that fail once anything in them is changed."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.chain import hasher
from infra.merkle import (
    Frontier,
    consistency_proof,
    in_memory,
    inclusion_proof,
    root,
    verify_consistency,
    verify_inclusion,
)

SHA256 = hasher("sha256")
# The leaves and roots of the Certificate Transparency reference tests (RFC 6962's tree).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


@pytest.mark.parametrize(("size", "expected"), sorted(ROOTS.items()))
def test_roots_are_the_reference_roots(size: int, expected: str) -> None:
    assert root(SHA256, in_memory(SHA256, LEAVES), size).hex() == expected


def test_the_empty_tree_hashes_nothing() -> None:
    assert root(SHA256, in_memory(SHA256, []), 0) == hashlib.sha256(b"").digest()


def leaves_of(count: int) -> list[bytes]:
    return [hashlib.sha256(str(n).encode()).digest() for n in range(count)]


@given(st.integers(1, 70), st.data())
def test_every_inclusion_proof_verifies_and_a_changed_one_does_not(
    size: int, data: st.DataObject
) -> None:
    for algorithm in ("sha256", "sm3"):
        h = hasher(algorithm)
        leaves = leaves_of(size)
        mth = in_memory(h, leaves)
        index = data.draw(st.integers(0, size - 1))
        top = root(h, mth, size)
        path = inclusion_proof(mth, index, size)
        assert verify_inclusion(h, leaves[index], index, size, path, top)
        assert not verify_inclusion(h, b"another leaf", index, size, path, top)
        if size > 1:
            assert not verify_inclusion(h, leaves[index], (index + 1) % size, size, path, top)
            damaged = [bytes(32), *path[1:]]
            assert not verify_inclusion(h, leaves[index], index, size, damaged, top)


@given(st.integers(1, 70), st.data())
def test_every_consistency_proof_verifies_and_another_prefix_does_not(
    new: int, data: st.DataObject
) -> None:
    h = SHA256
    leaves = leaves_of(new)
    mth = in_memory(h, leaves)
    old = data.draw(st.integers(1, new))
    proof = consistency_proof(mth, old, new)
    old_root, new_root = root(h, mth, old), root(h, mth, new)
    assert verify_consistency(h, old, new, old_root, new_root, proof)
    rewritten = in_memory(h, [b"forged", *leaves[1:]])
    assert not verify_consistency(h, old, new, root(h, rewritten, old), new_root, proof)
    if old < new:
        assert not verify_consistency(h, old, new, old_root, root(h, rewritten, new), proof)


def test_a_leaf_outside_the_tree_has_no_proof() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(in_memory(SHA256, leaves_of(3)), 3, 3)
    with pytest.raises(ValueError):
        consistency_proof(in_memory(SHA256, leaves_of(3)), 4, 3)


def grown(leaves: list[bytes]) -> Frontier:
    tree = Frontier(SHA256)
    for leaf in leaves:
        tree.add(leaf)
    return tree


@given(st.integers(0, 6), st.integers(0, 3), st.integers(0, 64))
def test_a_tree_extended_by_another_trees_frontier_is_the_tree_of_all_the_leaves(
    height: int, blocks: int, more: int
) -> None:
    """A stretch's frontier joins the frontier of the walk before it (ADR 028): the walk's
    size a multiple of 2^height, the stretch at most 2^height leaves, the root that of every
    leaf added one by one."""
    size = blocks << height
    added = min(more, 1 << height)
    leaves = leaves_of(size + added)
    joined = grown(leaves[:size])
    stretch = grown(leaves[size:])
    joined.extend(stretch.nodes, stretch.size)
    whole = grown(leaves)
    assert (joined.nodes, joined.size) == (whole.nodes, whole.size)
    assert joined.root() == root(SHA256, in_memory(SHA256, leaves), len(leaves)) or not leaves


def test_a_tree_cannot_be_extended_where_its_subtrees_would_not_line_up() -> None:
    tree = grown(leaves_of(3))
    stretch = grown(leaves_of(2))
    with pytest.raises(ValueError, match="cannot follow one of 3"):
        tree.extend(stretch.nodes, stretch.size)
    with pytest.raises(ValueError, match="cannot follow"):
        tree.extend(stretch.nodes, 3)  # two nodes are not the frontier of three leaves
