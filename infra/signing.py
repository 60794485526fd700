"""Ed25519 signatures over checkpoints of the audit hash chain: pure functions, no database.

A checkpoint says "the chain's row at ledger index N has hash H", signed at `created_at` by
the key named `key_id`. The signed message is UTF-8 text, one field a line, no final newline.
Version 2 (made since issue 16 item 1) also names the log, its place in the checkpoints' own
chain and the Merkle root (RFC 9162) of the chain's first N hashes:

    supervision-checkpoint-v2
    {log_id}        the log's first chain hash, hex: which log this is
    {seq}           1 for the log's first checkpoint, then one more each
    {index}
    {hash_hex}
    {root_hex}
    {prev_hex}      H(the previous checkpoint's message), 64 zeros for the first
    {created_at}
    {algorithm}
    {key_id}

Version 1 (still verified as signed) had the lines `supervision-checkpoint-v1`, index, hash,
created_at, algorithm and key_id.

`hash_hex` is the lowercase hex of the chain row's hash; `created_at` is `isoformat()` of a
timezone-aware UTC datetime (microsecond precision); `algorithm` is the chain's hash
(`sha256` or `sm3`); `key_id` is the first 16 hex characters of SHA-256 of the raw 32-byte
public key. In JSON the signature and the public key are standard base64 with padding.

The private key is kept in a PEM (PKCS#8, unencrypted) file readable by its owner only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MESSAGE_PREFIX = "supervision-checkpoint-v1"
MESSAGE_PREFIX_V2 = "supervision-checkpoint-v2"
NO_PREVIOUS = "0" * 64  # the `prev` of a log's first checkpoint
KEY_FILE_MODE = 0o600


class SigningKeyError(RuntimeError):
    """The signing key file is missing, unreadable, not Ed25519, or would be overwritten."""


def checkpoint_message(
    index: int, hash_hex: str, created_at: str, algorithm: str, key_id: str
) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return "\n".join(
        (MESSAGE_PREFIX, str(int(index)), hash_hex, created_at, algorithm, key_id)
    ).encode("utf-8")


def checkpoint_message_v2(
    log_id: str,
    seq: int,
    index: int,
    hash_hex: str,
    root_hex: str,
    prev_hex: str,
    created_at: str,
    algorithm: str,
    key_id: str,
) -> bytes:
    """The exact bytes a version-2 checkpoint's signature covers."""
    lines = (MESSAGE_PREFIX_V2, log_id, str(int(seq)), str(int(index)), hash_hex, root_hex)
    return "\n".join((*lines, prev_hex, created_at, algorithm, key_id)).encode("utf-8")


def message_of(cp: Mapping[str, Any]) -> bytes:
    """The signed bytes of a checkpoint as JSON, of either version (KeyError, TypeError or
    ValueError where a field is missing or of the wrong type)."""
    version = cp.get("version") or 1
    texts: tuple[str, ...] = ("hash", "created_at", "algorithm", "key_id")
    if version == 2:
        texts += ("log_id", "root", "prev")
    if not all(isinstance(cp[name], str) for name in texts):
        raise TypeError("a checkpoint's texts must be strings")
    for name in ("index", "seq") if version == 2 else ("index",):
        if not isinstance(cp[name], int) or isinstance(cp[name], bool):
            raise TypeError(f"a checkpoint's {name} must be an integer")
    if version == 1:
        fields = (cp["index"], cp["hash"], cp["created_at"], cp["algorithm"], cp["key_id"])
        return checkpoint_message(*fields)
    if version != 2:
        raise ValueError(f"unknown checkpoint version {version!r}")
    return checkpoint_message_v2(
        cp["log_id"], cp["seq"], cp["index"], cp["hash"], cp["root"], cp["prev"],
        cp["created_at"], cp["algorithm"], cp["key_id"],
    )  # fmt: skip


COSIGNATURE_PREFIX = "supervision-cosignature-v1"


def cosignature_message(key_id: str, checkpoint_digest: str, signed_at: str) -> bytes:
    """The exact bytes a witness's co-signature covers: the witness's key id, H(the
    checkpoint's signed message) — which binds the log, the number, the size, the head, the
    root and the previous checkpoint — and when the witness signed."""
    return "\n".join((COSIGNATURE_PREFIX, key_id, checkpoint_digest, signed_at)).encode("utf-8")


def cosign(
    private_key: Ed25519PrivateKey, checkpoint_digest: str, signed_at: str
) -> dict[str, Any]:
    """A witness's co-signature, as JSON: {key_id, public_key, signature, signed_at}."""
    public = public_key_raw(private_key)
    kid = key_id(public)
    signature = private_key.sign(cosignature_message(kid, checkpoint_digest, signed_at))
    return {"key_id": kid, "public_key": b64(public), "signature": b64(signature),
            "signed_at": signed_at}  # fmt: skip


def verify_cosignature(
    public_key_raw: bytes, checkpoint_digest: str, signature: bytes, signed_at: str
) -> bool:
    """Whether `signature` is this witness key's co-signature of that checkpoint digest."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(
            signature, cosignature_message(key_id(public_key_raw), checkpoint_digest, signed_at)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(public_key_raw: bytes) -> str:
    """The first 16 hex characters of SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key_raw).hexdigest()[:16]


def public_key_raw(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of a private key."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def timestamp(moment: datetime | None = None) -> str:
    """`isoformat()` of a timezone-aware UTC datetime at microsecond precision (now by default)."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("a checkpoint's time must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_checkpoint(
    private_key: Ed25519PrivateKey,
    index: int,
    hash_hex: str,
    created_at: str,
    algorithm: str,
    *,
    chained: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A checkpoint, as JSON: {version, log_id, seq, index, hash, root, prev, created_at,
    algorithm, key_id, signature, public_key}. With `chained` ({log_id, seq, root, prev}) it
    is a version-2 checkpoint; without, version 1 (whose chain fields are null)."""
    public = public_key_raw(private_key)
    cp: dict[str, Any] = {
        "version": 2 if chained else 1,
        "log_id": None,
        "seq": None,
        "index": index,
        "hash": hash_hex.lower(),
        "root": None,
        "prev": None,
        "created_at": created_at,
        "algorithm": algorithm,
        "key_id": key_id(public),
    }
    if chained:
        cp.update({name: chained[name] for name in ("log_id", "seq", "root", "prev")})
    cp["signature"] = b64(private_key.sign(message_of(cp)))
    cp["public_key"] = b64(public)
    return cp


def verify_checkpoint(cp: Mapping[str, Any], public_key_raw: bytes) -> bool:
    """Whether `cp` (a checkpoint as JSON) was signed by this raw 32-byte public key.

    False for a wrong signature, a `key_id` not of this key, or a malformed checkpoint; the
    checkpoint's own `public_key` field is not trusted (the caller's key is the anchor).
    """
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes(public_key_raw))
        if cp["key_id"] != key_id(bytes(public_key_raw)):
            return False
        signature = base64.b64decode(cp["signature"], validate=True)
        public.verify(signature, message_of(cp))
    except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error):
        return False
    return True


def key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def read_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM (PKCS#8, unencrypted) file, which no user but its
    owner may read (a key others can read signs nothing: refused)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise SigningKeyError(f"the signing key file {path} does not exist") from None
    except OSError as error:
        raise SigningKeyError(f"the signing key file {path} cannot be read: {error}") from None
    if mode & 0o077:
        raise SigningKeyError(
            f"the signing key file {path} may be read by other users (mode {mode:o}): "
            f"make it its owner's alone (chmod 600 {path})"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"the signing key file {path} does not exist") from None
    except OSError as error:
        raise SigningKeyError(f"the signing key file {path} cannot be read: {error}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(
            f"the signing key file {path} is not an unencrypted PEM private key: {error}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the signing key in {path} is not an Ed25519 key")
    return key


def write_key(path: Path, private_key: Ed25519PrivateKey, *, overwrite: bool = False) -> None:
    """Write the key as PEM with mode 0600, atomically: readers never see half a file, and
    without `overwrite` an existing file (even one made concurrently) is never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, KEY_FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(key_pem(private_key))
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the file exists: never replaces a key
            except FileExistsError:
                raise SigningKeyError(
                    f"the signing key file {path} already exists (use --force to replace it)"
                ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_or_create_key(path: Path, create: bool) -> Ed25519PrivateKey:
    """The key in `path`; when the file is missing, a new key written there (mode 0600) if
    `create`, else `SigningKeyError`."""
    if path.exists() or not create:
        return read_key(path)
    key = Ed25519PrivateKey.generate()
    try:
        write_key(path, key)
    except SigningKeyError:  # another process created it first: use that one
        return read_key(path)
    return key
