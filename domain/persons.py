"""Person (人员名录, issue 18 item 5): a person rulings name by id, so that what a person's
record holds — the decided rulings across units and reorganisations, their 影响期 — can be
checked: a fault-tolerance decision of 免责 or 从轻 for someone who was held accountable, or
granted tolerance, before is 屡错屡犯 (the negative list) and refused.

The person's name and position are personal data: `Registered` carries them as a ruling's
subject does (`subject: {unit_code, person: {name, position}, person_id}`), and the event
mapper seals them, and every ruling naming the person, under ONE key of the person's own
(infra/privacy.py); destroying it erases the person everywhere at once. What the record
keeps beside (units, ruling ids, forms, dates) names nobody.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import Aggregate
from domain.errors import InvalidTransition, InvalidValue
from domain.rulings import effects_until_of
from domain.subjects import SHREDDED
from domain.vocabulary import AccountabilityForm, AppealResult, ToleranceOutcome

ACCOUNTABILITY, TOLERANCE = "accountability", "fault_tolerance"
SUBJECT_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/person-subjects")


def subject_id_of(person_id: UUID) -> UUID:
    """The data subject (the key, and what a shredding names) of a person of the register:
    derived from the person's id, never the id itself, which the Person record holds."""
    return uuid5(SUBJECT_NAMESPACE, str(person_id))


GRANTED = (ToleranceOutcome.EXEMPTED.value, ToleranceOutcome.MITIGATED.value)


class Person(Aggregate):
    """One person of the register, and the rulings decided on them."""

    class Registered(Aggregate.Created):
        subject: dict[str, Any]
        actor: dict[str, Any]

    class Moved(Aggregate.Event):
        """调动 or 机构改革: the person now belongs to another unit, from a day."""

        unit_code: str
        reason: str
        effective_on: date
        actor: dict[str, Any]

    class RulingDecided(Aggregate.Event):
        """A ruling naming the person was decided: its kind, unit, form or outcome, 影响期."""

        ruling_id: UUID
        kind: str
        unit_code: str
        result: str
        decided_on: date
        effects_until: date | None
        actor: dict[str, Any]

    class AppealDecided(Aggregate.Event):
        """A decided ruling's appeal: upheld, modified (its result now) or revoked."""

        ruling_id: UUID
        result: str
        now: str | None
        actor: dict[str, Any]

    @staticmethod
    def subject_of(person_id: UUID, unit_code: str, name: str, position: str) -> dict[str, Any]:
        """What the register records of a person, shaped as a ruling's subject (sealed so)."""
        if not name.strip():
            raise InvalidValue("a person has a name")
        return {
            "unit_code": unit_code,
            "person": {"name": name.strip(), "position": position.strip()},
            "person_id": str(person_id),
        }

    @event(Registered)
    def __init__(self, *, id: UUID, subject: dict[str, Any], actor: dict[str, Any]) -> None:
        self.unit_code = str(subject["unit_code"])
        person = subject.get("person") or {}
        self.name = str(person.get("name", SHREDDED))
        self.position = str(person.get("position", ""))
        self.units: list[dict[str, Any]] = [{"unit_code": self.unit_code, "since": None}]
        self.record: list[dict[str, Any]] = []

    @property
    def subject_id(self) -> UUID:
        return subject_id_of(self.id)

    @property
    def erased(self) -> bool:
        """The person's key was destroyed: their name reads 已删除 everywhere."""
        return self.name == SHREDDED

    def units_codes(self) -> list[str]:
        return [u["unit_code"] for u in self.units]

    def move(
        self, *, unit_code: str, reason: str, effective_on: date, actor: dict[str, Any]
    ) -> None:
        """调动: to another unit (the caller checks that it takes new records), on a day that
        has come and is not before the person's last move. Not once the person's data was
        erased: the reason could name them, and nothing could seal it any more."""
        if self.erased:
            raise InvalidTransition("move a person whose personal data was erased", "erased")
        if unit_code == self.unit_code:
            raise InvalidValue(f"the person already belongs to unit {unit_code!r}")
        clock.check_done_by_today(effective_on, "effective_on")
        last = self.units[-1]["since"]
        if last is not None:
            clock.check_not_before(
                effective_on,
                last,
                "effective_on",
                f"effective_on {effective_on.isoformat()} is before the last move, of "
                f"{last.isoformat()}",
            )
        self._moved(unit_code=unit_code, reason=reason, effective_on=effective_on, actor=actor)

    @event(Moved)
    def _moved(
        self, unit_code: str, reason: str, effective_on: date, actor: dict[str, Any]
    ) -> None:
        self.unit_code = unit_code
        self.units.append({"unit_code": unit_code, "since": effective_on})

    # -- the record ---------------------------------------------------------------------------

    def earlier(self, ruling_id: UUID) -> list[dict[str, Any]]:
        """The person's rulings decided before this one (all of them, while this one is not
        on the record yet) that stand against them (屡错屡犯): held accountable (a form not
        revoked), or granted tolerance (免责, 从轻)."""
        ids = [entry["ruling_id"] for entry in self.record]
        before = self.record[: ids.index(ruling_id)] if ruling_id in ids else self.record
        return [
            entry
            for entry in before
            if entry["standing"] and (entry["kind"] == ACCOUNTABILITY or entry["result"] in GRANTED)
        ]

    def effects_until(self, day: date) -> date | None:
        """The last day of the 影响期 still running on `day` (None: none runs)."""
        running = [
            e["effects_until"]
            for e in self.record
            if e["standing"] and e["effects_until"] is not None and e["effects_until"] >= day
        ]
        return max(running, default=None)

    @event(RulingDecided)
    def note_decision(
        self,
        *,
        ruling_id: UUID,
        kind: str,
        unit_code: str,
        result: str,
        decided_on: date,
        effects_until: date | None,
        actor: dict[str, Any],
    ) -> None:
        self.record.append(
            {
                "ruling_id": ruling_id,
                "kind": kind,
                "unit_code": unit_code,
                "result": result,
                "decided_on": decided_on,
                "effects_until": effects_until,
                "standing": kind == ACCOUNTABILITY or result in GRANTED,
                "appeal": None,
            }
        )

    @event(AppealDecided)
    def note_appeal(
        self, *, ruling_id: UUID, result: str, now: str | None, actor: dict[str, Any]
    ) -> None:
        for entry in self.record:
            if entry["ruling_id"] == ruling_id:
                entry["appeal"] = result
                if result == AppealResult.REVOKED.value:
                    entry["standing"] = False
                    if "effects_until" in entry:  # a revoked decision has no 影响期
                        entry["effects_until"] = None
                elif now is not None:
                    if entry["kind"] == ACCOUNTABILITY and now != entry["result"]:
                        entry["effects_until"] = changed_effect(entry, now)
                    entry["result"] = now
                    entry["standing"] = entry["kind"] == ACCOUNTABILITY or now in GRANTED


def changed_effect(entry: dict[str, Any], form: str) -> date | None:
    """An accountability entry's 影响期 once an appeal changed its form: the new form's, as
    the ruling has it (a form changed to 组织调整 on appeal names no measure: none)."""
    return effects_until_of(entry["decided_on"], AccountabilityForm(form), None)
