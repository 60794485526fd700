"""The Inspection aggregate's rules: launch, seed commitment, draw, assignment, conclusion."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from domain.actors import Actor
from domain.application import Supervision
from domain.draw import ChainHead, commitment_of
from domain.draw import draw as draw_units
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, UnknownReference
from domain.inspections import Inspection
from domain.vocabulary import InspectionStatus, Role
from tests.support import random_round, replayed

ACTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
LEADER = {"id": "s1", "name": "督查室主任", "role": "supervisor"}
S = InspectionStatus
SEED = "县纪委2026年第一轮双随机抽查种子"
CO_SEED = "督查室主任的第二方种子"
HEAD = ChainHead(index=41, position=57, hash="ab" * 32)  # the beacon: a later checkpoint's
UNITS = [f"u{n:02d}" for n in range(1, 21)]
POOL: list[dict[str, Any]] = [
    {"name": "王敏", "unit_code": "u01"},
    {"name": "李强", "unit_code": "u02"},
    {"name": "张华", "unit_code": None},
    {"name": "赵丽", "unit_code": "jw"},
]
RULES = {"team_size": 2, "share_percent": 10}
ADMIN = Actor(id="a", name="管理员", role=Role.ADMIN)
INSPECTOR = Actor(id="i", name="督查员", role=Role.INSPECTOR)
FOUND_ON = date(2026, 3, 20)  # a day of the round's period (launched() below)


def launched(kind: str = "random", **overrides: Any) -> Inspection:
    values: dict[str, Any] = {
        "id": uuid4(),
        "title": "2026年度行政许可事项双随机抽查",
        "kind": kind,
        "scope": "全县乡镇（街道）",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 4, 30),
        "population": UNITS,
        "inspectors": POOL,
        "rules": RULES,
        "actor": ACTOR,
    }
    values.update(overrides)
    return Inspection(**values)


def revealed(co_seed: str = CO_SEED, beacon: ChainHead = HEAD) -> Inspection:
    """Both seeds committed, the second revealed with the beacon: ready to draw."""
    inspection = launched()
    inspection.commit_seed(commitment=commitment_of(SEED), actor=ACTOR)
    inspection.commit_co_seed(commitment=commitment_of(co_seed), actor=LEADER)
    inspection.reveal_co_seed(seed=co_seed, beacon=beacon, actor=LEADER)
    return inspection


def drawn() -> Inspection:
    inspection = revealed()
    inspection.draw(seed=SEED, actor=ACTOR)
    return inspection


def test_a_random_round_draws_its_share_of_units_each_with_a_team_of_two() -> None:
    inspection = drawn()
    assert inspection.status is S.DRAWN
    assert len(inspection.targets) == 2  # 10% of 20
    assert all(len(t["team"]) == 2 for t in inspection.targets)
    assert set(inspection.target_units) <= set(UNITS)


def test_the_draw_keeps_the_seed_the_chain_head_and_the_algorithm() -> None:
    inspection = drawn()
    assert inspection.seed == SEED and inspection.chain_head == HEAD.as_event_data()
    assert inspection.co_seed == CO_SEED and inspection.beacon == HEAD.as_event_data()
    assert inspection.algorithm == "sha256-ctr-fisher-yates/v2"


def test_a_seed_that_does_not_match_the_commitment_is_refused() -> None:
    inspection = revealed()
    with pytest.raises(InvalidValue):
        inspection.draw(seed=SEED + "x", actor=ACTOR)
    assert inspection.status is S.SEED_COMMITTED


def test_a_random_round_cannot_draw_before_its_seed_is_committed() -> None:
    with pytest.raises(InvalidTransition):
        launched().draw(seed=SEED, actor=ACTOR)


def test_no_draw_before_a_second_party_has_committed_and_revealed_its_seed() -> None:
    inspection = launched()
    inspection.commit_seed(commitment=commitment_of(SEED), actor=ACTOR)
    with pytest.raises(InvalidTransition, match="second seed"):
        inspection.draw(seed=SEED, actor=ACTOR)
    with pytest.raises(InvalidValue, match="another party"):
        inspection.commit_co_seed(commitment=commitment_of(CO_SEED), actor=ACTOR)
    inspection.commit_co_seed(commitment=commitment_of(CO_SEED), actor=LEADER)
    with pytest.raises(InvalidTransition):
        inspection.commit_co_seed(commitment=commitment_of(CO_SEED), actor=LEADER)
    with pytest.raises(InvalidTransition, match="second seed"):
        inspection.draw(seed=SEED, actor=ACTOR)
    other = {"id": "s2", "name": "另一领导", "role": "supervisor"}
    with pytest.raises(InvalidValue, match="only the party"):
        inspection.reveal_co_seed(seed=CO_SEED, beacon=HEAD, actor=other)
    with pytest.raises(InvalidValue, match="second commitment"):
        inspection.reveal_co_seed(seed=CO_SEED + "x", beacon=HEAD, actor=LEADER)
    with pytest.raises(InvalidTransition):
        launched().reveal_co_seed(seed=CO_SEED, beacon=HEAD, actor=LEADER)


def test_the_committing_inspector_cannot_predict_the_draw_from_what_they_know() -> None:
    """At commitment the inspector knows the seed, the population, the pool and the chain as
    it stands; not the second party's seed nor the head a later checkpoint will sign. The
    draw turns on each of those: across second seeds (or beacons) the inspector cannot know,
    the units drawn differ — no guess from what they know matches them all."""
    by_co_seed = {
        tuple(d.target_units) for d in (done(revealed(f"第二方种子{n}")) for n in range(12))
    }
    beacons = (ChainHead(41 + n, 57 + n, f"{n:02x}" * 32) for n in range(12))
    by_beacon = {tuple(done(revealed(beacon=b)).target_units) for b in beacons}
    assert len(by_co_seed) >= 6 and len(by_beacon) >= 6  # 20 units, 2 drawn: 190 outcomes
    # The draw the inspector could compute alone (their seed with the chain head they see,
    # as a v1 draw did) is not the draw made.
    known = launched().draw_input(SEED, HEAD.index, HEAD.hash)
    assert [t["unit_code"] for t in draw_units(known)] != drawn().target_units


def done(inspection: Inspection) -> Inspection:
    inspection.draw(seed=SEED, actor=ACTOR)
    return inspection


def test_a_commitment_must_be_a_hex_sha256() -> None:
    with pytest.raises(InvalidValue):
        launched().commit_seed(commitment="not-a-hash", actor=ACTOR)


def test_a_round_that_is_not_random_takes_no_seed() -> None:
    with pytest.raises(InvalidValue):
        launched("special").commit_seed(commitment=commitment_of(SEED), actor=ACTOR)


def test_a_special_round_is_assigned_its_units_and_teams() -> None:
    inspection = launched("special")
    inspection.assign(targets=[{"unit_code": "u03", "team": ["王敏", "李强"]}], actor=ACTOR)
    assert inspection.status is S.DRAWN and inspection.target_units == ["u03"]


def test_a_pool_kept_with_spaces_around_a_name_takes_a_team_naming_it_without() -> None:
    """Rounds launched before names were kept trimmed may hold "王敏 ": a team naming 王敏
    is that inspector, and stands aside from their unit as well (回避)."""
    spaced = [{**i, "name": f"{i['name']} "} for i in POOL]
    inspection = launched("special", inspectors=spaced)
    with pytest.raises(InvalidValue, match="回避"):
        inspection.assign(targets=[{"unit_code": "u01", "team": ["王敏", "李强"]}], actor=ACTOR)
    with pytest.raises(InvalidValue, match="needs 2 names"):
        inspection.assign(targets=[{"unit_code": "u03", "team": ["王敏", "王敏 "]}], actor=ACTOR)
    inspection.assign(targets=[{"unit_code": "u03", "team": ["王敏", "李强"]}], actor=ACTOR)
    assert inspection.status is S.DRAWN


def test_an_inspector_is_never_assigned_to_the_unit_they_belong_to() -> None:
    with pytest.raises(InvalidValue, match="回避"):
        launched("special").assign(
            targets=[{"unit_code": "u01", "team": ["王敏", "李强"]}], actor=ACTOR
        )


def test_a_team_smaller_than_the_rule_is_refused() -> None:
    with pytest.raises(InvalidValue):
        launched("routine").assign(targets=[{"unit_code": "u03", "team": ["王敏"]}], actor=ACTOR)


def test_a_random_round_is_never_assigned_by_hand() -> None:
    with pytest.raises(InvalidValue):
        launched().assign(targets=[{"unit_code": "u03", "team": ["王敏", "李强"]}], actor=ACTOR)


def test_a_launch_needs_a_team_of_at_least_two() -> None:
    with pytest.raises(InvalidValue):
        Inspection.check_launch(
            "random", date(2026, 1, 1), date(2026, 2, 1), UNITS, POOL, {**RULES, "team_size": 1}
        )


def test_a_launch_where_some_unit_cannot_get_a_full_team_after_recusal_is_refused() -> None:
    pool = [{"name": "王敏", "unit_code": "u01"}, {"name": "李强", "unit_code": "u02"}]
    with pytest.raises(InvalidValue, match="u01"):
        Inspection.check_launch("random", date(2026, 1, 1), date(2026, 2, 1), UNITS, pool, RULES)


def test_a_launch_whose_period_runs_backwards_is_refused() -> None:
    with pytest.raises(InvalidValue):
        Inspection.check_launch("random", date(2026, 2, 1), date(2026, 1, 1), UNITS, POOL, RULES)


def test_a_finding_against_an_inspected_unit_is_linked_once() -> None:
    inspection = drawn()
    finding_id = uuid4()
    inspection.link_finding(
        finding_id=finding_id, unit_code=inspection.target_units[0], found_on=FOUND_ON, actor=ACTOR
    )
    assert inspection.finding_ids == [finding_id]
    with pytest.raises(AlreadyExists):
        inspection.link_finding(
            finding_id=finding_id,
            unit_code=inspection.target_units[0],
            found_on=FOUND_ON,
            actor=ACTOR,
        )


def test_a_finding_against_a_unit_not_inspected_is_not_linked() -> None:
    inspection = drawn()
    other = next(u for u in UNITS if u not in inspection.target_units)
    with pytest.raises(InvalidValue):
        inspection.link_finding(finding_id=uuid4(), unit_code=other, found_on=FOUND_ON, actor=ACTOR)


@pytest.mark.parametrize(
    "found_on", [date(2019, 5, 1), date(2026, 2, 28), date(2026, 5, 1)], ids=str
)
def test_a_finding_raised_outside_the_rounds_period_is_not_linked(found_on: date) -> None:
    inspection = drawn()
    unit = inspection.target_units[0]
    with pytest.raises(InvalidValue, match="outside this round's period") as error:
        inspection.link_finding(finding_id=uuid4(), unit_code=unit, found_on=found_on, actor=ACTOR)
    assert error.value.details["found_on"] == found_on.isoformat()
    assert inspection.finding_ids == []
    assert isinstance(inspection.collect_events()[-1], Inspection.Drawn), "nothing recorded"
    for first_or_last in (inspection.period_start, inspection.period_end):
        inspection.link_finding(
            finding_id=uuid4(), unit_code=unit, found_on=first_or_last, actor=ACTOR
        )
    assert len(inspection.finding_ids) == 2


def test_a_link_stored_before_the_period_check_still_replays() -> None:
    """The day is checked by the command, not by the event: a round whose log links a finding
    from another year (recorded before the check) loads as it was."""
    inspection = drawn()
    old_link = uuid4()
    inspection._finding_linked(
        finding_id=old_link, unit_code=inspection.target_units[0], actor=ACTOR
    )
    assert replayed(inspection.collect_events()).finding_ids == [old_link]


def test_a_round_concludes_with_a_summary_and_results_of_its_units() -> None:
    inspection = drawn()
    unit = inspection.target_units[0]
    inspection.conclude(
        summary="共抽查2个单位，发现问题1个",
        concluded_on=date(2026, 4, 30),
        results=[{"unit_code": unit, "result": "发现问题1个，已交办整改"}],
        actor=ACTOR,
    )
    assert inspection.status is S.CONCLUDED and inspection.results[0]["unit_code"] == unit


def test_results_for_a_unit_not_inspected_are_refused() -> None:
    with pytest.raises(InvalidValue):
        drawn().conclude(
            summary="s",
            concluded_on=date(2026, 4, 30),
            results=[{"unit_code": "elsewhere", "result": "r"}],
            actor=ACTOR,
        )


def test_a_concluded_round_takes_no_more_findings() -> None:
    inspection = drawn()
    inspection.conclude(summary="s", concluded_on=date(2026, 4, 30), results=[], actor=ACTOR)
    with pytest.raises(InvalidTransition):
        inspection.link_finding(
            finding_id=uuid4(), unit_code=inspection.target_units[0], found_on=FOUND_ON, actor=ACTOR
        )


def test_a_round_replayed_from_its_events_is_the_same_round() -> None:
    inspection = drawn()
    assert vars(replayed(inspection.collect_events())) == vars(inspection)


def county_of(*codes: str) -> Supervision:
    """An application kept in memory, with the units `codes`."""
    app = Supervision(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for code in codes:
        app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
    return app


def test_an_inspector_of_a_unit_that_does_not_exist_is_refused_and_nothing_recorded() -> None:
    """回避 knows an inspector's unit by its code: a code no unit has would recuse nobody."""
    app = county_of("u01", "u02")
    pool = (("王敏", "u01"), ("李强", "zzz"), ("张华", None))
    before = app.recorder.max_notification_id()
    period = (date(2026, 3, 1), date(2026, 4, 30))
    launch = random_round(("u01", "u02"), pool, 50, period)
    with pytest.raises(UnknownReference) as refused:
        app.launch_inspection(launch, actor=INSPECTOR)
    assert refused.value.details == {"inspector": "李强", "unit_code": "zzz"}
    assert app.recorder.max_notification_id() == before
    known = random_round(
        ("u01",), (*pool[::2], ("李强", "u02")), 50, (launch.period_start, launch.period_end)
    )
    inspection = app.get_inspection(app.launch_inspection(known, actor=INSPECTOR).id)
    assert ["李强", "u02"] in [[i["name"], i["unit_code"]] for i in inspection.inspectors]
