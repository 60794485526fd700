"""Issued documents (公文, issue 17 items 2–3, ADR 034): an issued document is a fact of the log.

Issuing takes the next 发文字号 of its kind's per-year sequence (`DocumentSequence`, saved in
the same transaction as the document, so two issuances never share a number), renders the
document from its `content` — the facts it states, kept in the event — as Word and PDF, and
records the SHA-256 and size of each file's exact bytes. Rendering is deterministic, so the
same content gives the same bytes: a copy is checked against the log by its hash, and the
document is reproduced from the event. A ruling's decision names a person: its content keeps a
placeholder where the name goes, the name is filled in from the (sealed) ruling when it is
rendered, and its files are sealed with the person's key (shredded with it).

What a document says comes from the records through a port (`DocumentDesk`) the composition
root fills: the finding board, the scorecards and the case library are read models.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.vocabulary import DocumentKind, FindingStatus, Role

SUBJECT_PLACEHOLDER = "〔当事人〕"  # where a ruling document's content names its subject
POSITION_PLACEHOLDER = "〔职务〕"  # … and gives their position
CODE_PLACEHOLDER = "〔校验码〕"  # … and its 文书校验码, sealed with the person's key
NAMESPACE = uuid.UUID("5b0f7f9e-3f1d-4c55-9d43-7c1a0d6f2a17")


@dataclass(frozen=True)
class KindRules:
    issuer: str  # 发文机关
    prefix: str  # 发文字号's 机关代字
    roles: tuple[Role, ...]  # who issues it
    needs: str  # what names its record: finding_id, ruling_id, unit_code+year, period


OFFICE = "新昌县人民政府督查室"
COMMISSION = "中共新昌县纪律检查委员会"
ORGANISERS = (Role.INSPECTOR, Role.ADMIN)
DECIDERS = (Role.AUTHORITY, Role.ADMIN)
K = DocumentKind
KINDS = {
    K.SUPERVISION_NOTICE: KindRules(OFFICE, "新政督办", ORGANISERS, "finding_id"),
    K.RECTIFICATION_NOTICE: KindRules(OFFICE, "新政督改", ORGANISERS, "finding_id"),
    K.BULLETIN: KindRules(OFFICE, "新政督通", ORGANISERS, "period"),
    K.EVALUATION_REPORT: KindRules(OFFICE, "新政督考", ORGANISERS, "unit_code"),
    K.ACCOUNTABILITY_DECISION: KindRules(COMMISSION, "新纪问", DECIDERS, "ruling_id"),
    K.TOLERANCE_DECISION: KindRules(COMMISSION, "新纪容", DECIDERS, "ruling_id"),
}
# The findings a 督办通知书 or 整改通知书 presses: under rectification (ordered, neither
# closed nor withdrawn; a report may await its verification).
PRESSED = (FindingStatus.RECTIFYING, FindingStatus.REPORTED)


def document_number(kind: DocumentKind, year: int, number: int) -> str:
    """The 发文字号: 机关代字〔年份〕序号号 (GB/T 9704-2012 7.2.4)."""
    return f"{KINDS[kind].prefix}〔{year}〕{number}号"


def sequence_id(kind: DocumentKind, year: int) -> UUID:
    return uuid.uuid5(NAMESPACE, f"sequence:{kind.value}:{year}")


def scheduled_bulletin_id(scope: str, period: str) -> UUID:
    """The id of the bulletin the scheduler issues for a period: one per period and scope."""
    return uuid.uuid5(NAMESPACE, f"bulletin:{scope}:{period}")


@dataclass(frozen=True)
class Prepared:
    """A document ready to record: what it is about, what it says, its files' hashes."""

    title: str
    record: dict[str, Any]  # {"kind": finding|ruling|unit|county, "id": …}
    content: dict[str, Any]  # the facts it states, in blocks (api/documents/compose.py)
    files: dict[str, dict[str, Any]]  # format -> {sha256, size}
    subject_id: UUID | None  # sealed for this data subject (a ruling's person)


class DocumentDesk(Protocol):
    """What the application asks to make a document (api/runtime/documents.py)."""

    def prepare(
        self, kind: DocumentKind, refs: dict[str, Any], number: str, issued_on: date
    ) -> Prepared: ...


class DocumentSequence(Aggregate):
    """A kind's 发文字号 for a year: each number taken once."""

    class Started(Aggregate.Created):
        """v2 adds the `actor` who issued the year's first document (None before)."""

        class_version = 2

        kind: str
        year: int
        actor: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["actor"] = None

    class NumberTaken(Aggregate.Event):
        """v2 adds the `actor` who issued the document numbered so (None before)."""

        class_version = 2

        number: int
        actor: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["actor"] = None

    @event(Started)
    def __init__(
        self, *, id: UUID, kind: str, year: int, actor: dict[str, Any] | None = None
    ) -> None:
        self.kind = kind
        self.year = year
        self.last = 0

    @property
    def next_number(self) -> int:
        return self.last + 1

    def take(self, actor: dict[str, Any]) -> int:
        """The next number (recorded with the document that uses it)."""
        self._taken(number=self.next_number, actor=actor)
        return self.last

    @event(NumberTaken)
    def _taken(self, number: int, actor: dict[str, Any] | None = None) -> None:
        self.last = number


class IssuedDocument(Aggregate):
    """印发: a document issued under its number, its files' hashes on the record."""

    class Issued(Aggregate.Created):
        kind: str
        number: str
        title: str
        record: dict[str, Any]
        content: dict[str, Any]
        files: dict[str, dict[str, Any]]
        subject_id: UUID | None
        issued_on: date
        actor: dict[str, Any]

    @event(Issued)
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        number: str,
        title: str,
        record: dict[str, Any],
        content: dict[str, Any],
        files: dict[str, dict[str, Any]],
        subject_id: UUID | None,
        issued_on: date,
        actor: dict[str, Any],
    ) -> None:
        self.kind = kind
        self.number = number
        self.title = title
        self.record = record
        self.content = content
        self.files = files
        self.subject_id = subject_id
        self.issued_on = issued_on
        self.issued_by = actor
