"""Rulings: accountability (问责) and fault tolerance (容错免责), decided by an authority."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from tests.e2e.helpers import FINDINGS, all_items, assert_error, no_server_errors, ok
from tests.support import ADMIN, Api, account_fixture, unit_fixture

__all__ = ["no_server_errors"]

RULINGS = "/api/v1/rulings"
UNITS = "/api/v1/units"
PERSON = {"name": "张志强", "position": "副局长"}
MISSING = "00000000-0000-4000-8000-000000000000"


inspector = account_fixture("inspector", "督查员 刘洋")
authority = account_fixture("authority", "县纪委监委")
unit = unit_fixture("县市场监督管理局")


# -- steps ---------------------------------------------------------------------------------------


def accountability(
    unit: str, finding_ids: list[str] | None = None, form: str = "circulated_criticism"
) -> dict[str, Any]:
    return {
        "subject": {"unit_code": unit, "person": PERSON},
        "finding_ids": finding_ids or [],
        "form": form,
        "basis": "《中国共产党问责条例》第七条",
        "facts": "对食品安全专项整治工作推进不力，造成不良影响。",
    }


def tolerance(unit: str, finding_ids: list[str] | None = None) -> dict[str, Any]:
    return {
        "subject": {"unit_code": unit, "person": PERSON},
        "finding_ids": finding_ids or [],
        "grounds": "在营商环境改革先行先试中因缺乏经验出现失误，未谋取私利。",
        "criteria_claimed": ["pilot_inexperience", "no_personal_gain"],
    }


def propose(api: Api, who: dict[str, str], unit: str, **kw: Any) -> str:
    rid: str = ok(api.post(f"{RULINGS}/accountability", accountability(unit, **kw), who), 201)["id"]
    return rid


def apply(api: Api, who: dict[str, str], unit: str, **kw: Any) -> str:
    rid: str = ok(api.post(f"{RULINGS}/fault-tolerance", tolerance(unit, **kw), who), 201)["id"]
    return rid


def act(api: Api, who: dict[str, str], rid: str, verb: str, body: dict[str, Any]) -> Response:
    return api.post(f"{RULINGS}/{rid}/{verb}", body, who)


def verify(api: Api, who: dict[str, str], rid: str) -> Response:
    return act(api, who, rid, "verification", {"comment": "经调查核实，情况属实"})


def decide_form(
    api: Api, who: dict[str, str], rid: str, form: str = "admonishment", on: str = "2026-04-10"
) -> Response:
    body = {"form": form, "reasoning": "经集体研究，决定予以诫勉", "decided_on": on}
    return act(api, who, rid, "decision", body)


def decide_outcome(
    api: Api,
    who: dict[str, str],
    rid: str,
    outcome: str = "exempted",
    criteria: list[str] | None = None,
    on: str = "2026-04-12",
) -> Response:
    met = ["pilot_inexperience"] if criteria is None else criteria
    body = {"outcome": outcome, "criteria_met": met, "reasoning": "符合容错情形", "decided_on": on}
    return act(api, who, rid, "decision", body)


def appeal(api: Api, who: dict[str, str], rid: str) -> Response:
    return act(api, who, rid, "appeal", {"grounds": "认定事实不清，申请复核"})


def appeal_decision(
    api: Api, who: dict[str, str], rid: str, result: str = "upheld", **extra: Any
) -> Response:
    body = {"result": result, "reasoning": "经复核", **extra}
    return act(api, who, rid, "appeal-decision", body)


def publish(api: Api, who: dict[str, str], rid: str, summary: str = "某单位案例") -> Response:
    return act(api, who, rid, "publication", {"summary": summary, "tags": ["营商环境"]})


def ruling(api: Api, who: dict[str, str], rid: str) -> dict[str, Any]:
    return ok(api.get(f"{RULINGS}/{rid}", who))


def status_of(api: Api, who: dict[str, str], rid: str) -> str:
    status: str = ruling(api, who, rid)["status"]
    return status


def decided(
    api: Api, inspector: dict[str, str], authority: dict[str, str], kind: str, unit: str
) -> str:
    """A ruling of `kind` carried to `decided`."""
    if kind == "accountability":
        rid = propose(api, inspector, unit)
        ok(decide_form(api, authority, rid))
    else:
        rid = apply(api, inspector, unit)
        ok(decide_outcome(api, authority, rid))
    return rid


def listing(api: Api, who: dict[str, str], position: int, **filters: Any) -> list[dict[str, Any]]:
    return all_items(api, RULINGS, who, min_position=position, **filters)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


KINDS = ["accountability", "fault_tolerance"]


# -- accountability ------------------------------------------------------------------------------


def test_inspector_proposes_accountability_answering_201_with_status_proposed(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    body = accountability(unit, [fid])
    response = api.post(f"{RULINGS}/accountability", body, inspector)
    answer = ok(response, 201)
    assert answer["version"] == 1 and response.headers["ETag"] == '"1"'
    got = ruling(api, inspector, answer["id"])
    assert got["kind"] == "accountability"
    assert got["status"] == "proposed"
    assert got["subject"] == {"unit_code": unit, "person": PERSON}
    assert got["unit_code"] == unit
    assert got["finding_ids"] == [fid]
    assert got["form"] == "circulated_criticism"
    assert got["basis"] == "《中国共产党问责条例》第七条"
    assert got["facts"] == "对食品安全专项整治工作推进不力，造成不良影响。"
    assert got["decision"] is None and got["appeal"] is None and got["publication"] is None


@pytest.mark.parametrize("role", ["unit", "authority", "supervisor"])
def test_only_an_inspector_proposes_accountability(api: Api, unit: str, role: str) -> None:
    who = api.account(role, unit if role == "unit" else None)
    response = api.post(f"{RULINGS}/accountability", accountability(unit), who)
    assert_error(response, 403, "forbidden")


def test_verification_makes_an_accountability_proposal_verified(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    rid = propose(api, inspector, unit)
    ok(verify(api, inspector, rid))
    got = ruling(api, inspector, rid)
    assert got["status"] == "verified"
    assert got["verification"] == "经调查核实，情况属实"


def test_authority_decides_a_verified_accountability_ruling(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = propose(api, inspector, unit)
    ok(verify(api, inspector, rid))
    ok(decide_form(api, authority, rid, "admonishment", "2026-04-10"))
    got = ruling(api, inspector, rid)
    assert got["status"] == "decided"
    assert got["form"] == "admonishment"
    assert got["decision"] == {
        "form": "admonishment",
        "reasoning": "经集体研究，决定予以诫勉",
        "decided_on": "2026-04-10",
    }


def test_authority_may_decide_without_a_verification(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = propose(api, inspector, unit)
    ok(decide_form(api, authority, rid, "written_inspection"))
    got = ruling(api, inspector, rid)
    assert got["status"] == "decided" and got["form"] == "written_inspection"


def test_accountability_decision_with_an_outcome_instead_of_a_form_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = propose(api, inspector, unit)
    assert_error(decide_outcome(api, authority, rid), 422)
    assert status_of(api, inspector, rid) == "proposed"


def test_subject_units_account_appeals_a_decided_accountability_ruling(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, api.account("unit", unit), rid))
    got = ruling(api, inspector, rid)
    assert got["status"] == "appealed"
    assert got["appeal"]["grounds"] == "认定事实不清，申请复核"


def test_inspector_appeals_on_behalf_of_the_subject(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    assert status_of(api, inspector, rid) == "appealed"


def test_another_units_account_cannot_appeal(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    stranger = api.account("unit", api.unit("无关单位"))
    assert_error(appeal(api, stranger, rid), 404, "not_found")
    assert status_of(api, inspector, rid) == "decided"


def test_upheld_appeal_keeps_the_decided_form(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "upheld"))
    got = ruling(api, inspector, rid)
    assert got["status"] == "appeal_decided"
    assert got["form"] == "admonishment"
    assert got["appeal"]["result"] == "upheld"
    assert got["appeal"]["reasoning"] == "经复核"


def test_modified_appeal_sets_the_new_form(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "modified", form="written_inspection"))
    got = ruling(api, inspector, rid)
    assert got["status"] == "appeal_decided"
    assert got["form"] == "written_inspection"
    assert got["appeal"]["result"] == "modified"


def test_modified_accountability_appeal_without_a_form_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    assert_error(appeal_decision(api, authority, rid, "modified"), 422)
    assert status_of(api, inspector, rid) == "appealed"


def test_revoked_appeal_makes_the_ruling_revoked(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "revoked"))
    got = ruling(api, inspector, rid)
    assert got["status"] == "revoked"
    assert got["appeal"]["result"] == "revoked"


def test_accountability_ruling_passes_through_every_state_to_published(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    rid = propose(api, inspector, unit, finding_ids=[fid])
    seen = [status_of(api, inspector, rid)]
    steps = [
        lambda: verify(api, inspector, rid),
        lambda: decide_form(api, authority, rid, "circulated_criticism"),
        lambda: appeal(api, api.account("unit", unit), rid),
        lambda: appeal_decision(api, authority, rid, "modified", form="written_inspection"),
        lambda: publish(api, authority, rid, "某局食品安全整治推进不力问责案例"),
    ]
    for version, step in enumerate(steps, start=2):
        assert ok(step())["version"] == version
        seen.append(status_of(api, inspector, rid))
    assert seen == ["proposed", "verified", "decided", "appealed", "appeal_decided", "published"]
    got = ruling(api, inspector, rid)
    assert got["form"] == "written_inspection"
    assert got["decision"]["form"] == "circulated_criticism"
    assert got["appeal"] == {
        "grounds": "认定事实不清，申请复核",
        "result": "modified",
        "reasoning": "经复核",
    }
    assert got["publication"] == {
        "summary": "某局食品安全整治推进不力问责案例",
        "tags": ["营商环境"],
    }


# -- fault tolerance -----------------------------------------------------------------------------


def test_inspector_applies_for_fault_tolerance_answering_201_with_status_applied(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    response = api.post(f"{RULINGS}/fault-tolerance", tolerance(unit, [fid]), inspector)
    answer = ok(response, 201)
    got = ruling(api, inspector, answer["id"])
    assert got["kind"] == "fault_tolerance"
    assert got["status"] == "applied"
    assert got["subject"] == {"unit_code": unit, "person": PERSON}
    assert got["finding_ids"] == [fid]
    assert got["grounds"] == "在营商环境改革先行先试中因缺乏经验出现失误，未谋取私利。"
    assert got["criteria_claimed"] == ["pilot_inexperience", "no_personal_gain"]
    assert got["outcome"] is None and got["decision"] is None


def test_unit_applies_for_fault_tolerance_for_itself(api: Api, unit: str) -> None:
    own = api.account("unit", unit)
    rid = ok(api.post(f"{RULINGS}/fault-tolerance", tolerance(unit), own), 201)["id"]
    got = ruling(api, own, rid)
    assert got["status"] == "applied" and got["unit_code"] == unit


def test_unit_cannot_apply_for_fault_tolerance_for_another_unit(api: Api, unit: str) -> None:
    other = api.account("unit", api.unit("另一单位"))
    response = api.post(f"{RULINGS}/fault-tolerance", tolerance(unit), other)
    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize("role", ["authority", "supervisor", "admin"])
def test_only_an_inspector_or_a_unit_applies_for_fault_tolerance(
    api: Api, unit: str, role: str
) -> None:
    who = ADMIN if role == "admin" else api.account(role)
    response = api.post(f"{RULINGS}/fault-tolerance", tolerance(unit), who)
    assert_error(response, 403, "forbidden")


def test_unknown_criterion_claimed_is_refused(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    body = tolerance(unit)
    body["criteria_claimed"] = ["good_intentions"]
    assert_error(api.post(f"{RULINGS}/fault-tolerance", body, inspector), 422)


def test_exempted_decision_names_the_criteria_met(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = apply(api, inspector, unit)
    met = ["pilot_inexperience", "no_personal_gain"]
    ok(decide_outcome(api, authority, rid, "exempted", met, "2026-04-12"))
    got = ruling(api, inspector, rid)
    assert got["status"] == "decided"
    assert got["outcome"] == "exempted"
    assert got["criteria_met"] == met
    assert got["decision"] == {
        "outcome": "exempted",
        "criteria_met": met,
        "reasoning": "符合容错情形",
        "decided_on": "2026-04-12",
    }


def test_mitigated_decision_names_the_criteria_met(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = apply(api, inspector, unit)
    ok(decide_outcome(api, authority, rid, "mitigated", ["loss_remedied"]))
    got = ruling(api, inspector, rid)
    assert got["status"] == "decided"
    assert got["outcome"] == "mitigated" and got["criteria_met"] == ["loss_remedied"]


def test_denied_decision_names_no_criteria(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = apply(api, inspector, unit)
    ok(decide_outcome(api, authority, rid, "denied", []))
    got = ruling(api, inspector, rid)
    assert got["status"] == "decided"
    assert got["outcome"] == "denied" and got["criteria_met"] == []


@pytest.mark.parametrize("outcome", ["exempted", "mitigated"])
def test_exempted_or_mitigated_without_criteria_is_refused_with_422(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, outcome: str
) -> None:
    rid = apply(api, inspector, unit)
    assert_error(decide_outcome(api, authority, rid, outcome, []), 422)
    assert status_of(api, inspector, rid) == "applied"


def test_denied_with_criteria_is_refused_with_422(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = apply(api, inspector, unit)
    assert_error(decide_outcome(api, authority, rid, "denied", ["due_procedure"]), 422)
    assert status_of(api, inspector, rid) == "applied"


def test_fault_tolerance_decision_with_a_form_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = apply(api, inspector, unit)
    assert_error(decide_form(api, authority, rid), 422)
    assert status_of(api, inspector, rid) == "applied"


def test_modified_fault_tolerance_appeal_sets_the_new_outcome(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = apply(api, inspector, unit)
    ok(decide_outcome(api, authority, rid, "denied", []))
    ok(appeal(api, api.account("unit", unit), rid))
    response = appeal_decision(
        api, authority, rid, "modified", outcome="mitigated", criteria_met=["loss_remedied"]
    )
    ok(response)
    got = ruling(api, inspector, rid)
    assert got["status"] == "appeal_decided"
    assert got["outcome"] == "mitigated" and got["criteria_met"] == ["loss_remedied"]
    assert got["appeal"]["result"] == "modified"


def test_fault_tolerance_ruling_passes_through_every_state_to_published(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    own = api.account("unit", unit)
    rid = ok(api.post(f"{RULINGS}/fault-tolerance", tolerance(unit), own), 201)["id"]
    seen = [status_of(api, inspector, rid)]
    steps = [
        lambda: verify(api, inspector, rid),
        lambda: decide_outcome(api, authority, rid, "mitigated", ["due_procedure"]),
        lambda: appeal(api, own, rid),
        lambda: appeal_decision(api, authority, rid, "upheld"),
        lambda: publish(api, authority, rid, "某局先行先试容错案例"),
    ]
    for version, step in enumerate(steps, start=2):
        assert ok(step())["version"] == version
        seen.append(status_of(api, inspector, rid))
    assert seen == ["applied", "verified", "decided", "appealed", "appeal_decided", "published"]
    got = ruling(api, inspector, rid)
    assert got["outcome"] == "mitigated"
    assert got["decision"]["criteria_met"] == ["due_procedure"]
    assert got["appeal"]["result"] == "upheld"
    assert got["publication"] == {"summary": "某局先行先试容错案例", "tags": ["营商环境"]}


# -- only the authority decides --------------------------------------------------------------------


def in_state(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, kind: str, step: str
) -> str:
    """A ruling ready for `step`: proposed/applied, appealed, or decided."""
    if step == "decision":
        return (
            propose(api, inspector, unit)
            if kind == "accountability"
            else apply(api, inspector, unit)
        )
    rid: str = decided(api, inspector, authority, kind, unit)
    if step == "appeal-decision":
        ok(appeal(api, inspector, rid))
    return rid


def step_body(kind: str, step: str) -> dict[str, Any]:
    if step == "decision" and kind == "accountability":
        return {"form": "admonishment", "reasoning": "越权决定", "decided_on": "2026-04-10"}
    if step == "decision":
        return {
            "outcome": "exempted",
            "criteria_met": ["pilot_inexperience"],
            "reasoning": "越权决定",
            "decided_on": "2026-04-10",
        }
    if step == "appeal-decision":
        return {"result": "revoked", "reasoning": "越权复核"}
    return {"summary": "越权发布", "tags": []}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", ["decision", "appeal-decision", "publication"])
@pytest.mark.parametrize("role", ["inspector", "admin", "supervisor", "auditor", "unit"])
def test_only_the_authority_decides_appeals_and_publishes(
    api: Api,
    inspector: dict[str, str],
    authority: dict[str, str],
    unit: str,
    kind: str,
    step: str,
    role: str,
) -> None:
    rid = in_state(api, inspector, authority, unit, kind, step)
    before = ruling(api, inspector, rid)
    who = {"admin": ADMIN, "inspector": inspector}.get(role) or api.account(
        role, unit if role == "unit" else None
    )
    assert_error(act(api, who, rid, step, step_body(kind, step)), 403, "forbidden")
    after = ruling(api, inspector, rid)
    assert after["status"] == before["status"] and after["version"] == before["version"]


# -- linked findings -----------------------------------------------------------------------------


def create(api: Api, who: dict[str, str], kind: str, unit: str, finding_ids: list[str]) -> Response:
    if kind == "accountability":
        return api.post(f"{RULINGS}/accountability", accountability(unit, finding_ids), who)
    return api.post(f"{RULINGS}/fault-tolerance", tolerance(unit, finding_ids), who)


@pytest.mark.parametrize("kind", KINDS)
def test_linking_an_unknown_finding_is_refused_with_422(
    api: Api, inspector: dict[str, str], unit: str, kind: str
) -> None:
    assert_error(create(api, inspector, kind, unit, [MISSING]), 422)


@pytest.mark.parametrize("kind", KINDS)
def test_linking_another_units_finding_is_refused_with_422(
    api: Api, inspector: dict[str, str], unit: str, kind: str
) -> None:
    other = api.unit("县生态环境局", "department")
    own = api.finding(inspector, unit)["id"]
    theirs = api.finding(inspector, other)["id"]
    assert_error(create(api, inspector, kind, unit, [own, theirs]), 422)


@pytest.mark.parametrize("kind", KINDS)
def test_linking_a_finding_of_a_unit_merged_into_the_subject_is_accepted(
    api: Api, inspector: dict[str, str], unit: str, kind: str
) -> None:
    old = api.unit("县工商行政管理局", "department")
    theirs = api.finding(inspector, old)["id"]
    body = {"into": unit, "reason": "机构改革合并", "effective_on": "2026-02-01"}
    ok(api.post(f"{UNITS}/{old}/merger", body, ADMIN))
    rid = ok(create(api, inspector, kind, unit, [theirs]), 201)["id"]
    got = ruling(api, inspector, rid)
    assert got["finding_ids"] == [theirs] and got["unit_code"] == unit


# -- refused transitions -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_second_appeal_after_the_appeal_decision_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, kind: str
) -> None:
    rid = decided(api, inspector, authority, kind, unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "upheld"))
    error = assert_error(appeal(api, api.account("unit", unit), rid), 409, "invalid_transition")
    assert error["details"]["status"] == "appeal_decided"
    assert status_of(api, inspector, rid) == "appeal_decided"


def test_a_second_appeal_while_the_first_is_pending_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    assert_error(appeal(api, inspector, rid), 409, "invalid_transition")


def test_appeal_before_a_decision_is_refused(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    rid = propose(api, inspector, unit)
    error = assert_error(appeal(api, inspector, rid), 409, "invalid_transition")
    assert error["details"]["status"] == "proposed"


@pytest.mark.parametrize("kind", KINDS)
def test_publishing_before_a_decision_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, kind: str
) -> None:
    rid = propose(api, inspector, unit) if kind == "accountability" else apply(api, inspector, unit)
    before = status_of(api, inspector, rid)
    error = assert_error(publish(api, authority, rid), 409, "invalid_transition")
    assert error["details"]["status"] == before
    assert status_of(api, inspector, rid) == before


def test_publishing_while_an_appeal_is_pending_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "fault_tolerance", unit)
    ok(appeal(api, inspector, rid))
    error = assert_error(publish(api, authority, rid), 409, "invalid_transition")
    assert error["details"]["status"] == "appealed"


@pytest.mark.parametrize("kind", KINDS)
def test_deciding_a_revoked_ruling_is_refused_with_its_status(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, kind: str
) -> None:
    rid = decided(api, inspector, authority, kind, unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "revoked"))
    again = (
        decide_form(api, authority, rid)
        if kind == "accountability"
        else decide_outcome(api, authority, rid)
    )
    error = assert_error(again, 409, "invalid_transition")
    assert error["details"]["status"] == "revoked"
    assert status_of(api, inspector, rid) == "revoked"


def test_publishing_a_revoked_ruling_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "revoked"))
    error = assert_error(publish(api, authority, rid), 409, "invalid_transition")
    assert error["details"]["status"] == "revoked"


def test_deciding_twice_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    error = assert_error(decide_form(api, authority, rid, "reorganisation"), 409)
    assert error["code"] == "invalid_transition" and error["details"]["status"] == "decided"
    assert ruling(api, inspector, rid)["form"] == "admonishment"


def test_verifying_a_decided_ruling_is_refused(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "fault_tolerance", unit)
    assert_error(verify(api, inspector, rid), 409, "invalid_transition")


def test_commands_on_an_unknown_ruling_are_not_found(api: Api, authority: dict[str, str]) -> None:
    assert_error(decide_form(api, authority, MISSING), 404, "not_found")
    assert_error(api.get(f"{RULINGS}/{MISSING}", authority), 404, "not_found")


# -- reads ---------------------------------------------------------------------------------------


def test_ruling_read_shows_status_decision_appeal_and_publication(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "fault_tolerance", unit)
    ok(appeal(api, inspector, rid))
    ok(appeal_decision(api, authority, rid, "upheld"))
    ok(publish(api, authority, rid, "容错案例摘要"))
    response = api.get(f"{RULINGS}/{rid}", api.account("supervisor"))
    got = ok(response)
    assert response.headers["ETag"] == f'"{got["version"]}"' and got["version"] == 5
    assert got["status"] == "published"
    assert got["decision"]["outcome"] == "exempted"
    assert got["decision"]["decided_on"] == "2026-04-12"
    assert got["appeal"] == {
        "grounds": "认定事实不清，申请复核",
        "result": "upheld",
        "reasoning": "经复核",
    }
    assert got["publication"] == {"summary": "容错案例摘要", "tags": ["营商环境"]}


def test_another_units_account_cannot_read_the_ruling(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    rid = propose(api, inspector, unit)
    stranger = api.account("unit", api.unit("无关单位"))
    assert_error(api.get(f"{RULINGS}/{rid}", stranger), 404, "not_found")
    assert ruling(api, api.account("unit", unit), rid)["id"] == rid


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("accountability", "accountability"),
        ("fault_tolerance", "fault_tolerance"),
        ("fault-tolerance", "fault_tolerance"),
    ],
)
def test_list_filters_by_kind(
    api: Api, inspector: dict[str, str], unit: str, kind: str, expected: str
) -> None:
    made = {"accountability": propose(api, inspector, unit)}
    made["fault_tolerance"] = rid = apply(api, inspector, unit)
    last = ok(verify(api, inspector, rid))["position"]
    items = listing(api, inspector, last, unit_code=unit, kind=kind)
    assert ids(items) == {made[expected]}
    assert {i["kind"] for i in items} == {expected}


def test_unknown_kind_filter_is_refused_with_422(api: Api, inspector: dict[str, str]) -> None:
    assert_error(api.get(RULINGS, inspector, kind="praise"), 422)


def test_list_filters_by_unit(api: Api, inspector: dict[str, str], unit: str) -> None:
    other = api.unit("县统计局", "department")
    mine = {propose(api, inspector, unit), apply(api, inspector, unit)}
    theirs = propose(api, inspector, other)
    last = ok(verify(api, inspector, theirs))["position"]
    assert ids(listing(api, inspector, last, unit_code=unit)) == mine
    assert ids(listing(api, inspector, last, unit_code=other)) == {theirs}


def test_list_filters_by_status(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    proposed = propose(api, inspector, unit)
    applied = apply(api, inspector, unit)
    decided_id = propose(api, inspector, unit)
    last = ok(decide_form(api, authority, decided_id))["position"]
    assert ids(listing(api, inspector, last, unit_code=unit, status="decided")) == {decided_id}
    assert ids(listing(api, inspector, last, unit_code=unit, status="proposed")) == {proposed}
    assert ids(listing(api, inspector, last, unit_code=unit, status="applied")) == {applied}


def test_list_row_follows_the_ruling_to_published(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    rid = decided(api, inspector, authority, "accountability", unit)
    last = ok(publish(api, authority, rid))["position"]
    (row,) = listing(api, inspector, last, unit_code=unit)
    assert row["id"] == rid and row["status"] == "published"
    assert row["kind"] == "accountability" and row["unit_code"] == unit


def test_unit_accounts_list_holds_only_its_own_units_rulings(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    other = api.unit("县人社局", "department")
    mine = propose(api, inspector, unit)
    theirs = propose(api, inspector, other)
    last = ok(verify(api, inspector, theirs))["position"]
    own = api.account("unit", unit)
    assert ids(listing(api, own, last)) == {mine}
    assert listing(api, own, last, unit_code=other) == []


def test_ruling_events_are_oldest_first_with_their_actors(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    own = api.account("unit", unit, name="市场监管局联络员")
    rid = propose(api, inspector, unit)
    ok(verify(api, inspector, rid))
    ok(decide_form(api, authority, rid))
    ok(appeal(api, own, rid))
    ok(appeal_decision(api, authority, rid, "upheld"))
    ok(publish(api, authority, rid))
    items = ok(api.get(f"{RULINGS}/{rid}/events", inspector))["items"]
    assert [e["version"] for e in items] == [1, 2, 3, 4, 5, 6]
    assert [e["event_type"] for e in items] == [
        "Proposed",
        "Verified",
        "Decided",
        "Appealed",
        "AppealDecided",
        "Published",
    ]
    assert [(e["actor"]["role"], e["actor"]["name"]) for e in items] == [
        ("inspector", "督查员 刘洋"),
        ("inspector", "督查员 刘洋"),
        ("authority", "县纪委监委"),
        ("unit", "市场监管局联络员"),
        ("authority", "县纪委监委"),
        ("authority", "县纪委监委"),
    ]
    times = [e["recorded_at"] for e in items]
    assert times == sorted(times)


def test_ruling_events_appear_on_the_linked_findings_timeline(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str
) -> None:
    fid = api.finding(inspector, unit)["id"]
    other_fid = api.finding(inspector, unit)["id"]
    rid = apply(api, inspector, unit, finding_ids=[fid])
    last = ok(decide_outcome(api, authority, rid, "mitigated", ["loss_remedied"]))["position"]
    items = ok(api.get(f"{FINDINGS}/{fid}/timeline", inspector, min_position=last))["items"]
    ruling_events = [i for i in items if i["aggregate_id"] == rid]
    assert [e["event_type"] for e in ruling_events] == ["Applied", "Decided"]
    assert items[0]["aggregate_id"] == fid and items[0]["event_type"] == "Raised"
    times = [i["recorded_at"] for i in items]
    assert times == sorted(times)
    other = ok(api.get(f"{FINDINGS}/{other_fid}/timeline", inspector, min_position=last))
    assert all(i["aggregate_id"] != rid for i in other["items"])
