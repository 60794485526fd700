"""Commands on inspection rounds (督查活动): launch, seed commitment, draw or assignment,
findings linked, conclusion.

The draw mixes the revealed seed with the audit hash chain's head at the moment of the draw.
The chain belongs to the persistence layer, which the domain does not import: whoever runs
the command (the HTTP API, the CLI) hands in a function that reads the head, and it is
called only after the round has been loaded, so the head always lies at or after the
commitment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult, Sending
from domain.draw import ChainHead
from domain.errors import InvalidValue, NotFound, PermissionDenied, UnknownReference
from domain.findings import Finding
from domain.inspections import Inspection
from domain.registry import ORGANISERS, SECOND_PARTIES, Launch
from domain.vocabulary import InspectionKind


def check_organiser(actor: Actor) -> None:
    if actor.role not in ORGANISERS:
        raise PermissionDenied("only an inspector or an admin organises an inspection round")


class InspectionCommands(CommandBase):
    def do_launch_inspection(self, launch: Launch, by: Sending) -> CommandResult:
        """启动督查活动: its units (which must take new records) and inspector pool."""
        if launch.kind == InspectionKind.MARKET_RANDOM.value:
            raise InvalidValue(
                "a round of market entities is launched from its 随机抽查事项 "
                "(POST /api/v1/spot-check-matters/{matter_id}/rounds)"
            )
        inspectors = [{"name": name, "unit_code": unit} for name, unit in launch.inspectors]
        rules = {"team_size": launch.team_size, "share_percent": launch.share_percent}
        population = list(launch.units)
        Inspection.check_launch(
            launch.kind, launch.period_start, launch.period_end, population, inspectors, rules
        )
        for code in population:
            self.active_unit(code)
        inspection = Inspection(
            id=launch.inspection_id or uuid4(),
            title=launch.title,
            kind=launch.kind,
            scope=launch.scope,
            period_start=launch.period_start,
            period_end=launch.period_end,
            population=sorted(population),
            inspectors=sorted(inspectors, key=lambda i: str(i["name"])),
            rules=rules,
            actor=by.actor.as_event_data(),
        )
        return self.record(inspection, **by.save_kwargs)

    def get_inspection(self, inspection_id: UUID, **at: Any) -> Inspection:
        """The round now, at `version`, or as it was `as_of` a time (public: no scope)."""
        return self.get_record(Inspection, inspection_id, **at)

    def inspection_command(
        self,
        inspection_id: UUID,
        expected_version: int | None,
        actor: Actor,
        change: Callable[[Inspection], None],
        **save_kwargs: Any,
    ) -> CommandResult:
        check_organiser(actor)
        return self.update(Inspection, inspection_id, expected_version, change, **save_kwargs)

    def draw_inspection(
        self,
        inspection_id: UUID,
        *,
        seed: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """双随机抽取: the seed revealed and mixed with the second seed and the beacon."""
        return self.inspection_command(
            inspection_id,
            expected_version,
            actor,
            lambda i: i.draw(seed=seed, actor=actor.as_event_data()),
            **save_kwargs,
        )

    def reveal_inspection_co_seed(
        self,
        inspection_id: UUID,
        *,
        seed: str,
        beacon: Callable[[], ChainHead],
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """The second party reveals its seed; `beacon` answers the first checkpoint signed
        after the commitments (or refuses: none yet)."""
        if actor.role not in SECOND_PARTIES:
            raise PermissionDenied("only a supervisor or the authority reveals a second seed")
        return self.update(
            Inspection,
            inspection_id,
            expected_version,
            lambda i: i.reveal_co_seed(seed=seed, beacon=beacon(), actor=actor.as_event_data()),
            **save_kwargs,
        )

    def finding_of_round(self, finding_id: UUID) -> dict[str, Any]:
        """The linked finding exists; the round records the unit it was raised against."""
        try:
            finding = self.load(Finding, finding_id)
        except NotFound:
            raise UnknownReference(f"finding {finding_id} does not exist") from None
        return {"unit_code": finding.unit_code}
