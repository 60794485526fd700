"""Which records cite which files (issue 17 item 1), and the documents issued (item 3).

One row for each evidence file an event names — a finding as raised, a rectification or
progress report, a step of a major decision or its rectification, an issued document's own
files — by the file's SHA-256. A download is allowed to whoever may read one of the citing
records, and the files no row names are the ones collected after their grace period (ADR 033).
One row per issued document, for the lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from json import dumps
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from domain.documents import IssuedDocument
from domain.findings import Finding
from domain.major_decisions import MajorDecision
from domain.vocabulary import DocumentKind
from projections.base import ReadModel, ReadModelView, handles, other_aggregates
from projections.paging import Page

FINDING, DECISION = "finding", "major_decision"
ISSUE = (
    "INSERT INTO {documents} (id, kind, number, title, record_kind, record_id, issued_on, "
    "issued_by, files, hashes, sealed, position) SELECT %(id)s, %(kind)s, %(number)s, "
    "%(title)s, %(record_kind)s, %(record_id)s, %(issued_on)s, %(issued_by)s, %(files)s::jsonb, "
    "%(hashes)s, %(sealed)s, %(_position)s WHERE {advanced} ON CONFLICT (id) DO NOTHING"
)
CITATIONS, DOCUMENTS = "evidence_citations", "documents"
DOCUMENT_COLUMNS = (
    "id", "kind", "number", "title", "record_kind", "record_id", "issued_on", "issued_by",
    "files", "sealed",
)  # fmt: skip
CITE = (
    "INSERT INTO {citations} (sha256, record_id, record_kind, name, position, cited_by_role) "
    "SELECT lower(x.sha256), %(record_id)s, %(kind)s, x.name, %(_position)s, %(role)s "
    "FROM jsonb_to_recordset(%(evidence)s::jsonb) AS x(sha256 text, name text) "
    "WHERE {advanced} ON CONFLICT DO NOTHING"
)


@dataclass
class EvidenceFill:
    """A batch of a fill, kept in Python (EvidenceView.fill_batch): the citations and the
    documents it adds. Neither kind of row is changed once written, and each is keyed by
    its event's position or aggregate, so a batch reads nothing first."""

    citations: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)
    documents: dict[UUID, tuple[Any, ...]] = field(default_factory=dict)


class EvidenceView(ReadModelView):
    projection_name = "evidence"
    # 2: the evidence an amendment (更正) gives a finding is cited too; 3: with the citing
    # actor's role (a liaison's own citation lets it read nothing it could not before).
    schema_version = 3
    tables: ClassVar[dict[str, str]] = {
        CITATIONS: "sha256 text NOT NULL, record_id uuid NOT NULL, "
        "record_kind text NOT NULL, name text NOT NULL, position bigint NOT NULL, "
        "cited_by_role text NOT NULL, "
        "PRIMARY KEY (sha256, record_id, position, name)",
        # Issued documents (公文), for their lists: each kind's number, what it is about.
        DOCUMENTS: "id uuid PRIMARY KEY, kind text NOT NULL, number text NOT NULL, "
        "title text NOT NULL, record_kind text NOT NULL, record_id text NOT NULL, "
        "issued_on date NOT NULL, issued_by text NOT NULL, files jsonb NOT NULL, "
        "hashes text[] NOT NULL, sealed boolean NOT NULL, position bigint NOT NULL",
    }

    def table_statements(self) -> list[Any]:
        return [
            *super().table_statements(),
            *self.define_indexes(CITATIONS, record="(record_id)"),
            *self.define_indexes(
                DOCUMENTS,
                record="(record_id)",
                position="(position)",
                hashes="USING gin (hashes)",
            ),
        ]

    copies_fill = True
    _fill: EvidenceFill | None = None

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> EvidenceFill:
        """Nothing read: a batch only adds rows."""
        return EvidenceFill()

    def write_fill(self, conn: Connection[Any], fill: EvidenceFill) -> dict[str, int]:
        """The batch's citations and documents, copied."""
        self.copy_rows(conn, CITATIONS, self.declared(CITATIONS), list(fill.citations.values()))
        self.copy_rows(conn, DOCUMENTS, self.declared(DOCUMENTS), list(fill.documents.values()))
        return {"citations": len(fill.citations), "documents": len(fill.documents)}

    def issue(self, tracking: Tracking, e: IssuedDocument.Issued) -> None:
        """A document's row, with its files' hashes (which cite them)."""
        params = {
            "id": e.originator_id, "kind": e.kind, "number": e.number, "title": e.title,
            "record_kind": e.record["kind"], "record_id": str(e.record["id"]),
            "issued_on": e.issued_on, "issued_by": str(e.actor.get("name", "")),
            "files": dumps(e.files), "hashes": sorted(str(f["sha256"]) for f in e.files.values()),
            "sealed": e.subject_id is not None,
        }  # fmt: skip
        if (fill := self._fill) is not None:  # as ON CONFLICT (id) DO NOTHING
            row = {**params, "files": Jsonb(e.files), "position": tracking.notification_id}
            fill.documents.setdefault(e.originator_id, self.row_of(DOCUMENTS, row))
            return
        self.write(tracking, ISSUE, params, documents=DOCUMENTS)

    def document_page(self, record_id: str | None, limit: int, cursor: str | None) -> Page:
        """Issued documents, the latest first; those about one record when it is named."""
        where: list[Any] = []
        params: dict[str, Any] = {}
        if record_id is not None:
            where.append(SQL("record_id = %(record_id)s"))
            params["record_id"] = record_id
        return self.keyset_page(
            DOCUMENTS, where, params, "position", limit, cursor, descending=True,
            item=document_item,
        )  # fmt: skip

    def documents_with(self, sha256: str) -> list[UUID]:
        """The documents one of whose files has this hash."""
        rows = self.fetch_all(
            SQL("SELECT id FROM {} WHERE %s = ANY(hashes) ORDER BY position").format(
                self.table(DOCUMENTS)
            ),
            (sha256.lower(),),
        )
        return [UUID(str(r["id"])) for r in rows]

    def cite(self, tracking: Tracking, e: Any, kind: str, evidence: Any) -> None:
        rows = [{"sha256": str(f["sha256"]), "name": str(f["name"])} for f in evidence or ()]
        role = str(e.actor.get("role", ""))
        if (fill := self._fill) is not None:  # as ON CONFLICT (the key) DO NOTHING
            position = tracking.notification_id
            for cited in rows:
                sha256, name = cited["sha256"].lower(), cited["name"]
                row = {
                    "sha256": sha256, "record_id": e.originator_id, "record_kind": kind,
                    "name": name, "position": position, "cited_by_role": role,
                }  # fmt: skip
                key = (sha256, e.originator_id, position, name)
                fill.citations.setdefault(key, self.row_of(CITATIONS, row))
            return
        params = {"record_id": e.originator_id, "kind": kind, "evidence": dumps(rows), "role": role}
        self.write(tracking, CITE, params, citations=CITATIONS)

    def citing(self, sha256: str, by_unit: bool = True) -> list[tuple[UUID, str]]:
        """The records citing the file, each once: (id, kind); `by_unit` False: only those
        a citation made by someone other than a unit's liaison names."""
        rows = self.fetch_all(
            SQL(
                "SELECT DISTINCT record_id, record_kind FROM {} WHERE sha256 = %s "
                "AND (%s OR cited_by_role <> 'unit') ORDER BY record_kind, record_id"
            ).format(self.table(CITATIONS)),
            (sha256.lower(), by_unit),
        )
        return [(UUID(str(r["record_id"])), str(r["record_kind"])) for r in rows]

    def cited_names(self, sha256: str) -> list[str]:
        """The names the citing events gave the file, first cited first."""
        rows = self.fetch_all(
            SQL(
                "SELECT name FROM {} WHERE sha256 = %s GROUP BY name ORDER BY min(position)"
            ).format(self.table(CITATIONS)),
            (sha256.lower(),),
        )
        return [str(r["name"]) for r in rows]

    def cited_among(self, digests: Iterable[str]) -> set[str]:
        """Those of `digests` some event cites (as evidence, or as an issued document)."""
        wanted = [d.lower() for d in digests]
        rows = self.fetch_all(
            SQL(
                "SELECT sha256 FROM {} WHERE sha256 = ANY(%(d)s) UNION "
                "SELECT h FROM {}, unnest(hashes) h WHERE hashes && %(d)s::text[]"
            ).format(self.table(CITATIONS), self.table(DOCUMENTS)),
            {"d": wanted},
        )
        return {str(r["sha256"]) for r in rows} & set(wanted)


def document_item(row: Any) -> dict[str, Any]:
    item = {c: row[c] for c in DOCUMENT_COLUMNS}
    item["kind_label"] = DocumentKind(item["kind"]).label
    return item


class Evidence(ReadModel[EvidenceView]):
    """A row per file an event cites; a row per issued document."""

    name = "evidence"
    # Events of the two that carry no evidence, each named: a new one is decided on.
    ignores = (
        *other_aggregates(Finding, MajorDecision, IssuedDocument),
        Finding.RectificationOrdered,
        Finding.Verified,
        Finding.DeadlineExtended,
        Finding.Escalated,
        Finding.OrderAcknowledged,
        Finding.OrderDisputed,
        Finding.DisputeRejected,
        Finding.Reassigned,
        Finding.ExtensionApplied,
        Finding.ExtensionReviewed,
        Finding.ExtensionDecided,
        Finding.Reminded,
        Finding.InterviewHeld,
        Finding.PowerItemCited,
        Finding.Withdrawn,
        Finding.Reopened,
        MajorDecision.Catalogued,
        MajorDecision.Decided,
        MajorDecision.AccountabilityLinked,
        MajorDecision.Implemented,
        MajorDecision.Corrected,
        MajorDecision.EvaluationPlanned,
        MajorDecision.EvaluationReported,
        MajorDecision.FeedbackGiven,
        MajorDecision.ResultsUsed,
    )

    @handles(Finding.Raised, Finding.RectificationReported, Finding.ProgressReported)
    def finding_evidence(self, e: Any, tracking: Tracking) -> None:
        self.view.cite(tracking, e, FINDING, e.evidence)

    @handles(Finding.Amended)
    def finding_amended(self, e: Finding.Amended, tracking: Tracking) -> None:
        """更正 may give the finding other evidence: those files are cited too."""
        self.view.cite(tracking, e, FINDING, e.changes.get("evidence") or [])

    @handles(IssuedDocument.Issued)
    def document_issued(self, e: IssuedDocument.Issued, tracking: Tracking) -> None:
        self.view.issue(tracking, e)

    @handles(MajorDecision.StepRecorded, MajorDecision.RectificationReported)
    def decision_evidence(self, e: Any, tracking: Tracking) -> None:
        self.view.cite(tracking, e, DECISION, e.evidence)
