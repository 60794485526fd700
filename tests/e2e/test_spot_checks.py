"""一单两库一细则 over HTTP (issue 18 item 8): a department's matter draws market entities of
the 检查对象名录库 it covers, with a team from the 执法检查人员名录库 whose 执法证 holds
through the round; the draw is the verifiable one of every random round; a matter's 细则
limits its rounds a year and an entity is drawn once a year per matter; bad entries and
launches are refused, naming the rule, and record nothing."""

from __future__ import annotations

import math
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from stdnum.cn import uscc

from api.runtime.bootstrap import Services
from domain import clock
from domain.clock import CHINA, SettableClock, today
from domain.draw import commitment_of
from domain.spot_checks import EnforcementOfficer
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api, account_fixture, unique

ENTITIES = "/api/v1/market-entities"
OFFICERS = "/api/v1/enforcement-officers"
MATTERS = "/api/v1/spot-check-matters"
INSPECTIONS = "/api/v1/inspections"
SEED = "市场监管局2026年食品经营双随机抽查·种子"
CO_SEED = "县司法局监督人员的第二方种子·e2e-spot"
START = today() + timedelta(days=40)  # a round's period, and when an officer's 执法证 lapses
END, LAPSES = START + timedelta(days=60), START + timedelta(days=10)

inspector = account_fixture("inspector", "督查员 陈立")
leader = account_fixture("supervisor", "督查室主任 周红")


def new_code() -> str:
    """A fresh 统一社会信用代码 with its valid check character."""
    body = "91330" + "".join(secrets.choice("0123456789") for _ in range(12))
    return body + uscc.calc_check_digit(body)


def entity(api: Api, who: dict[str, str], industry: str, **overrides: Any) -> str:
    body = {"credit_code": new_code(), "name": unique("食品店"), "entity_kind": "enterprise",
            "industry": industry, "address": "城关镇解放路1号"} | overrides  # fmt: skip
    ok(api.post(ENTITIES, body, who), 201)
    return str(body["credit_code"])


def officer(api: Api, who: dict[str, str], unit: str, valid_until: str = "2030-12-31") -> str:
    certificate = unique("浙执").upper()  # as the register keeps it
    body = {"name": unique("执法员"), "unit_code": unit, "certificate": certificate,
            "valid_until": valid_until}  # fmt: skip
    ok(api.post(OFFICERS, body, who), 201)
    return certificate


def matter_body(unit: str, industry: str, **overrides: Any) -> dict[str, Any]:
    return {"unit_code": unit, "title": f"{industry}许可事项检查",
            "legal_basis": "《中华人民共和国食品安全法》第一百一十条", "method": "实地核查",
            "share_percent": 20, "rounds_per_year": 2,
            "entity_kinds": ["enterprise", "individual"], "industries": [industry],
            } | overrides  # fmt: skip


def launch(api: Api, who: dict[str, str], matter: str, **overrides: Any) -> Any:
    body = {"title": "食品经营双随机抽查", "period_start": START.isoformat(),
            "period_end": END.isoformat()} | overrides  # fmt: skip
    return api.post(f"{MATTERS}/{matter}/rounds", body, who)


def draw(api: Api, rid: str, who: dict[str, str], second: dict[str, str]) -> dict[str, Any]:
    """Both seeds committed, the beacon signed, the draw made: the round as drawn."""
    ok(api.post(f"{INSPECTIONS}/{rid}/seed-commitment", {"commitment": commitment_of(SEED)}, who))
    body = {"commitment": commitment_of(CO_SEED)}
    ok(api.post(f"{INSPECTIONS}/{rid}/co-seed-commitment", body, second))
    ok(api.post("/api/v1/audit/checkpoints", None, ADMIN), 201)
    ok(api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": CO_SEED}, second))
    ok(api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, who))
    return ok(api.get(f"{INSPECTIONS}/{rid}", who))


@pytest.fixture
def department(api: Api) -> str:
    return api.unit("县市场监督管理局", "department")


def test_a_matter_draws_the_entities_it_covers_with_certified_officers_and_verifies(
    api: Api, inspector: dict[str, str], leader: dict[str, str], department: str
) -> None:
    industry = unique("食品经营")
    covered = sorted(entity(api, inspector, industry) for _ in range(9))
    covered.append(entity(api, inspector, industry, entity_kind="individual"))
    entity(api, inspector, industry, entity_kind="cooperative")  # a kind the matter leaves out
    entity(api, inspector, unique("特种设备"))  # another industry
    gone = entity(api, inspector, industry)
    ok(api.post(f"{ENTITIES}/{gone}/delisting", {"reason": "已注销"}, inspector))
    liaison = api.account("unit", department)
    team = sorted(officer(api, liaison, department) for _ in range(3))
    officer(api, liaison, department, valid_until=LAPSES.isoformat())  # lapses within the round
    leaving = officer(api, liaison, department)
    ok(api.post(f"{OFFICERS}/{leaving}/delisting", {"reason": "调离执法岗位"}, liaison))
    officer(api, ADMIN, api.unit("县卫生健康局", "department"))  # another department's

    body = matter_body(department, industry, rounds_per_year=3)
    matter = ok(api.post(MATTERS, body, liaison), 201)["id"]
    launched = ok(launch(api, inspector, matter), 201)
    rid = launched["id"]
    round_ = ok(api.get(f"{INSPECTIONS}/{rid}", inspector))
    assert round_["kind"] == "market_random" and round_["kind_label"] == "市场主体双随机抽查"
    assert round_["population"] == sorted(covered)
    assert sorted(i["name"].rpartition("（")[2].rstrip("）") for i in round_["inspectors"]) == team
    assert round_["rules"] == {"team_size": 2, "share_percent": 20, "matter_id": matter,
                               "unit_code": department}  # fmt: skip

    drawn = draw(api, rid, inspector, leader)
    assert len(drawn["targets"]) == math.ceil(len(covered) * 20 / 100)
    assert all(t["unit_code"] in covered and len(t["team"]) == 2 for t in drawn["targets"])
    verdict = ok(api.get(f"{INSPECTIONS}/{rid}/draw-verification", inspector))
    assert verdict["ok"] is True, verdict
    results = [{"unit_code": t["unit_code"], "result": "未发现问题"} for t in drawn["targets"]]
    conclusion = {"summary": "抽查完毕，结果已公示", "concluded_on": END.isoformat(),
                  "results": results}  # fmt: skip
    with clock.use(SettableClock(datetime.combine(END, time(17), CHINA))):  # the round's end
        ok(api.post(f"{INSPECTIONS}/{rid}/conclusion", conclusion, inspector))

    keyed = {**inspector, "Idempotency-Key": "second-round-" + matter}
    second = ok(launch(api, keyed, matter, title="第二轮"), 201)["id"]
    assert ok(launch(api, keyed, matter, title="第二轮"), 201)["id"] == second, "replayed"
    assert ok(api.get(f"{INSPECTIONS}/{second}", inspector))["title"] == "第二轮", "the round's id"
    again = ok(api.get(f"{INSPECTIONS}/{second}", inspector))
    taken = {t["unit_code"] for t in drawn["targets"]}
    assert again["population"] == sorted(set(covered) - taken), "drawn once a year per matter"
    early = assert_error(launch(api, inspector, matter, title="第三轮"), 409, "invalid_transition")
    assert f"before round {second} is drawn" in early["message"]
    later = {
        "period_start": str(START + timedelta(days=366)),
        "period_end": str(END + timedelta(days=366)),
    }
    next_year = launch(api, inspector, matter, **later)
    assert ok(next_year, 201)["id"] not in (rid, second), "a new year counts afresh"
    taken |= {t["unit_code"] for t in draw(api, second, inspector, leader)["targets"]}
    last = ok(launch(api, inspector, matter), 201)
    third = ok(api.get(f"{INSPECTIONS}/{last['id']}", inspector))
    assert third["population"] == sorted(set(covered) - taken)
    fourth = assert_error(launch(api, inspector, matter), 409, "spot_check_frequency_reached")
    assert fourth["details"] == {"year": START.year, "rounds_per_year": 3}
    seen = {"min_position": last["position"]}  # the read models have it all
    listed = ok(api.get(MATTERS, inspector, unit_code=department, **seen))["items"]
    assert [(m["id"], m["rounds"], m["entity_kind_labels"]) for m in listed] == [
        (matter, 4, ["企业", "个体工商户"])
    ]
    public = ok(api.client.get("/api/v1/public/spot-check-matters",
                               params={"unit_code": department, **seen}))["items"]  # fmt: skip
    ok(api.client.get("/api/v1/public/inspections", params=seen))
    assert [m["id"] for m in public] == [matter]
    portal = api.client.get("/public/spot-checks")
    assert portal.status_code == 200 and f"{industry}许可事项检查" in portal.text
    names = {e["credit_code"]: e["name"] for e in all_items(api, ENTITIES, inspector,
                                                            industry=industry)}  # fmt: skip
    concluded = api.client.get("/public/inspections").text
    assert "市场主体双随机抽查" in concluded
    assert all(names[t["unit_code"]] in concluded for t in drawn["targets"]), "drawn by name"


def test_bad_entries_and_launches_are_refused_naming_the_rule_and_record_nothing(
    api: Api, inspector: dict[str, str], department: str
) -> None:
    industry = unique("药品零售")
    code = entity(api, inspector, industry)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    cases = [
        ({"credit_code": wrong}, 422, "invalid_value", "统一社会信用代码"),
        ({"credit_code": code}, 409, "already_exists", "already listed"),
        ({"credit_code": new_code(), "entity_kind": "foundation"}, 422, "invalid_value", "kind"),
        ({"credit_code": new_code(), "industry": " "}, 422, "validation_error", None),
    ]
    for change, status, error, words in cases:
        body = {"credit_code": code, "name": "某药店", "entity_kind": "enterprise",
                "industry": industry} | change  # fmt: skip
        refused = assert_error(api.post(ENTITIES, body, inspector), status, error)
        assert words is None or words in refused["message"], refused
    liaison = api.account("unit", department)
    assert_error(api.post(ENTITIES, {"credit_code": new_code(), "name": "x", "entity_kind":
                 "enterprise", "industry": industry}, liaison), 403)  # fmt: skip
    other = api.unit("县农业农村局", "department")
    expired = {"name": "王五", "unit_code": department, "certificate": unique("证"),
               "valid_until": "2020-01-01"}  # fmt: skip
    assert "expired" in assert_error(api.post(OFFICERS, expired, liaison), 422)["message"]
    elsewhere = expired | {"unit_code": other, "valid_until": "2030-01-01"}
    assert_error(api.post(OFFICERS, elsewhere, liaison), 404, "not_found")
    for change in ({"share_percent": 0}, {"rounds_per_year": 13}, {"entity_kinds": ["x"]}):
        assert_error(api.post(MATTERS, matter_body(department, industry) | change, liaison), 422)
    twice = matter_body(department, industry, industries=[industry, industry])
    assert_error(api.post(MATTERS, twice, liaison), 422, "invalid_value")

    matter = ok(api.post(MATTERS, matter_body(department, industry), liaison), 201)["id"]
    few = assert_error(launch(api, inspector, matter), 422, "invalid_value")
    assert few["details"] == {"officers": 0, "team_size": 2}
    for _ in range(2):
        officer(api, liaison, department)
    assert_error(launch(api, liaison, matter), 403, "forbidden")
    empty = ok(api.post(MATTERS, matter_body(department, unique("无主体行业")), liaison), 201)
    nothing = assert_error(launch(api, inspector, empty["id"]), 422, "invalid_value")
    assert "no entity" in nothing["message"]
    generic = {"title": "x", "kind": "market_random", "scope": "x", "period_start": str(START),
               "period_end": str(END), "units": [department],
               "inspectors": [{"name": "甲"}, {"name": "乙"}]}  # fmt: skip
    refused = assert_error(api.post(INSPECTIONS, generic, inspector), 422, "invalid_value")
    assert "spot-check-matters" in refused["message"]
    withdrawn = ok(api.post(f"{MATTERS}/{matter}/withdrawal", {"reason": "事项取消"}, liaison))
    seen = {"min_position": withdrawn["position"]}
    assert_error(launch(api, inspector, matter), 409, "invalid_transition")
    assert withdrawn["version"] == 2
    entities = all_items(api, ENTITIES, inspector, industry=industry, **seen)
    assert [e["credit_code"] for e in entities] == [code], "the refused entries recorded nothing"
    assert [
        m["status"] for m in all_items(api, MATTERS, inspector, unit_code=department, **seen)
    ] == [
        "withdrawn",
        "listed",
    ]


def test_a_certificate_is_one_officer_however_it_is_typed_and_names_them_in_its_path(
    api: Api, department: str
) -> None:
    """执法证号 in lower case or full-width forms is the certificate already listed (409), so
    one officer cannot fill two seats of a team; a certificate holds nothing its path cannot
    carry (422); and the officer is delisted by it however it is typed."""
    liaison = api.account("unit", department)
    number = unique("AUD").upper()
    first = {"name": "审计甲", "unit_code": department, "certificate": number,
             "valid_until": "2030-12-31"}  # fmt: skip
    listed = ok(api.post(OFFICERS, first, liaison), 201)
    full_width = number.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    for variant in (number.lower(), full_width, f" {number} "):
        twice = assert_error(api.post(OFFICERS, first | {"certificate": variant}, liaison), 409)
        assert twice["code"] == "already_exists", variant
    for bad in ("AUD/007", "AUD?1", "AUD#1", "AUD%2F1"):
        refused = assert_error(api.post(OFFICERS, first | {"certificate": bad}, liaison), 422)
        assert "holds no" in refused["message"]
    gone = api.post(f"{OFFICERS}/{number.lower()}/delisting", {"reason": "调离执法岗位"}, liaison)
    assert ok(gone)["position"] > listed["position"]


def test_a_certificate_listed_before_it_was_kept_in_one_form_is_not_listed_again(
    api: Api, department: str, shared_services: Services
) -> None:
    """An officer listed until 2026-12-07 has the id of the certificate as then typed (here
    in lower case): the same certificate typed again is that officer (409)."""
    typed = unique("aud").lower()
    legacy = EnforcementOfficer._create(  # as the id was made then
        EnforcementOfficer.Registered, id=EnforcementOfficer.legacy_id(typed), name="审计乙",
        unit_code=department, certificate=typed, valid_until=date(2030, 12, 31),
        actor={"id": "a", "name": "管理员", "role": "admin"},
    )  # fmt: skip
    shared_services.app.save(legacy)
    again = {"name": "审计乙", "unit_code": department, "certificate": typed,
             "valid_until": "2030-12-31"}  # fmt: skip
    assert_error(api.post(OFFICERS, again, ADMIN), 409, "already_exists")
    # In its one form now (upper case, full-width folded): still that officer, found by the
    # directory, listed no second time and delisted by it.
    full_width = typed.upper().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    for variant in (typed.upper(), full_width):
        refused = api.post(OFFICERS, again | {"certificate": variant}, ADMIN)
        assert_error(refused, 409, "already_exists")
    gone = ok(api.post(f"{OFFICERS}/{typed.upper()}/delisting", {"reason": "调离"}, ADMIN))
    assert gone["id"] == str(EnforcementOfficer.legacy_id(typed))
    again_gone = api.post(f"{OFFICERS}/{typed}/delisting", {"reason": "调离"}, ADMIN)
    assert_error(again_gone, 409, "invalid_transition")  # the same officer, delisted already


@pytest.mark.parametrize(
    ("path", "known"),
    [
        (ENTITIES, "delisted"),
        (OFFICERS, "delisted"),
        ("/api/v1/spot-check-matters", "withdrawn"),
    ],
)
def test_a_status_a_directory_does_not_know_is_refused(
    api: Api, inspector: dict[str, str], path: str, known: str
) -> None:
    assert ok(api.get(path, inspector, status=known))["items"] is not None
    assert_error(api.get(path, inspector, status="bogus"), 422, "validation_error")


@pytest.mark.parametrize(
    "query",
    [
        (ENTITIES, {"industry": "\x00"}),
        ("/api/v1/documents", {"record_id": "\x00"}),
        ("/api/v1/case-library", {"tag": "\x00"}),
    ],
)
def test_a_nul_in_a_text_filter_is_refused_not_a_server_error(
    api: Api, inspector: dict[str, str], query: tuple[str, dict[str, str]]
) -> None:
    path, params = query
    assert_error(api.get(path, inspector, **params), 422, "validation_error")
