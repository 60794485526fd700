"""Units (机构改革) and accounts, without any database."""

from __future__ import annotations

from datetime import date

import pytest

from domain.accounts import Account, hash_token
from domain.errors import InvalidTransition, InvalidValue, UnitInactive
from domain.units import Unit
from domain.vocabulary import AccountStatus, UnitStatus

ACTOR = {"id": "admin", "name": "管理员", "role": "admin"}


def unit(code: str, name: str = "单位") -> Unit:
    return Unit(code=code, name=name, kind="department", actor=ACTOR)


def test_a_units_id_is_derived_from_its_code() -> None:
    assert unit("fgj").id == Unit.create_id("fgj") != Unit.create_id("fzb")


def test_renaming_keeps_the_code() -> None:
    u = unit("fgj", "县发改局")
    u.rename(name="县发展和改革局", reason="机构改革", effective_on=date(2019, 3, 1), actor=ACTOR)
    assert (u.code, u.name) == ("fgj", "县发展和改革局")


def test_a_merged_unit_names_its_successor_and_is_no_longer_active() -> None:
    old, new = unit("fzb", "县法制办"), unit("sfj", "县司法局")
    old.merge_into(successor=new, reason="机构改革", effective_on=date(2019, 3, 1), actor=ACTOR)
    assert old.status is UnitStatus.MERGED and old.successor_code == "sfj" and not old.is_active


def test_a_unit_cannot_merge_into_itself_or_into_an_inactive_unit() -> None:
    a, b, c = unit("a"), unit("b"), unit("c")
    with pytest.raises(InvalidValue):
        a.merge_into(successor=a, reason="x", effective_on=date(2019, 1, 1), actor=ACTOR)
    b.merge_into(successor=c, reason="x", effective_on=date(2019, 1, 1), actor=ACTOR)
    with pytest.raises(UnitInactive):
        a.merge_into(successor=b, reason="x", effective_on=date(2019, 1, 1), actor=ACTOR)


def test_a_merged_unit_cannot_be_renamed() -> None:
    a, b = unit("a"), unit("b")
    a.merge_into(successor=b, reason="x", effective_on=date(2019, 1, 1), actor=ACTOR)
    with pytest.raises(InvalidTransition):
        a.rename(name="新名", reason="x", effective_on=date(2019, 2, 1), actor=ACTOR)


def test_an_account_is_found_by_its_token_hash_and_revoked_once() -> None:
    token_hash = hash_token("secret")
    account = Account(
        token_hash=token_hash, name="督查员", role="inspector", unit_code=None, actor=ACTOR
    )
    assert account.id == Account.create_id(token_hash) and account.is_active
    account.revoke(reason="离职", actor=ACTOR)
    assert account.status is AccountStatus.REVOKED
    with pytest.raises(InvalidTransition):
        account.revoke(reason="again", actor=ACTOR)


def test_tokens_are_stored_as_sha256_hex() -> None:
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
