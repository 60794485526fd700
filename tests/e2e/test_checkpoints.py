"""Signed checkpoints over HTTP, as an auditor makes and lists them."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from infra.signing import key_id, message_of, verify_checkpoint
from tests.e2e.helpers import all_items
from tests.support import ADMIN, Api

FIELDS = {
    *("version", "log_id", "seq", "index", "hash", "root", "prev", "created_at", "algorithm"),
    *("key_id", "signature", "public_key"),
}


def all_checkpoints(api: Api, headers: dict[str, str]) -> list[dict[str, Any]]:
    return all_items(api, "/api/v1/audit/checkpoints", headers, limit=2)


def test_an_auditor_signs_the_head_and_finds_the_checkpoint_listed(api: Api) -> None:
    auditor = api.account("auditor")
    api.finding(api.account("inspector"), api.unit())
    head = api.get("/api/v1/audit/verification", auditor).json()
    made = api.post("/api/v1/audit/checkpoints", None, auditor)
    assert made.status_code == 201, made.text
    cp = made.json()
    assert set(cp) == FIELDS
    assert cp["index"] >= head["head_index"] and cp["algorithm"] == "sha256"
    if cp["index"] == head["head_index"]:
        assert cp["hash"] == head["head_hash"]
    public = base64.b64decode(cp["public_key"])
    assert cp["key_id"] == key_id(public) and verify_checkpoint(cp, public)
    api.finding(api.account("inspector"), api.unit())
    later = api.post("/api/v1/audit/checkpoints", None, ADMIN).json()
    assert later["index"] > cp["index"] and verify_checkpoint(later, public)
    # they form a chain: the later one names the log, its number and the one before it
    assert cp["version"] == later["version"] == 2 and later["log_id"] == cp["log_id"]
    assert later["seq"] > cp["seq"] and len(later["root"]) == len(later["prev"]) == 64
    if later["seq"] == cp["seq"] + 1:
        assert later["prev"] == hashlib.sha256(message_of(cp)).hexdigest()
    listed = all_checkpoints(api, auditor)
    assert cp in listed and later in listed
    assert listed.index(cp) < listed.index(later)  # oldest first
    assert all(set(item) == FIELDS for item in listed)


def test_only_auditors_and_admins_make_and_read_checkpoints(api: Api) -> None:
    for role in ("inspector", "supervisor", "authority"):
        headers = api.account(role)
        assert api.post("/api/v1/audit/checkpoints", None, headers).status_code == 403
        assert api.get("/api/v1/audit/checkpoints", headers).status_code == 403
    auditor = api.account("auditor")
    assert api.post("/api/v1/audit/checkpoints", None, auditor).status_code == 201
    assert api.get("/api/v1/audit/checkpoints", ADMIN).status_code == 200
    assert api.post("/api/v1/audit/checkpoints", None, {}).status_code == 401
    assert api.get("/api/v1/audit/checkpoints", {}).status_code == 401
