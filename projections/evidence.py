"""Which records cite which files (issue 17 item 1): one row for each evidence file an event
names — a finding as raised, a rectification or progress report, a step of a major decision
or its rectification — by the file's SHA-256. A download is allowed to whoever may read one of
the citing records, and the files no row names are the ones collected after their grace
period (ADR 033)."""

from __future__ import annotations

from collections.abc import Iterable
from json import dumps
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL

from domain.findings import Finding
from domain.major_decisions import MajorDecision
from projections.base import ReadModel, ReadModelView, handles, other_aggregates

FINDING, DECISION = "finding", "major_decision"
CITE = (
    "INSERT INTO {citations} (sha256, record_id, record_kind, name, position) "
    "SELECT lower(x.sha256), %(record_id)s, %(kind)s, x.name, %(_position)s "
    "FROM jsonb_to_recordset(%(evidence)s::jsonb) AS x(sha256 text, name text) "
    "WHERE {advanced} ON CONFLICT DO NOTHING"
)


class EvidenceView(ReadModelView):
    projection_name = "evidence"
    tables: ClassVar[dict[str, str]] = {
        "evidence_citations": "sha256 text NOT NULL, record_id uuid NOT NULL, "
        "record_kind text NOT NULL, name text NOT NULL, position bigint NOT NULL, "
        "PRIMARY KEY (sha256, record_id, position, name)"
    }

    def table_statements(self) -> list[Any]:
        return [
            *super().table_statements(),
            *self.define_indexes("evidence_citations", record="(record_id)"),
        ]

    def cite(self, tracking: Tracking, record_id: UUID, kind: str, evidence: Any) -> None:
        rows = [{"sha256": str(f["sha256"]), "name": str(f["name"])} for f in evidence or ()]
        params = {"record_id": record_id, "kind": kind, "evidence": dumps(rows)}
        self.write(tracking, CITE, params, citations="evidence_citations")

    def citing(self, sha256: str) -> list[tuple[UUID, str]]:
        """The records citing the file, each once: (id, kind)."""
        rows = self.fetch_all(
            SQL(
                "SELECT DISTINCT record_id, record_kind FROM {} WHERE sha256 = %s "
                "ORDER BY record_kind, record_id"
            ).format(self.table("evidence_citations")),
            (sha256.lower(),),
        )
        return [(UUID(str(r["record_id"])), str(r["record_kind"])) for r in rows]

    def cited_names(self, sha256: str) -> list[str]:
        """The names the citing events gave the file, first cited first."""
        rows = self.fetch_all(
            SQL(
                "SELECT name FROM {} WHERE sha256 = %s GROUP BY name ORDER BY min(position)"
            ).format(self.table("evidence_citations")),
            (sha256.lower(),),
        )
        return [str(r["name"]) for r in rows]

    def cited_among(self, digests: Iterable[str]) -> set[str]:
        """Those of `digests` some event cites."""
        rows = self.fetch_all(
            SQL("SELECT DISTINCT sha256 FROM {} WHERE sha256 = ANY(%s)").format(
                self.table("evidence_citations")
            ),
            ([d.lower() for d in digests],),
        )
        return {str(r["sha256"]) for r in rows}


class Evidence(ReadModel[EvidenceView]):
    """A row per file an event cites."""

    name = "evidence"
    # Events of the two that carry no evidence, each named: a new one is decided on.
    ignores = (
        *other_aggregates(Finding, MajorDecision),
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
        Finding.Amended,
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
        self.view.cite(tracking, e.originator_id, FINDING, e.evidence)

    @handles(MajorDecision.StepRecorded, MajorDecision.RectificationReported)
    def decision_evidence(self, e: Any, tracking: Tracking) -> None:
        self.view.cite(tracking, e.originator_id, DECISION, e.evidence)
