"""The document desk (issue 17 items 2–3, ADR 034): composes a document from the records — the
finding or ruling, or the read models for a bulletin and a year's report, each brought up to
the log's head first —, renders it as Word and PDF and keeps both files in the file store;
and serves an issued document's files back, hashed again.

A ruling's document names a person: its files are sealed with the person's key
(`sealed/<subject>/<hash>`, AES-GCM or SM4-GCM as the key was made) and deleted when the
person's data is shredded; the issued copy is then gone (410), and a document issued anew
says that the personal data was deleted.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.exceptions import InvalidTag

from domain.documents import PRESSED, IssuedDocument, Prepared
from domain.errors import InvalidTransition, InvalidValue, NotFound, UnknownReference
from domain.evaluation_schemes import year_end_score
from domain.findings import Finding
from domain.rulings import AccountabilityRuling
from domain.subjects import SHREDDED
from domain.vocabulary import DocumentKind, RulingStatus
from infra.documents import compose
from infra.files import (
    CorruptFile,
    Upload,
    digest_of_key,
    forget_sealed,
    key_locked,
    key_of,
    read_verified,
    record_upload,
)
from infra.privacy import seal, unseal
from projections.case_library import CaseFilter
from projections.finding_board import COUNTED, FindingFilter, deadline_colour, due_by_of
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from projections.scorecard import Scorecards

if TYPE_CHECKING:
    from api.runtime.bootstrap import Services

log = logging.getLogger("supervision.documents")
SUMMARY_MODELS = {"finding_board", "rulings", "work_ledger", "directory", "case_library"}
SUMMARY_SPECS = [spec for spec in PROJECTIONS if spec.name in SUMMARY_MODELS]
PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
OVERDUE_LISTED = 50
CASES_SHOWN = 3


class Erased(Exception):
    """The document's files were sealed for a person whose data has been shredded."""


def period_of(period: str) -> tuple[str, date, date]:
    """`2026-11` → 2026年11月, `2026-Q3` → 2026年第三季度, `2026` → 2026年度; with its first
    and last day."""
    m = PERIOD.match(period)
    if m is None:
        raise InvalidValue(f"{period!r} is not a period (YYYY-MM, YYYY-Qn or YYYY)")
    year, month, quarter = int(m.group(1)), m.group(2), m.group(3)
    if not 2000 <= year <= 2999:
        raise InvalidValue(f"{period!r}: the year lies between 2000 and 2999")
    if month:
        first = date(year, int(month), 1)
        return f"{year}年{int(month)}月", first, last_day(first, 1)
    if quarter:
        first = date(year, 3 * int(quarter) - 2, 1)
        return f"{year}年第{'一二三四'[int(quarter) - 1]}季度", first, last_day(first, 3)
    return f"{year}年度", date(year, 1, 1), date(year, 12, 31)


def last_day(first: date, months: int) -> date:
    """The last day of the `months` months from `first` (the first of a month)."""
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


@dataclass
class ServiceDesk:
    """domain.documents.DocumentDesk over the service's records and file store."""

    services: Services

    def prepare(
        self, kind: DocumentKind, refs: dict[str, Any], number: str, issued_on: date
    ) -> Prepared:
        content, record, subject_id, person = self.compose(kind, refs, number, issued_on)
        files = {
            fmt: self.keep(data, fmt, subject_id)
            for fmt, data in compose.rendered(content, person).items()
        }
        log.info("document_rendered", extra={"kind": kind.value, "number": number})
        return Prepared(content["title"], record, content, files, subject_id)

    def compose(
        self, kind: DocumentKind, refs: dict[str, Any], number: str, issued_on: date
    ) -> tuple[dict[str, Any], dict[str, Any], UUID | None, dict[str, Any] | None]:
        app = self.services.app
        if kind in (DocumentKind.SUPERVISION_NOTICE, DocumentKind.RECTIFICATION_NOTICE):
            finding = self.finding(refs["finding_id"], kind, issued_on)
            unit = app.read_unit(finding.unit_code).name
            record = {"kind": "finding", "id": str(finding.id)}
            if kind is DocumentKind.RECTIFICATION_NOTICE:
                return (
                    compose.rectification_notice(finding, unit, number, issued_on),
                    record,
                    None,
                    None,
                )
            colour = warning(finding, issued_on)
            content = compose.supervision_notice(finding, unit, colour, number, issued_on)
            return content, record, None, None
        if kind in (DocumentKind.ACCOUNTABILITY_DECISION, DocumentKind.TOLERANCE_DECISION):
            try:
                ruling = app.get_ruling(refs["ruling_id"])
            except NotFound:
                raise UnknownReference(f"ruling {refs['ruling_id']} does not exist") from None
            accountability = kind is DocumentKind.ACCOUNTABILITY_DECISION
            if accountability != isinstance(ruling, AccountabilityRuling):
                raise InvalidValue(f"a {kind.label} is made of a ruling of the other kind")
            if ruling.decision is None or ruling.status is RulingStatus.REVOKED:
                raise InvalidTransition(
                    "only a decision that stands is issued (decided, not revoked on appeal)",
                    ruling.status.value,
                )
            unit = app.read_unit(ruling.unit_code).name
            person = ruling.subject.get("person") or {}
            keys = app.mapper.keys  # type: ignore[attr-defined]
            erased = person.get("name") == SHREDDED  # nothing personal left to seal
            token = keys.creation_token(ruling.id) if person and not erased else None
            subject = UUID(str(token["subject"])) if token else None
            content = compose.ruling_decision(ruling, unit, number, issued_on)
            record = {"kind": "ruling", "id": str(ruling.id)}
            if subject is not None:  # a 校验码 only the person's key opens: see salted()
                content, person = self.salted(content, person, subject, number)
            return content, record, subject, person or None
        if kind is DocumentKind.BULLETIN:
            group = sorted(set(refs.get("unit_codes") or ()))  # a group's, or all units'
            scope: dict[str, Any] = {"kind": "group" if group else "county", "id": refs["period"]}
            if group:
                scope["units"] = group  # who, of the units' accounts, may read it
            return (
                self.bulletin(refs, number, issued_on),
                scope,
                None,
                None,
            )
        return (
            self.evaluation(refs, number, issued_on),
            {"kind": "unit", "id": refs["unit_code"]},
            None,
            None,
        )

    def finding(self, finding_id: UUID, kind: DocumentKind, issued_on: date) -> Finding:
        """The finding a notice presses: one under rectification (ordered, and neither closed
        nor withdrawn: its report may await verification), and the notice dated on or after
        the day its order was given."""
        try:
            finding = self.services.app.get_finding(finding_id)
        except NotFound:
            raise UnknownReference(f"finding {finding_id} does not exist") from None
        notice = kind.value.replace("_", " ")
        if finding.deadline is None:
            raise InvalidTransition(
                f"issue a {notice} before the rectification order", finding.status.value
            )
        if finding.status not in PRESSED:
            raise InvalidTransition(
                f"issue a {notice} for a finding not under rectification", finding.status.value
            )
        ordered_on = finding.ordered_on
        if ordered_on is not None and issued_on < ordered_on:
            raise InvalidValue(
                f"issued_on {issued_on.isoformat()} is before the order of "
                f"{ordered_on.isoformat()} it serves",
                details={"issued_on": issued_on.isoformat(), "ordered_on": ordered_on.isoformat()},
            )
        return finding

    def bulletin(self, refs: dict[str, Any], number: str, issued_on: date) -> dict[str, Any]:
        """情况通报 of a period: found and closed within it, open and overdue on the day it is
        issued, per unit (with the units merged into it) and in all; the overdue list; the
        year's typical cases."""
        label, start, end = period_of(refs["period"])
        if start > issued_on:
            raise InvalidValue(
                f"{refs['period']!r} has not begun on {issued_on.isoformat()}",
                details={"period": refs["period"], "issued_on": issued_on.isoformat()},
            )
        s = self.services
        catch_up(s.app, s.datastore, SUMMARY_SPECS, s.settings.read_wait_seconds)
        groups = Scorecards(s.board, s.rulings, s.ledger, s.directory).lineages(end.year)
        wanted = set(refs.get("unit_codes") or ())
        unknown = wanted - set(groups)
        if unknown:
            raise UnknownReference(f"no such active units: {sorted(unknown)}")
        if wanted:
            groups = {code: group for code, group in groups.items() if code in wanted}
        counts = s.board.period_counts(groups, start, end, issued_on)
        names = {code: s.app.read_unit(code).name for code in groups}
        rows: list[dict[str, Any]] = [
            {"code": code, "name": names[code], **counts[code]} for code in groups
        ]
        totals = {k: sum(counts[code][k] for code in groups) for k in COUNTED}
        members = {member: code for code, group in groups.items() for member in group}
        late = FindingFilter(unit_codes=tuple(members), overdue=True)
        page = s.board.list(late, issued_on, OVERDUE_LISTED, None)
        overdue = [
            {
                "title": f["title"],
                "unit_name": names[members.get(f["unit_code"], f["unit_code"])],
                "deadline": date.fromisoformat(str(f["deadline"])),
            }
            for f in page.items
            if members.get(f["unit_code"]) in names
        ]
        ranking = sorted(
            rows, key=lambda r: (r["overdue"], r["open"], -r["closed"], r["code"])
        )  # fmt: skip
        cases = [
            {"title": c["summary"] or "", "facts": c["facts"] or ""}
            for c in s.cases.page(CaseFilter(year=end.year), CASES_SHOWN, None).items
        ]
        return compose.bulletin(label, number, issued_on, totals, overdue, ranking, cases)

    def evaluation(self, refs: dict[str, Any], number: str, issued_on: date) -> dict[str, Any]:
        s, code, year = self.services, refs["unit_code"], refs["year"]
        try:
            unit = s.app.read_unit(code)
        except NotFound:
            raise UnknownReference(f"unit {code!r} does not exist") from None
        catch_up(s.app, s.datastore, SUMMARY_SPECS, s.settings.read_wait_seconds)
        lineage = s.app.lineage_of_year(code, year)
        cards = Scorecards(s.board, s.rulings, s.ledger, s.directory)
        (card,) = cards.for_units(year, issued_on, {code: tuple(lineage)})
        on_time = card["on_time_rate"]
        parts: dict[str, Any] = {
            "ledger": s.ledger.completion(lineage, year),
            "supervision": None if on_time is None else round(100 * on_time, 2),
            "evaluation": card["mean_work_item_score"],
        }
        weights = s.app.get_evaluation_scheme(year)["weights"]
        parts["total"], _ = year_end_score(parts, weights)  # as /year-end-score weighs them
        return compose.evaluation_report(unit.name, year, card, parts, number, issued_on)

    def salted(
        self, content: dict[str, Any], person: dict[str, Any], subject: UUID, number: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A document naming a person carries a random 文书校验码, kept in its content sealed
        with the person's key: while the key lives, the document is reproduced from the log
        (the name, the position and the code opened with it); once it is shredded, guessing
        names can no longer be checked against the files' hashes."""
        key = self.subject_key(subject)
        code = secrets.token_hex(6).upper()
        sealed = seal(key.algorithm, key.key, code.encode(), number.encode())
        content = {**content, "sealed": {"code": base64.b64encode(sealed).decode()}}
        return content, {**person, "code": code}

    def subject_key(self, subject_id: UUID) -> Any:
        key = self.services.app.mapper.keys.get(subject_id)  # type: ignore[attr-defined]
        if key is None or key.key is None:
            raise InvalidValue("the person's personal data has been deleted")
        return key

    def keep(self, data: bytes, fmt: str, subject_id: UUID | None) -> dict[str, Any]:
        """Keep a rendered file (sealed for its subject); its hash and size."""
        sha256 = hashlib.sha256(data).hexdigest()
        stored = data
        if subject_id is not None:
            key = self.subject_key(subject_id)
            stored = seal(key.algorithm, key.key, data, sha256.encode())
        where = key_of(sha256, subject_id)
        upload = Upload(
            where,
            sha256,
            len(data),
            compose.FORMATS[fmt],
            f"{sha256[:12]}.{fmt}",
            "documents",
            None,
            subject_id,
            self.services.clock.now(),
        )
        with key_locked(self.services.database, where) as conn:
            self.services.files.put(where, io.BytesIO(stored))
            record_upload(conn, upload)
        return {"sha256": sha256, "size": len(data)}


def warning(finding: Finding, today: date) -> str | None:
    """The finding's 红/黄/蓝 督办 state on the day, as its board row and page show it."""
    due_by = due_by_of(finding.deadline) if finding.deadline else None
    return deadline_colour(
        finding.status.value,
        finding.deadline,
        today,
        finding.ordered_on,
        finding.progress_percent,
        due_by,
    )


def document_bytes(services: Services, document: IssuedDocument, fmt: str) -> bytes:
    """An issued document's file, checked against the hash its event records."""
    if fmt not in document.files:
        raise InvalidValue(f"no {fmt} file; formats: {sorted(document.files)}")
    sha256 = str(document.files[fmt]["sha256"])
    where = key_of(sha256, document.subject_id)
    if document.subject_id is None:
        return read_verified(services.files, where)
    key = services.app.mapper.keys.get(document.subject_id)  # type: ignore[attr-defined]
    if key is None or key.key is None:
        raise Erased(str(document.id))
    with services.files.open(where) as stored:
        sealed = stored.read()
    try:
        data = unseal(key.algorithm, key.key, sealed, sha256.encode())
    except (InvalidTag, ValueError):  # the sealed bytes were altered, or cut short
        log.error("file_corrupt", extra={"key": where, "sealed": True})
        raise CorruptFile(sha256, hashlib.sha256(sealed).hexdigest()) from None
    found = hashlib.sha256(data).hexdigest()
    if found != digest_of_key(where):
        raise CorruptFile(sha256, found)
    return data


def forget_subject(services: Services, subject_id: UUID) -> int:
    """Delete the files sealed for a shredded subject, and their rows; how many."""
    gone = 0
    for stored in list(services.files.keys(f"sealed/{subject_id}/")):
        services.files.delete(stored.key)
        gone += 1
    forget_sealed(services.database, subject_id)
    log.info("sealed_files_deleted", extra={"subject_id": str(subject_id), "files": gone})
    return gone
