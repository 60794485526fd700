"""The Person aggregate's record (人员名录), without any database: what stands against a
person (屡错屡犯), the 影响期 still running, an appeal's result, a move between units."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidValue
from domain.persons import ACCOUNTABILITY, TOLERANCE, Person, subject_id_of
from tests.support import replayed

ACTOR = {"id": "a", "name": "审理室", "role": "authority"}


def registered() -> Person:
    pid = uuid4()
    return Person(id=pid, subject=Person.subject_of(pid, "fgj", " 陈建华 ", "副局长"), actor=ACTOR)


def decided(person: Person, kind: str, result: str, until: date | None = None) -> str:
    rid = uuid4()
    person.note_decision(ruling_id=rid, kind=kind, unit_code=person.unit_code, result=result,
                         decided_on=date(2026, 1, 5), effects_until=until, actor=ACTOR)  # fmt: skip
    return str(rid)


def test_what_stands_against_a_person_is_accountability_and_tolerance_granted() -> None:
    person = registered()
    assert person.name == "陈建华" and person.subject_id == subject_id_of(person.id)
    denied = decided(person, TOLERANCE, "denied")
    assert person.earlier(uuid4()) == [], "a denial stands against nobody"
    granted = decided(person, TOLERANCE, "mitigated")
    held = decided(person, ACCOUNTABILITY, "admonishment", date(2026, 7, 5))
    assert [str(e["ruling_id"]) for e in person.earlier(uuid4())] == [granted, held]
    assert person.earlier(person.record[1]["ruling_id"]) == [], "only what was decided before"
    assert [str(e["ruling_id"]) for e in person.earlier(person.record[2]["ruling_id"])] == [granted]
    assert person.effects_until(date(2026, 7, 5)) == date(2026, 7, 5)
    assert person.effects_until(date(2026, 7, 6)) is None
    person.note_appeal(ruling_id=person.record[2]["ruling_id"], result="revoked", now=None,
                       actor=ACTOR)  # fmt: skip
    assert person.effects_until(date(2026, 2, 1)) is None, "a revoked ruling's 影响期 ends"
    assert person.record[2]["effects_until"] is None, "the record keeps none for it either"
    person.note_appeal(ruling_id=person.record[1]["ruling_id"], result="modified", now="denied",
                       actor=ACTOR)  # fmt: skip
    assert person.earlier(uuid4()) == [] and denied
    again = replayed(person.collect_events())
    assert again.record == person.record


def test_an_accountability_changed_on_appeal_keeps_the_new_forms_period_of_effect() -> None:
    person = registered()
    held = decided(person, ACCOUNTABILITY, "admonishment", date(2026, 7, 5))
    person.note_appeal(ruling_id=person.record[0]["ruling_id"], result="modified",
                       now="written_inspection", actor=ACTOR)  # fmt: skip
    assert person.effects_until(date(2026, 2, 1)) is None, "书面检查 has no 影响期"
    adjusted = decided(person, ACCOUNTABILITY, "organisational_adjustment", date(2027, 1, 5))
    person.note_appeal(ruling_id=person.record[1]["ruling_id"], result="modified",
                       now="admonishment", actor=ACTOR)  # fmt: skip
    assert person.record[1]["effects_until"] == date(2026, 7, 5), "诫勉: six months"
    person.note_appeal(ruling_id=person.record[1]["ruling_id"], result="modified",
                       now="organisational_adjustment", actor=ACTOR)  # fmt: skip
    assert person.record[1]["effects_until"] is None, "as the ruling: no measure named"
    assert held and adjusted
    assert replayed(person.collect_events()).record == person.record


def test_a_person_moves_to_another_unit_and_keeps_the_units_before() -> None:
    person = registered()
    person.move(unit_code="sfj", reason="交流任职", effective_on=date(2026, 4, 1), actor=ACTOR)
    assert person.unit_code == "sfj" and person.units_codes() == ["fgj", "sfj"]
    with pytest.raises(InvalidValue, match="already belongs"):
        person.move(unit_code="sfj", reason="x", effective_on=date(2026, 5, 1), actor=ACTOR)
    with pytest.raises(InvalidValue, match="has a name"):
        Person.subject_of(uuid4(), "fgj", " ", "")
