"""Commands on rulings: accountability (问责) and fault tolerance (容错免责)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult
from domain.errors import InvalidValue, NotFound, PermissionDenied, UnknownReference
from domain.findings import Finding, parse
from domain.messages import Command, command
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.vocabulary import AccountabilityForm, Role, ToleranceCriterion


class RulingCommands(CommandBase):
    def check_subject(
        self, subject: dict[str, Any], finding_ids: Sequence[UUID], actor: Actor
    ) -> None:
        """The subject's unit takes new rulings; each linked finding exists and belongs to
        that unit (or to a unit merged into it)."""
        unit_code = str(subject["unit_code"])
        if not actor.covers_unit(unit_code):
            raise PermissionDenied("a unit applies only for itself")
        self.active_unit(unit_code)
        for finding_id in dict.fromkeys(finding_ids):
            try:
                finding = self.load(Finding, finding_id)
            except NotFound:
                raise UnknownReference(f"finding {finding_id} does not exist") from None
            if unit_code not in self.successor_chain(finding.unit_code):
                raise InvalidValue(
                    f"finding {finding_id} belongs to unit {finding.unit_code!r}, "
                    f"not to {unit_code!r}",
                    details={"finding_id": str(finding_id), "unit_code": finding.unit_code},
                )

    def propose_accountability(
        self,
        *,
        subject: dict[str, Any],
        finding_ids: Sequence[UUID],
        form: str,
        basis: str,
        facts: str,
        actor: Actor,
        ruling_id: UUID | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """提出问责建议 (inspectors)."""
        parse(AccountabilityForm, form, "form")
        self.check_subject(subject, finding_ids, actor)
        ruling = AccountabilityRuling(
            id=ruling_id or uuid4(),
            subject=subject,
            finding_ids=list(dict.fromkeys(finding_ids)),
            form=form,
            basis=basis,
            facts=facts,
            actor=actor.as_event_data(),
        )
        return self.record(ruling, **save_kwargs)

    def apply_for_tolerance(
        self,
        *,
        subject: dict[str, Any],
        finding_ids: Sequence[UUID],
        grounds: str,
        criteria_claimed: Sequence[str],
        actor: Actor,
        ruling_id: UUID | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """申请容错免责 (an inspector, or the unit for itself)."""
        for criterion in criteria_claimed:
            parse(ToleranceCriterion, criterion, "criterion")
        self.check_subject(subject, finding_ids, actor)
        ruling = ToleranceRuling(
            id=ruling_id or uuid4(),
            subject=subject,
            finding_ids=list(dict.fromkeys(finding_ids)),
            grounds=grounds,
            criteria_claimed=list(dict.fromkeys(criteria_claimed)),
            actor=actor.as_event_data(),
        )
        return self.record(ruling, **save_kwargs)

    def get_ruling(
        self,
        ruling_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        viewer: Actor | None = None,
    ) -> Ruling:
        if as_of is not None:
            version = self.version_as_of(ruling_id, as_of)
        ruling = self.load(Ruling, ruling_id, version=version)
        if viewer is not None and not viewer.covers_unit(ruling.unit_code):
            raise NotFound(f"ruling {ruling_id} not found")
        return ruling

    def ruling_command(
        self,
        ruling_id: UUID,
        expected_version: int | None,
        actor: Actor,
        change: Callable[[Ruling], None],
        **save_kwargs: Any,
    ) -> CommandResult:
        def guarded(ruling: Ruling) -> None:
            if not actor.covers_unit(ruling.unit_code):
                raise NotFound(f"ruling {ruling_id} not found")
            change(ruling)

        return self.update(Ruling, ruling_id, expected_version, guarded, **save_kwargs)

    def decide_ruling(
        self,
        ruling_id: UUID,
        *,
        reasoning: str,
        decided_on: date,
        actor: Actor,
        form: str | None = None,
        outcome: str | None = None,
        criteria_met: Sequence[str] = (),
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """作出决定 (the authority): a form for accountability, an outcome for tolerance."""

        def decide(ruling: Ruling) -> None:
            data = actor.as_event_data()
            if isinstance(ruling, AccountabilityRuling):
                if form is None or outcome is not None or criteria_met:
                    raise InvalidValue("an accountability decision names a form (no outcome)")
                ruling.decide(form=form, reasoning=reasoning, decided_on=decided_on, actor=data)
            elif isinstance(ruling, ToleranceRuling):
                if outcome is None or form is not None:
                    raise InvalidValue("a fault-tolerance decision names an outcome (no form)")
                ruling.decide(
                    outcome=outcome,
                    criteria_met=list(criteria_met),
                    reasoning=reasoning,
                    decided_on=decided_on,
                    actor=data,
                )

        return self.ruling_command(ruling_id, expected_version, actor, decide, **save_kwargs)

    def decide_appeal(
        self,
        ruling_id: UUID,
        *,
        result: str,
        reasoning: str,
        actor: Actor,
        form: str | None = None,
        outcome: str | None = None,
        criteria_met: Sequence[str] | None = None,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """申诉复核决定 (the authority): upheld, modified or revoked."""

        def decide(ruling: Ruling) -> None:
            data = actor.as_event_data()
            if isinstance(ruling, AccountabilityRuling):
                if outcome is not None or criteria_met:
                    raise InvalidValue("an accountability ruling has a form, not an outcome")
                ruling.decide_appeal(result=result, reasoning=reasoning, form=form, actor=data)
            elif isinstance(ruling, ToleranceRuling):
                if form is not None:
                    raise InvalidValue("a fault-tolerance ruling has an outcome, not a form")
                ruling.decide_appeal(
                    result=result,
                    reasoning=reasoning,
                    outcome=outcome,
                    criteria_met=list(criteria_met) if criteria_met else None,
                    actor=data,
                )

        return self.ruling_command(ruling_id, expected_version, actor, decide, **save_kwargs)


ON_RULING: dict[str, Any] = {"aggregate": Ruling, "target": "ruling_id"}


@command(
    roles=(Role.INSPECTOR,), method="verify", path="/rulings/{ruling_id}/verification", **ON_RULING
)
@dataclass(frozen=True)
class VerifyRuling(Command):
    """调查核实 → `verified` (optional before the decision)."""

    ruling_id: UUID
    comment: str


@command(
    roles=(Role.INSPECTOR, Role.UNIT),
    method="lodge_appeal",
    path="/rulings/{ruling_id}/appeal",
    **ON_RULING,
)
@dataclass(frozen=True)
class AppealRuling(Command):
    """申诉 (the subject's unit, or an inspector) → `appealed`."""

    ruling_id: UUID
    grounds: str


@command(
    roles=(Role.AUTHORITY,), method="publish", path="/rulings/{ruling_id}/publication", **ON_RULING
)
@dataclass(frozen=True)
class PublishRuling(Command):
    """纳入案例库 (authority only): anonymised, never naming the person."""

    ruling_id: UUID
    summary: str
    tags: list[str]
