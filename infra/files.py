"""Evidence files and issued documents, kept by content (issue 17 item 1, ADR 033).

A file's key is the SHA-256 of its bytes: the event that cites a file records that hash and
its size, never the bytes, and whoever reads the file back gets bytes hashed again on the way
out: a stored file whose bytes no longer match its name is refused (`CorruptFile`) rather than
served. Two stores keep the bytes:

- `LocalFileStore`, a directory (the default: DATA_DIR/files), each file written to a
  temporary name, flushed and renamed into place, so a reader never sees half a file;
- `S3FileStore`, an S3-compatible bucket (MinIO in docker-compose.yml) through boto3, for a
  deployment that outgrows one disk.

A file sealed for a data subject (a ruling's document naming a person) is kept under a key of
its own (`sealed/<subject>/<sha256>`), encrypted with that subject's key; shredding the subject
deletes it (infra/privacy.py destroys the key, `forget_subject` the bytes).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from uuid import UUID

from psycopg import Connection
from psycopg.sql import SQL, Identifier

from infra.database import Database
from infra.settings import Settings

log = logging.getLogger("supervision.files")

CHUNK = 1024 * 1024
DIGEST = re.compile(r"^[0-9a-f]{64}$")


class FileMissing(LookupError):
    """No stored file has that hash."""


class CorruptFile(Exception):
    """A stored file's bytes no longer hash to its name."""

    def __init__(self, digest: str, found: str) -> None:
        super().__init__(f"the stored file {digest} hashes to {found}")
        self.digest = digest
        self.found = found


@dataclass(frozen=True)
class Stored:
    """A key of the store and when its bytes were written."""

    key: str
    stored_at: datetime


def key_of(digest: str, subject_id: UUID | None = None) -> str:
    """The store's key of a file: its hash, under its subject's prefix when sealed."""
    if not DIGEST.match(digest):
        raise ValueError(f"not a SHA-256 in hex: {digest!r}")
    return f"sealed/{subject_id}/{digest}" if subject_id else f"sha256/{digest[:2]}/{digest}"


def digest_of_key(key: str) -> str:
    return key.rsplit("/", 1)[-1]


class FileStore(Protocol):
    """Where the bytes live: keys are `key_of` a hash; a key's bytes never change."""

    def put(self, key: str, source: IO[bytes]) -> None: ...

    def open(self, key: str) -> IO[bytes]: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str = "") -> Iterator[Stored]: ...


class LocalFileStore:
    """A directory: `<root>/sha256/ab/<hash>`, written through a temporary file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.scratch = root / "tmp"

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, source: IO[bytes]) -> None:
        target = self.path(key)
        if intact(self, key):
            return  # the same bytes are already there (the key is their hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        source.seek(0)
        with tempfile.NamedTemporaryFile(dir=self.scratch, delete=False) as writing:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        os.replace(writing.name, target)
        log.debug("file_stored", extra={"key": key, "store": "local"})

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as missing:
            raise FileMissing(key) from missing

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[Stored]:
        """The keys under `prefix`, which names a folder (`sealed/<subject>/`) or nothing."""
        folders = [self.root / prefix] if prefix else [self.root / "sha256", self.root / "sealed"]
        for base in folders:
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                    yield Stored(path.relative_to(self.root).as_posix(), mtime)


class S3FileStore:
    """An S3-compatible bucket through boto3 (MinIO, or any S3 service)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (HEAD needs no right to list them)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket"}:
                raise
        self.client.create_bucket(Bucket=self.bucket)
        log.info("bucket_created", extra={"bucket": self.bucket})

    def put(self, key: str, source: IO[bytes]) -> None:
        if intact(self, key):
            return
        source.seek(0)
        self.client.upload_fileobj(source, self.bucket, key)
        log.debug("file_stored", extra={"key": key, "store": "s3"})

    def open(self, key: str) -> IO[bytes]:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey as error:
            raise FileMissing(key) from error
        return io.BytesIO(answer["Body"].read())  # bounded by the upload limit

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def keys(self, prefix: str = "") -> Iterator[Stored]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield Stored(item["Key"], item["LastModified"])


def s3_client(endpoint_url: str | None, access_key: str, secret_key: str, region: str) -> Any:
    """A boto3 client for an S3-compatible endpoint (path-style addressing, as MinIO wants)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def hash_file(source: IO[bytes]) -> tuple[str, int]:
    """SHA-256 in hex and size of what is left to read of `source`."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def intact(store: FileStore, key: str) -> bool:
    """The key's bytes are stored and still hash to it (a damaged copy is written anew)."""
    if not store.exists(key):
        return False
    if not key.startswith("sha256/"):
        return True  # sealed: its bytes are the ciphertext, checked when they are opened
    with store.open(key) as stored:
        found, _ = hash_file(stored)
    return found == digest_of_key(key)


def open_verified(store: FileStore, key: str) -> IO[bytes]:
    """The stored bytes of `key`, copied while hashed into a spooled file (a megabyte in
    memory, the rest on disk) and handed back from its start: `CorruptFile` when they no
    longer hash to the key. The caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=CHUNK)  # noqa: SIM115 (handed to the caller)
    digest = hashlib.sha256()
    try:
        with store.open(key) as stored:
            for chunk in iter(lambda: stored.read(CHUNK), b""):
                digest.update(chunk)
                spool.write(chunk)
        if digest.hexdigest() != digest_of_key(key):
            log.error("file_corrupt", extra={"key": key, "found": digest.hexdigest()})
            raise CorruptFile(digest_of_key(key), digest.hexdigest())
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def read_verified(store: FileStore, key: str) -> bytes:
    """The stored bytes of `key`, hashed again (`CorruptFile` when they no longer match)."""
    with open_verified(store, key) as verified:
        return verified.read()


# -- the index of uploads (infra/schema/0006_files.sql, 0007) -------------------------------

FILES_TABLE = "supervision_files"
_FILES = Identifier(FILES_TABLE)
COLUMNS = "key, sha256, size, content_type, name, uploaded_by, unit_code, subject_id, uploaded_at"
# (0007: one row per file and uploader; `cited` once an event is found citing the file.)


@dataclass(frozen=True)
class Upload:
    """A stored file as its upload recorded it."""

    key: str
    sha256: str
    size: int
    content_type: str
    name: str
    uploaded_by: str
    unit_code: str | None
    subject_id: UUID | None
    uploaded_at: datetime


@contextmanager
def key_locked(database: Database, key: str) -> Iterator[Connection[Any]]:
    """A transaction holding the file's advisory lock: an upload of a file and the
    collector's deletion of it never interleave (the bytes are written or deleted while it
    is held, the row changed in it)."""
    with database.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
        yield conn


def record_upload(conn: Connection[Any], upload: Upload) -> None:
    """Note an upload; the same bytes uploaded again by the same account renew its time (and
    so its grace period)."""
    conn.execute(
        SQL(
            "INSERT INTO {} ({}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (key, uploaded_by) DO UPDATE SET uploaded_at = EXCLUDED.uploaded_at"
        ).format(_FILES, SQL(COLUMNS)),
        (
            upload.key,
            upload.sha256,
            upload.size,
            upload.content_type,
            upload.name,
            upload.uploaded_by,
            upload.unit_code,
            upload.subject_id,
            upload.uploaded_at,
        ),
    )


def claim_uncited(conn: Connection[Any], key: str, before: datetime) -> bool:
    """Under the key's lock: the file's rows deleted when none is cited or newer than
    `before` (an upload renewed meanwhile keeps it); whether they were."""
    gone = conn.execute(
        SQL(
            "DELETE FROM {0} WHERE key = %(key)s AND NOT EXISTS (SELECT FROM {0} "
            "WHERE key = %(key)s AND (cited OR uploaded_at >= %(before)s)) RETURNING key"
        ).format(_FILES),
        {"key": key, "before": before},
    ).fetchall()
    return bool(gone)


def uploads_of(database: Database, sha256: str) -> list[Upload]:
    """The stored files with these bytes (plain, and sealed for subjects)."""
    with database.connection() as conn:
        rows = conn.execute(
            SQL("SELECT {} FROM {} WHERE sha256 = %s ORDER BY uploaded_at, key").format(
                SQL(COLUMNS), _FILES
            ),
            (sha256.lower(),),
        ).fetchall()
    return [Upload(*row) for row in rows]


def uncited_before(
    database: Database, before: datetime, after: tuple[datetime, str] | None, limit: int = 500
) -> list[tuple[str, str, datetime]]:
    """Plain stored files not yet found cited whose every upload is older than `before`,
    oldest first, from past `after` (the last (uploaded_at, key) of the page before):
    (key, sha256, last upload) — the candidates for collection."""
    since = after or (datetime.min.replace(tzinfo=UTC), "")
    with database.connection() as conn:
        rows = conn.execute(
            SQL(
                "SELECT key, min(sha256), max(uploaded_at) AS last FROM {} "
                "WHERE NOT cited AND subject_id IS NULL GROUP BY key "
                "HAVING max(uploaded_at) < %s AND (max(uploaded_at), key) > (%s, %s) "
                "ORDER BY last, key LIMIT %s"
            ).format(_FILES),
            (before, *since, limit),
        ).fetchall()
    return [(str(k), str(h), t) for k, h, t in rows]


def mark_cited(database: Database, keys: list[str]) -> None:
    """These files are cited by events (for good: the collector passes them by)."""
    with database.connection() as conn:
        conn.execute(SQL("UPDATE {} SET cited = true WHERE key = ANY(%s)").format(_FILES), (keys,))


def forget_sealed(database: Database, subject_id: UUID) -> None:
    """The rows of the files sealed for a shredded subject."""
    with database.connection() as conn:
        conn.execute(SQL("DELETE FROM {} WHERE subject_id = %s").format(_FILES), (subject_id,))


def file_store(settings: Settings) -> FileStore:
    """The store the deployment configured (SUPERVISION_FILE_STORE)."""
    if settings.file_store == "s3":
        client = s3_client(
            settings.s3_endpoint_url,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_region,
        )
        store = S3FileStore(client, settings.s3_bucket)
        store.ensure_bucket()
        return store
    return LocalFileStore(settings.data_dir.resolve() / "files")
