"""A fault-tolerance application paired with an accountability proposal on the same case
(issue 18 item 4): the tolerance is decided first (an accountability decision before it is
409), 免责 closes the proposal (免予问责, status `closed`), 从轻 leaves only the lighter forms
(422 `form_exceeds_mitigation`); a pairing of different subjects, of rulings sharing no
finding, or of a decided ruling is refused and records nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.console import console_as, submit
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api

RULINGS = "/api/v1/rulings"


def case(api: Api) -> tuple[dict[str, str], dict[str, str], str, str, str]:
    """An inspector, an authority, a unit, and on one finding of it a fault-tolerance
    application and an accountability proposal, both on the unit."""
    inspector, authority = api.account("inspector"), api.account("authority")
    unit = api.unit("县住房和城乡建设局", "department")
    finding = api.finding(inspector, unit)["id"]
    tolerance = api.ruling("fault-tolerance", inspector, unit, [finding])["id"]
    proposal = api.accountability(inspector, unit, [finding], form="circulated_criticism")["id"]
    return inspector, authority, unit, tolerance, proposal


def decision(outcome: str) -> dict[str, Any]:
    criteria = [] if outcome == "denied" else ["pilot_inexperience"]
    return {"outcome": outcome, "criteria_met": criteria, "reasoning": "集体研究",
            "decided_on": "2026-03-01"}  # fmt: skip


def accountability(form: str) -> dict[str, Any]:
    return {"form": form, "reasoning": "集体研究", "decided_on": "2026-03-02"}


def test_an_exemption_closes_the_paired_proposal(api: Api) -> None:
    inspector, authority, unit, tolerance, proposal = case(api)
    ok(api.post(f"{RULINGS}/{tolerance}/pairing", {"accountability_ruling_id": proposal},
                inspector))  # fmt: skip
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["paired_ruling_id"] == tolerance
    assert ok(api.get(f"{RULINGS}/{tolerance}", authority))["paired_ruling_id"] == proposal
    early = api.post(f"{RULINGS}/{proposal}/decision", accountability("circulated_criticism"),
                     authority)  # fmt: skip
    error = assert_error(early, 409, "tolerance_pending")
    assert error["details"] == {"tolerance_ruling_id": tolerance}
    position = api.decided(authority, tolerance, decision("exempted"))["position"]
    closed = ok(api.get(f"{RULINGS}/{proposal}", authority))
    assert closed["status"] == "closed" and closed["status_label"] == "免予问责（已终结）"
    assert closed["decision"] is None
    late = api.post(f"{RULINGS}/{proposal}/decision", accountability("circulated_criticism"),
                    authority)  # fmt: skip
    assert_error(late, 409, "invalid_transition")
    history = all_items(api, f"/api/v1/units/{unit}/history", ADMIN, min_position=position)
    assert "免予问责" in [h["summary"] for h in history if h["aggregate_id"] == proposal]


def test_a_mitigation_bounds_the_paired_proposals_form(api: Api) -> None:
    _, authority, _, tolerance, proposal = case(api)
    ok(api.post(f"{RULINGS}/{tolerance}/pairing", {"accountability_ruling_id": proposal},
                authority))  # fmt: skip
    api.decided(authority, tolerance, decision("mitigated"))
    heavy = api.post(f"{RULINGS}/{proposal}/decision", accountability("reorganisation"),
                     authority)  # fmt: skip
    error = assert_error(heavy, 422, "form_exceeds_mitigation")
    assert "改组" in error["message"]
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["status"] == "proposed"
    api.decided(authority, proposal, accountability("circulated_criticism"))


def test_a_denial_leaves_the_proposal_free(api: Api) -> None:
    inspector, authority, _, tolerance, proposal = case(api)
    ok(api.post(f"{RULINGS}/{tolerance}/pairing", {"accountability_ruling_id": proposal},
                inspector))  # fmt: skip
    api.decided(authority, tolerance, decision("denied"))
    api.decided(authority, proposal, accountability("reorganisation"))


def test_pairings_that_do_not_belong_together_are_refused(api: Api) -> None:
    inspector, authority, unit, tolerance, proposal = case(api)
    pairing = f"{RULINGS}/{tolerance}/pairing"
    elsewhere_unit = api.unit("县林业局", "department")
    their_finding = api.finding(inspector, elsewhere_unit)["id"]
    elsewhere = api.accountability(inspector, elsewhere_unit, [their_finding])["id"]
    refused = api.post(pairing, {"accountability_ruling_id": elsewhere}, inspector)
    assert "different subjects" in assert_error(refused, 422, "invalid_value")["message"]
    apart = api.accountability(inspector, unit, [api.finding(inspector, unit)["id"]])["id"]
    refused = api.post(pairing, {"accountability_ruling_id": apart}, inspector)
    assert "share no finding" in assert_error(refused, 422, "invalid_value")["message"]
    backwards = api.post(f"{RULINGS}/{proposal}/pairing", {"accountability_ruling_id": tolerance},
                         inspector)  # fmt: skip
    assert_error(backwards, 422, "invalid_value")
    unknown = {"accountability_ruling_id": "00000000-0000-4000-8000-000000000000"}
    assert_error(api.post(pairing, unknown, inspector), 422, "unknown_reference")
    liaison = api.account("unit", unit)
    assert_error(api.post(pairing, {"accountability_ruling_id": proposal}, liaison), 403)
    ok(api.post(pairing, {"accountability_ruling_id": proposal}, inspector))
    again = api.post(pairing, {"accountability_ruling_id": proposal}, inspector)
    assert_error(again, 409, "already_exists")
    assert ok(api.get(f"{RULINGS}/{tolerance}", authority))["version"] == 2
    _, _, _, decided, other = case(api)
    api.decided(authority, decided, decision("denied"))
    late = api.post(f"{RULINGS}/{decided}/pairing", {"accountability_ruling_id": other}, inspector)
    assert_error(late, 409, "invalid_transition")


def test_the_console_pairs_an_application_with_a_proposal_on_its_finding(
    api: Api, client: TestClient
) -> None:
    inspector, authority, _, tolerance, proposal = case(api)
    position = api.last.json()["position"] if api.last is not None else 0
    all_items(api, RULINGS, inspector, min_position=position)  # the list has caught up
    page = f"/rulings/{tolerance}"
    with console_as(client, inspector) as browser:
        shown = browser.get(page)
        assert 'id="form-pairing"' in shown.text and f'value="{proposal}"' in shown.text
        fields = {"form_key": "pairing-" + "p" * 20, "accountability_ruling_id": proposal}
        done = submit(browser, shown, f"{page}/pairing", fields)
        assert done.status_code == 303 and done.headers["location"].endswith("done=pairing")
        shown = browser.get(page)
        assert "关联的问责建议" in shown.text and 'id="form-pairing"' not in shown.text
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["paired_ruling_id"] == tolerance


def paired(api: Api) -> tuple[dict[str, str], dict[str, str], str, str]:
    inspector, authority, _, tolerance, proposal = case(api)
    ok(api.post(f"{RULINGS}/{tolerance}/pairing", {"accountability_ruling_id": proposal},
                inspector))  # fmt: skip
    return inspector, authority, tolerance, proposal


def appeal(api: Api, inspector: dict[str, str], authority: dict[str, str], rid: str,
           **decision_: Any) -> Any:  # fmt: skip
    ok(api.post(f"{RULINGS}/{rid}/appeal", {"grounds": "不服"}, inspector))
    return api.post(f"{RULINGS}/{rid}/appeal-decision", {"reasoning": "复核", **decision_},
                    authority)  # fmt: skip


def test_an_exemption_on_appeal_closes_the_paired_proposal(api: Api) -> None:
    inspector, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("denied"))
    ok(appeal(api, inspector, authority, tolerance, result="modified", outcome="exempted",
              criteria_met=["pilot_inexperience"]))  # fmt: skip
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["status"] == "closed"


def test_an_appeal_cannot_undo_what_the_paired_proposal_rests_on(api: Api) -> None:
    inspector, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("exempted"))
    refused = api.post(f"{RULINGS}/{tolerance}/appeal", {"grounds": "不服"}, inspector)
    error = assert_error(refused, 409, "paired_ruling_decided")
    assert error["details"] == {"accountability_ruling_id": proposal}
    assert ok(api.get(f"{RULINGS}/{tolerance}", authority))["status"] == "decided"

    inspector, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("denied"))
    api.decided(authority, proposal, accountability("reorganisation"))
    changed = appeal(api, inspector, authority, tolerance, result="modified",
                     outcome="mitigated", criteria_met=["pilot_inexperience"])  # fmt: skip
    assert_error(changed, 409, "paired_ruling_decided")
    again = api.post(f"{RULINGS}/{proposal}/decision", accountability("reorganisation"),
                     authority)  # fmt: skip
    assert_error(again, 409, "invalid_transition")


def test_a_mitigation_bounds_the_proposals_appeal_and_a_revocation_frees_it(api: Api) -> None:
    inspector, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("mitigated"))
    api.decided(authority, proposal, accountability("circulated_criticism"))
    heavier = appeal(api, inspector, authority, proposal, result="modified",
                     form="reorganisation")  # fmt: skip
    assert_error(heavier, 422, "form_exceeds_mitigation")

    inspector, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("mitigated"))
    ok(appeal(api, inspector, authority, tolerance, result="revoked"))
    api.decided(authority, proposal, accountability("reorganisation"))


def test_the_console_offers_no_decision_while_the_paired_tolerance_is_pending(
    api: Api, client: TestClient
) -> None:
    _, authority, tolerance, proposal = paired(api)
    with console_as(client, authority) as browser:
        assert 'id="form-decision"' not in browser.get(f"/rulings/{proposal}").text
        assert 'id="form-decision"' in browser.get(f"/rulings/{tolerance}").text


def published(api: Api, authority: dict[str, str], rid: str) -> int:
    body = {"summary": "同一问题的容错与问责", "tags": ["容错纠错"]}
    answer = ok(api.post(f"{RULINGS}/{rid}/publication", body, authority))
    return int(answer["position"])


def case_of(api: Api, rid: str, position: int) -> dict[str, Any]:
    cases = all_items(api, "/api/v1/case-library", api.account("inspector"), min_position=position)
    return next(c for c in cases if c["id"] == rid)


def test_the_case_library_shows_the_pair(api: Api, client: TestClient) -> None:
    _, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("mitigated"))
    api.decided(authority, proposal, accountability("circulated_criticism"))
    published(api, authority, tolerance)
    position = published(api, authority, proposal)
    assert case_of(api, tolerance, position)["paired_case_id"] == proposal
    assert case_of(api, proposal, position)["paired_case_id"] == tolerance
    with console_as(client, authority) as browser:
        page = browser.get("/cases").text
        card = page.split(f'id="case-{tolerance}"')[1].split("</article>")[0]
        assert f'href="#case-{proposal}"' in card and "容错认定在先" in card

    _, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("exempted"))
    shown = case_of(api, tolerance, published(api, authority, tolerance))
    assert shown["paired"] is True and shown["paired_case_id"] is None, "免予问责: no case"


def test_a_proposal_revoked_on_its_own_appeal_leaves_the_tolerance_free(api: Api) -> None:
    inspector, authority, tolerance, proposal = paired(api)
    api.decided(authority, tolerance, decision("denied"))
    api.decided(authority, proposal, accountability("reorganisation"))
    ok(appeal(api, inspector, authority, proposal, result="revoked"))
    ok(appeal(api, inspector, authority, tolerance, result="modified", outcome="mitigated",
              criteria_met=["pilot_inexperience"]))  # fmt: skip


def register_case(api: Api) -> tuple[dict[str, str], dict[str, str], str, str, str]:
    """An inspector, an authority, a unit, a person of its register and one finding of it."""
    inspector, authority = api.account("inspector"), api.account("authority")
    unit = api.unit("县城市管理局", "department")
    body = {"unit_code": unit, "name": "欧阳明远", "position": "科长"}
    person = ok(api.post("/api/v1/persons", body, inspector), 201)["id"]
    finding = api.finding(inspector, unit)["id"]
    return inspector, authority, unit, person, finding


def test_an_unpaired_exemption_that_closed_a_proposal_is_not_open_to_appeal(api: Api) -> None:
    """容错认定在先 on the case without a pairing: the person's 免责 closes the proposal decided
    after it (免予问责); revoking that 免责 on appeal would leave the person with neither, so
    its appeal is refused as a paired one's is."""
    inspector, authority, unit, person, finding = register_case(api)
    subject = {"subject": {"unit_code": unit, "person_id": person}}
    tolerance = api.ruling("fault-tolerance", inspector, unit, [finding], **subject)["id"]
    api.decided(authority, tolerance, decision("exempted"))
    proposal = api.accountability(inspector, unit, [finding], form="admonishment", **subject)["id"]
    api.decided(authority, proposal, accountability("admonishment"))
    assert ok(api.get(f"{RULINGS}/{proposal}", authority))["status"] == "closed"
    refused = api.post(f"{RULINGS}/{tolerance}/appeal", {"grounds": "不服"}, inspector)
    error = assert_error(refused, 409, "paired_ruling_decided")
    assert error["details"] == {"accountability_ruling_id": proposal}
    assert ok(api.get(f"{RULINGS}/{tolerance}", authority))["status"] == "decided"


def test_an_exemption_on_the_case_closes_a_proposal_paired_with_another_tolerance(
    api: Api,
) -> None:
    """The proposal's own tolerance denied, another tolerance on the case exempted the person:
    容错认定在先 holds all the same, and the proposal is closed, not decided."""
    inspector, authority, unit, person, finding = register_case(api)
    subject = {"subject": {"unit_code": unit, "person_id": person}}
    exempting = api.ruling("fault-tolerance", inspector, unit, [finding], **subject)["id"]
    paired = api.ruling("fault-tolerance", inspector, unit, [finding], **subject)["id"]
    proposal = api.accountability(inspector, unit, [finding], form="admonishment", **subject)["id"]
    ok(api.post(f"{RULINGS}/{paired}/pairing", {"accountability_ruling_id": proposal}, inspector))
    api.decided(authority, exempting, decision("exempted"))
    api.decided(authority, paired, decision("denied"))
    api.decided(authority, proposal, accountability("admonishment"))
    closed = ok(api.get(f"{RULINGS}/{proposal}", authority))
    assert closed["status"] == "closed" and closed["decision"] is None
