"""The event log and its verification over HTTP, as an auditor reads them."""

from __future__ import annotations

import itertools

from tests.e2e.helpers import all_items
from tests.support import ADMIN, Api


def test_the_event_log_is_in_global_order_and_each_prev_hash_is_the_hash_before(api: Api) -> None:
    inspector = api.account("inspector")
    auditor = api.account("auditor")
    api.finding(inspector, api.unit())
    items = all_items(api, "/api/v1/events", auditor, limit=200)
    assert [i["position"] for i in items] == sorted(i["position"] for i in items)
    assert [i["ledger_index"] for i in items] == list(range(1, len(items) + 1))
    assert items[0]["prev_hash"] == "00" * 32
    for before, after in itertools.pairwise(items):
        assert after["prev_hash"] == before["hash"]


def test_an_event_in_the_log_is_decoded_with_its_actor_and_aggregate(api: Api) -> None:
    inspector = api.account("inspector", name="督查员 审计样本")
    raised = api.finding(inspector, api.unit(), title="审计日志中的问题")
    auditor = api.account("auditor")
    page = api.get("/api/v1/events", auditor, after=raised["position"] - 1, limit=1).json()
    (item,) = page["items"]
    assert item["position"] == raised["position"] and item["aggregate_id"] == raised["id"]
    assert (item["aggregate_type"], item["event_type"], item["version"]) == ("finding", "Raised", 1)
    assert (
        item["actor"]["name"] == "督查员 审计样本" and item["data"]["title"] == "审计日志中的问题"
    )
    assert len(item["hash"]) == 64


def test_after_skips_the_events_up_to_that_position(api: Api) -> None:
    auditor = api.account("auditor")
    first = api.get("/api/v1/events", auditor, limit=3).json()["items"]
    later = api.get("/api/v1/events", auditor, after=first[1]["position"], limit=1).json()
    assert later["items"][0]["position"] == first[2]["position"]


def test_verification_reports_an_intact_chain_with_its_head(api: Api) -> None:
    auditor = api.account("auditor")
    answer = api.get("/api/v1/audit/verification", auditor)
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True and body["first_invalid_index"] is None
    assert body["events_verified"] == body["head_index"] > 0 and len(body["head_hash"]) == 64


def test_only_auditors_and_admins_read_the_log(api: Api) -> None:
    for role in ("inspector", "supervisor", "authority"):
        headers = api.account(role)
        assert api.get("/api/v1/events", headers).status_code == 403
        assert api.get("/api/v1/audit/verification", headers).status_code == 403
    assert api.get("/api/v1/events", ADMIN).status_code == 200
    assert api.get("/api/v1/events", {}).status_code == 401
