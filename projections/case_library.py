"""Case library (容错免责案例库): published rulings of both kinds, anonymised, searchable.

No answer names a person: the subject's name is kept only in this projection's private
draft table and replaced by 某同志 wherever it appears in what is published. A finding may be
linked to several rulings (two officials held to account for one failing): its title then
has every one of their names replaced, in each of their cases, whichever ruling comes first.
When a person's key is destroyed (crypto-shredding, ADR 013) the drafts forget the name, and
every published case linked to a finding of theirs drops its linked findings' titles
(findings are not sealed, and without the name their titles cannot be redacted any more).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from domain.findings import RECTIFICATION, Finding
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling, person_name
from domain.vocabulary import AppealResult, RulingKind
from infra.privacy import DELETED, MIN_NAME_LENGTH
from projections.base import (
    ADVANCED,
    Params,
    ReadModel,
    ReadModelView,
    handles,
    other_aggregates,
)
from projections.paging import Page, bigrams, holds, in_units, text_search, where_equal

ANONYMOUS = "某同志"
# What may stand between a name's characters and still spell it, to a reader: white space,
# zero-width characters and the middle dots of foreign names (a regular expression class).
SPACING = "[[:space:]\\u200b\\u200c\\u200d\\u2060\\ufeff\\u00b7\\u30fb]*"
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


def searched(prefix: str = "", titles: Composable | None = None) -> Composed:
    """The text `q` searches: summary, facts, reasoning and the linked findings' titles (of
    the row `prefix` names; `titles`, the titles it is given instead)."""
    column = SQL(prefix + "{}").format
    return SQL("({} || ' ' || {} || ' ' || {} || ' ' || {})").format(
        column(Identifier("summary")),
        column(Identifier("facts")),
        column(Identifier("reasoning")),
        titles or column(Identifier("finding_titles")),
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
    # 2: a case shows the ruling of the other kind it was paired with; 3: a finding's title
    # loses the names of every ruling linked to it; 4: a name is found however it is spaced
    # (white space, zero-width characters, a middle dot between its characters) or cased
    schema_version = 4
    tables: ClassVar[dict[str, str]] = {
        "case_library_drafts": (
            "id uuid PRIMARY KEY, kind text NOT NULL, "
            "unit_code text NOT NULL, person_name text, facts text NOT NULL, "
            "reasoning text, form text, outcome text, criteria text[] NOT NULL, "
            "finding_ids uuid[] NOT NULL, decided_on date, paired_with uuid"
        ),
        "case_library_findings": "id uuid PRIMARY KEY, title text NOT NULL",
        # Which rulings each finding is linked to, with their subjects' names (the drafts'
        # finding_ids and person_name, by finding: a fill looks them up by one index).
        "case_library_links": (
            "finding_id uuid NOT NULL, ruling_id uuid NOT NULL, person_name text, "
            "PRIMARY KEY (finding_id, ruling_id)"
        ),
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
            *self.search_column("case_library", bigrams(searched())),
            *self.define_indexes("case_library", unit="(unit_code, position)"),
            # The name's characters, each taken literally, with any spacing between them.
            SQL(
                "CREATE OR REPLACE FUNCTION {}(body text, name text) RETURNS text "
                "LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN name IS NULL OR name = '' "
                "THEN body ELSE regexp_replace(body, array_to_string(ARRAY("
                "SELECT CASE WHEN c ~ '[[:alnum:]]' OR ascii(c) > 127 THEN c ELSE '\\' || c END "
                "FROM regexp_split_to_table(name, '') WITH ORDINALITY AS t(c, n) ORDER BY n), "
                "'" + SPACING + "'), "
                "'" + ANONYMOUS + "', 'gi') END $$"
            ).format(self.function("case_library_redact")),
            SQL(
                "CREATE OR REPLACE FUNCTION {}(body text, names text[]) RETURNS text "
                "LANGUAGE plpgsql IMMUTABLE AS $$ DECLARE name text; BEGIN "
                "FOREACH name IN ARRAY names LOOP body := {}(body, name); END LOOP; "
                "RETURN body; END $$"
            ).format(
                self.function("case_library_redact_all"), self.function("case_library_redact")
            ),
        ]

    def function(self, name: str) -> Composed:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(name))

    def linked(self, finding_ids: str) -> Composed:
        """FROM … WHERE, naming `l` the links of these findings to their rulings."""
        return SQL("{} l WHERE l.finding_id = ANY({})").format(
            self.table("case_library_links"), SQL(finding_ids)
        )

    def draft(self, tracking: Tracking, row: Params) -> None:
        """A ruling's draft. The cases already published that are linked to one of its
        findings get its subject's name replaced in their findings' titles (or drop the
        titles, when the name is gone), as a case published after it would."""

        def build() -> Composed:
            insert = self.insert_statement(
                "case_library_drafts", row, DRAFT_TYPES, "(id) DO NOTHING", {}
            )
            return SQL(
                ", drafted AS ({insert}), linked AS (INSERT INTO {links} (finding_id, "
                "ruling_id, person_name) SELECT f, %(id)s::uuid, %(person_name)s::text "
                "FROM unnest(%(finding_ids)s::uuid[]) f WHERE {advanced} "
                "ON CONFLICT DO NOTHING) "
                "UPDATE {cases} c SET finding_titles = n.titles, grams = {grams} FROM ("
                "SELECT p.id, CASE WHEN %(person_name)s::text = {deleted} THEN '' ELSE "
                "{redact}(p.finding_titles, %(person_name)s::text) END AS titles "
                "FROM {cases} p WHERE p.id = ANY(ARRAY(SELECT l.ruling_id FROM {linked})) "
                "AND p.finding_titles <> '') n "
                "WHERE c.id = n.id AND c.finding_titles <> n.titles AND {advanced}"
            ).format(
                insert=insert,
                cases=self.table("case_library"),
                links=self.table("case_library_links"),
                linked=self.linked("%(finding_ids)s::uuid[]"),
                grams=bigrams(searched("c.", SQL("n.titles"))),
                redact=self.function("case_library_redact"),
                deleted=Literal(DELETED),
                advanced=ADVANCED,
            )

        self.apply(tracking, build, row, key=("draft", *row))

    def appeal_decided(self, tracking: Tracking, e: Any, revoked: bool, **changes: Any) -> None:
        """A ruling's appeal decided: its draft takes what the appeal changed (the form, or
        the outcome and criteria), and so does its case when it was published before the
        appeal (publication does not take away the right of appeal); a revoked decision's
        case leaves the library."""
        if not changes and not revoked:
            self.apply(tracking)
            return

        def build() -> Composed:
            if revoked:
                case = SQL("DELETE FROM {} WHERE id = %(_id)s AND {}").format(
                    self.table("case_library"), ADVANCED
                )
            else:
                case = self.update_statement("case_library", changes, (), {}, {})
            if not changes:
                return case
            draft = self.update_statement("case_library_drafts", changes, (), {}, {})
            return SQL(", drafted AS ({}) {}").format(draft, case)

        key = ("appeal-decided", revoked, *changes)
        self.apply(tracking, build, {**changes, "_id": e.originator_id}, key=key)

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
                "CASE WHEN d.person_name = {deleted} OR EXISTS (SELECT FROM {linked} "
                "AND l.person_name = {deleted}) THEN '' "
                "ELSE {redact_all}(coalesce((SELECT string_agg(f.title, '；' ORDER BY f.title) "
                "FROM {findings} f WHERE f.id = ANY(d.finding_ids)), ''), ARRAY(SELECT n FROM "
                "(SELECT d.person_name AS n UNION SELECT l.person_name FROM {linked}) names "
                "WHERE n <> '' "
                "ORDER BY char_length(n) DESC, n)) END AS finding_titles, %(at)s::timestamptz, "
                "%(_position)s::bigint, d.paired_with FROM {drafts} d "
                "WHERE d.id = %(_id)s AND {advanced} OFFSET 0) x "
                "ON CONFLICT (id) DO NOTHING"
            ).format(
                grams=bigrams(searched("x.")),
                cases=self.table("case_library"),
                drafts=self.table("case_library_drafts"),
                findings=self.table("case_library_findings"),
                linked=self.linked("d.finding_ids"),
                redact=self.function("case_library_redact"),
                redact_all=self.function("case_library_redact_all"),
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
        """Crypto-shredding (ADR 013), in the caller's transaction: the rulings' drafts and
        links forget the person's name (in the name column and in their text), and every published
        case linked to one of their findings drops its findings' titles, which can no longer
        be redacted. This is exactly what a rebuild from the log yields once the subject's
        key is gone."""
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
        conn.execute(
            SQL(
                "UPDATE {} SET person_name = {deleted} WHERE ruling_id = ANY(%(ids)s) "
                "AND person_name IS NOT NULL AND person_name <> {deleted}"
            ).format(self.table("case_library_links"), deleted=Literal(DELETED)),
            {"ids": ruling_ids},
        )
        cases = self.table("case_library")
        conn.execute(
            SQL(
                "UPDATE {cases} SET finding_titles = '', grams = {grams} WHERE finding_titles "
                "<> '' AND (id = ANY(%(ids)s) OR id IN (SELECT l.ruling_id FROM {drafts} r, "
                "{linked} AND r.id = ANY(%(ids)s)))"
            ).format(
                cases=cases,
                drafts=drafts,
                linked=self.linked("r.finding_ids"),
                grams=bigrams(searched("", SQL("''"))),
            ),
            {"ids": ruling_ids},
        )

    def page(self, f: CaseFilter, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("kind", "year"))
        where += in_units(f.unit_codes, params)
        if f.tag is not None:
            where.append(holds("tags", "tag", f.tag, params))
        if f.q:
            where.append(text_search([searched()], f.q, self.grams(f.q), params))
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
        self.view.draft(tracking, row)

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
        changes = {} if e.form is None else {"form": e.form}
        self.view.appeal_decided(tracking, e, e.result == AppealResult.REVOKED, **changes)

    @handles(ToleranceRuling.AppealDecided)
    def tolerance_appeal(self, e: ToleranceRuling.AppealDecided, tracking: Tracking) -> None:
        changes: dict[str, Any] = {}
        if e.outcome is not None:
            changes.update(outcome=e.outcome, criteria=list(e.criteria_met or []))
        self.view.appeal_decided(tracking, e, e.result == AppealResult.REVOKED, **changes)

    @handles(Ruling.Verified, Ruling.Appealed)
    def unrecorded_step(self, e: Any, tracking: Tracking) -> None:
        """The library keeps no ruling's status, so these only advance the tracking record.
        They have been subscribed to since the library began and stay so, keeping the
        tracked position (and a rebuild's digest) as it was."""
        self.view.apply(tracking)

    @handles(Ruling.Published)
    def published(self, e: Ruling.Published, tracking: Tracking) -> None:
        self.view.publish(tracking, e)
