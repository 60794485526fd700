"""Commands on inspection rounds (督查活动): launch, seed commitment, draw or assignment,
findings linked, conclusion.

The draw mixes the revealed seeds with a beacon: the chain head signed by the first checkpoint
after both commitments. The chain belongs to the persistence layer, which the domain does not
import: the service gives the application a function that finds it (`inspection_beacon`),
called only after the round has been loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult, Sending
from domain.draw import ChainHead
from domain.errors import InvalidValue, NotFound, PermissionDenied, UnknownReference
from domain.findings import Finding
from domain.inspections import Inspection
from domain.registry import ORGANISERS, SECOND_PARTIES, Launch, RevealInspectionCoSeed
from domain.vocabulary import InspectionKind


def check_organiser(actor: Actor) -> None:
    if actor.role not in ORGANISERS:
        raise PermissionDenied("only an inspector or an admin organises an inspection round")


class InspectionCommands(CommandBase):
    # Set by the service: the draw's beacon of a round, from the signed checkpoints.
    inspection_beacon: Callable[[UUID], ChainHead] | None = None

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
        self.check_inspector_units(launch.inspectors)
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

    def check_inspector_units(self, inspectors: Iterable[tuple[str, str | None]]) -> None:
        """回避 knows an inspector's unit by its code: a code no unit has would recuse the
        inspector from nothing, so it is refused, naming the inspector."""
        for name, code in inspectors:
            if code is None:
                continue
            try:
                self.read_unit(code)
            except NotFound:
                raise UnknownReference(
                    f"the unit {code!r} of inspector {name!r} does not exist",
                    details={"inspector": name, "unit_code": code},
                ) from None

    def get_inspection(self, inspection_id: UUID, **at: Any) -> Inspection:
        """The round now, at `version`, or as it was `as_of` a time (public: no scope)."""
        return self.get_record(Inspection, inspection_id, **at)

    def do_reveal_inspection_co_seed(
        self, cmd: RevealInspectionCoSeed, by: Sending
    ) -> CommandResult:
        """The second party reveals its seed (never the administrator, who organises rounds);
        `inspection_beacon` answers the first checkpoint signed after the commitments (or
        refuses: none yet), once the round has been loaded."""
        if by.actor.role not in SECOND_PARTIES:
            raise PermissionDenied("only a supervisor or the authority reveals a second seed")

        def reveal(inspection: Inspection) -> None:
            if self.inspection_beacon is None:
                raise InvalidValue("this service keeps no checkpoints to take a draw's beacon from")
            beacon = self.inspection_beacon(cmd.inspection_id)
            inspection.reveal_co_seed(seed=cmd.seed, beacon=beacon, actor=by.actor.as_event_data())

        return self.update(
            Inspection, cmd.inspection_id, by.expected_version, reveal, **by.save_kwargs
        )

    def finding_of_round(self, finding_id: UUID) -> dict[str, Any]:
        """The linked finding exists; the round records the unit it was raised against, and
        checks the day it was raised (not recorded: the link's event is unchanged)."""
        try:
            finding = self.load(Finding, finding_id)
        except NotFound:
            raise UnknownReference(f"finding {finding_id} does not exist") from None
        return {"unit_code": finding.unit_code, "found_on": finding.found_on}
