"""A Merkle tree over the chain, as RFC 9162 §2 defines it: roots, inclusion and consistency
proofs, and their verification. Pure functions over the leaves' data (no database).

The leaves are the chain's hashes in ledger order (`hash_1 … hash_n`, 32 bytes each); H is
the chain's hash (SHA-256, or SM3):

    MTH({})      = H()
    MTH({d0})    = H(0x00 ‖ d0)
    MTH(D[n])    = H(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k: the largest power of two < n

An inclusion proof shows that leaf m is in the tree of size n with a given root; a
consistency proof that the tree of size m is a prefix of the tree of size n. Both are lists
of node hashes, in the order RFC 9162 §2.1.3 and §2.1.4 give and verify. Proofs are built
from a `RangeHash`, whatever computes MTH of a range of leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Hash = Callable[[bytes], bytes]
LEAF, NODE = b"\x00", b"\x01"


def split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def leaf_hash(h: Hash, data: bytes) -> bytes:
    return h(LEAF + data)


def node_hash(h: Hash, left: bytes, right: bytes) -> bytes:
    return h(NODE + left + right)


# A source of MTH(D[start:end]) for 0 ≤ start < end ≤ n.
RangeHash = Callable[[int, int], bytes]


def in_memory(h: Hash, leaves: Sequence[bytes]) -> RangeHash:
    """MTH of ranges of leaves held in memory (what the standalone verifier does)."""

    def mth(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaf_hash(h, leaves[start])
        k = split(end - start)
        return node_hash(h, mth(start, start + k), mth(start + k, end))

    return mth


def root(h: Hash, mth: RangeHash, size: int) -> bytes:
    return h(b"") if size == 0 else mth(0, size)


def inclusion_proof(mth: RangeHash, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, for the leaf at 0-based `index`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(mth(start + k, end))
            end = start + k
        else:
            path.append(mth(start, start + k))
            start += k
    return list(reversed(path))


def consistency_proof(mth: RangeHash, old: int, new: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (empty when the sizes are equal)."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    proof: list[bytes] = []
    start, end, complete = 0, new, True
    m = old
    while m != end - start:
        k = split(end - start)
        if m <= k:
            proof.append(mth(start + k, end))
            end = start + k
        else:
            proof.append(mth(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        proof.append(mth(start, end))
    return list(reversed(proof))


def verify_inclusion(
    h: Hash, leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove `leaf` (its data) at `index` of `size`?"""
    if not 0 <= index < size:
        return False
    lefts = left_siblings(index, size - 1, len(path))
    if lefts is None:
        return False
    r = leaf_hash(h, leaf)
    for p, left in zip(path, lefts, strict=True):
        r = node_hash(h, p, r) if left else node_hash(h, r, p)
    return r == expected_root


def verify_consistency(
    h: Hash, old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show the tree of size `old` is a prefix of `new`?"""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the proof's first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    lefts = left_siblings(fn, sn, len(path) - 1)
    if lefts is None:
        return False
    fr = sr = path[0]
    for c, left in zip(path[1:], lefts, strict=True):
        if left:
            fr, sr = node_hash(h, c, fr), node_hash(h, c, sr)
        else:
            sr = node_hash(h, sr, c)
    return fr == old_root and sr == new_root


def left_siblings(fn: int, sn: int, count: int) -> list[bool] | None:
    """The walk both RFC 9162 verifications make up the tree from node `fn` (`sn` the last
    node's index): for each of the `count` nodes of a proof, whether it is a left sibling.
    None where the proof has more nodes than the walk, or fewer (it must end at the root)."""
    lefts = []
    for _ in range(count):
        if sn == 0:
            return None
        left = bool(fn & 1 or fn == sn)
        lefts.append(left)
        if left and not fn & 1:
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        fn, sn = fn >> 1, sn >> 1
    return lefts if sn == 0 else None


class Frontier:
    """The roots of the complete subtrees a tree of `size` leaves splits into, left to
    right (one per 1-bit of the size): enough to append leaves and compute the root without
    the leaves before (what a signer keeps between checkpoints, and a verifier walking)."""

    __slots__ = ("h", "nodes", "size")

    def __init__(self, h: Hash, nodes: Sequence[bytes] = (), size: int = 0) -> None:
        if len(nodes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} subtree roots")
        self.h, self.nodes, self.size = h, list(nodes), size

    def add(self, data: bytes) -> None:
        """Append the leaf whose data is `data` (a chain hash)."""
        h, nodes, n = self.h, self.nodes, self.size
        node = h(LEAF + data)
        while n & 1:
            node = h(NODE + nodes.pop() + node)
            n >>= 1
        nodes.append(node)
        self.size += 1

    def extend(self, nodes: Sequence[bytes], size: int) -> None:
        """Append a tree of `size` leaves given by its own frontier (`nodes`, as `nodes` of a
        Frontier that grew from nothing to `size`): each of its subtrees joins as a leaf
        would, one level up. This tree's size must be a multiple of the largest of them
        (ValueError otherwise: the subtrees would not be those of the joined tree)."""
        sizes = [1 << bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if len(nodes) != len(sizes) or (sizes and self.size % sizes[0]):
            raise ValueError(f"a tree of {size} leaves cannot follow one of {self.size}")
        h, own = self.h, self.nodes
        for node, leaves in zip(nodes, sizes, strict=True):
            n = self.size // leaves
            while n & 1:
                node = h(NODE + own.pop() + node)
                n >>= 1
            own.append(node)
            self.size += leaves

    def root(self) -> bytes:
        """MTH of the leaves so far (RFC 9162 §2.1.1)."""
        if not self.nodes:
            return self.h(b"")
        node = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            node = self.h(NODE + left + node)
        return node
