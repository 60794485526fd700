"""Rulings: accountability (问责) and fault tolerance (容错免责), decided by an authority."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response

from tests.e2e.helpers import FINDINGS, all_items, assert_error, ok
from tests.support import ADMIN, Api, account_fixture, cases, unit_fixture

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


KINDS = ["accountability", "fault_tolerance"]
OPENING = {"accountability": "accountability", "fault_tolerance": "fault-tolerance"}


@dataclass
class Desk:
    """The rulings on one unit, as its inspector brings them and the authority decides them: each
    step is done by the role that does it, unless `who` names another account."""

    api: Api
    inspector: dict[str, str]
    authority: dict[str, str]
    unit: str

    def create(
        self, kind: str, finding_ids: list[str] | None = None, who: dict[str, str] | None = None
    ) -> Response:
        """Propose an accountability ruling, or apply for fault tolerance."""
        body = accountability if kind == "accountability" else tolerance
        path = f"{RULINGS}/{OPENING[kind]}"
        return self.api.post(path, body(self.unit, finding_ids), who or self.inspector)

    def opened(
        self, kind: str, finding_ids: list[str] | None = None, who: dict[str, str] | None = None
    ) -> str:
        """A new ruling of `kind`: proposed (accountability) or applied (fault tolerance)."""
        rid: str = ok(self.create(kind, finding_ids, who), 201)["id"]
        return rid

    def propose(self, **kw: Any) -> str:
        return self.opened("accountability", **kw)

    def apply(self, **kw: Any) -> str:
        return self.opened("fault_tolerance", **kw)

    def in_state(self, kind: str, state: str) -> str:
        """A ruling of `kind` carried to `state`: opened, decided (with the default form or
        outcome), appealed (by the inspector), appeal_decided (upheld) or revoked."""
        rid = self.opened(kind)
        if state != "opened":
            ok(self.decide(kind, rid))
        if state in ("appealed", "appeal_decided", "revoked"):
            ok(self.appeal(rid))
        if state in ("appeal_decided", "revoked"):
            ok(self.appeal_decision(rid, "revoked" if state == "revoked" else "upheld"))
        return rid

    def act(self, who: dict[str, str], rid: str, verb: str, body: dict[str, Any]) -> Response:
        return self.api.post(f"{RULINGS}/{rid}/{verb}", body, who)

    def verify(self, rid: str) -> Response:
        return self.act(self.inspector, rid, "verification", {"comment": "经调查核实，情况属实"})

    def decide(self, kind: str, rid: str) -> Response:
        """The decision of the kind's default form or outcome."""
        return self.decide_form(rid) if kind == "accountability" else self.decide_outcome(rid)

    def decide_form(self, rid: str, form: str = "admonishment", on: str = "2026-04-10") -> Response:
        body = {"form": form, "reasoning": "经集体研究，决定予以诫勉", "decided_on": on}
        return self.act(self.authority, rid, "decision", body)

    def decide_outcome(
        self,
        rid: str,
        outcome: str = "exempted",
        criteria: list[str] | None = None,
        on: str = "2026-04-12",
    ) -> Response:
        met = ["pilot_inexperience"] if criteria is None else criteria
        body = {
            "outcome": outcome,
            "criteria_met": met,
            "reasoning": "符合容错情形",
            "decided_on": on,
        }
        return self.act(self.authority, rid, "decision", body)

    def appeal(self, rid: str, who: dict[str, str] | None = None) -> Response:
        body = {"grounds": "认定事实不清，申请复核"}
        return self.act(who or self.inspector, rid, "appeal", body)

    def appeal_decision(self, rid: str, result: str = "upheld", **extra: Any) -> Response:
        body = {"result": result, "reasoning": "经复核", **extra}
        return self.act(self.authority, rid, "appeal-decision", body)

    def publish(self, rid: str, summary: str = "某单位案例") -> Response:
        body = {"summary": summary, "tags": ["营商环境"]}
        return self.act(self.authority, rid, "publication", body)

    def ruling(self, rid: str, who: dict[str, str] | None = None) -> dict[str, Any]:
        return ok(self.api.get(f"{RULINGS}/{rid}", who or self.inspector))

    def walk(self, rid: str, *steps: Callable[[], Response]) -> list[str]:
        """Take the steps in turn on a new ruling (version 1), each answering the next version:
        the statuses seen, the first included."""
        seen = [self.status(rid)]
        for version, step in enumerate(steps, start=2):
            assert ok(step())["version"] == version
            seen.append(self.status(rid))
        return seen

    def status(self, rid: str) -> str:
        status: str = self.ruling(rid)["status"]
        return status

    def account(self, role: str) -> dict[str, str]:
        """The administrator, the desk's inspector, or a new account of `role` (a unit account
        belongs to the subject unit)."""
        if role == "admin":
            return ADMIN
        if role == "inspector":
            return self.inspector
        return self.api.account(role, self.unit if role == "unit" else None)

    def stranger(self) -> dict[str, str]:
        """The account of a unit that has nothing to do with the desk's rulings."""
        return self.api.account("unit", self.api.unit("无关单位"))

    def listing(
        self, position: int, who: dict[str, str] | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        """The ruling list as of `position`, with the given filters."""
        return all_items(self.api, RULINGS, who or self.inspector, min_position=position, **filters)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


@pytest.fixture
def desk(api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str) -> Desk:
    return Desk(api, inspector, authority, unit)


# -- accountability ------------------------------------------------------------------------------


def test_inspector_proposes_accountability_answering_201_with_status_proposed(desk: Desk) -> None:
    fid = desk.api.finding(desk.inspector, desk.unit)["id"]
    response = desk.create("accountability", [fid])
    answer = ok(response, 201)
    assert answer["version"] == 1 and response.headers["ETag"] == '"1"'
    got = desk.ruling(answer["id"])
    assert got["kind"] == "accountability"
    assert got["status"] == "proposed"
    assert got["subject"] == {"unit_code": desk.unit, "person": PERSON}
    assert got["unit_code"] == desk.unit
    assert got["finding_ids"] == [fid]
    assert got["form"] == "circulated_criticism"
    assert got["basis"] == "《中国共产党问责条例》第七条"
    assert got["facts"] == "对食品安全专项整治工作推进不力，造成不良影响。"
    assert got["decision"] is None and got["appeal"] is None and got["publication"] is None


@pytest.mark.parametrize("role", ["unit", "authority", "supervisor"])
def test_only_an_inspector_proposes_accountability(desk: Desk, role: str) -> None:
    who = desk.api.account(role, desk.unit if role == "unit" else None)
    assert_error(desk.create("accountability", who=who), 403, "forbidden")


def test_verification_makes_an_accountability_proposal_verified(desk: Desk) -> None:
    rid = desk.propose()
    ok(desk.verify(rid))
    got = desk.ruling(rid)
    assert got["status"] == "verified"
    assert got["verification"] == "经调查核实，情况属实"


def test_authority_decides_a_verified_accountability_ruling(desk: Desk) -> None:
    rid = desk.propose()
    ok(desk.verify(rid))
    ok(desk.decide_form(rid, "admonishment", "2026-04-10"))
    got = desk.ruling(rid)
    assert got["status"] == "decided"
    assert got["form"] == "admonishment"
    assert got["decision"] == {
        "form": "admonishment",
        "reasoning": "经集体研究，决定予以诫勉",
        "decided_on": "2026-04-10",
    }


def test_authority_may_decide_without_a_verification(desk: Desk) -> None:
    rid = desk.propose()
    ok(desk.decide_form(rid, "written_inspection"))
    got = desk.ruling(rid)
    assert got["status"] == "decided" and got["form"] == "written_inspection"


def test_subject_units_account_appeals_a_decided_accountability_ruling(desk: Desk) -> None:
    rid = desk.in_state("accountability", "decided")
    ok(desk.appeal(rid, desk.account("unit")))
    got = desk.ruling(rid)
    assert got["status"] == "appealed"
    assert got["appeal"]["grounds"] == "认定事实不清，申请复核"


def test_inspector_appeals_on_behalf_of_the_subject(desk: Desk) -> None:
    rid = desk.in_state("accountability", "decided")
    ok(desk.appeal(rid))
    assert desk.status(rid) == "appealed"


def test_another_units_account_cannot_appeal(desk: Desk) -> None:
    rid = desk.in_state("accountability", "decided")
    assert_error(desk.appeal(rid, desk.stranger()), 404, "not_found")
    assert desk.status(rid) == "decided"


def test_upheld_appeal_keeps_the_decided_form(desk: Desk) -> None:
    rid = desk.in_state("accountability", "appeal_decided")
    got = desk.ruling(rid)
    assert got["status"] == "appeal_decided"
    assert got["form"] == "admonishment"
    assert got["appeal"]["result"] == "upheld"
    assert got["appeal"]["reasoning"] == "经复核"


def test_modified_appeal_sets_the_new_form(desk: Desk) -> None:
    rid = desk.in_state("accountability", "appealed")
    ok(desk.appeal_decision(rid, "modified", form="written_inspection"))
    got = desk.ruling(rid)
    assert got["status"] == "appeal_decided"
    assert got["form"] == "written_inspection"
    assert got["appeal"]["result"] == "modified"


def test_revoked_appeal_makes_the_ruling_revoked(desk: Desk) -> None:
    rid = desk.in_state("accountability", "revoked")
    got = desk.ruling(rid)
    assert got["status"] == "revoked"
    assert got["appeal"]["result"] == "revoked"


def test_accountability_ruling_passes_through_every_state_to_published(desk: Desk) -> None:
    fid = desk.api.finding(desk.inspector, desk.unit)["id"]
    rid = desk.propose(finding_ids=[fid])
    seen = desk.walk(
        rid,
        lambda: desk.verify(rid),
        lambda: desk.decide_form(rid, "circulated_criticism"),
        lambda: desk.appeal(rid, desk.account("unit")),
        lambda: desk.appeal_decision(rid, "modified", form="written_inspection"),
        lambda: desk.publish(rid, "某局食品安全整治推进不力问责案例"),
    )
    assert seen == ["proposed", "verified", "decided", "appealed", "appeal_decided", "published"]
    got = desk.ruling(rid)
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
    desk: Desk,
) -> None:
    fid = desk.api.finding(desk.inspector, desk.unit)["id"]
    got = desk.ruling(desk.apply(finding_ids=[fid]))
    assert got["kind"] == "fault_tolerance"
    assert got["status"] == "applied"
    assert got["subject"] == {"unit_code": desk.unit, "person": PERSON}
    assert got["finding_ids"] == [fid]
    assert got["grounds"] == "在营商环境改革先行先试中因缺乏经验出现失误，未谋取私利。"
    assert got["criteria_claimed"] == ["pilot_inexperience", "no_personal_gain"]
    assert got["outcome"] is None and got["decision"] is None


def test_unit_applies_for_fault_tolerance_for_itself(desk: Desk) -> None:
    own = desk.account("unit")
    got = desk.ruling(desk.apply(who=own), own)
    assert got["status"] == "applied" and got["unit_code"] == desk.unit


def test_unit_cannot_apply_for_fault_tolerance_for_another_unit(desk: Desk) -> None:
    other = desk.api.account("unit", desk.api.unit("另一单位"))
    assert_error(desk.create("fault_tolerance", who=other), 403, "forbidden")


@pytest.mark.parametrize("role", ["authority", "supervisor", "admin"])
def test_only_an_inspector_or_a_unit_applies_for_fault_tolerance(desk: Desk, role: str) -> None:
    who = ADMIN if role == "admin" else desk.api.account(role)
    assert_error(desk.create("fault_tolerance", who=who), 403, "forbidden")


def test_unknown_criterion_claimed_is_refused(desk: Desk) -> None:
    body = tolerance(desk.unit)
    body["criteria_claimed"] = ["good_intentions"]
    assert_error(desk.api.post(f"{RULINGS}/fault-tolerance", body, desk.inspector), 422)


def test_exempted_decision_names_the_criteria_met(desk: Desk) -> None:
    rid = desk.apply()
    met = ["pilot_inexperience", "no_personal_gain"]
    ok(desk.decide_outcome(rid, "exempted", met, "2026-04-12"))
    got = desk.ruling(rid)
    assert got["status"] == "decided"
    assert got["outcome"] == "exempted"
    assert got["criteria_met"] == met
    assert got["decision"] == {
        "outcome": "exempted",
        "criteria_met": met,
        "reasoning": "符合容错情形",
        "decided_on": "2026-04-12",
    }


@pytest.mark.parametrize(
    ("outcome", "met"),
    [("mitigated", ["loss_remedied"]), ("denied", [])],
    ids=["mitigated-names-the-criteria-met", "denied-names-no-criteria"],
)
def test_a_decided_outcome_shows_its_criteria_met(desk: Desk, outcome: str, met: list[str]) -> None:
    rid = desk.apply()
    ok(desk.decide_outcome(rid, outcome, met))
    got = desk.ruling(rid)
    assert got["status"] == "decided"
    assert got["outcome"] == outcome and got["criteria_met"] == met


def test_modified_fault_tolerance_appeal_sets_the_new_outcome(desk: Desk) -> None:
    rid = desk.apply()
    ok(desk.decide_outcome(rid, "denied", []))
    ok(desk.appeal(rid, desk.account("unit")))
    response = desk.appeal_decision(
        rid, "modified", outcome="mitigated", criteria_met=["loss_remedied"]
    )
    ok(response)
    got = desk.ruling(rid)
    assert got["status"] == "appeal_decided"
    assert got["outcome"] == "mitigated" and got["criteria_met"] == ["loss_remedied"]
    assert got["appeal"]["result"] == "modified"


def test_fault_tolerance_ruling_passes_through_every_state_to_published(desk: Desk) -> None:
    own = desk.account("unit")
    rid = desk.apply(who=own)
    seen = desk.walk(
        rid,
        lambda: desk.verify(rid),
        lambda: desk.decide_outcome(rid, "mitigated", ["due_procedure"]),
        lambda: desk.appeal(rid, own),
        lambda: desk.appeal_decision(rid, "upheld"),
        lambda: desk.publish(rid, "某局先行先试容错案例"),
    )
    assert seen == ["applied", "verified", "decided", "appealed", "appeal_decided", "published"]
    got = desk.ruling(rid)
    assert got["outcome"] == "mitigated"
    assert got["decision"]["criteria_met"] == ["due_procedure"]
    assert got["appeal"]["result"] == "upheld"
    assert got["publication"] == {"summary": "某局先行先试容错案例", "tags": ["营商环境"]}


# -- refused bodies ------------------------------------------------------------------------------


def decide_with_an_outcome(desk: Desk, rid: str) -> Response:
    return desk.decide_outcome(rid)


def decide_with_a_form(desk: Desk, rid: str) -> Response:
    return desk.decide_form(rid)


def modify_without_a_form(desk: Desk, rid: str) -> Response:
    return desk.appeal_decision(rid, "modified")


def exempt_without_criteria(desk: Desk, rid: str) -> Response:
    return desk.decide_outcome(rid, "exempted", [])


def mitigate_without_criteria(desk: Desk, rid: str) -> Response:
    return desk.decide_outcome(rid, "mitigated", [])


def deny_with_criteria(desk: Desk, rid: str) -> Response:
    return desk.decide_outcome(rid, "denied", ["due_procedure"])


# A step whose body the ruling refuses (422), leaving it where it was: the kind, the state it is
# carried to, the step, and the status it keeps.
REFUSED_BODIES = {
    "accountability-decision-with-an-outcome-instead-of-a-form": (
        "accountability",
        "opened",
        decide_with_an_outcome,
        "proposed",
    ),
    "modified-accountability-appeal-without-a-form": (
        "accountability",
        "appealed",
        modify_without_a_form,
        "appealed",
    ),
    "exempted-without-criteria": ("fault_tolerance", "opened", exempt_without_criteria, "applied"),
    "mitigated-without-criteria": (
        "fault_tolerance",
        "opened",
        mitigate_without_criteria,
        "applied",
    ),
    "denied-with-criteria": ("fault_tolerance", "opened", deny_with_criteria, "applied"),
    "fault-tolerance-decision-with-a-form": (
        "fault_tolerance",
        "opened",
        decide_with_a_form,
        "applied",
    ),
}


@pytest.mark.parametrize(("kind", "state", "step", "status"), cases(REFUSED_BODIES))
def test_a_step_with_a_body_the_ruling_does_not_take_is_refused_with_422(
    desk: Desk, kind: str, state: str, step: Callable[[Desk, str], Response], status: str
) -> None:
    rid = desk.in_state(kind, state)
    assert_error(step(desk, rid), 422)
    assert desk.status(rid) == status


# -- only the authority decides --------------------------------------------------------------------

# The state a ruling must be in for each of the authority's steps, and that step's body.
READY_FOR = {"decision": "opened", "appeal-decision": "appealed", "publication": "decided"}


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
    desk: Desk, kind: str, step: str, role: str
) -> None:
    rid = desk.in_state(kind, READY_FOR[step])
    before = desk.ruling(rid)
    assert_error(desk.act(desk.account(role), rid, step, step_body(kind, step)), 403, "forbidden")
    after = desk.ruling(rid)
    assert after["status"] == before["status"] and after["version"] == before["version"]


# -- linked findings -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_linking_an_unknown_finding_is_refused_with_422(desk: Desk, kind: str) -> None:
    assert_error(desk.create(kind, [MISSING]), 422)


@pytest.mark.parametrize("kind", KINDS)
def test_linking_another_units_finding_is_refused_with_422(desk: Desk, kind: str) -> None:
    other = desk.api.unit("县生态环境局", "department")
    own = desk.api.finding(desk.inspector, desk.unit)["id"]
    theirs = desk.api.finding(desk.inspector, other)["id"]
    assert_error(desk.create(kind, [own, theirs]), 422)


@pytest.mark.parametrize("kind", KINDS)
def test_linking_a_finding_of_a_unit_merged_into_the_subject_is_accepted(
    desk: Desk, kind: str
) -> None:
    old = desk.api.unit("县工商行政管理局", "department")
    theirs = desk.api.finding(desk.inspector, old)["id"]
    body = {"into": desk.unit, "reason": "机构改革合并", "effective_on": "2026-02-01"}
    ok(desk.api.post(f"{UNITS}/{old}/merger", body, ADMIN))
    got = desk.ruling(desk.opened(kind, [theirs]))
    assert got["finding_ids"] == [theirs] and got["unit_code"] == desk.unit


# -- refused transitions -------------------------------------------------------------------------


def appeal_by_the_subject(desk: Desk, kind: str, rid: str) -> Response:
    return desk.appeal(rid, desk.account("unit"))


def appeal_by_the_inspector(desk: Desk, kind: str, rid: str) -> Response:
    return desk.appeal(rid)


def publish(desk: Desk, kind: str, rid: str) -> Response:
    return desk.publish(rid)


def decide(desk: Desk, kind: str, rid: str) -> Response:
    return desk.decide(kind, rid)


def decide_another_form(desk: Desk, kind: str, rid: str) -> Response:
    return desk.decide_form(rid, "reorganisation")


def verify(desk: Desk, kind: str, rid: str) -> Response:
    return desk.verify(rid)


# A step the ruling's status does not allow (409 invalid_transition, naming that status): the
# kind, the state the ruling is carried to, the step, and the status the error names.
REFUSED_TRANSITIONS = {
    **{
        f"{kind}-a-second-appeal-after-the-appeal-decision": (
            kind,
            "appeal_decided",
            appeal_by_the_subject,
            "appeal_decided",
        )
        for kind in KINDS
    },
    "a-second-appeal-while-the-first-is-pending": (
        "accountability",
        "appealed",
        appeal_by_the_inspector,
        "appealed",
    ),
    "appeal-before-a-decision": ("accountability", "opened", appeal_by_the_inspector, "proposed"),
    "publishing-a-proposed-ruling": ("accountability", "opened", publish, "proposed"),
    "publishing-an-applied-ruling": ("fault_tolerance", "opened", publish, "applied"),
    "publishing-while-an-appeal-is-pending": ("fault_tolerance", "appealed", publish, "appealed"),
    **{f"{kind}-deciding-a-revoked-ruling": (kind, "revoked", decide, "revoked") for kind in KINDS},
    "publishing-a-revoked-ruling": ("accountability", "revoked", publish, "revoked"),
    "deciding-twice": ("accountability", "decided", decide_another_form, "decided"),
    "verifying-a-decided-ruling": ("fault_tolerance", "decided", verify, "decided"),
}


@pytest.mark.parametrize(("kind", "state", "step", "status"), cases(REFUSED_TRANSITIONS))
def test_a_step_the_rulings_status_does_not_allow_is_refused_and_changes_nothing(
    desk: Desk, kind: str, state: str, step: Callable[[Desk, str, str], Response], status: str
) -> None:
    rid = desk.in_state(kind, state)
    before = desk.ruling(rid)
    error = assert_error(step(desk, kind, rid), 409, "invalid_transition")
    assert error["details"]["status"] == status
    assert desk.ruling(rid) == before


def test_commands_on_an_unknown_ruling_are_not_found(desk: Desk) -> None:
    assert_error(desk.decide_form(MISSING), 404, "not_found")
    assert_error(desk.api.get(f"{RULINGS}/{MISSING}", desk.authority), 404, "not_found")


# -- reads ---------------------------------------------------------------------------------------


def test_ruling_read_shows_status_decision_appeal_and_publication(desk: Desk) -> None:
    rid = desk.in_state("fault_tolerance", "appeal_decided")
    ok(desk.publish(rid, "容错案例摘要"))
    response = desk.api.get(f"{RULINGS}/{rid}", desk.api.account("supervisor"))
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


def test_another_units_account_cannot_read_the_ruling(desk: Desk) -> None:
    rid = desk.propose()
    assert_error(desk.api.get(f"{RULINGS}/{rid}", desk.stranger()), 404, "not_found")
    assert desk.ruling(rid, desk.account("unit"))["id"] == rid


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("accountability", "accountability"),
        ("fault_tolerance", "fault_tolerance"),
        ("fault-tolerance", "fault_tolerance"),
    ],
)
def test_list_filters_by_kind(desk: Desk, kind: str, expected: str) -> None:
    made = {"accountability": desk.propose()}
    made["fault_tolerance"] = rid = desk.apply()
    last = ok(desk.verify(rid))["position"]
    items = desk.listing(last, unit_code=desk.unit, kind=kind)
    assert ids(items) == {made[expected]}
    assert {i["kind"] for i in items} == {expected}


def test_unknown_kind_filter_is_refused_with_422(api: Api, inspector: dict[str, str]) -> None:
    assert_error(api.get(RULINGS, inspector, kind="praise"), 422)


def test_list_filters_by_unit(desk: Desk) -> None:
    other = desk.api.unit("县统计局", "department")
    mine = {desk.propose(), desk.apply()}
    theirs = Desk(desk.api, desk.inspector, desk.authority, other).propose()
    last = ok(desk.verify(theirs))["position"]
    assert ids(desk.listing(last, unit_code=desk.unit)) == mine
    assert ids(desk.listing(last, unit_code=other)) == {theirs}


def test_list_filters_by_status(desk: Desk) -> None:
    proposed = desk.propose()
    applied = desk.apply()
    decided = desk.propose()
    last = ok(desk.decide_form(decided))["position"]
    assert ids(desk.listing(last, unit_code=desk.unit, status="decided")) == {decided}
    assert ids(desk.listing(last, unit_code=desk.unit, status="proposed")) == {proposed}
    assert ids(desk.listing(last, unit_code=desk.unit, status="applied")) == {applied}


def test_list_row_follows_the_ruling_to_published(desk: Desk) -> None:
    rid = desk.in_state("accountability", "decided")
    last = ok(desk.publish(rid))["position"]
    (row,) = desk.listing(last, unit_code=desk.unit)
    assert row["id"] == rid and row["status"] == "published"
    assert row["kind"] == "accountability" and row["unit_code"] == desk.unit


def test_unit_accounts_list_holds_only_its_own_units_rulings(desk: Desk) -> None:
    other = desk.api.unit("县人社局", "department")
    mine = desk.propose()
    theirs = Desk(desk.api, desk.inspector, desk.authority, other).propose()
    last = ok(desk.verify(theirs))["position"]
    own = desk.account("unit")
    assert ids(desk.listing(last, own)) == {mine}
    assert desk.listing(last, own, unit_code=other) == []


def test_ruling_events_are_oldest_first_with_their_actors(desk: Desk) -> None:
    own = desk.api.account("unit", desk.unit, name="市场监管局联络员")
    rid = desk.propose()
    ok(desk.verify(rid))
    ok(desk.decide_form(rid))
    ok(desk.appeal(rid, own))
    ok(desk.appeal_decision(rid, "upheld"))
    ok(desk.publish(rid))
    items = ok(desk.api.get(f"{RULINGS}/{rid}/events", desk.inspector))["items"]
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


def test_ruling_events_appear_on_the_linked_findings_timeline(desk: Desk) -> None:
    fid = desk.api.finding(desk.inspector, desk.unit)["id"]
    other_fid = desk.api.finding(desk.inspector, desk.unit)["id"]
    rid = desk.apply(finding_ids=[fid])
    last = ok(desk.decide_outcome(rid, "mitigated", ["loss_remedied"]))["position"]
    timeline = f"{FINDINGS}/{fid}/timeline"
    items = ok(desk.api.get(timeline, desk.inspector, min_position=last))["items"]
    ruling_events = [i for i in items if i["aggregate_id"] == rid]
    assert [e["event_type"] for e in ruling_events] == ["Applied", "Decided"]
    assert items[0]["aggregate_id"] == fid and items[0]["event_type"] == "Raised"
    times = [i["recorded_at"] for i in items]
    assert times == sorted(times)
    other_timeline = f"{FINDINGS}/{other_fid}/timeline"
    other = ok(desk.api.get(other_timeline, desk.inspector, min_position=last))
    assert all(i["aggregate_id"] != rid for i in other["items"])
