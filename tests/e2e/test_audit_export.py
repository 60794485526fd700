"""The export bundle over HTTP: an auditor downloads the log and verifies it offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from infra.bundle import verify_bundle
from tests.support import ADMIN, Api

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_bundle.py"


def test_an_auditor_downloads_a_bundle_that_verifies_offline(api: Api, tmp_path: Path) -> None:
    api.finding(api.account("inspector"), api.unit())
    auditor = api.account("auditor")
    answer = api.get("/api/v1/audit/export", auditor)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    lines = answer.content.splitlines()
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    assert header["format"] == "supervision-audit-bundle" and header["version"] == 1
    head = end["events"]
    disposition = answer.headers["content-disposition"]
    assert disposition == f'attachment; filename="supervision-audit-{head}.jsonl"'
    verdict = verify_bundle(lines).as_dict()
    assert verdict["ok"] is True and verdict["head_index"] == head > 0, verdict
    path = tmp_path / f"supervision-audit-{head}.jsonl"
    path.write_bytes(answer.content)
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and json.loads(done.stdout) == verdict, done.stderr


def test_the_bundle_holds_what_the_event_log_shows(api: Api) -> None:
    raised = api.finding(api.account("inspector"), api.unit())
    auditor = api.account("auditor")
    bundle = [json.loads(line) for line in api.get("/api/v1/audit/export", auditor).iter_lines()]
    (event,) = [e for e in bundle if e["type"] == "event" and e["position"] == raised["position"]]
    page = api.get("/api/v1/events", auditor, after=raised["position"] - 1, limit=1).json()
    (item,) = page["items"]
    assert (event["index"], event["hash"], event["prev_hash"]) == (
        item["ledger_index"],
        item["hash"],
        item["prev_hash"],
    )
    assert event["aggregate_id"] == raised["id"] and event["version"] == 1


def test_only_auditors_and_admins_export_the_log(api: Api) -> None:
    for role in ("inspector", "supervisor", "authority"):
        assert api.get("/api/v1/audit/export", api.account(role)).status_code == 403
    assert api.get("/api/v1/audit/export", {}).status_code == 401
    assert api.get("/api/v1/audit/export", ADMIN).status_code == 200
