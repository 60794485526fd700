"""A finding carried from raising to closure over HTTP, every step recorded with its actor."""

from __future__ import annotations

from tests.e2e.helpers import assert_verified_by
from tests.support import Api


def test_finding_goes_from_raised_to_closed_through_rectification(api: Api) -> None:
    unit = api.unit("县发改局", "department")
    inspector = api.account("inspector", name="督查员 李华")
    liaison = api.account("unit", unit, name="发改局 联络员")
    raised = api.finding(inspector, unit)
    fid = raised["id"]
    assert raised["version"] == 1 and raised["position"] > 0

    steps = [
        (
            "rectification-order",
            {"deadline": "2026-04-30", "requirements": "限期整改"},
            inspector,
            "rectifying",
        ),
        ("rectification-report", {"summary": "已整改完毕", "evidence": []}, liaison, "reported"),
        ("verification", {"outcome": "accepted", "comment": "同意销号"}, inspector, "closed"),
    ]
    for version, (verb, body, who, status) in enumerate(steps, start=2):
        response = api.post(f"/api/v1/findings/{fid}/{verb}", body, who)
        assert response.status_code == 200, response.text
        assert response.json()["version"] == version
        assert response.headers["ETag"] == f'"{version}"'
        assert api.get(f"/api/v1/findings/{fid}", who).json()["status"] == status

    events = api.get(f"/api/v1/findings/{fid}/events", inspector).json()["items"]
    assert [e["event_type"] for e in events] == [
        "Raised",
        "RectificationOrdered",
        "RectificationReported",
        "Verified",
    ]
    assert_verified_by(events, "督查员 李华", "发改局 联络员")
