"""The Merkle tree of the chain (infra/merkle.py) over the database, fast at any size.

A proof needs MTH of a few dozen ranges of leaves; computed from the leaves, one range of a
million events hashes a million times. So the roots of aligned, complete subtrees of
BLOCK = 64 leaves and more are kept in `supervision_merkle` (level, index, hash): level L
holds the subtree of leaves [index·2^L, (index+1)·2^L). A range is answered from those
where it is such a subtree, split as RFC 9162 splits it where it is not, and hashed from the
chain rows themselves below 64 leaves. The table is derived data: made as the chain grows
(by `extend`, which the checkpointer and every proof call), and rebuilt from the chain at
any time; a row that disagrees with the chain gives a proof that does not verify.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Identifier

from infra.chain import hasher
from infra.merkle import (
    Hash,
    RangeHash,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    split,
)

MERKLE_TABLE = "supervision_merkle"
CHAIN_TABLE = "supervision_chain"
BLOCK_LEVEL = 6
BLOCK = 1 << BLOCK_LEVEL
EXTEND_LOCK = 7_310_201_803

_TABLE = Identifier(MERKLE_TABLE)
_CHAIN = Identifier(CHAIN_TABLE)
LEAVES = SQL(
    "SELECT hash FROM {} WHERE ledger_index > %s AND ledger_index <= %s ORDER BY ledger_index"
).format(_CHAIN)
NODE = SQL("SELECT hash FROM {} WHERE level = %s AND index = %s").format(_TABLE)
BLOCKS_KEPT = SQL("SELECT count(*) FROM {} WHERE level = %s").format(_TABLE)
INSERT = SQL(
    "INSERT INTO {} (level, index, hash) SELECT %s, unnest(%s::bigint[]), unnest(%s::bytea[]) "
    "ON CONFLICT DO NOTHING"
).format(_TABLE)


class StoredTree:
    """MTH of ranges of the chain's leaves, read on one connection (a request's)."""

    def __init__(self, conn: Connection[Any], algorithm: str) -> None:
        self.conn, self.h = conn, hasher(algorithm)
        self.nodes: dict[tuple[int, int], bytes] = {}

    def leaves(self, start: int, end: int) -> list[bytes]:
        """The chain's hashes of leaves [start, end) (0-based; ledger index = leaf + 1)."""
        rows = self.conn.execute(LEAVES, (start, end)).fetchall()
        if len(rows) != end - start:
            raise LookupError(f"the chain has no rows for leaves {start} to {end - 1}")
        return [bytes(row[0]) for row in rows]

    def mth(self, start: int, end: int) -> bytes:
        size = end - start
        if size < BLOCK:
            return small_tree(self.h, self.leaves(start, end))
        level = size.bit_length() - 1
        if size == 1 << level and start % size == 0:
            return self.node(level, start >> level)
        k = split(size)
        return node_hash(self.h, self.mth(start, start + k), self.mth(start + k, end))

    def node(self, level: int, index: int) -> bytes:
        known = self.nodes.get((level, index))
        if known is not None:
            return known
        row = self.conn.execute(NODE, (level, index)).fetchone()
        if row is not None:
            found = bytes(row[0])
        else:  # not kept (yet): from the two halves
            half = 1 << (level - 1)
            start = index << level
            found = node_hash(
                self.h, self.mth(start, start + half), self.mth(start + half, start + 2 * half)
            )
        self.nodes[(level, index)] = found
        return found

    @property
    def range_hash(self) -> RangeHash:
        return self.mth


def small_tree(h: Hash, leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaf_hash(h, leaves[0])
    k = split(len(leaves))
    return node_hash(h, small_tree(h, leaves[:k]), small_tree(h, leaves[k:]))


def extend(conn: Connection[Any], algorithm: str, size: int) -> int:
    """Keep the roots of every complete block (and the complete subtrees above them) within
    the first `size` leaves; how many blocks are kept now. Idempotent; concurrent callers
    wait for one another (a transaction-scoped advisory lock)."""
    h = hasher(algorithm)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (EXTEND_LOCK,))
        row = conn.execute(BLOCKS_KEPT, (BLOCK_LEVEL,)).fetchone()
        kept = int(row[0]) if row else 0
        wanted = size // BLOCK
        if wanted <= kept:
            return kept
        leaves = StoredTree(conn, algorithm).leaves(kept * BLOCK, wanted * BLOCK)
        blocks = [small_tree(h, leaves[n * BLOCK : (n + 1) * BLOCK]) for n in range(wanted - kept)]
        conn.execute(INSERT, (BLOCK_LEVEL, list(range(kept, wanted)), blocks))
        level, low, hashes = BLOCK_LEVEL, kept, blocks  # hashes[n]: node low + n, new
        while True:  # the parents the new nodes complete, level by level
            complete = (wanted * BLOCK) >> level  # complete nodes at this level
            parents = range(low >> 1, complete >> 1)
            if not parents:
                break

            def at(
                index: int, level: int = level, low: int = low, hashes: list[bytes] = hashes
            ) -> bytes:
                if low <= index < low + len(hashes):
                    return hashes[index - low]
                row = conn.execute(NODE, (level, index)).fetchone()
                if row is None:
                    raise LookupError(f"the Merkle node at level {level}, index {index} is missing")
                return bytes(row[0])

            made = [node_hash(h, at(2 * p), at(2 * p + 1)) for p in parents]
            level, low, hashes = level + 1, parents.start, made
            conn.execute(INSERT, (level, list(parents), made))
        return wanted


def prove_inclusion(conn: Connection[Any], algorithm: str, index: int, size: int) -> dict[str, Any]:
    """RFC 9162 inclusion proof of the chain row at ledger `index` (1-based) in the tree of
    the first `size` rows: the row's hash (the leaf), the tree's root, the proof."""
    extend(conn, algorithm, size)
    tree = StoredTree(conn, algorithm)
    (leaf,) = tree.leaves(index - 1, index)
    return {
        "index": index,
        "size": size,
        "leaf": leaf.hex(),
        "root": tree.mth(0, size).hex(),
        "proof": [node.hex() for node in inclusion_proof(tree.mth, index - 1, size)],
    }


def prove_consistency(conn: Connection[Any], algorithm: str, old: int, new: int) -> dict[str, Any]:
    """RFC 9162 consistency proof that the tree of the first `old` chain rows is a prefix of
    the tree of the first `new`: both roots and the proof."""
    extend(conn, algorithm, new)
    tree = StoredTree(conn, algorithm)
    return {
        "from": old,
        "to": new,
        "old_root": tree.mth(0, old).hex(),
        "new_root": tree.mth(0, new).hex(),
        "proof": [node.hex() for node in consistency_proof(tree.mth, old, new)],
    }


def extends_problem(conn: Connection[Any], algorithm: str, leaves: list[bytes]) -> str | None:
    """Whether the chain now extends `leaves` — the chain hashes an auditor kept (from an
    earlier bundle): None, or what is wrong. The chain's own first rows are compared with
    them, never the stored subtrees (derived data a rewrite could leave behind); the rest of
    the chain is then checked link by link by `audit verify`."""
    old = len(leaves)
    if old == 0:
        return None
    rows = conn.execute(
        SQL("SELECT hash FROM {} WHERE ledger_index <= %s ORDER BY ledger_index").format(_CHAIN),
        (old,),
    ).fetchall()
    if len(rows) < old:
        return f"the chain has {len(rows)} rows, fewer than the {old} seen before: it was cut"
    for index, (row, kept) in enumerate(zip(rows, leaves, strict=True), start=1):
        if bytes(row[0]) != kept:
            return (
                f"the chain's row {index} is not the one seen before: the first {old} rows "
                "were rewritten"
            )
    return None
