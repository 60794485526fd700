"""The PowerList aggregate's rules (权力清单、责任清单), without any database: numbers kept for
good, names once among the powers in force, amendments that change something, removals that
keep the record."""

from __future__ import annotations

import pytest

from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.power_lists import PowerList
from tests.support import replayed

ACTOR = {"id": "a1", "name": "联络员", "role": "unit"}


def compiled() -> PowerList:
    powers = PowerList(unit_code="fgj", actor=ACTOR)
    for name, kind in (("项目核准", "licensing"), ("价格处罚", "penalty")):
        powers.add_item(name=name, kind=kind, legal_basis="条例", responsibilities="责任",
                        internal_unit=None, actor=ACTOR)  # fmt: skip
    return powers


def test_an_amendment_changes_only_what_differs_and_keeps_the_number() -> None:
    powers = compiled()
    powers.amend_item(number=2, reason="调整", kind="coercion", name="价格处罚", actor=ACTOR)
    event = powers.collect_events()[-1]
    assert isinstance(event, PowerList.ItemAmended) and event.changes == {"kind": "coercion"}
    assert replayed([*compiled().collect_events()[:3], event]).items[1]["kind"] == "coercion"


def test_an_amendment_refuses_unknown_fields_a_taken_name_and_no_change() -> None:
    powers = compiled()
    with pytest.raises(InvalidValue, match="changes only name, kind"):
        powers.amend_item(number=1, reason="r", actor=ACTOR, unit_code="gtj")
    with pytest.raises(AlreadyExists, match="already has a power named '价格处罚'"):
        powers.amend_item(number=1, reason="r", name="价格处罚", actor=ACTOR)
    with pytest.raises(InvalidValue, match="must change at least one field"):
        powers.amend_item(number=1, reason="r", name="项目核准", kind=None, actor=ACTOR)
    with pytest.raises(InvalidValue, match="'tax' is not a valid kind"):
        powers.amend_item(number=1, reason="r", kind="tax", actor=ACTOR)


@pytest.mark.parametrize("typed", [" 项目核准 ", "项目 核准", "项目核准\u3000", "项目·核准"])
def test_a_name_in_force_is_refused_however_it_is_spaced(typed: str) -> None:
    powers = compiled()
    with pytest.raises(AlreadyExists, match="already has a power named"):
        powers.add_item(name=typed, kind="licensing", legal_basis="条例", responsibilities="责任",
                        internal_unit=None, actor=ACTOR)  # fmt: skip
    with pytest.raises(AlreadyExists):
        powers.amend_item(number=2, reason="更名", name=typed, actor=ACTOR)


def test_a_name_is_kept_without_the_spaces_around_it() -> None:
    powers = compiled()
    powers.add_item(name="  投资项目备案 ", kind="licensing", legal_basis="条例",
                    responsibilities="责任", internal_unit=None, actor=ACTOR)  # fmt: skip
    powers.amend_item(number=2, reason="更名", name=" 价格违法处罚 ", actor=ACTOR)
    assert [i["name"] for i in powers.current()] == ["项目核准", "价格违法处罚", "投资项目备案"]


def test_a_removed_power_leaves_the_list_in_force_but_not_the_record() -> None:
    powers = compiled()
    powers.remove_item(number=1, reason="划转", actor=ACTOR)
    assert [i["number"] for i in powers.current()] == [2]
    assert powers.items[0]["removed"] is True and len(powers.items) == 2
    with pytest.raises(InvalidTransition, match="remove item 1 while status is 'removed'"):
        powers.remove_item(number=1, reason="again", actor=ACTOR)
    with pytest.raises(InvalidTransition, match="amend item 1 while status is 'removed'"):
        powers.amend_item(number=1, reason="r", name="新名称", actor=ACTOR)
    with pytest.raises(NotFound, match="no item number 3"):
        powers.remove_item(number=3, reason="never listed", actor=ACTOR)
    powers.add_item(name="项目核准", kind="licensing", legal_basis="新条例",
                    responsibilities="责任", internal_unit="投资科", actor=ACTOR)  # fmt: skip
    assert [i["number"] for i in powers.current()] == [2, 3], "a name freed is taken anew"
    assert PowerList.create_id("fgj") == powers.id
