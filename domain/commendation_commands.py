"""Commands on 激励 (commendations): each checked against the record it rests on."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.commands import CommandBase
from domain.commendations import check_grounds
from domain.errors import InvalidValue, NotFound, UnknownReference
from domain.rulings import FINAL, Ruling, ToleranceRuling
from domain.vocabulary import CommendationKind, Grade, RulingStatus, ToleranceOutcome
from domain.work_items import WorkItem

COMMENDABLE = (Grade.EXCELLENT.value, Grade.GOOD.value)


class CommendationCommands(CommandBase):
    def check_commendation(
        self,
        *,
        actor: Actor,
        kind: str,
        unit_code: str,
        year: int,
        decided_on: date,
        work_item_ids: list[UUID],
        ruling_id: UUID | None,
        **_: Any,
    ) -> dict[str, Any]:
        """记录激励: an active unit; each cited work item the unit's, evaluated 优秀 or 良好;
        a cited ruling a fault-tolerance ruling of the unit, finally decided 免责 or 从轻."""
        chosen = check_grounds(kind, decided_on, work_item_ids, ruling_id)
        if decided_on.year < year:
            raise InvalidValue(
                f"a commendation of {year} is decided in {year} or later",
                details={"decided_on": decided_on.isoformat()},
            )
        self.active_unit(unit_code)
        cited = list(dict.fromkeys(work_item_ids))
        for item_id in cited:
            self.commendable_item(item_id, unit_code, year)
        if chosen is CommendationKind.NORMAL_USE_AFTER_TOLERANCE:
            assert ruling_id is not None
            self.check_cleared(ruling_id, unit_code)
        return {"work_item_ids": cited}

    def commendable_item(self, item_id: UUID, unit_code: str, year: int) -> None:
        """A work item of the commendation's year, of the unit or of a unit merged into it,
        evaluated 优秀 or 良好."""
        try:
            item = self.load(WorkItem, item_id)
        except NotFound:
            raise UnknownReference(f"work item {item_id} does not exist") from None
        if not any(unit_code in self.successor_chain(code) for code in item.units()):
            raise InvalidValue(f"work item {item_id} is not a task of unit {unit_code!r}")
        if item.year != year:
            raise InvalidValue(f"work item {item_id} is of {item.year}, not of {year}")
        grade = (item.evaluation or {}).get("grade")
        if grade not in COMMENDABLE:
            raise InvalidValue(
                f"work item {item_id} was not evaluated 优秀 or 良好 (excellent, good)",
                details={"work_item_id": str(item_id), "grade": grade},
            )

    def check_cleared(self, ruling_id: UUID, unit_code: str) -> None:
        try:
            ruling = self.load(Ruling, ruling_id)
        except NotFound:
            raise UnknownReference(f"ruling {ruling_id} does not exist") from None
        cleared = (ToleranceOutcome.EXEMPTED, ToleranceOutcome.MITIGATED)
        if not (
            isinstance(ruling, ToleranceRuling)
            and ruling.status in (*FINAL, RulingStatus.PUBLISHED)
            and ruling.outcome in cleared
        ):
            raise InvalidValue(
                f"ruling {ruling_id} is not a fault-tolerance ruling finally decided "
                "exempted or mitigated (容错后正常使用 rests on one)"
            )
        if unit_code not in self.successor_chain(ruling.unit_code):
            raise InvalidValue(f"ruling {ruling_id} concerns unit {ruling.unit_code!r}")
