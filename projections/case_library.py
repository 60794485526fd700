"""Case library (容错免责案例库): published rulings of both kinds, anonymised, searchable.

No answer names a person: the subject's name is kept only in this projection's private
draft table and replaced by 某同志 wherever it appears in what is published. When the
person's key is destroyed (crypto-shredding, ADR 013) the drafts forget the name, and a
published case drops its linked findings' titles (findings are not sealed, and without the
name their titles cannot be redacted any more).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.findings import RECTIFICATION, Finding
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling, person_name
from domain.vocabulary import RulingKind
from infra.privacy import DELETED, MIN_NAME_LENGTH
from projections.base import ADVANCED, ReadModel, ReadModelView, handles, other_aggregates
from projections.paging import Page, bigrams, holds, in_units, text_search, where_equal

ANONYMOUS = "某同志"
DRAFT_TYPES = {
    "id": "uuid",
    "kind": "text",
    "unit_code": "text",
    "person_name": "text",
    "facts": "text",
    "form": "text",
    "criteria": "text[]",
    "finding_ids": "uuid[]",
}
PUBLIC_COLUMNS = (
    "id",
    "kind",
    "unit_code",
    "year",
    "form",
    "outcome",
    "criteria",
    "tags",
    "summary",
    "facts",
    "reasoning",
    "finding_titles",
    "published_at",
)


# The text `q` searches: summary, facts, reasoning and the linked findings' titles.
SEARCHED = SQL(
    "({prefix}summary || ' ' || {prefix}facts || ' ' || {prefix}reasoning || ' ' || "
    "{prefix}finding_titles)"
)


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    q: str | None = None
    unit_codes: tuple[str, ...] = ()
    year: int | None = None
    tag: str | None = None


class CaseLibraryView(ReadModelView):
    projection_name = "case_library"
    schema_version = 2  # 2: a case shows the ruling of the other kind it was paired with
    tables: ClassVar[dict[str, str]] = {
        "case_library_drafts": (
            "id uuid PRIMARY KEY, kind text NOT NULL, "
            "unit_code text NOT NULL, person_name text, facts text NOT NULL, "
            "reasoning text, form text, outcome text, criteria text[] NOT NULL, "
            "finding_ids uuid[] NOT NULL, decided_on date, paired_with uuid"
        ),
        "case_library_findings": "id uuid PRIMARY KEY, title text NOT NULL",
        "case_library": (
            "id uuid PRIMARY KEY, kind text NOT NULL, "
            "unit_code text NOT NULL, year int NOT NULL, form text, outcome text, "
            "criteria text[] NOT NULL, tags text[] NOT NULL, summary text NOT NULL, "
            "facts text NOT NULL, reasoning text NOT NULL, finding_titles text NOT NULL, "
            "published_at timestamptz NOT NULL, position bigint NOT NULL, paired_with uuid"
        ),
    }

    def table_statements(self) -> list[Composed]:
        return [
            *super().table_statements(),
            *self.search_column("case_library", bigrams(SEARCHED.format(prefix=SQL("")))),
            *self.define_indexes("case_library", unit="(unit_code, position)"),
            SQL(
                "CREATE OR REPLACE FUNCTION {}(body text, name text) RETURNS text "
                "LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN name IS NULL OR name = '' "
                "THEN body ELSE replace(body, name, '" + ANONYMOUS + "') END $$"
            ).format(self.function("case_library_redact")),
        ]

    def function(self, name: str) -> Composed:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(name))

    def publish(self, tracking: Tracking, e: Ruling.Published) -> None:
        def build() -> Composed:
            return SQL(
                "INSERT INTO {cases} (id, kind, unit_code, year, form, outcome, criteria, tags, "
                "summary, facts, reasoning, finding_titles, published_at, position, "
                "paired_with, grams) "
                "SELECT x.*, {grams} FROM (SELECT d.id, d.kind, d.unit_code, "
                "extract(year FROM coalesce(d.decided_on, %(at)s::date))::int, d.form, "
                "d.outcome, d.criteria, ARRAY(SELECT {redact}(t, d.person_name) FROM "
                "unnest(%(tags)s::text[]) t), {redact}(%(summary)s::text, "
                "d.person_name) AS summary, {redact}(d.facts, d.person_name) AS facts, "
                "{redact}(coalesce(d.reasoning, ''), d.person_name) AS reasoning, "
                "CASE WHEN d.person_name = {deleted} THEN '' ELSE "
                "{redact}(coalesce((SELECT string_agg(f.title, '；' ORDER BY f.title) "
                "FROM {findings} f WHERE f.id = ANY(d.finding_ids)), ''), d.person_name) "
                "END AS finding_titles, %(at)s::timestamptz, %(_position)s::bigint, "
                "d.paired_with FROM {drafts} d WHERE d.id = %(_id)s AND {advanced}) x "
                "ON CONFLICT (id) DO NOTHING"
            ).format(
                grams=bigrams(SEARCHED.format(prefix=SQL("x."))),
                cases=self.table("case_library"),
                drafts=self.table("case_library_drafts"),
                findings=self.table("case_library_findings"),
                redact=self.function("case_library_redact"),
                advanced=ADVANCED,
                deleted=Literal(DELETED),
            )

        params = {
            "_id": e.originator_id,
            "tags": list(e.tags),
            "summary": e.summary,
            "at": e.timestamp,
        }
        self.apply(tracking, build, params, key="publish")

    def forget_person(self, conn: Connection[Any], ruling_ids: list[UUID]) -> None:
        """Crypto-shredding (ADR 013), in the caller's transaction: the rulings' drafts
        forget the person's name (in the name column and in their text), and their published
        cases drop the linked findings' titles, which can no longer be redacted. This is
        exactly what a rebuild from the log yields once the subject's key is gone."""
        if not ruling_ids:
            return
        drafts = self.table("case_library_drafts")
        conn.execute(
            SQL(
                "UPDATE {drafts} SET "
                "facts = CASE WHEN char_length(person_name) >= {least} "
                "THEN replace(facts, person_name, {deleted}) ELSE facts END, "
                "reasoning = CASE WHEN char_length(person_name) >= {least} "
                "THEN replace(reasoning, person_name, {deleted}) ELSE reasoning END, "
                "person_name = {deleted} "
                "WHERE id = ANY(%(ids)s) AND person_name IS NOT NULL "
                "AND person_name <> {deleted}"
            ).format(drafts=drafts, deleted=Literal(DELETED), least=Literal(MIN_NAME_LENGTH)),
            {"ids": ruling_ids},
        )
        cases = self.table("case_library")
        conn.execute(
            SQL(
                "UPDATE {} SET finding_titles = '' WHERE id = ANY(%(ids)s) AND finding_titles <> ''"
            ).format(cases),
            {"ids": ruling_ids},
        )
        conn.execute(
            SQL("UPDATE {} SET grams = {} WHERE id = ANY(%(ids)s)").format(
                cases, bigrams(SEARCHED.format(prefix=SQL("")))
            ),
            {"ids": ruling_ids},
        )

    def page(self, f: CaseFilter, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("kind", "year"))
        where += in_units(f.unit_codes, params)
        if f.tag is not None:
            where.append(holds("tags", "tag", f.tag, params))
        if f.q:
            searched = SEARCHED.format(prefix=SQL(""))
            where.append(text_search([searched], f.q, self.grams(f.q), params))
        cases = self.table("case_library")
        # The case of the other kind on the same case, where it is in the library too (an
        # accountability proposal closed by an exemption never is).
        paired = SQL(
            "paired_with IS NOT NULL AS paired, "
            "(SELECT p.id FROM {cases} p WHERE p.id = {cases}.paired_with) AS paired_case_id"
        ).format(cases=cases)
        columns = SQL(", ").join([*(Identifier(c) for c in (*PUBLIC_COLUMNS, "position")), paired])
        return self.keyset_page(
            "case_library",
            where,
            params,
            "position",
            limit,
            cursor,
            descending=True,
            columns=columns,
            item=lambda r: {c: r[c] for c in (*PUBLIC_COLUMNS, "paired", "paired_case_id")},
        )


class CaseLibrary(ReadModel[CaseLibraryView]):
    name = "case_library"
    ignores = (
        *other_aggregates(Finding, Ruling),
        AccountabilityRuling.StatementRecorded,  # the library shows no procedure, only rulings
        Ruling.Served,
        Ruling.PartnerDecided,
        AccountabilityRuling.Closed,  # closed, never decided: no case
        *RECTIFICATION,
        Finding.Reassigned,
        Finding.Withdrawn,
        Finding.PowerItemCited,
        Finding.Reopened,
    )

    @handles(Finding.Raised)
    def finding_raised(self, e: Finding.Raised, tracking: Tracking) -> None:
        self.view.insert_row(
            tracking,
            "case_library_findings",
            {"id": e.originator_id, "title": e.title},
            {"id": "uuid", "title": "text"},
            "(id) DO NOTHING",
        )

    @handles(Finding.Amended)
    def finding_amended(self, e: Finding.Amended, tracking: Tracking) -> None:
        if "title" in e.changes:
            self.view.update_row(
                tracking, "case_library_findings", e.originator_id, {"title": e.changes["title"]}
            )
        else:
            self.view.apply(tracking)

    def draft(self, tracking: Tracking, e: Any, kind: RulingKind, facts: str, **extra: Any) -> None:
        row = {
            "id": e.originator_id,
            "kind": kind.value,
            "unit_code": e.subject["unit_code"],
            "person_name": person_name(e.subject),
            "facts": facts,
            "finding_ids": list(e.finding_ids),
            "criteria": [],
            **extra,
        }
        self.view.insert_row(tracking, "case_library_drafts", row, DRAFT_TYPES, "(id) DO NOTHING")

    @handles(AccountabilityRuling.Proposed)
    def proposed(self, e: AccountabilityRuling.Proposed, tracking: Tracking) -> None:
        self.draft(tracking, e, RulingKind.ACCOUNTABILITY, e.facts, form=e.form)

    @handles(ToleranceRuling.Applied)
    def applied(self, e: ToleranceRuling.Applied, tracking: Tracking) -> None:
        self.draft(tracking, e, RulingKind.FAULT_TOLERANCE, e.grounds)

    def update(self, tracking: Tracking, e: Any, **changes: Any) -> None:
        self.view.update_row(tracking, "case_library_drafts", e.originator_id, changes)

    @handles(Ruling.Paired)
    def paired(self, e: Ruling.Paired, tracking: Tracking) -> None:
        self.update(tracking, e, paired_with=e.with_ruling_id)

    @handles(AccountabilityRuling.Decided)
    def accountability_decided(self, e: AccountabilityRuling.Decided, tracking: Tracking) -> None:
        self.update(tracking, e, form=e.form, reasoning=e.reasoning, decided_on=e.decided_on)

    @handles(ToleranceRuling.Decided)
    def tolerance_decided(self, e: ToleranceRuling.Decided, tracking: Tracking) -> None:
        self.update(
            tracking,
            e,
            outcome=e.outcome,
            criteria=list(e.criteria_met),
            reasoning=e.reasoning,
            decided_on=e.decided_on,
        )

    @handles(AccountabilityRuling.AppealDecided)
    def accountability_appeal(
        self, e: AccountabilityRuling.AppealDecided, tracking: Tracking
    ) -> None:
        if e.form is not None:
            self.update(tracking, e, form=e.form)
        else:
            self.view.apply(tracking)

    @handles(ToleranceRuling.AppealDecided)
    def tolerance_appeal(self, e: ToleranceRuling.AppealDecided, tracking: Tracking) -> None:
        if e.outcome is not None:
            self.update(tracking, e, outcome=e.outcome, criteria=list(e.criteria_met or []))
        else:
            self.view.apply(tracking)

    @handles(Ruling.Verified, Ruling.Appealed)
    def unrecorded_step(self, e: Any, tracking: Tracking) -> None:
        """The library keeps no ruling's status, so these only advance the tracking record.
        They have been subscribed to since the library began and stay so, keeping the
        tracked position (and a rebuild's digest) as it was."""
        self.view.apply(tracking)

    @handles(Ruling.Published)
    def published(self, e: Ruling.Published, tracking: Tracking) -> None:
        self.view.publish(tracking, e)
