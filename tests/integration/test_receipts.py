"""Receipts (issue 16 item 4): a command's answer links to the receipt of the event it
recorded; once the next checkpoint is signed, the receipt proves with the pinned key alone
that the event was recorded — and still does after the database is restored from an older
backup that diverges, which `audit verify --receipt` and the standalone tool then name."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import cli
from api.main import create_app
from api.runtime.bootstrap import Services
from infra.bundle import Export
from infra.receipts import ReceiptUnavailable, holds_problem, make_receipt, receipt_problem
from infra.settings import Settings
from infra.signing import public_key_raw
from tests.e2e.console import console_as
from tests.support import ADMIN, TOOLS, Api, as_dba

RECEIPTS = "/api/v1/audit/receipts"


@pytest.fixture
def api(services: Services, fresh_settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(fresh_settings, services=services)) as client:
        yield Api(client)


def pinned(services: Services) -> bytes:
    return public_key_raw(services.key())


def tool(*args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(TOOLS / "verify_bundle.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def key_arg(services: Services) -> tuple[str, str]:
    return "--public-key", base64.b64encode(pinned(services)).decode()


def recorded_report(api: Api) -> tuple[dict[str, str], int, str]:
    """An inspector's finding; the inspector's headers, the answer's position and its Link."""
    inspector = api.account("inspector")
    made = api.finding(inspector, api.unit(), description="<b>台账</b>缺少第三季度整改进展。")
    assert api.last is not None
    return inspector, made["position"], api.last.headers["Link"]


def test_a_receipt_is_linked_from_the_answer_and_ready_once_a_checkpoint_reaches_it(
    api: Api, services: Services, tmp_path: Path
) -> None:
    inspector, position, link = recorded_report(api)
    assert link == f'<{RECEIPTS}/{position}>; rel="receipt"'
    pending = api.get(f"{RECEIPTS}/{position}", inspector)
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "receipt_pending"
    assert api.post("/api/v1/audit/checkpoints", None, ADMIN).status_code == 201
    answer = api.get(f"{RECEIPTS}/{position}", inspector)
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert set(receipt) == {"format", "version", "algorithm", "event", "checkpoint", "proof"}
    assert receipt["event"]["position"] == position and receipt["checkpoint"]["version"] == 2
    assert receipt_problem(receipt, [pinned(services)]) is None
    kept = tmp_path / "receipt.json"
    kept.write_text(answer.text, encoding="utf-8")
    status, verdict = tool("--receipt", str(kept), *key_arg(services))
    assert status == 0 and verdict["ok"] is True and verdict["index"] == receipt["event"]["index"]
    # The same receipt, asked again after more checkpoints: the first that reached it.
    api.finding(inspector, api.unit("另一单位"))
    api.post("/api/v1/audit/checkpoints", None, ADMIN)
    assert api.get(f"{RECEIPTS}/{position}", inspector).json() == receipt


def test_only_its_author_an_auditor_or_an_administrator_gets_a_receipt(api: Api) -> None:
    _, position, _ = recorded_report(api)
    api.post("/api/v1/audit/checkpoints", None, ADMIN)
    stranger = api.account("inspector", name="另一督查员")
    for headers, status in ((stranger, 404), (api.account("auditor"), 200), (ADMIN, 200)):
        assert api.get(f"{RECEIPTS}/{position}", headers).status_code == status
    assert api.get(f"{RECEIPTS}/{position}", {}).status_code == 401
    missing = api.get(f"{RECEIPTS}/999999", ADMIN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get(f"{RECEIPTS}/0", ADMIN).status_code == 422


def test_an_account_creation_receipt_carries_the_states_hash_not_the_token_hash(
    api: Api, services: Services
) -> None:
    created = api.post("/api/v1/accounts", {"name": "审计", "role": "auditor"}, ADMIN)
    position = created.json()["position"]
    api.post("/api/v1/audit/checkpoints", None, ADMIN)
    receipt = api.get(f"{RECEIPTS}/{position}", ADMIN).json()
    assert receipt["event"]["state"] is None and len(receipt["event"]["state_hash"]) == 64
    assert receipt_problem(receipt, [pinned(services)]) is None


def made_receipt(api: Api, services: Services) -> dict[str, Any]:
    _, position, _ = recorded_report(api)
    api.post("/api/v1/audit/checkpoints", None, ADMIN)
    receipt = make_receipt(services.database, "sha256", position)
    assert receipt is not None
    return receipt


def spoilt(receipt: dict[str, Any], where: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(receipt))
    if where == "state":
        state = base64.b64decode(copy["event"]["state"]).replace("台账".encode(), "账本".encode())
        copy["event"]["state"] = base64.b64encode(state).decode()
    elif where == "proof":
        copy["proof"] = ["00" * 32, *copy["proof"][1:]] if copy["proof"] else ["00" * 32]
    elif where == "signature":
        copy["checkpoint"]["root"] = "11" * 32
    elif where == "version":
        copy["checkpoint"]["version"] = 1
    elif where == "format":
        copy["format"] = "something-else"
    elif where in ("beside", "withheld"):  # content other than the hash of what was recorded
        recorded = base64.b64decode(copy["event"]["state"])
        copy["event"]["state_hash"] = hashlib.sha256(recorded).hexdigest()
        forged = recorded.replace("台账".encode(), "账本".encode())
        copy["event"]["state"] = base64.b64encode(forged).decode() if where == "beside" else None
    else:
        del copy["event"]["hash"]
    return copy


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("state", "was altered"),
        ("proof", "the proof does not put the event"),
        ("signature", "is not signed by a pinned key"),
        ("version", "not a chained (version 2) one"),
        ("format", "not a receipt"),
        ("beside", "must carry its state or, for a secret, its state_hash"),
        ("withheld", "only an account's creation carries state_hash"),
        ("missing", "the receipt is malformed"),
    ],
)
def test_a_spoilt_receipt_is_named_by_both_verifiers(
    api: Api, services: Services, tmp_path: Path, where: str, words: str
) -> None:
    receipt = spoilt(made_receipt(api, services), where)
    problem = receipt_problem(receipt, [pinned(services)])
    assert problem is not None and words in problem
    kept = tmp_path / "receipt.json"
    kept.write_text(json.dumps(receipt), encoding="utf-8")
    status, verdict = tool("--receipt", str(kept), *key_arg(services))
    assert status == 1 and verdict["problem"] == problem


def test_a_receipt_verifies_after_the_database_is_restored_from_an_older_backup_that_diverges(
    api: Api, services: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """Done-when of issue 16: the receipt still proves the event was recorded; the database
    no longer holds it, and `audit verify --receipt` and the tool (beside a new bundle) say so."""
    api.finding(api.account("inspector"), api.unit())
    api.post("/api/v1/audit/checkpoints", None, ADMIN)  # the backup holds this one
    receipt = made_receipt(api, services)
    index = receipt["event"]["index"]
    kept = tmp_path / "receipt.json"
    kept.write_text(json.dumps(receipt), encoding="utf-8")
    cli_env = {
        "SUPERVISION_DATABASE_URL": str(fresh_settings.database_url),
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    key = base64.b64encode(pinned(services)).decode()
    ok = CliRunner().invoke(
        cli,
        ["audit", "verify", "--receipt", str(kept), "--public-key", key, "--quiet"],
        env=cli_env,
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output.splitlines()[0])["held"] is True
    # "Restore an older backup": the log as it was before the receipt's event, then life goes
    # on there — other events take its place.
    with as_dba(services.database) as conn:
        (position,) = conn.execute(
            "SELECT position FROM supervision_chain WHERE ledger_index = %s", (index,)
        ).fetchone()
        conn.execute("DELETE FROM supervision_chain WHERE ledger_index >= %s", (index,))
        conn.execute("DELETE FROM supervision_events WHERE notification_id >= %s", (position,))
        conn.execute("DELETE FROM supervision_checkpoints WHERE ledger_index >= %s", (index,))
        conn.execute("DELETE FROM supervision_merkle")
    api.finding(api.account("inspector", name="恢复后"), api.unit("恢复后单位"))
    assert receipt_problem(receipt, [pinned(services)]) is None  # it still proves the event
    diverged = holds_problem(services.database, receipt)
    assert diverged is not None and "restored from a backup that diverges" in diverged
    refused = CliRunner().invoke(
        cli,
        ["audit", "verify", "--receipt", str(kept), "--public-key", key, "--quiet"],
        env=cli_env,
    )
    assert refused.exit_code == 1 and "回执未通过核验" in refused.output
    bundle = tmp_path / "now.jsonl"
    with Export(services.database) as export:
        export.write(bundle)
    status, verdict = tool(str(bundle), "--receipt", str(kept), *key_arg(services))
    assert status == 1 and verdict["problem"] == diverged
    status, alone = tool("--receipt", str(kept), *key_arg(services))
    assert status == 0 and alone["ok"] is True
    with as_dba(services.database) as conn:  # cut back before it: no row there at all
        conn.execute("DELETE FROM supervision_chain WHERE ledger_index >= %s", (index,))
    cut = holds_problem(services.database, receipt)
    assert cut is not None and f"no row at index {index}" in cut


def test_a_stored_tree_that_disagrees_with_the_signed_root_gives_no_receipt(
    api: Api, services: Services
) -> None:
    inspector = api.account("inspector")
    unit = api.unit()
    for _ in range(70):  # past one block of 64 leaves: stored subtrees are used
        api.finding(inspector, unit)
    receipt = made_receipt(api, services)
    with as_dba(services.database) as conn:
        conn.execute("UPDATE supervision_merkle SET hash = sha256(hash)")
    with pytest.raises(ReceiptUnavailable, match="the stored Merkle tree gives root"):
        make_receipt(services.database, "sha256", receipt["event"]["position"])
    answer = api.get(f"{RECEIPTS}/{receipt['event']['position']}", ADMIN)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "receipt_unavailable"


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(TOOLS / "verify_bundle.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_receipt_needs_a_pinned_key_and_json_and_a_bundle_that_verifies(
    tmp_path: Path, services: Services, fresh_settings: Settings
) -> None:
    kept = tmp_path / "receipt.json"
    kept.write_text("not json", encoding="utf-8")
    no_key = run_tool("--receipt", str(kept))
    assert no_key.returncode == 2 and "pinned key" in no_key.stderr
    not_json = run_tool("--receipt", str(kept), *key_arg(services))
    assert not_json.returncode == 2 and "cannot read the receipt" in not_json.stderr
    nothing = run_tool()
    assert nothing.returncode == 2 and "give a bundle, or --receipt" in nothing.stderr
    bad_bundle = tmp_path / "bad.jsonl"
    bad_bundle.write_text('{"type": "header"}\n', encoding="utf-8")
    status, verdict = tool(str(bad_bundle), "--receipt", str(kept), *key_arg(services))
    assert status == 1 and verdict["ok"] is False and "header" in verdict["problem"]
    env = {"SUPERVISION_DATABASE_URL": str(fresh_settings.database_url)}
    key = base64.b64encode(pinned(services)).decode()
    for args, words in (
        (["--receipt", str(kept)], "checked against --public-key"),
        (["--receipt", str(kept), "--public-key", key], "not JSON"),
    ):
        refused = CliRunner().invoke(cli, ["audit", "verify", *args], env=env)
        assert refused.exit_code == 2 and words in refused.output


def test_the_console_offers_each_step_s_receipt_to_whoever_recorded_it(
    api: Api, services: Services
) -> None:
    inspector = api.account("inspector")
    finding = api.finding(inspector, api.unit())
    page_path, step = f"/findings/{finding['id']}", f"/receipts/{finding['id']}/1"
    with console_as(api.client, inspector) as browser:
        # Before a signed checkpoint reaches the step, the page says the receipt waits for
        # one, and offers no link that could only be refused.
        page = browser.get(page_path).text
        assert f'href="{step}"' not in page and "回执待下一个检查点签署后可下载" in page
        pending = browser.get(step)
        assert pending.status_code == 409 and "下一个检查点签署后即可下载回执" in pending.text
        api.post("/api/v1/audit/checkpoints", None, ADMIN)
        page = browser.get(page_path).text
        assert f'href="{step}"' in page and "回执待下一个检查点签署后可下载" not in page
        download = browser.get(step)
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith('attachment; filename="receipt-')
        assert receipt_problem(download.json(), [pinned(services)]) is None
        for unknown in (f"/receipts/{finding['id']}/9", f"/receipts/{uuid4()}/1"):
            assert browser.get(unknown).status_code == 404
    with console_as(api.client, api.account("inspector", name="另一督查员")) as other:
        seen = other.get(page_path).text
        assert f'href="{step}"' not in seen and "回执待" not in seen
        assert other.get(step).status_code == 404
    with console_as(api.client, api.account("auditor")) as auditor:
        assert auditor.get(step).status_code == 200
        with as_dba(services.database) as conn:  # the step's chain row is gone: no receipt
            conn.execute(
                "DELETE FROM supervision_chain WHERE position = %s", (finding["position"],)
            )
        assert auditor.get(step).status_code == 404


def test_the_console_gives_no_receipt_when_the_stored_tree_disagrees(
    api: Api, services: Services
) -> None:
    inspector = api.account("inspector")
    unit = api.unit()
    first = api.finding(inspector, unit)
    for _ in range(70):  # past one block of 64 leaves: stored subtrees are used
        api.finding(inspector, unit)
    api.post("/api/v1/audit/checkpoints", None, ADMIN)
    with console_as(api.client, inspector) as browser:
        assert browser.get(f"/receipts/{first['id']}/1").status_code == 200
        with as_dba(services.database) as conn:
            conn.execute("UPDATE supervision_merkle SET hash = sha256(hash)")
        refused = browser.get(f"/receipts/{first['id']}/1")
        assert refused.status_code == 409 and "默克尔树" in refused.text


def by_hand_script() -> str:
    """The by-hand receipt reader of docs/audit.md §8, as the document prints it."""
    text = (TOOLS.parent / "docs" / "audit.md").read_text(encoding="utf-8")
    return text.split("python3 - receipt.json <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]


def test_the_by_hand_reader_of_the_docs_checks_a_receipt(
    api: Api, services: Services, tmp_path: Path
) -> None:
    inspector = api.account("inspector")
    unit = api.unit()
    for _ in range(5):  # a proof of a few nodes
        api.finding(inspector, unit)
    receipt = made_receipt(api, services)
    script = by_hand_script()
    assert len(script.splitlines()) <= 40
    for case, expected in (
        (receipt, 0),
        (spoilt(receipt, "proof"), 1),
        (spoilt(receipt, "state"), 1),
    ):
        kept = tmp_path / "receipt.json"
        kept.write_text(json.dumps(case), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-", str(kept)], input=script, capture_output=True, text=True
        )
        assert done.returncode == expected, done.stderr
    kept.write_text(json.dumps(receipt), encoding="utf-8")
    done = subprocess.run([sys.executable, "-", str(kept)], input=script, capture_output=True,
                          text=True)  # fmt: skip
    assert done.stdout.strip() == (
        f"event {receipt['event']['index']} is under checkpoint {receipt['checkpoint']['seq']}, "
        f"root {receipt['checkpoint']['root']}"
    )
