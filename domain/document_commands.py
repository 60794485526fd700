"""Issuing documents (issue 17 items 2–3, ADR 034): the next number of the kind's sequence,
the document made by the desk under that number, both saved in one transaction."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from domain import clock
from domain.commands import CommandBase, CommandResult, ConcurrentChange, Sending
from domain.documents import (
    KINDS,
    DocumentDesk,
    DocumentSequence,
    IssuedDocument,
    document_number,
    sequence_id,
)
from domain.errors import AlreadyExists, InvalidValue, PermissionDenied
from domain.vocabulary import DocumentKind

if TYPE_CHECKING:
    from domain.registry import IssueDocument


# A document is dated the day it is signed: today, or a few days before (成文日期).
BACKDATED_DAYS = 30


class DocumentCommands(CommandBase):
    # Set by the service: what composes and renders a document (api/runtime/documents.py).
    document_desk: DocumentDesk | None = None

    def do_issue_document(self, cmd: IssueDocument, by: Sending) -> CommandResult:
        """印发: a document of its kind about its record, under the year's next number."""
        kind = DocumentKind(cmd.kind)
        rules = KINDS[kind]
        if by.actor.role not in rules.roles:
            allowed = ", ".join(r.value for r in rules.roles)
            raise PermissionDenied(f"a {kind.value} is issued by: {allowed}")
        if self.document_desk is None:
            raise InvalidValue("this service renders no documents")
        refs = refs_of(cmd, rules.needs)
        document_id = cmd.document_id or uuid4()
        if document_id in self.repository:
            raise AlreadyExists(f"document {document_id} already exists")
        today = clock.today()
        issued_on = cmd.issued_on or today
        if not today - timedelta(days=BACKDATED_DAYS) <= issued_on <= today:
            raise InvalidValue(
                f"issued_on (成文日期) is today or at most {BACKDATED_DAYS} days before it",
                details={"issued_on": issued_on.isoformat(), "today": today.isoformat()},
            )
        year = issued_on.year
        sequence_key = sequence_id(kind, year)

        actor = by.actor.as_event_data()

        def numbered(number_in_year: int) -> IssuedDocument:
            number = document_number(kind, year, number_in_year)
            assert self.document_desk is not None
            prepared = self.document_desk.prepare(kind, refs, number, issued_on)
            return IssuedDocument(
                id=document_id, kind=kind.value, number=number, title=prepared.title,
                record=prepared.record, content=prepared.content, files=prepared.files,
                subject_id=prepared.subject_id, issued_on=issued_on, actor=actor,
            )  # fmt: skip

        # The document is made first and its number taken after it: the document leads in
        # the log (its answer is the command's), and each event is made after the one it is
        # stored after, so the log's times follow its order.
        def issue(sequence: DocumentSequence) -> list[Any]:
            document = numbered(sequence.next_number)
            sequence.take(actor)
            return [document]

        if sequence_key not in self.repository:  # the year's first: its sequence, with it
            document = numbered(1)
            sequence = DocumentSequence(id=sequence_key, kind=kind.value, year=year, actor=actor)
            sequence.take(actor)
            with suppress(ConcurrentChange):  # another issuance started it meanwhile: on below
                return self.record(document, sequence, **by.save_kwargs)
        return self.update(
            DocumentSequence, sequence_key, None, issue, others_lead=True, **by.save_kwargs
        )


def refs_of(cmd: IssueDocument, needs: str) -> dict[str, Any]:
    """What names the document's record, as its kind needs it (422 when it is missing)."""
    if needs == "unit_code":
        if not cmd.unit_code or cmd.year is None:
            raise InvalidValue("this kind of document needs unit_code and year")
        return {"unit_code": cmd.unit_code, "year": cmd.year}
    if needs == "period":
        if not cmd.period:
            raise InvalidValue("a 情况通报 needs its period (YYYY-MM, YYYY-Qn or YYYY)")
        return {"period": cmd.period, "unit_codes": list(cmd.unit_codes)}
    value = getattr(cmd, needs)
    if value is None:
        raise InvalidValue(f"this kind of document needs {needs}")
    return {needs: value}
