"""Major decisions over HTTP: the catalogue, procedure steps, a decision flagged for a missing
step and linked to an accountability ruling (决策问责), correction (纠错), and a third-party
evaluation with feedback, rectification, a second evaluation and the use of results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from httpx import Response

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.vocabulary import Role
from tests.e2e.helpers import all_items, assert_error, ok, visiting_once_waiting
from tests.support import Api, account_fixture, unit_fixture

DECISIONS = "/api/v1/major-decisions"
STEPS = [
    "public_participation",
    "expert_argumentation",
    "risk_assessment",
    "legality_review",
    "collective_decision",
]
EVIDENCE = [{"name": "专家论证意见.pdf", "sha256": "b" * 64, "size": 2048}]


inspector = account_fixture("inspector", "督查员 李强")
unit = unit_fixture("县法制办")


def catalogued(api: Api, who: dict[str, str], unit: str) -> str:
    body = {"title": "城区公交线网优化调整方案", "year": 2026, "unit_code": unit}
    rid: str = ok(api.post(DECISIONS, body, who), 201)["id"]
    return rid


def step(api: Api, who: dict[str, str], did: str, name: str, on: str = "2026-03-01") -> Any:
    body = {"step": name, "done_on": on, "evidence": EVIDENCE, "note": ""}
    return api.post(f"{DECISIONS}/{did}/procedure-steps", body, who)


def link(api: Api, who: dict[str, str], did: str, **target: str) -> Response:
    """Link the decision to the accountability `target` (ruling_id or finding_id)."""
    return api.post(f"{DECISIONS}/{did}/accountability-link", target, who)


def decide(api: Api, who: dict[str, str], did: str) -> dict[str, Any]:
    body = {"decided_on": "2026-04-01", "summary": "县政府常务会议审议通过"}
    return ok(api.post(f"{DECISIONS}/{did}/decision", body, who))


def decision(api: Api, who: dict[str, str], did: str) -> dict[str, Any]:
    return ok(api.get(f"{DECISIONS}/{did}", who))


def decided(
    api: Api, who: dict[str, str], unit: str, steps: Sequence[str] = STEPS
) -> tuple[str, dict[str, Any]]:
    """A decision catalogued, with each of `steps` done, then decided; its id and the answer to
    the decision."""
    did = catalogued(api, who, unit)
    for name in steps:
        ok(step(api, who, did, name))
    return did, decide(api, who, did)


def implemented(api: Api, who: dict[str, str], unit: str) -> str:
    did, _ = decided(api, who, unit)
    body = {"implemented_on": "2026-05-01", "note": "已印发实施"}
    ok(api.post(f"{DECISIONS}/{did}/implementation", body, who))
    return did


def test_a_decision_with_every_step_is_complete_and_not_flagged(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did, answer = decided(api, inspector, unit)
    shown = decision(api, inspector, did)
    assert shown["status"] == "decided" and shown["flagged"] is False
    rows = all_items(api, DECISIONS, inspector, min_position=answer["position"], unit_code=unit)
    row = next(r for r in rows if r["id"] == did)
    assert row["procedure"]["completeness"] == 1.0 and row["flagged"] is False


def test_a_decision_missing_a_step_is_flagged_and_linked_to_an_accountability_ruling(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did, answer = decided(api, inspector, unit, [s for s in STEPS if s != "legality_review"])
    shown = decision(api, inspector, did)
    assert shown["flagged"] is True and shown["missing_steps"] == ["legality_review"]
    flagged = all_items(api, DECISIONS, inspector, min_position=answer["position"], flagged=True)
    assert did in {r["id"] for r in flagged}
    fid = api.finding(inspector, unit, category="procedure_violation")["id"]
    basis, facts = "重大行政决策程序暂行条例", "未经合法性审查即作出决策"
    rid = api.accountability(inspector, unit, [fid], basis=basis, facts=facts)["id"]
    ok(link(api, inspector, did, ruling_id=rid))
    ok(link(api, inspector, did, finding_id=fid))
    links = decision(api, inspector, did)["links"]
    assert links == [{"kind": "ruling", "target_id": rid}, {"kind": "finding", "target_id": fid}]
    assert_error(link(api, inspector, did, ruling_id=rid), 409, "already_exists")


def test_linking_an_unknown_ruling_or_giving_no_target_is_refused(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did, _ = decided(api, inspector, unit, steps=())
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(link(api, inspector, did, ruling_id=unknown), 422, "unknown_reference")
    assert_error(link(api, inspector, did), 422, "validation_error")


def test_a_decision_not_yet_decided_cannot_be_linked_nor_one_decided_without_a_flaw(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    """Only the decision flags a decision: before it, linking is a step out of order (409);
    after a decision with every step done and no flaw, it is not a decision to link (422)."""
    fid = api.finding(inspector, unit)["id"]
    early = catalogued(api, inspector, unit)
    error = assert_error(link(api, inspector, early, finding_id=fid), 409, "invalid_transition")
    assert error["details"] == {"status": "catalogued"}
    sound, _ = decided(api, inspector, unit)
    assert_error(link(api, inspector, sound, finding_id=fid), 422, "invalid_value")


def test_a_step_after_the_decision_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did, _ = decided(api, inspector, unit, steps=())
    error = assert_error(step(api, inspector, did, "risk_assessment"), 409, "invalid_transition")
    assert error["details"] == {"status": "decided"}


def test_the_responsible_unit_records_its_steps_but_another_unit_may_not(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    own = api.account("unit", unit)
    other = api.account("unit", api.unit("别的单位"))
    ok(step(api, own, did, "public_participation"))
    # Another unit's decision answers its commands 404, as every record outside a unit
    # account's scope does (docs/security.md), though the catalogue shows the decision.
    assert_error(step(api, other, did, "risk_assessment"), 404, "not_found")
    body = {"title": "t", "year": 2026, "unit_code": unit}
    assert_error(api.post(DECISIONS, body, own), 403, "forbidden")


def test_an_unknown_step_is_a_validation_error(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    assert_error(step(api, inspector, did, "coin_toss"), 422, "validation_error")


def test_a_decision_is_corrected(api: Api, inspector: dict[str, str], unit: str) -> None:
    did = implemented(api, inspector, unit)
    body = {
        "reason": "群众反映线路调整不合理",
        "correction": "恢复原2路公交",
        "corrected_on": "2026-06-01",
    }
    ok(api.post(f"{DECISIONS}/{did}/correction", body, inspector))
    shown = decision(api, inspector, did)
    assert (
        shown["status"] == "corrected" and shown["corrections"][0]["correction"] == "恢复原2路公交"
    )


def test_an_evaluation_is_fed_back_rectified_evaluated_again_and_its_results_used(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = implemented(api, inspector, unit)
    base = f"{DECISIONS}/{did}/evaluations"
    plan = {"evaluator": "某大学公共政策评估中心", "scope": "实施效果", "planned_on": "2026-09-01"}
    ok(api.post(base, plan, inspector))
    report = {
        "score": 68,
        "conclusion": "部分达到预期",
        "findings": ["换乘不便"],
        "reported_on": "2026-10-01",
    }
    ok(api.post(f"{base}/1/report", report, inspector))
    feedback = {"feedback": "优化换乘", "rectification_required": True, "deadline": "2026-12-31"}
    ok(api.post(f"{base}/1/feedback", feedback, inspector))
    assert_error(api.post(base, plan, inspector), 409, "invalid_transition")
    own = api.account("unit", unit)
    ok(api.post(f"{base}/1/rectification", {"summary": "新增换乘站点", "evidence": []}, own))
    second = {**plan, "scope": "二次评估", "planned_on": "2026-11-10"}
    ok(api.post(base, second, inspector))
    ok(
        api.post(
            f"{base}/2/report", {**report, "score": 85, "reported_on": "2026-11-20"}, inspector
        )
    )
    use = {"use": "assessment", "description": "纳入2026年度考评"}
    done = ok(api.post(f"{base}/2/result-use", use, inspector))
    shown = decision(api, inspector, did)
    assert [e["status"] for e in shown["evaluations"]] == ["rectified", "reported"]
    assert shown["evaluations"][1]["uses"] == [use]
    rows = all_items(api, DECISIONS, inspector, min_position=done["position"], year=2026)
    row = next(r for r in rows if r["id"] == did)
    assert row["evaluations"] == 2 and row["latest_score"] == 85 and row["result_uses"] == 1


def test_an_evaluation_number_that_does_not_exist_is_not_found(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = implemented(api, inspector, unit)
    report = {"score": 70, "conclusion": "c", "findings": [], "reported_on": "2026-10-01"}
    answer = api.post(f"{DECISIONS}/{did}/evaluations/3/report", report, inspector)
    assert "no evaluation number 3" in assert_error(answer, 404, "not_found")["message"]
    answer = api.post(f"{DECISIONS}/{did}/evaluations/0/report", report, inspector)
    assert_error(answer, 422, "validation_error")  # numbers start at 1


def test_a_stale_if_match_is_a_version_conflict(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    body = {"step": "risk_assessment", "done_on": "2026-03-01"}
    stale = api.post(f"{DECISIONS}/{did}/procedure-steps", body, {**inspector, "If-Match": '"5"'})
    assert_error(stale, 409, "version_conflict")


def test_an_idempotent_retry_records_the_step_once(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    body = {"step": "risk_assessment", "done_on": "2026-03-01"}
    headers = {**inspector, "Idempotency-Key": f"step-{did}"}
    first = ok(api.post(f"{DECISIONS}/{did}/procedure-steps", body, headers))
    assert ok(api.post(f"{DECISIONS}/{did}/procedure-steps", body, headers)) == first
    assert decision(api, inspector, did)["version"] == 2


def test_a_decision_for_an_unknown_unit_is_refused(api: Api, inspector: dict[str, str]) -> None:
    body = {"title": "t", "year": 2026, "unit_code": "no-such-unit"}
    assert_error(api.post(DECISIONS, body, inspector), 422, "unknown_reference")


def test_the_decision_events_are_listed_with_chinese_labels(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    items = ok(api.get(f"{DECISIONS}/{did}/events", inspector))["items"]
    assert items[0]["event_label"] == "列入重大行政决策目录"


def test_the_catalogue_is_published_without_signing_in_and_keeps_accountability_out(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    """目录公开: anyone reads the catalogue with each decision's procedure, over HTTP and on
    the console's public page; flags and 决策问责 links stay inside; user text stays text."""
    body = {"title": "<b>城区</b>停车收费调整", "year": 2026, "unit_code": unit,
            "description": "<script>x()</script>收费标准"}  # fmt: skip
    did = ok(api.post(DECISIONS, body, inspector), 201)["id"]
    step(api, inspector, did, "legality_review")
    at = decide(api, inspector, did)["position"]  # four steps missing: flagged inside
    answer = api.client.get(
        "/api/v1/public/major-decisions",
        params={"year": 2026, "unit_code": unit, "min_position": at},
    )
    assert answer.status_code == 200
    (item,) = [i for i in answer.json()["items"] if i["id"] == did]
    assert set(item) == {
        "id", "title", "year", "unit_code", "description", "status", "status_label",
        "procedure", "decided_on", "implemented_on", "catalogued_at",
    }  # fmt: skip
    assert item["procedure"]["done"] == ["legality_review"] and item["status"] == "decided"
    assert "flagged" not in item and "links" not in item and "missing_steps" not in item
    page = api.client.get("/public/decisions")
    assert page.status_code == 200 and "重大行政决策目录" in page.text
    assert "&lt;b&gt;城区&lt;/b&gt;停车收费调整" in page.text and "<script>x()" not in page.text
    assert "合法性审查：已完成" in page.text and "公众参与：未完成" in page.text
    assert "<td>县法制办</td>" in page.text and f"<td>{unit}</td>" not in page.text
    refused = api.client.get("/api/v1/public/major-decisions?year=1800")
    assert refused.status_code == 422


def test_an_unlawful_review_and_a_late_assessment_flag_the_decision_over_http(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    path = f"{DECISIONS}/{did}/procedure-steps"
    results = {
        "public_participation": {"summary": "公开征求意见", "participants": 60, "opinions": 7},
        "expert_argumentation": {"summary": "专家论证", "participants": 5, "opinions": 2},
        "risk_assessment": {"outcome": "high"},
        "legality_review": {"outcome": "unlawful"},
        "collective_decision": {},
    }
    days = {"risk_assessment": "2026-03-09", "collective_decision": "2026-03-05"}
    for name, result in results.items():
        body = {"step": name, "done_on": days.get(name, "2026-03-01"), **result}
        ok(api.post(path, body, inspector))
    at = decide(api, inspector, did)["position"]
    shown = decision(api, inspector, did)
    assert shown["flagged"] is True and shown["missing_steps"] == []
    assert shown["flaws"] == ["unlawful_review", "risk_assessment_after_collective_decision"]
    assert shown["steps"]["legality_review"]["outcome"] == "unlawful"
    assert shown["steps"]["public_participation"]["participants"] == 60
    listed = all_items(api, DECISIONS, inspector, min_position=at, unit_code=unit, flagged=True)
    (item,) = [i for i in listed if i["id"] == did]
    assert item["flaws"] == shown["flaws"] and item["flagged"] is True


def test_a_result_on_the_wrong_step_is_refused_over_http(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    did = catalogued(api, inspector, unit)
    path = f"{DECISIONS}/{did}/procedure-steps"
    for body in (
        {"step": "legality_review", "done_on": "2026-03-01", "outcome": "low"},
        {"step": "collective_decision", "done_on": "2026-03-01", "summary": "讨论"},
        {"step": "public_participation", "done_on": "2026-03-01", "participants": -1},
    ):
        refused = api.post(path, body, inspector)
        assert refused.status_code == 422, refused.text
    assert decision(api, inspector, did)["steps"] == {}


def test_the_public_catalogue_page_waits_until_the_decisions_catalogued_before_it_are_listed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console's public page has no position to wait for: it waits for the log's head
    (the read models start only once it waits, so a page that did not wait lacks it)."""
    admin = Actor(id="a", name="管理员", role=Role.ADMIN)
    services.app.register_unit(code="fzb", name="县法制办", kind="department", actor=admin)
    title = "城区公交线网优化调整方案·门户"
    services.app.catalogue_decision(title=title, year=2026, unit_code="fzb", actor=admin)
    with visiting_once_waiting(services, monkeypatch) as visitor:
        page = visitor.get("/public/decisions")
    assert page.status_code == 200 and title in page.text and "数据正在更新" not in page.text


def test_a_step_recorded_after_the_decision_is_not_done_in_the_catalogue_or_the_record(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    """A required step done after `decided_on` is missing (程序缺失), and the public catalogue
    does not call it done."""
    did = catalogued(api, inspector, unit)
    ok(step(api, inspector, did, "public_participation", on="2026-03-01"))
    ok(step(api, inspector, did, "legality_review", on="2026-05-05"))  # after the decision
    body = {"decided_on": "2026-04-20", "summary": "同意实施"}
    at = ok(api.post(f"{DECISIONS}/{did}/decision", body, inspector))["position"]
    shown = decision(api, inspector, did)
    assert "legality_review" in shown["missing_steps"]
    assert shown["procedure"]["done"] == ["public_participation"]
    assert shown["procedure"]["completeness"] == 0.2, "the record says what the catalogue says"
    public = api.client.get("/api/v1/public/major-decisions", params={"min_position": at})
    (item,) = [i for i in public.json()["items"] if i["id"] == did]
    assert item["procedure"]["done"] == ["public_participation"]
    assert item["procedure"]["completeness"] == 0.2
