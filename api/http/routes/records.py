"""Every record the API serves and its two reads, in one table (api/http/record_routes.py):
`GET /{id}` (now, at `version=N`, or as it was at `as_of=<time>`, its version as the ETag where
the record has one) and `GET /{id}/events` (its own events, oldest first). A unit account sees
only its units' findings, work items and rulings; rounds and decisions are public to readers.

Imported by api/main.py before the routers are included: the reads follow each router's own
routes (so `/work-items/export.xlsx` is matched before `/work-items/{item_id}`).
"""

from __future__ import annotations

from uuid import UUID

from api.http.inspection_schemas import DecisionPublic, InspectionPublic
from api.http.read_schemas import (
    AnyRuling,
    CommendationPublic,
    FindingPublic,
    UnitPublic,
    WorkItemPublic,
)
from api.http.record_routes import record_reads
from api.http.routes import (
    accounts,
    commendations,
    findings,
    inspections,
    major_decisions,
    power_lists,
    rulings,
    units,
    work_items,
)
from domain.accounts import Account
from domain.commendations import Commendation

record_reads(
    findings.router,
    "finding_id",
    UUID,
    what="finding",
    load=lambda services, key, actor, **at: services.app.get_finding(key, viewer=actor, **at),
    out=findings.finding_out,
    model=FindingPublic,
    one="One finding now, at `version=N`, or as it was at `as_of=<time>`.",
)

record_reads(
    work_items.router,
    "item_id",
    UUID,
    what="work item",
    load=lambda services, key, actor, **at: services.app.get_work_item(key, viewer=actor, **at),
    out=work_items.work_item_out,
    model=WorkItemPublic,
    one="One item with its progress entries and evaluation, or as it was (`version`, `as_of`).",
    events="The item's own events, oldest first.",
)

record_reads(
    rulings.router,
    "ruling_id",
    UUID,
    what="ruling",
    load=lambda services, key, actor, **at: services.app.get_ruling(key, viewer=actor, **at),
    out=rulings.ruling_out,
    model=AnyRuling,
    one="One ruling now, at `version=N`, or as it was at `as_of=<time>`.",
    events="The ruling's own events, oldest first.",
)

record_reads(
    inspections.router,
    "inspection_id",
    UUID,
    what="inspection",
    load=lambda services, key, actor, **at: services.app.get_inspection(key, **at),
    out=inspections.inspection_out,
    model=InspectionPublic,
    one="One round, or as it was (`version`, `as_of`).",
    events="The round's own events, oldest first.",
)

record_reads(
    major_decisions.router,
    "decision_id",
    UUID,
    what="decision",
    load=lambda services, key, actor, **at: services.app.get_decision(key, **at),
    out=major_decisions.decision_out,
    model=DecisionPublic,
    one="One decision with its steps, links, corrections and evaluations, or as it was.",
    events="The decision's own events, oldest first.",
)

record_reads(
    units.router,
    "code",
    units.Code,
    what="unit",
    load=lambda services, key, actor, **at: services.app.unit_as_of(key, **at),
    out=units.unit_out,
    model=UnitPublic,
    one="One unit, with its status and successor after a merger; or as it was then.",
    events="The unit's own events, oldest first (registration, renamings, merger, dissolution).",
    etag=False,
    named=repr,
)

record_reads(
    commendations.router,
    "commendation_id",
    UUID,
    what="commendation",
    load=lambda services, key, actor, **at: services.app.get_record(
        Commendation, key, viewer=actor, **at
    ),
    out=commendations.commendation_out,
    model=CommendationPublic,
    one="One 激励 now, at `version=N`, or as it was at `as_of=<time>`.",
    events="Its own events: recorded, and withdrawn if it was.",
)

record_reads(
    power_lists.router,
    "unit_code",
    power_lists.Code,
    what="power list",
    load=lambda services, key, actor: services.app.get_power_list(key),
    events="The list's own events, oldest first: compiled, each power added, amended, removed.",
    named=repr,
)

record_reads(
    accounts.router,
    "account_id",
    UUID,
    what="account",
    load=lambda services, key, actor: services.app.load(Account, key),
    events="The account's own events (created, revoked): who held which role when.",
    reader=accounts.AccountReader,
)
