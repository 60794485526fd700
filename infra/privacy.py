"""Personal data at rest (PIPL Art. 47): a key per data subject, destroyed to forget them.

A ruling's subject person ({name, position}) is stored encrypted with a key of that
person's own (AES-256-GCM; SM4-GCM when the log's hash is SM3, 国密), and every occurrence
of the name in the ruling's free text (facts, basis, grounds, reasoning, comments, summary,
tags) is stored as a marker, with the name sealed beside it. Keys live in their own table,
`supervision_subject_keys`, outside the event log. Destroying a key (crypto-shredding)
makes every stored copy unreadable: from then on the person reads as `[已删除]` wherever
events are decoded, while the stored bytes, and so the hash chain over them, stay as they
were (ADR 013).

Everything happens in ONE place, the event mapper the application's persistence factory
builds (`infra.persistence.SupervisionFactory`): `PersonalDataMapper` seals on the way to
the store and opens on the way back, so the domain, the projections and the API see plain
events, and after shredding the same events with `[已删除]`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher as BlockCipher
from cryptography.hazmat.primitives.ciphers import algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol, TAggregateID
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from domain.errors import InvalidValue
from domain.persons import Person, subject_id_of
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.subjects import SHREDDED
from domain.text import folded, names, replace_name

log = logging.getLogger(__name__)

DELETED = SHREDDED  # a shredded person's name, as every door shows it
KEYS_TABLE = "supervision_subject_keys"
AES_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
KEY_BYTES = {AES_GCM: 32, SM4_GCM: 16}
NONCE_BYTES = 12
TAG_BYTES = 16
# How long a process may keep using a key it read (a shred elsewhere takes at most this long
# to reach it; the shredding process forgets the key at once).
KEY_TTL_SECONDS = 1.0

# Stands for the subject's name inside stored free text: U+FDD0, a Unicode noncharacter
# ("permanently reserved for internal use"), which no real text contains. (NUL would be
# safer still, but PostgreSQL's JSON functions refuse it, and the shred reads the log with
# them.)
MARK = "\ufdd0"
# The fields of ruling events whose text may name the person (strings or lists of strings).
FREE_TEXT = (
    *("facts", "basis", "grounds", "reasoning", "comment", "summary", "tags", "reason"),
    "statement",  # 陈述申辩: the subject speaking of themself
    "served_to",  # 受送达人: usually the person themself
)
# A later event whose text named the person carries the name sealed under this key.
SEALED_NAME = "personal_data"
MIN_NAME_LENGTH = 2  # a one-character "name" is not looked for in the text

RULING_TOPIC_PREFIX = get_topic(Ruling).partition(":")[0] + ":"
# The events that may carry a person: rulings', and the person register's (人员名录).
SEALED_TOPICS = (RULING_TOPIC_PREFIX, get_topic(Person).partition(":")[0] + ":")
CREATION_TOPICS = (get_topic(AccountabilityRuling.Proposed), get_topic(ToleranceRuling.Applied))


class UnknownSubject(LookupError):
    """No data subject has this id."""


def cipher_for(hash_algorithm: str) -> str:
    """The personal-data cipher that goes with the log's hash: SM4 with SM3 (国密)."""
    return SM4_GCM if hash_algorithm == "sm3" else AES_GCM


def seal(algorithm: str, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes)."""
    nonce = os.urandom(NONCE_BYTES)
    if algorithm == AES_GCM:
        return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
    if algorithm == SM4_GCM:
        encryptor = BlockCipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return nonce + body + encryptor.tag
    raise ValueError(f"unknown personal-data cipher {algorithm!r}")


def unseal(algorithm: str, key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """The plaintext; `InvalidTag` when the bytes, the key or the context do not match."""
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    if algorithm == AES_GCM:
        return AESGCM(key).decrypt(nonce, body, aad)
    if algorithm == SM4_GCM:
        ciphertext, tag = body[:-TAG_BYTES], body[-TAG_BYTES:]
        decryptor = BlockCipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(ciphertext) + decryptor.finalize()
    raise ValueError(f"unknown personal-data cipher {algorithm!r}")


def subject_lookup(unit_code: str, name: str) -> bytes:
    """Finds a person's subject again on their next ruling: one subject per unit and name.
    Erased at shredding, with the key (a later ruling naming them starts a new subject)."""
    return hashlib.sha256(
        b"supervision-subject-v1\x00" + unit_code.encode() + b"\x00" + name.encode()
    ).digest()


def person_aad(aggregate_id: Any, subject_id: Any) -> bytes:
    """Binds a sealed person to its ruling and subject: it cannot be moved to another."""
    return f"supervision-person-v1\x00{aggregate_id}\x00{subject_id}".encode()


def label_aad(subject_id: Any) -> bytes:
    return f"supervision-label-v1\x00{subject_id}".encode()


def mask(name: str) -> str:
    """李建国 → 李**: enough for an operator to pick the right subject, no more."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- the keys table -------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectKey:
    subject_id: UUID
    algorithm: str
    key: bytes | None  # None: shredded


class KeyCache:
    """Keys read in the last KEY_TTL_SECONDS, shared by every mapper of the process (so a
    shred in this process is seen by all of them at once), each under the database it was
    read from (`scope`): a subject id derived from a person's (domain.persons) is the same in
    every database that holds that person, as two test databases of one process may."""

    def __init__(self, ttl: float = KEY_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, UUID], tuple[float, SubjectKey | None]] = {}

    def get(self, scope: str, subject_id: UUID) -> tuple[bool, SubjectKey | None]:
        with self._lock:
            entry = self._keys.get((scope, subject_id))
            if entry is None or time.monotonic() - entry[0] > self.ttl:
                self._keys.pop((scope, subject_id), None)
                return False, None
            return True, entry[1]

    def put(self, scope: str, subject_id: UUID, key: SubjectKey | None) -> None:
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[(scope, subject_id)] = (time.monotonic(), key)

    def forget(self, subject_id: UUID) -> None:
        """Forget the subject's key, under every database."""
        with self._lock:
            for cached in [k for k in self._keys if k[1] == subject_id]:
                del self._keys[cached]


KEYS = KeyCache()


class SubjectKeys:
    """The data subjects' keys, read and created through the application's datastore."""

    def __init__(self, datastore: PostgresDatastore, events_table: str, cache: KeyCache = KEYS):
        self.datastore = datastore
        self.cache = cache
        pool = datastore.pool
        given = pool.kwargs if isinstance(pool.kwargs, dict) else {}
        where = {k: given.get(k) for k in ("host", "port", "dbname")}
        self.scope = f"{pool.conninfo}|{where}|{datastore.schema}"
        schema = Identifier(datastore.schema)
        table = SQL("{}.{}").format(schema, Identifier(KEYS_TABLE))
        self.select_key = SQL(
            "SELECT subject_id, algorithm, key FROM {} WHERE subject_id = %s"
        ).format(table)
        self.insert_key = SQL(
            "INSERT INTO {} (subject_id, unit_code, algorithm, key, lookup, label) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (lookup) DO NOTHING "
            "RETURNING subject_id, algorithm, key"
        ).format(table)
        self.insert_registered = SQL(
            "INSERT INTO {} (subject_id, unit_code, algorithm, key, label) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (subject_id) DO NOTHING"
        ).format(table)
        self.select_by_lookup = SQL(
            "SELECT subject_id, algorithm, key FROM {} WHERE lookup = %s"
        ).format(table)
        self.select_creation = SQL(
            "SELECT state FROM {}.{} WHERE originator_id = %s AND originator_version = 1"
        ).format(schema, Identifier(events_table))
        self.select_algorithm = SQL("SELECT value FROM {}.{} WHERE key = 'hash_algorithm'").format(
            schema, Identifier(events_table.removesuffix("_events") + "_log_meta")
        )
        self._cipher: str | None = None
        # Each ruling's sealed person, as stored in its creation event (never changes).
        self._tokens: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._tokens_lock = threading.Lock()

    def new_cipher(self) -> str:
        """The cipher of new keys: SM4-GCM on a log hashed with SM3, else AES-256-GCM."""
        if self._cipher is None:
            with self.datastore.get_connection() as conn:
                row = conn.execute(self.select_algorithm).fetchone()
            self._cipher = cipher_for(str(row["value"]) if row else "sha256")
        return self._cipher

    def for_person(self, unit_code: str, name: str) -> SubjectKey:
        """The person's subject key, made on first sight."""
        lookup = subject_lookup(unit_code, name)
        for _ in range(3):
            with self.datastore.get_connection() as conn:
                row = conn.execute(self.select_by_lookup, (lookup,)).fetchone()
                if row is None:
                    algorithm = self.new_cipher()
                    key = os.urandom(KEY_BYTES[algorithm])
                    subject_id = uuid4()
                    label = seal(algorithm, key, name.encode(), label_aad(subject_id))
                    row = conn.execute(
                        self.insert_key,
                        (subject_id, unit_code, algorithm, key, lookup, label),
                    ).fetchone()
            if row is not None and row["key"] is not None:
                found = SubjectKey(row["subject_id"], row["algorithm"], bytes(row["key"]))
                self.cache.put(self.scope, found.subject_id, found)
                return found
            # Made by another process between our two statements: read it on the next turn.
        raise RuntimeError(f"no subject key could be made for a person of unit {unit_code!r}")

    def for_registered(self, subject_id: UUID, unit_code: str, name: str) -> SubjectKey:
        """The key of a person of the register, by the subject id derived from the person's
        (`domain.persons.subject_id_of`), so the person's entry and every ruling naming them
        are sealed, and shredded, together (a key destroyed stays destroyed: the sealing
        then fails, and the domain names no erased person)."""
        found = self.get(subject_id)
        if found is not None:
            return found
        algorithm = self.new_cipher()
        key = os.urandom(KEY_BYTES[algorithm])
        label = seal(algorithm, key, name.encode(), label_aad(subject_id))
        with self.datastore.get_connection() as conn:
            conn.execute(self.insert_registered, (subject_id, unit_code, algorithm, key, label))
        self.cache.forget(subject_id)
        made = self.get(subject_id)
        assert made is not None, f"the key of person {subject_id} was neither found nor made"
        return made

    def get(self, subject_id: UUID) -> SubjectKey | None:
        """The subject's key (its `key` None when shredded), or None for an unknown id."""
        hit, cached = self.cache.get(self.scope, subject_id)
        if hit:
            return cached
        with self.datastore.get_connection() as conn:
            row = conn.execute(self.select_key, (subject_id,)).fetchone()
        found = (
            SubjectKey(row["subject_id"], row["algorithm"], row["key"] and bytes(row["key"]))
            if row
            else None
        )
        self.cache.put(self.scope, subject_id, found)
        return found

    def remember(self, aggregate_id: Any, token: dict[str, Any]) -> None:
        with self._tokens_lock:
            self._tokens[str(aggregate_id)] = token
            self._tokens.move_to_end(str(aggregate_id))
            while len(self._tokens) > 4096:
                self._tokens.popitem(last=False)

    def creation_token(self, aggregate_id: Any) -> dict[str, Any] | None:
        """The sealed person of a ruling, from its creation event (None: it names none)."""
        with self._tokens_lock:
            token = self._tokens.get(str(aggregate_id))
        if token is not None:
            return token
        with self.datastore.get_connection() as conn:
            row = conn.execute(self.select_creation, (aggregate_id,)).fetchone()
        if row is None:
            return None
        state = json.loads(bytes(row["state"]))
        person = (state.get("subject") or {}).get("person")
        if not isinstance(person, dict) or "sealed" not in person:
            return None
        self.remember(aggregate_id, person)
        return person


# -- the mapper -----------------------------------------------------------------------------


def pseudonymise(state: dict[str, Any], name: str) -> bool:
    """Replace the name, however it was typed (spaced, punctuated, full-width: see
    domain/text.py), by the marker in the free text; did any text name the person?"""
    if len(folded(name)[0]) < MIN_NAME_LENGTH:
        return False
    changed = False
    for field in FREE_TEXT:
        value = state.get(field)
        if isinstance(value, str) and names(value, name):
            state[field] = replace_name(value, name, MARK)
            changed = True
        elif isinstance(value, list) and any(isinstance(v, str) and names(v, name) for v in value):
            state[field] = [replace_name(v, name, MARK) if isinstance(v, str) else v for v in value]
            changed = True
    return changed


def restore(state: dict[str, Any], name: str) -> None:
    """Put the name (or `[已删除]`) back where the marker stands."""
    for field in FREE_TEXT:
        value = state.get(field)
        if isinstance(value, str) and MARK in value:
            state[field] = value.replace(MARK, name)
        elif isinstance(value, list):
            state[field] = [v.replace(MARK, name) if isinstance(v, str) else v for v in value]


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class PersonalDataMapper(Mapper[TAggregateID]):
    """The library's mapper, sealing the personal data of ruling events on the way to the
    store and opening it on the way back (`[已删除]` once the subject's key is destroyed)."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        *,
        keys: SubjectKeys | None = None,
    ) -> None:
        super().__init__(transcoder, compressor=compressor, cipher=cipher)
        self.keys = keys

    def to_stored_event(self, domain_event: DomainEventProtocol[TAggregateID]) -> StoredEvent:
        topic = get_topic(domain_event.__class__)
        if self.keys is None or not topic.startswith(SEALED_TOPICS):
            return super().to_stored_event(domain_event)
        event_state = dict(vars(domain_event))  # a copy: the aggregate keeps the plain event
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        self.protect(self.keys, originator_id, event_state)
        stored_state = self.transcoder.encode(event_state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=stored_state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[TAggregateID]:
        event = super().to_domain_event(stored_event)
        if self.keys is not None and stored_event.topic.startswith(SEALED_TOPICS):
            try:
                self.reveal(self.keys, stored_event.originator_id, vars(event))
            except (InvalidTag, ValueError, KeyError) as error:
                raise MapperDeserialisationError(
                    f"personal data of the event of {stored_event.originator_id} version "
                    f"{stored_event.originator_version} does not open: {error!r}"
                ) from error
        return event

    @staticmethod
    def protect(keys: SubjectKeys, aggregate_id: Any, state: dict[str, Any]) -> None:
        subject = state.get("subject")
        person = subject.get("person") if isinstance(subject, dict) else None
        if isinstance(subject, dict) and isinstance(person, dict) and "name" in person:
            name = str(person["name"])
            unit_code = str(subject["unit_code"])
            registered = subject.get("person_id")
            key = (
                keys.for_registered(subject_id_of(UUID(str(registered))), unit_code, name)
                if registered
                else keys.for_person(unit_code, name)
            )
            if key.key is None:  # shredded between the check and this save
                raise InvalidValue("the personal data of this person has been erased")
            token = sealed_token(key, aggregate_id, person)
            state["subject"] = {**subject, "person": token}
            keys.remember(aggregate_id, token)
            pseudonymise(state, name)
        elif any(state.get(field) for field in FREE_TEXT):
            protect_later_event(keys, aggregate_id, state)

    @staticmethod
    def reveal(keys: SubjectKeys, aggregate_id: Any, state: dict[str, Any]) -> None:
        subject = state.get("subject")
        person = subject.get("person") if isinstance(subject, dict) else None
        if isinstance(subject, dict) and isinstance(person, dict) and "sealed" in person:
            keys.remember(aggregate_id, person)
            opened = open_token(keys, aggregate_id, person)
            if opened is None:
                opened = {"name": DELETED, "position": DELETED}
            state["subject"] = {**subject, "person": opened}
            restore(state, str(opened["name"]))
            return
        token = state.pop(SEALED_NAME, None)
        if isinstance(token, dict):
            opened = open_token(keys, aggregate_id, token)
            restore(state, str(opened["name"]) if opened else DELETED)


def sealed_token(key: SubjectKey, aggregate_id: Any, data: dict[str, Any]) -> dict[str, Any]:
    """`data` sealed under the subject's key, bound to the ruling: {subject, cipher, sealed}."""
    if key.key is None:
        raise ValueError(f"the key of subject {key.subject_id} has been destroyed")
    sealed = seal(key.algorithm, key.key, canonical(data), person_aad(aggregate_id, key.subject_id))
    return {"subject": str(key.subject_id), "cipher": key.algorithm, "sealed": b64(sealed)}


def protect_later_event(keys: SubjectKeys, aggregate_id: Any, state: dict[str, Any]) -> None:
    """A later event of a ruling that names a person: where its text names them, the
    marker, and the name sealed beside it (nothing when the subject is already shredded)."""
    creation = keys.creation_token(aggregate_id)
    if creation is None:
        return
    opened = open_token(keys, aggregate_id, creation)
    if opened is None:  # shredded: the name is no longer known
        return
    changed = dict(state)
    if pseudonymise(changed, str(opened["name"])):
        key = keys.get(UUID(creation["subject"]))
        if key is None or key.key is None:  # shredded a moment ago
            return
        changed[SEALED_NAME] = sealed_token(key, aggregate_id, {"name": opened["name"]})
        state.update(changed)


def open_token(
    keys: SubjectKeys, aggregate_id: Any, token: dict[str, Any]
) -> dict[str, Any] | None:
    """The sealed data, or None when the subject's key has been destroyed."""
    subject_id = UUID(token["subject"])
    key = keys.get(subject_id)
    if key is None:
        log.warning("personal data sealed under an unknown subject", extra={"subject": subject_id})
        return None
    if key.key is None:
        return None
    plain = unseal(
        token["cipher"],
        key.key,
        base64.b64decode(token["sealed"]),
        person_aad(aggregate_id, subject_id),
    )
    opened: dict[str, Any] = json.loads(plain)
    return opened


# -- listing and shredding (the caller owns the connection and its transaction) --------------


def list_subjects(
    conn: psycopg.Connection[Any],
    *,
    unit_codes: list[str] | None = None,
    subject_id: UUID | None = None,
    after: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Subjects with their unit and a masked name (while the key exists), oldest first."""
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(
            SQL(
                "SELECT subject_id, seq, unit_code, algorithm, key, label, created_at, "
                "shredded_at FROM {} WHERE seq > %(after)s "
                "AND (%(units)s::text[] IS NULL OR unit_code = ANY(%(units)s)) "
                "AND (%(subject)s::uuid IS NULL OR subject_id = %(subject)s) "
                "ORDER BY seq LIMIT %(limit)s"
            ).format(Identifier(KEYS_TABLE)),
            {"after": after, "units": unit_codes, "subject": subject_id, "limit": limit},
        )
        .fetchall()
    )
    return [subject_out(row) for row in rows]


def subject_out(row: dict[str, Any]) -> dict[str, Any]:
    masked = None
    if row["key"] is not None and row["label"] is not None:
        name = unseal(
            row["algorithm"], bytes(row["key"]), bytes(row["label"]), label_aad(row["subject_id"])
        )
        masked = mask(name.decode())
    return {
        "subject_id": str(row["subject_id"]),
        "seq": row["seq"],
        "unit_code": row["unit_code"],
        "algorithm": row["algorithm"],
        "masked_name": masked,
        "created_at": row["created_at"].isoformat(),
        "shredded_at": row["shredded_at"].isoformat() if row["shredded_at"] else None,
    }


@dataclass(frozen=True)
class Destroyed:
    subject_id: UUID
    shredded_at: datetime
    already: bool  # shredded before


def destroy_key(conn: psycopg.Connection[Any], subject_id: UUID) -> Destroyed:
    """Crypto-shred: the key, the look-up hash and the sealed label go; the row stays, to
    show that (and when) the subject was forgotten."""
    row = conn.execute(
        SQL("SELECT shredded_at FROM {} WHERE subject_id = %s FOR UPDATE").format(
            Identifier(KEYS_TABLE)
        ),
        (subject_id,),
    ).fetchone()
    if row is None:
        raise UnknownSubject(f"no data subject {subject_id}")
    if row[0] is not None:
        return Destroyed(subject_id, row[0], already=True)
    done = conn.execute(
        SQL(
            "UPDATE {} SET key = NULL, lookup = NULL, label = NULL, shredded_at = now() "
            "WHERE subject_id = %s RETURNING shredded_at"
        ).format(Identifier(KEYS_TABLE)),
        (subject_id,),
    ).fetchone()
    assert done is not None
    KEYS.forget(subject_id)
    return Destroyed(subject_id, done[0], already=False)


def rulings_of_subject(
    conn: psycopg.Connection[Any], subject_id: UUID, events_table: str
) -> list[UUID]:
    """The rulings whose creation event seals this subject (read from the stored events)."""
    rows = conn.execute(
        SQL(
            "SELECT originator_id FROM {} WHERE originator_version = 1 AND topic = ANY(%s) "
            "AND convert_from(state, 'UTF8')::jsonb #>> '{{subject,person,subject}}' = %s "
            "ORDER BY notification_id"
        ).format(Identifier(events_table)),
        (list(CREATION_TOPICS), str(subject_id)),
    ).fetchall()
    return [row[0] for row in rows]


def subject_of_ruling(
    conn: psycopg.Connection[Any], ruling_id: UUID, events_table: str
) -> UUID | None:
    row = conn.execute(
        SQL(
            "SELECT convert_from(state, 'UTF8')::jsonb #>> '{{subject,person,subject}}' FROM {} "
            "WHERE originator_id = %s AND originator_version = 1 AND topic = ANY(%s)"
        ).format(Identifier(events_table)),
        (ruling_id, list(CREATION_TOPICS)),
    ).fetchone()
    return UUID(row[0]) if row and row[0] else None
