"""The person register over HTTP (issue 18 item 5): rulings name a person by id; each decision
goes on the person's record in the same transaction, across units; a 免责 or 从轻 for someone
the record already holds a ruling against is 屡错屡犯 (422 `excluded_from_tolerance`); a
revoked ruling no longer stands against them; the record, with its 影响期, is the authority's
alone; and shredding the person's one key erases them from the register and every ruling."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from api.runtime.bootstrap import Services
from tests.e2e.console import console_as
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api, account_fixture

PERSONS = "/api/v1/persons"
RULINGS = "/api/v1/rulings"
NAME, POSITION = "钱志远", "副局长"

inspector = account_fixture("inspector", "督查员 名录")
authority = account_fixture("authority", "县纪委 审理室（名录）")

EXEMPT = {"outcome": "exempted", "criteria_met": ["pilot_inexperience"],
          "reasoning": "符合先行先试情形", "decided_on": "2026-03-01"}  # fmt: skip
WARNED = {"form": "admonishment", "reasoning": "情节较轻", "decided_on": "2026-03-02"}


def tolerance(api: Api, who: dict[str, str], unit: str, person: str) -> str:
    finding = api.finding(who, unit)["id"]
    body = {"subject": {"unit_code": unit, "person_id": person}}
    return str(api.ruling("fault-tolerance", who, unit, [finding], **body)["id"])


def test_a_persons_record_gathers_their_rulings_across_units_and_bars_repeated_tolerance(
    api: Api,
    client: TestClient,
    shared_services: Services,
    inspector: dict[str, str],
    authority: dict[str, str],
) -> None:
    first_unit, second_unit = api.unit("县科技局（名录）"), api.unit("县经信局（名录）")
    body = {"unit_code": first_unit, "name": NAME, "position": POSITION}
    person = ok(api.post(PERSONS, body, inspector), 201)["id"]
    first = tolerance(api, inspector, first_unit, person)
    shown = ok(api.get(f"{RULINGS}/{first}", authority))
    assert shown["subject"] == {"unit_code": first_unit, "person_id": person,
                                "person": {"name": NAME, "position": POSITION}}  # fmt: skip
    api.decided(authority, first, EXEMPT)

    moved = {
        "unit_code": second_unit,
        "reason": f"{NAME}同志交流任职",
        "effective_on": "2026-04-01",
    }
    ok(api.post(f"{PERSONS}/{person}/transfer", moved, inspector))
    for day in ("2026-03-31", "2099-01-01"):  # before the last move; not yet come
        back = {**moved, "unit_code": first_unit, "effective_on": day}
        refused = api.post(f"{PERSONS}/{person}/transfer", back, inspector)
        assert assert_error(refused, 422, "invalid_value")["details"]["effective_on"] == day
    with shared_services.database.connection() as conn:
        stored = conn.execute(
            "SELECT state FROM supervision_events WHERE originator_id = %s", (person,)
        ).fetchall()
    assert len(stored) == 3 and all(NAME.encode() not in bytes(r[0]) for r in stored), (
        "the person's name is sealed in every event of the register, the move's reason too"
    )
    second = tolerance(api, inspector, second_unit, person)
    refused = assert_error(
        api.post(f"{RULINGS}/{second}/decision", EXEMPT, authority), 422, "excluded_from_tolerance"
    )
    assert refused["details"] == {"exclusions": ["repeated"], "earlier_rulings": [first]}
    assert ok(api.get(f"{RULINGS}/{second}", authority))["status"] == "applied", "nothing recorded"
    denied = {"outcome": "denied", "reasoning": "屡错屡犯，不予容错", "decided_on": "2026-04-10",
              "exclusions": ["repeated"]}  # fmt: skip
    api.decided(authority, second, denied)

    finding = api.finding(inspector, second_unit)["id"]
    named = {"subject": {"unit_code": second_unit, "person_id": person}, "form": "admonishment"}
    proposal = api.accountability(inspector, second_unit, [finding], **named)["id"]
    api.decided(authority, proposal, WARNED)

    record: dict[str, Any] = ok(api.get(f"{PERSONS}/{person}", authority))
    assert (record["name"], record["unit_code"], record["erased"]) == (NAME, second_unit, False)
    assert [u["unit_code"] for u in record["units"]] == [first_unit, second_unit]
    assert [(r["ruling_id"], r["unit_code"], r["result_label"], r["standing"])
            for r in record["record"]] == [
        (first, first_unit, "免责", True), (second, second_unit, "不予容错", False),
        (proposal, second_unit, "诫勉", True),
    ]  # fmt: skip
    assert record["effects_until"] is None or record["effects_until"] >= "2026-09-02"
    assert record["record"][2]["effects_until"] == "2026-09-02", "诫勉: six months"

    appeal = {"grounds": "事实认定有误"}
    ok(api.post(f"{RULINGS}/{first}/appeal", appeal, inspector))
    revoked = {"result": "revoked", "reasoning": "复核撤销原认定"}
    ok(api.post(f"{RULINGS}/{first}/appeal-decision", revoked, authority))
    after = ok(api.get(f"{PERSONS}/{person}", authority))["record"]
    assert (after[0]["appeal"], after[0]["standing"]) == ("revoked", False)

    for who in (inspector, ADMIN, api.account("auditor"), api.account("unit", first_unit)):
        assert api.get(f"{PERSONS}/{person}", who).status_code == 403, "the authority's alone"

    # 屡错屡犯 holds on appeal too: a denial for want of criteria cannot become 免责.
    third = tolerance(api, inspector, second_unit, person)
    plain_denial = {"outcome": "denied", "reasoning": "不符合容错情形", "decided_on": "2026-05-01"}
    api.decided(authority, third, plain_denial)
    ok(api.post(f"{RULINGS}/{third}/appeal", {"grounds": "符合先行先试"}, inspector))
    granted = {"result": "modified", "reasoning": "改为免责", "outcome": "exempted",
               "criteria_met": ["pilot_inexperience"]}  # fmt: skip
    bypass = api.post(f"{RULINGS}/{third}/appeal-decision", granted, authority)
    assert assert_error(bypass, 422, "excluded_from_tolerance")["details"]["exclusions"] == [
        "repeated"
    ]
    # A ruling of a unit the person never belonged to cannot name them.
    stranger = api.unit("县外单位（名录）")
    elsewhere = api.finding(inspector, stranger)["id"]
    foreign = {"subject": {"unit_code": stranger, "person_id": person}, "finding_ids": [elsewhere],
               "grounds": "试点", "criteria_claimed": []}  # fmt: skip
    assert_error(api.post(f"{RULINGS}/fault-tolerance", foreign, inspector), 422,
                 "unknown_reference")  # fmt: skip
    with console_as(client, authority) as browser:
        ruling_page = browser.get(f"/rulings/{proposal}")
        assert f'href="/persons/{person}"' in ruling_page.text
        page = browser.get(f"/persons/{person}")
        assert page.status_code == 200 and NAME in page.text and "屡错屡犯" in page.text
        assert "诫勉" in page.text and "2026年9月2日" in page.text
        assert browser.get(f"/persons/{uuid4()}").status_code == 404
    with console_as(client, inspector) as browser:
        assert browser.get(f"/persons/{person}").status_code == 403
        assert f'href="/persons/{person}"' not in browser.get(f"/rulings/{proposal}").text


def test_bad_registrations_and_names_are_refused_and_shredding_erases_the_person(
    api: Api, inspector: dict[str, str], authority: dict[str, str], shared_services: Services
) -> None:
    unit = api.unit("县商务局（名录）")
    assert_error(api.post(PERSONS, {"unit_code": "no-such-unit", "name": "甲"}, inspector), 422)
    assert_error(api.post(PERSONS, {"unit_code": unit, "name": " "}, inspector), 422)
    assert_error(api.post(PERSONS, {"unit_code": unit, "name": "乙"}, api.account("unit", unit)),
                 403)  # fmt: skip
    person = ok(api.post(PERSONS, {"unit_code": unit, "name": NAME}, inspector), 201)["id"]
    finding = api.finding(inspector, unit)["id"]
    taken = {"unit_code": unit, "name": "丙", "person_id": finding}  # a finding's id
    error = assert_error(api.post(PERSONS, taken, inspector), 409, "already_exists")
    assert error["message"] == f"the id {finding} is already taken", "not called a person's"
    both = {"subject": {"unit_code": unit, "person_id": person, "person": {"name": NAME}},
            "finding_ids": [finding], "form": "admonishment", "basis": "条例",
            "facts": "事实"}  # fmt: skip
    assert_error(api.post(f"{RULINGS}/accountability", both, inspector), 422, "invalid_value")
    unknown = {**both, "subject": {"unit_code": unit, "person_id": ADMIN_LIKE_ID}}
    assert_error(
        api.post(f"{RULINGS}/accountability", unknown, inspector), 422, "unknown_reference"
    )
    ruling = tolerance(api, inspector, unit, person)
    namesake = ok(api.post(PERSONS, {"unit_code": unit, "name": NAME}, inspector), 201)["id"]
    theirs = {"subject": {"unit_code": unit, "person_id": namesake}, "form": "admonishment"}
    shared = ok(api.get(f"{RULINGS}/{ruling}", authority))["finding_ids"]
    proposal = api.accountability(inspector, unit, shared, **theirs)["id"]
    paired = api.post(f"{RULINGS}/{ruling}/pairing", {"accountability_ruling_id": proposal},
                      inspector)  # fmt: skip
    assert "persons" in assert_error(paired, 422, "invalid_value")["message"], "one name, two"
    assert_error(api.post(f"{PERSONS}/{person}/transfer", {"unit_code": unit, "reason": "x",
                 "effective_on": "2026-01-01"}, inspector), 422, "invalid_value")  # fmt: skip

    api.decided(authority, ruling, EXEMPT)
    served = {"served_on": "2026-03-02", "served_to": NAME}
    service = ok(api.post(f"{RULINGS}/{ruling}/service", served, authority))
    subject = ok(api.get(f"{PERSONS}/{person}", authority))["subject_id"]
    shredded = ok(api.post(f"/api/v1/privacy/subjects/{subject}/shred", None, ADMIN))
    assert shredded["rulings"] == [ruling], "the person's key seals every ruling naming them"
    gone = ok(api.get(f"{PERSONS}/{person}", authority))
    assert (gone["name"], gone["erased"]) == ("[已删除]", True)
    erased = ok(api.get(f"{RULINGS}/{ruling}", authority))
    assert erased["subject"]["person"]["name"] == "[已删除]"
    assert erased["service"]["served_to"] == "[已删除]", "受送达人 erased with the person"
    lines = all_items(api, f"/api/v1/units/{unit}/history", authority,
                      min_position=service["position"])  # fmt: skip
    assert any("送达" in h["summary"] for h in lines)
    assert not [h for h in lines if NAME in h["summary"]], "no line names the person"
    named = {"subject": {"unit_code": unit, "person_id": person}}
    refused = api.post(f"{RULINGS}/fault-tolerance", {**named, "finding_ids": [finding],
                       "grounds": "试点", "criteria_claimed": []}, inspector)  # fmt: skip
    assert "erased" in assert_error(refused, 422, "unknown_reference")["message"]
    other = api.unit("县统计局（名录）")
    late = {"unit_code": other, "reason": f"{NAME}同志调任统计局", "effective_on": "2026-03-03"}
    moved = assert_error(api.post(f"{PERSONS}/{person}/transfer", late, inspector), 409)
    assert moved["code"] == "invalid_transition" and "erased" in moved["message"]
    with shared_services.database.connection() as conn:
        rows = conn.execute(
            "SELECT state FROM supervision_events WHERE originator_id = %s", (person,)
        ).fetchall()
    assert all(NAME.encode() not in bytes(r[0]) for r in rows), "nothing unsealed names them"


ADMIN_LIKE_ID = "00000000-0000-4000-8000-00000000abcd"


def named_case(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, outcome: str
) -> tuple[str, str, str]:
    """A new person of `unit`, a finding, a tolerance ruling on it decided `outcome`, and an
    accountability proposal on the same finding (unpaired): person, tolerance, proposal."""
    person = ok(api.post(PERSONS, {"unit_code": unit, "name": f"{outcome}的当事人"}, inspector),
                201)["id"]  # fmt: skip
    finding = api.finding(inspector, unit)["id"]
    named = {"subject": {"unit_code": unit, "person_id": person}}
    applied = api.ruling("fault-tolerance", inspector, unit, [finding], **named)["id"]
    met = [] if outcome == "denied" else EXEMPT["criteria_met"]
    api.decided(authority, applied, EXEMPT | {"outcome": outcome, "criteria_met": met})
    proposal = api.accountability(inspector, unit, [finding], **named)["id"]
    return person, applied, proposal


def test_a_persons_tolerance_on_a_case_ends_or_bounds_its_accountability_unpaired(
    api: Api, inspector: dict[str, str], authority: dict[str, str]
) -> None:
    """容错认定在先 without a pairing, for persons of the register: 免责 on a case's finding
    closes an accountability proposal on it (免予问责) when it comes to be decided; 从轻
    leaves only the lighter forms, at the decision and on appeal; and an upheld appeal of the
    从轻 is not 屡错屡犯 because of the accountability that came after it."""
    unit = api.unit("县交通局（名录）")
    _, exempted, closed = named_case(api, inspector, authority, unit, "exempted")
    decision = {"form": "admonishment", "reasoning": "问责", "decided_on": "2026-03-05"}
    api.decided(authority, closed, decision)
    shown = ok(api.get(f"{RULINGS}/{closed}", authority))
    assert shown["status"] == "closed", "免予问责 rather than a decision"
    last = ok(api.get(f"{RULINGS}/{closed}/events", authority))["items"][-1]
    assert (last["event_type"], last["data"]["tolerance_ruling_id"]) == ("Closed", exempted)

    person, mitigated, proposal = named_case(api, inspector, authority, unit, "mitigated")
    heavy = decision | {"form": "organisational_adjustment", "measure": "reassignment"}
    refused = api.post(f"{RULINGS}/{proposal}/decision", heavy, authority)
    assert_error(refused, 422, "form_exceeds_mitigation")
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["status"] == "proposed"
    api.decided(authority, proposal, decision)  # 诫勉: lighter
    ok(api.post(f"{RULINGS}/{proposal}/appeal", {"grounds": "过重"}, inspector))
    harsher = {
        "result": "modified",
        "reasoning": "改为组织调整",
        "form": "organisational_adjustment",
    }
    escalated = api.post(f"{RULINGS}/{proposal}/appeal-decision", harsher, authority)
    assert_error(escalated, 422, "form_exceeds_mitigation")

    ok(api.post(f"{RULINGS}/{mitigated}/appeal", {"grounds": "应予免责"}, inspector))
    upheld = {"result": "upheld", "reasoning": "维持从轻"}
    ok(api.post(f"{RULINGS}/{mitigated}/appeal-decision", upheld, authority))
    record = ok(api.get(f"{PERSONS}/{person}", authority))["record"]
    assert [(r["ruling_id"], r["appeal"]) for r in record] == [(mitigated, "upheld"),
                                                              (proposal, None)]  # fmt: skip


def test_a_tolerance_appeal_cannot_undercut_a_decided_accountability_on_its_case(
    api: Api, inspector: dict[str, str], authority: dict[str, str]
) -> None:
    """Unpaired, for a person of the register: a 不予容错 later changed on appeal to 免责
    would leave the accountability decided on the same case resting on nothing, so it is
    refused (409 paired_ruling_decided), as for a pair; and the accountability ruling's own
    appeal may still revoke it, whatever stands on the case."""
    unit = api.unit("县水利局（名录）")
    _, denied, proposal = named_case(api, inspector, authority, unit, "denied")
    adjusted = {"form": "organisational_adjustment", "measure": "demotion"}
    api.decided(authority, proposal, adjusted | {"reasoning": "问责", "decided_on": "2026-03-05"})
    ok(api.post(f"{RULINGS}/{denied}/appeal", {"grounds": "应予免责"}, inspector))
    granted = {"result": "modified", "reasoning": "改为免责", "outcome": "exempted",
               "criteria_met": ["pilot_inexperience"]}  # fmt: skip
    error = assert_error(
        api.post(f"{RULINGS}/{denied}/appeal-decision", granted, authority),
        409,
        "paired_ruling_decided",
    )
    assert error["details"] == {"accountability_ruling_id": proposal}
    assert ok(api.get(f"{RULINGS}/{denied}", authority))["status"] == "appealed"

    ok(api.post(f"{RULINGS}/{proposal}/appeal", {"grounds": "不服"}, inspector))
    revoked = {"result": "revoked", "reasoning": "撤销问责决定"}
    ok(api.post(f"{RULINGS}/{proposal}/appeal-decision", revoked, authority))
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["status"] == "revoked"
    # With the accountability revoked, the tolerance may now be granted on its appeal.
    ok(api.post(f"{RULINGS}/{denied}/appeal-decision", granted, authority))
