"""The hash chain's envelope and algorithms, byte by byte."""

from __future__ import annotations

import hashlib

from infra.chain import GENESIS, envelope, hasher, link


def test_the_envelope_length_prefixes_every_field() -> None:
    body = envelope(1, 7, "id", 2, "t", b"\x01" * 32)
    assert body[:4] == (8).to_bytes(4, "big") and body[4:12] == (1).to_bytes(8, "big")
    assert len(body) == 6 * 4 + 8 + 8 + 2 + 8 + 1 + 32


def test_a_link_hashes_the_previous_hash_and_the_envelope() -> None:
    h = hasher("sha256")
    chained = link(h, GENESIS, 1, 1, "id", 1, "topic", b"state")
    expected = hashlib.sha256(
        GENESIS + envelope(1, 1, "id", 1, "topic", hashlib.sha256(b"state").digest())
    ).digest()
    assert chained.hash == expected and chained.prev_hash == GENESIS


def test_sm3_gives_the_standard_test_vector() -> None:
    # GB/T 32905-2016 example 1: SM3("abc").
    assert hasher("sm3")(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_moving_bytes_between_fields_changes_the_hash() -> None:
    h = hasher("sha256")
    a = link(h, GENESIS, 1, 1, "ab", 1, "c", b"s")
    b = link(h, GENESIS, 1, 1, "a", 1, "bc", b"s")
    assert a.hash != b.hash
