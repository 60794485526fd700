"""Commands of 一单两库一细则: the 检查对象名录库 (listed one by one or imported from a
department's list), the 执法检查人员名录库, the 随机抽查事项清单, and a matter's round.

A round's population and pool come from the two directories as the read model holds them
(`spot_check_directory`, given by the composition root, current as of the call); what a
round records — every entity and officer — is re-read from the aggregates or recorded in
the round's own events, so the draw can be checked from the log alone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain import clock
from domain.actors import Actor
from domain.aggregate import Aggregate
from domain.commands import CommandBase, CommandResult, ConcurrentChange, Sending
from domain.errors import (
    AlreadyExists,
    InvalidTransition,
    InvalidValue,
    NotFound,
    VersionConflict,
)
from domain.inspection_commands import check_organiser
from domain.inspections import Inspection
from domain.registry import LaunchSpotCheck
from domain.spot_checks import (
    LISTED,
    EnforcementOfficer,
    MarketEntity,
    SpotCheckDirectory,
    SpotCheckMatter,
    certificate_number,
)
from domain.vocabulary import InspectionKind


@dataclass(frozen=True)
class EntityImport:
    """What an import of the 检查对象名录库 did: entities listed, amended, left as they were;
    and the log position of its one transaction (None: nothing to record)."""

    listed: int
    amended: int
    unchanged: int
    position: int | None
    delisted: int = 0  # in the list, but moved out of the directory before: left out


class SpotCheckCommands(CommandBase):
    # Set by the service: the two directories' read model (None: rounds cannot be launched).
    spot_check_directory: SpotCheckDirectory | None = None

    def check_new_market_entity(
        self,
        *,
        credit_code: str,
        name: str,
        entity_kind: str,
        industry: str,
        address: str | None,
        **_: Any,
    ) -> dict[str, Any]:
        """列入检查对象名录库: the code checked and kept compact; one entry per code."""
        fields = MarketEntity.fields_of(credit_code, name, entity_kind, industry, address)
        if MarketEntity.create_id(fields["credit_code"]) in self.repository:
            raise AlreadyExists(f"market entity {fields['credit_code']} is already listed")
        return fields

    def check_new_officer(
        self, *, actor: Actor, unit_code: str, certificate: str, valid_until: date, **_: Any
    ) -> dict[str, Any]:
        """列入执法检查人员名录库: of an active unit the sender covers, with a certificate that
        is still valid; one entry per certificate."""
        if not actor.covers_unit(unit_code):
            raise NotFound(f"unit {unit_code!r} not found")
        self.active_unit(unit_code)
        number = certificate_number(certificate)
        if valid_until < clock.today():
            raise InvalidValue("the certificate (执法证) has expired", {"valid_until": valid_until})
        if self.officer_id_of(certificate) in self.repository:
            raise AlreadyExists(f"an officer with certificate {number} is already listed")
        return {"certificate": number}

    def officer_id_of(self, certificate: str) -> UUID:
        """The officer of a certificate however it is typed: by the id of its one form, or,
        for an officer listed before certificates were kept in one form (its id that of the
        certificate as typed then), as typed now or as the directory finds it; the one form's
        id when there is none (so a command on it is not found)."""
        number = certificate_number(certificate)
        candidates = [
            EnforcementOfficer.create_id(number),
            EnforcementOfficer.legacy_id(certificate),
        ]
        found = next((i for i in candidates if i in self.repository), None)
        # A number no text column can hold (a NUL) is no officer's: not looked up.
        if found is None and self.spot_check_directory is not None and "\x00" not in number:
            found = self.spot_check_directory.officer_of_number(number)
        return found or candidates[0]

    def check_new_matter(
        self,
        *,
        actor: Actor,
        unit_code: str,
        entity_kinds: list[str],
        industries: list[str],
        share_percent: int,
        rounds_per_year: int,
        **_: Any,
    ) -> dict[str, Any]:
        """列入随机抽查事项清单: the department is active and the sender's; the 细则 holds."""
        if not actor.covers_unit(unit_code):
            raise NotFound(f"unit {unit_code!r} not found")
        self.active_unit(unit_code)
        return SpotCheckMatter.check_rules(entity_kinds, industries, share_percent, rounds_per_year)

    def import_market_entities(
        self, rows: Iterable[dict[str, Any]], *, actor: Actor, **save_kwargs: Any
    ) -> EntityImport:
        """导入检查对象名录: each row listed when new, amended when it says something new of
        a listed entity (a column the row leaves blank changes nothing), else left; an entity
        delisted before stays delisted; all in one transaction (a row that breaks a rule, or
        an entity listed meanwhile by someone else: the whole import is refused, nothing
        recorded)."""
        check_organiser(actor)
        changed: list[Aggregate] = []
        listed = amended = unchanged = delisted = 0
        seen: set[str] = set()
        for row in rows:
            fields = MarketEntity.fields_of(**row)
            if fields["credit_code"] in seen:
                raise InvalidValue(f"{fields['credit_code']} appears twice in the list")
            seen.add(fields["credit_code"])
            try:
                entity = self.load(MarketEntity, MarketEntity.create_id(fields["credit_code"]))
            except NotFound:
                changed.append(MarketEntity(**fields, actor=actor.as_event_data()))
                listed += 1
                continue
            if entity.status != LISTED:
                delisted += 1
                continue
            stated = {k for k, v in row.items() if v is not None}
            changes = {k: v for k, v in entity.changes_from(fields).items() if k in stated}
            if changes:
                entity.amend(changes=changes, actor=actor.as_event_data())
                changed.append(entity)
                amended += 1
            else:
                unchanged += 1
        try:
            position = self.record(*changed, **save_kwargs).position if changed else None
        except ConcurrentChange:
            raise VersionConflict(None, None) from None
        return EntityImport(listed, amended, unchanged, position, delisted)

    def do_launch_spot_check(self, cmd: LaunchSpotCheck, by: Sending) -> CommandResult:
        """启动随机抽查: a round of the matter, its population and pool from the directories,
        recorded with the matter's count of rounds in the same transaction (so two launches
        cannot both take the year's last round)."""

        def launch(matter: SpotCheckMatter) -> list[Aggregate]:
            inspection = self.market_round(matter, cmd, by.actor)
            year = cmd.period_start.year
            matter.launch_round(
                inspection_id=inspection.id, year=year, actor=by.actor.as_event_data()
            )
            return [inspection]

        if cmd.inspection_id is not None and cmd.inspection_id in self.repository:
            raise AlreadyExists(f"inspection {cmd.inspection_id} already exists")
        return self.update(
            SpotCheckMatter,
            cmd.matter_id,
            by.expected_version,
            launch,
            others_lead=True,
            **by.save_kwargs,
        )

    def market_round(
        self, matter: SpotCheckMatter, cmd: LaunchSpotCheck, actor: Actor
    ) -> Inspection:
        """The round as the matter's 细则 and the two directories make it."""
        check_organiser(actor)
        matter.check_room(cmd.period_start.year)
        if self.spot_check_directory is None:
            raise InvalidValue("this service keeps no 名录库 to draw from")
        year = cmd.period_start.year
        drawn: set[str] = set()
        for earlier in matter.rounds_in(year):
            held = self.load(Inspection, earlier)
            if held.seed is None:
                raise InvalidTransition(
                    f"launch another round of the matter before round {earlier} is drawn",
                    held.status.value,
                )
            drawn.update(held.target_units)
        covered, officer_ids = self.spot_check_directory.round_inputs(
            matter.entity_kinds, matter.industries, matter.unit_code, cmd.period_end
        )
        population = sorted(set(covered) - drawn)
        if not population:
            raise InvalidValue(
                f"no entity of the 检查对象名录库 is left to draw for this matter in {year}",
                {"covered": len(covered), "drawn_this_year": len(drawn)},
            )
        officers = [
            o
            for o in (self.load(EnforcementOfficer, i) for i in officer_ids)
            if o.status == LISTED and o.valid_until >= cmd.period_end
        ]
        if len(officers) < cmd.team_size:
            raise InvalidValue(
                f"unit {matter.unit_code!r} has {len(officers)} officer(s) whose 执法证 holds "
                f"through {cmd.period_end}; a team needs {cmd.team_size}",
                {"officers": len(officers), "team_size": cmd.team_size},
            )
        inspectors = [{"name": o.pool_name, "unit_code": matter.unit_code} for o in officers]
        rules = {
            "team_size": cmd.team_size,
            "share_percent": matter.share_percent,
            "matter_id": str(matter.id),
            "unit_code": matter.unit_code,
        }
        kind = InspectionKind.MARKET_RANDOM.value
        Inspection.check_launch(
            kind, cmd.period_start, cmd.period_end, population, inspectors, rules
        )
        return Inspection(
            id=cmd.inspection_id or uuid4(),
            title=cmd.title,
            kind=kind,
            scope=matter.title,
            period_start=cmd.period_start,
            period_end=cmd.period_end,
            population=population,
            inspectors=sorted(inspectors, key=lambda i: str(i["name"])),
            rules=rules,
            actor=actor.as_event_data(),
        )

    def get_market_entity(self, credit_code: str, **at: Any) -> MarketEntity:
        return self.get_record(MarketEntity, MarketEntity.id_of(credit_code), **at)

    def get_spot_check_matter(self, matter_id: UUID, **at: Any) -> SpotCheckMatter:
        """A matter now or as it was (the 随机抽查事项清单 is published: no scope)."""
        return self.get_record(SpotCheckMatter, matter_id, **at)
