"""一单两库一细则 at the domain level (no database: the application on the library's in-memory
persistence, the directory a list): the 统一社会信用代码's check character, the 细则's numbers,
a round's population and pool as the matter and the directories make them, the yearly
frequency, one draw a year per entity and matter, and an import that lists, amends or leaves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from uuid import UUID

import pytest
from stdnum.cn import uscc

from domain.actors import Actor
from domain.application import Supervision
from domain.clock import today
from domain.draw import ChainHead, commitment_of
from domain.errors import (
    AlreadyExists,
    FrequencyReached,
    InvalidTransition,
    InvalidValue,
    PermissionDenied,
)
from domain.registry import LaunchSpotCheck
from domain.spot_checks import EnforcementOfficer, MarketEntity, SpotCheckMatter, credit_code
from domain.vocabulary import Role

ADMIN = Actor(id="a", name="管理员", role=Role.ADMIN)
INSPECTOR = Actor(id="i", name="督查员", role=Role.INSPECTOR)
SECOND = Actor(id="s", name="督查室主任", role=Role.SUPERVISOR)
START = today() + timedelta(days=30)
END = START + timedelta(days=30)
VALID = END + timedelta(days=400)  # the officers' 执法证, through next year's rounds


def code(n: int) -> str:
    body = f"91330624MA2UT{n:04d}"
    return body + uscc.calc_check_digit(body)


class ListedDirectory:
    """The directory as a read model would answer it: every entity and officer listed here."""

    def __init__(self, app: Supervision) -> None:
        self.app = app
        self.codes: list[str] = []
        self.officers: list[str] = []

    def entity_codes(self, kinds: Sequence[str], industries: Sequence[str]) -> list[str]:
        return [
            c for c in self.codes if self.covers(self.app.get_market_entity(c), kinds, industries)
        ]

    @staticmethod
    def covers(e: MarketEntity, kinds: Sequence[str], industries: Sequence[str]) -> bool:
        return (not kinds or e.entity_kind in kinds) and (
            not industries or e.industry in industries
        )

    def officer_ids(self, unit_code: str, through: date) -> list[UUID]:
        return [EnforcementOfficer.create_id(c) for c in self.officers]

    def round_inputs(
        self, kinds: Sequence[str], industries: Sequence[str], unit_code: str, through: date
    ) -> tuple[list[str], list[UUID]]:
        return self.entity_codes(kinds, industries), self.officer_ids(unit_code, through)

    def officer_of_number(self, number: str) -> UUID | None:
        """Officers here are listed in the one form: found by the id of their number."""
        listed = EnforcementOfficer.create_id(number)
        return listed if number in self.officers else None


@pytest.fixture
def county() -> tuple[Supervision, ListedDirectory, UUID]:
    """A department with 10 food entities (one 合作社), 3 officers and a food matter."""
    app = Supervision(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    directory = ListedDirectory(app)
    app.spot_check_directory = directory
    app.register_unit(code="scj", name="县市场监督管理局", kind="department", actor=ADMIN)
    for n in range(10):
        kind = "cooperative" if n == 9 else "enterprise"
        app.register_market_entity(code(n), f"主体{n}", kind, "食品经营", actor=INSPECTOR)
        directory.codes.append(code(n))
    for n in range(3):
        app.register_officer(f"执法员{n}", "scj", f"Z{n}", VALID, actor=ADMIN)
        directory.officers.append(f"Z{n}")
    matter = app.list_spot_check_matter(
        "scj", "食品经营检查", "食品安全法", "实地核查", 20, 2, ["enterprise"], ["食品经营"],
        actor=ADMIN,
    ).id  # fmt: skip
    return app, directory, matter


def launch(app: Supervision, matter: UUID, start: date = START) -> UUID:
    sent = LaunchSpotCheck(matter, "食品经营抽查", start, start + timedelta(days=30))
    return app.handle(sent, actor=INSPECTOR).id


def drawn(app: Supervision, rid: UUID) -> list[str]:
    """Both seeds committed and revealed, the round drawn: the entities drawn."""
    app.commit_inspection_seed(rid, commitment=commitment_of("甲方种子0123456789"), actor=INSPECTOR)
    app.commit_inspection_co_seed(rid, commitment=commitment_of("乙方种子0123456789"), actor=SECOND)
    head = ChainHead(index=7, position=42, hash="ab" * 32)
    app.inspection_beacon = lambda _: head
    app.reveal_inspection_co_seed(rid, seed="乙方种子0123456789", actor=SECOND)
    app.draw_inspection(rid, seed="甲方种子0123456789", actor=INSPECTOR)
    return app.get_inspection(rid).target_units


def test_a_second_seed_is_revealed_by_its_party_with_the_beacon_the_service_gives(
    county: tuple,
) -> None:
    app, _, matter = county
    rid = launch(app, matter)
    app.commit_inspection_seed(rid, commitment=commitment_of("甲方种子0123456789"), actor=INSPECTOR)
    app.commit_inspection_co_seed(rid, commitment=commitment_of("乙方种子0123456789"), actor=SECOND)
    with pytest.raises(PermissionDenied, match="only a supervisor or the authority"):
        app.reveal_inspection_co_seed(rid, seed="乙方种子0123456789", actor=ADMIN)
    with pytest.raises(InvalidValue, match="no checkpoints"):  # none given: nothing revealed
        app.reveal_inspection_co_seed(rid, seed="乙方种子0123456789", actor=SECOND)
    assert app.get_inspection(rid).co_seed is None
    head = ChainHead(index=7, position=42, hash="ab" * 32)
    app.inspection_beacon = lambda asked: head if asked == rid else None
    app.reveal_inspection_co_seed(rid, seed="乙方种子0123456789", actor=SECOND)
    assert app.get_inspection(rid).beacon == {"index": 7, "position": 42, "hash": "ab" * 32}


def test_a_credit_code_needs_its_check_character_and_is_kept_compact() -> None:
    assert credit_code(" ".join([code(1)[:9], code(1)[9:]])) == code(1)
    wrong = code(1)[:-1] + ("0" if code(1)[-1] != "0" else "1")
    for bad in (wrong, code(1)[:17], "not a code"):
        with pytest.raises(InvalidValue, match="统一社会信用代码"):
            credit_code(bad)


def test_the_rules_of_a_matter_hold_its_numbers_and_names() -> None:
    assert SpotCheckMatter.check_rules(["individual"], [" 餐饮 "], 5, 1) == {
        "entity_kinds": ["individual"], "industries": ["餐饮"]}  # fmt: skip
    for kinds, industries, share, per_year, words in [
        ([], [], 0, 1, "share_percent"),
        ([], [], 101, 1, "share_percent"),
        ([], [], 5, 13, "rounds_per_year"),
        (["bank"], [], 5, 1, "not a valid entity_kind"),
        (["enterprise", "enterprise"], [], 5, 1, "named twice"),
        ([], ["餐饮", "餐饮"], 5, 1, "named twice"),
    ]:
        with pytest.raises(InvalidValue, match=words):
            SpotCheckMatter.check_rules(kinds, industries, share, per_year)


def test_a_round_draws_the_covered_entities_with_the_departments_officers(county: tuple) -> None:
    app, _, matter = county
    rid = launch(app, matter)
    round_ = app.get_inspection(rid)
    assert round_.kind.value == "market_random" and round_.population == [code(n) for n in range(9)]
    assert [i["name"] for i in round_.inspectors] == [
        "执法员0（Z0）",
        "执法员1（Z1）",
        "执法员2（Z2）",
    ]
    assert round_.rules == {"team_size": 2, "share_percent": 20, "matter_id": str(matter),
                            "unit_code": "scj"}  # fmt: skip
    assert app.get_spot_check_matter(matter).rounds == [{"inspection_id": rid, "year": START.year}]
    targets = drawn(app, rid)
    assert len(targets) == 2 and set(targets) <= set(round_.population)


def test_an_entity_is_drawn_once_a_year_per_matter_and_rounds_keep_to_the_frequency(
    county: tuple,
) -> None:
    app, _, matter = county
    first = launch(app, matter)
    with pytest.raises(InvalidTransition, match=f"before round {first} is drawn"):
        launch(app, matter)
    taken = drawn(app, first)
    second = app.get_inspection(launch(app, matter))
    assert second.population == sorted(set(code(n) for n in range(9)) - set(taken))
    with pytest.raises(FrequencyReached, match="allows 2 round") as refused:
        launch(app, matter)
    assert refused.value.details == {"year": START.year, "rounds_per_year": 2}
    later = app.get_inspection(launch(app, matter, START + timedelta(days=366)))
    assert len(later.population) == 9, "a new year starts afresh"


def test_a_launch_needs_entities_a_team_an_organiser_and_a_matter_in_force(county: tuple) -> None:
    app, directory, matter = county
    with pytest.raises(PermissionDenied):
        app.handle(LaunchSpotCheck(matter, "x", START, END),
                   actor=Actor(id="u", name="联络员", role=Role.UNIT, unit_code="scj"))  # fmt: skip
    directory.officers = directory.officers[:1]
    with pytest.raises(InvalidValue, match="has 1 officer"):
        launch(app, matter)
    directory.officers = ["Z0", "Z1"]  # as the read model had them before Z1 left
    app.delist_officer("Z1", "调离", actor=ADMIN)
    with pytest.raises(InvalidValue, match="has 1 officer"):
        launch(app, matter, START + timedelta(days=1))
    app.register_officer("执法员9", "scj", "Z9", START, actor=ADMIN)  # lapses within the round
    directory.officers.append("Z9")
    with pytest.raises(InvalidValue, match="has 1 officer"):
        launch(app, matter)
    app.register_officer("执法员8", "scj", "Z8", VALID, actor=ADMIN)
    directory.officers.append("Z8")
    directory.codes = [code(9)]  # only the 合作社, which the matter leaves out
    with pytest.raises(InvalidValue, match="no entity"):
        launch(app, matter)
    app.withdraw_spot_check_matter(matter, "事项取消", actor=ADMIN)
    with pytest.raises(InvalidTransition, match="launch a round"):
        launch(app, matter)


def test_directory_entries_are_checked_and_held_once(county: tuple) -> None:
    app, _, _ = county
    with pytest.raises(AlreadyExists):
        app.register_market_entity(code(1), "重复", "enterprise", "食品经营", actor=INSPECTOR)
    with pytest.raises(AlreadyExists):
        app.register_officer("重复", "scj", " Z1 ", END, actor=ADMIN)
    with pytest.raises(InvalidValue, match="expired"):
        app.register_officer("过期", "scj", "Z7", today() - timedelta(days=1), actor=ADMIN)
    with pytest.raises(InvalidValue, match="name and an industry"):
        app.register_market_entity(code(20), "有名", "enterprise", " ", actor=INSPECTOR)
    app.delist_market_entity(code(1), "注销", actor=INSPECTOR)
    with pytest.raises(InvalidTransition, match="delist"):
        app.delist_market_entity(code(1), "again", actor=INSPECTOR)


def test_an_import_lists_the_new_amends_the_changed_and_leaves_the_rest(county: tuple) -> None:
    app, _, _ = county
    row = {"credit_code_text": code(2), "name": "主体2", "entity_kind": "enterprise",
           "industry": "食品经营", "address": None}  # fmt: skip
    moved = {**row, "credit_code_text": code(3), "name": "主体3", "address": "新址"}
    new = {**row, "credit_code_text": code(30), "name": "新主体"}
    done = app.import_market_entities([row, moved, new], actor=INSPECTOR)
    assert (done.listed, done.amended, done.unchanged) == (1, 1, 1) and done.position
    assert app.get_market_entity(code(3)).address == "新址"
    again = app.import_market_entities([row], actor=INSPECTOR)
    assert again == type(again)(0, 0, 1, None)
    with pytest.raises(InvalidValue, match="appears twice"):
        app.import_market_entities([new, new], actor=INSPECTOR)
    app.register_market_entity(code(40), "个体店", "individual", "食品经营", "老街1号",
                               actor=INSPECTOR)  # fmt: skip
    bare = {"credit_code_text": code(40).lower(), "name": "个体店", "entity_kind": None,
            "industry": "食品经营", "address": None}  # fmt: skip
    app.delist_market_entity(code(2).lower(), "注销", actor=INSPECTOR)  # any case, as typed
    kept = app.import_market_entities([bare, row], actor=INSPECTOR)
    assert (kept.unchanged, kept.delisted, kept.amended) == (1, 1, 0), "blank says nothing"
    entity = app.get_market_entity(code(40))
    assert (entity.entity_kind, entity.address, entity.version) == ("individual", "老街1号", 1)
    with pytest.raises(PermissionDenied):
        app.import_market_entities([row], actor=Actor(id="u", name="u", role=Role.UNIT))
