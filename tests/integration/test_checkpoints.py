"""Signed checkpoints of the chain's head: what they sign, what breaks a signature, the
automatic checkpoints, and where the signing key comes from."""

from __future__ import annotations

import base64
import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from psycopg.rows import dict_row
from typer.testing import CliRunner, Result

from api.cli.main import cli
from api.console import audit_pages
from api.main import create_app
from api.runtime.bootstrap import Services, build
from infra import merkle
from infra.audit import chain_problem_after
from infra.bundle import verify_checkpoints
from infra.chain import hasher, link
from infra.checkpoints import (
    AutoCheckpointer,
    CheckpointConflict,
    CheckpointRefused,
    EmptyLog,
    SignerState,
    as_json,
    list_checkpoints,
    make_checkpoint,
    signer_state,
)
from infra.settings import Settings
from infra.signing import (
    SigningKeyError,
    checkpoint_message,
    key_id,
    load_or_create_key,
    message_of,
    public_key_raw,
    sign_checkpoint,
    verify_checkpoint,
)
from tests.conftest import ADMIN_TOKEN
from tests.e2e.console import sign_in
from tests.integration.conftest import ADMIN as ADMIN_ACTOR
from tests.integration.conftest import raise_finding
from tests.support import ADMIN, as_dba


def register_and_raise(services: Services, findings: int = 2) -> None:
    code = f"u{time.monotonic_ns()}"
    services.app.register_unit(code=code, name="单位", kind="township", actor=ADMIN_ACTOR)
    for n in range(findings):
        raise_finding(services, code, f"问题{n}")


def chain_head(services: Services) -> tuple[int, str]:
    with as_dba(services.database) as conn:
        row = conn.execute(
            "SELECT ledger_index, hash FROM supervision_chain ORDER BY ledger_index DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return int(row[0]), bytes(row[1]).hex()


def public_of(services: Services) -> bytes:
    return public_key_raw(services.key())


def auto_checkpointer(
    services: Services, every_events: int = 0, every_minutes: float = 0, **options: Any
) -> AutoCheckpointer:
    """An auto-checkpointer over `services`' log and key, signing with sha256 (0 disables)."""
    return AutoCheckpointer(
        services.database,
        "sha256",
        services.key(),
        every_events=every_events,
        every_minutes=every_minutes,
        **options,
    )


def test_a_checkpoint_signs_the_chain_head(services: Services) -> None:
    register_and_raise(services)
    index, hash_hex = chain_head(services)
    cp = services.checkpoint()
    assert (cp["index"], cp["hash"], cp["algorithm"]) == (index, hash_hex, "sha256")
    public = public_of(services)
    assert cp["key_id"] == key_id(public) and len(cp["key_id"]) == 16
    assert base64.b64decode(cp["public_key"], validate=True) == public
    created = datetime.fromisoformat(cp["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert created.isoformat() == cp["created_at"]
    assert verify_checkpoint(cp, public)
    message = checkpoint_message(index, hash_hex, cp["created_at"], "sha256", cp["key_id"])
    assert message.decode() == (
        f"supervision-checkpoint-v1\n{index}\n{hash_hex}\n{cp['created_at']}\nsha256\n"
        f"{cp['key_id']}"
    )


def test_the_stored_checkpoint_reads_back_exactly_as_signed(services: Services) -> None:
    register_and_raise(services)
    made = services.checkpoint()
    (listed,) = list_checkpoints(services.database, 10, 0)
    assert listed == made
    with as_dba(services.database) as conn:
        row = conn.execute(
            "SELECT ledger_index, hash, algorithm, key_id, signature, public_key "
            "FROM supervision_checkpoints"
        ).fetchone()
    assert row is not None
    assert (row[0], bytes(row[1]).hex(), row[2], row[3]) == (
        made["index"],
        made["hash"],
        "sha256",
        made["key_id"],
    )
    assert len(bytes(row[4])) == 64 and bytes(row[5]) == public_of(services)


def test_a_changed_field_or_another_key_fails_verification(services: Services) -> None:
    register_and_raise(services)
    cp = services.checkpoint()
    public = public_of(services)
    assert verify_checkpoint(cp, public)
    assert not verify_checkpoint(dict(cp, index=cp["index"] - 1), public)
    assert not verify_checkpoint(dict(cp, hash="0" * 64), public)
    assert not verify_checkpoint(dict(cp, hash=cp["hash"].upper()), public)
    assert not verify_checkpoint(dict(cp, created_at="2020-01-01T00:00:00+00:00"), public)
    assert not verify_checkpoint(dict(cp, algorithm="sm3"), public)
    assert not verify_checkpoint(dict(cp, signature="not base64!"), public)
    assert not verify_checkpoint({k: v for k, v in cp.items() if k != "signature"}, public)
    other = public_key_raw(Ed25519PrivateKey.generate())
    assert not verify_checkpoint(cp, other)
    assert not verify_checkpoint(dict(cp, key_id=key_id(other)), other)
    assert not verify_checkpoint(cp, b"short")


def test_a_checkpoint_of_an_unchanged_head_is_not_repeated(services: Services) -> None:
    register_and_raise(services)
    first = services.checkpoint()
    assert services.checkpoint() == first
    register_and_raise(services, findings=1)
    second = services.checkpoint()
    assert second["index"] > first["index"] and second["id"] > first["id"]
    assert [cp["id"] for cp in list_checkpoints(services.database, 10, 0)] == [
        first["id"],
        second["id"],
    ]
    assert list_checkpoints(services.database, 10, first["id"]) == [second]


def test_the_console_lists_the_newest_checkpoints_first_and_says_when_it_shows_only_some(
    services: Services, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = []
    for _ in range(3):
        register_and_raise(services, findings=1)
        made.append(services.checkpoint())
    monkeypatch.setattr(audit_pages, "SHOWN_CHECKPOINTS", 2)
    with TestClient(create_app(fresh_settings, services=services)) as client:
        sign_in(client, ADMIN_TOKEN)
        page = client.get("/audit").text
    shown = [f'<td class="num">{cp["index"]}</td>' for cp in made]
    assert shown[0] not in page and page.index(shown[2]) < page.index(shown[1])
    assert "仅列出最近 2 个检查点" in page


def test_an_empty_log_has_no_checkpoint(services: Services) -> None:
    with pytest.raises(EmptyLog):
        services.checkpoint()


def test_a_rewritten_chain_under_the_newest_checkpoint_is_refused(services: Services) -> None:
    register_and_raise(services)
    cp = services.checkpoint()
    with as_dba(services.database) as conn:
        conn.execute(
            "UPDATE supervision_chain SET hash = sha256(hash) WHERE ledger_index = %s",
            (cp["index"],),
        )
    register_and_raise(services, findings=1)
    with pytest.raises(CheckpointConflict, match=f"index {cp['index']}"):
        services.checkpoint()


def test_the_auto_checkpointer_signs_after_n_events(services: Services) -> None:
    checkpointer = auto_checkpointer(services, every_events=5, poll_seconds=0.05)
    assert checkpointer.check_once() is None  # nothing yet
    register_and_raise(services, findings=1)  # 2 events: fewer than 5
    assert checkpointer.check_once() is None
    checkpointer.start()
    try:
        register_and_raise(services, findings=3)  # 6 events in all
        deadline = time.monotonic() + 10
        while not list_checkpoints(services.database, 10, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        (cp,) = list_checkpoints(services.database, 10, 0)
        assert cp["index"] >= 5 and verify_checkpoint(cp, public_of(services))
    finally:
        checkpointer.stop()
    assert not checkpointer.is_alive()


def test_the_auto_checkpointer_signs_after_t_minutes_only_when_there_is_news(
    services: Services,
) -> None:
    checkpointer = auto_checkpointer(services, every_minutes=1e-6)
    assert checkpointer.check_once() is None  # empty log
    register_and_raise(services, findings=1)
    made = checkpointer.check_once()
    assert made is not None and verify_checkpoint(made, public_of(services))
    assert checkpointer.check_once() is None  # nothing new since
    disabled = auto_checkpointer(services)
    register_and_raise(services, findings=1)
    assert not disabled.enabled and disabled.check_once() is None


def test_build_starts_the_auto_checkpointer_only_when_asked(fresh_settings: Settings) -> None:
    settings = fresh_settings.model_copy(update={"checkpoint_every_events": 1})
    plain = build(settings, runners="off")
    try:
        assert plain.checkpointer is None
    finally:
        plain.close()
    serving = build(settings, runners="off", checkpoints=True)
    try:
        assert serving.checkpointer is not None and serving.checkpointer.is_alive()
        assert serving.checkpointer.every_events == 1
    finally:
        serving.close()
    assert not serving.checkpointer.is_alive()


def test_without_a_configured_key_one_is_generated_under_the_data_dir(
    fresh_settings: Settings,
) -> None:
    plain = build(fresh_settings, runners="off")  # a one-shot command signs nothing
    plain.close()
    assert not (fresh_settings.data_dir / "signing-key.pem").exists()
    path = fresh_settings.data_dir / "signing-key.pem"
    assert fresh_settings.signing_key_file is None and not path.exists()
    first = build(fresh_settings, runners="off", checkpoints=True)
    first.close()
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = build(fresh_settings, runners="off", checkpoints=True)
    again.close()
    assert public_key_raw(again.key()) == public_key_raw(first.key())
    shown = run_cli(fresh_settings, "audit", "public-key")
    assert shown.exit_code == 0, shown.output
    answer = json.loads(shown.output)
    assert answer["public_key"] == base64.b64encode(public_key_raw(first.key())).decode()
    assert answer["key_id"] == key_id(public_key_raw(first.key()))


def test_a_configured_key_file_that_is_missing_is_an_error(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "elsewhere" / "key.pem"
    settings = fresh_settings.model_copy(update={"signing_key_file": missing})
    with pytest.raises(SigningKeyError, match="does not exist"):
        build(settings, runners="off", checkpoints=True)
    assert not missing.exists() and not (fresh_settings.data_dir / "signing-key.pem").exists()
    checkpoint = run_cli(settings, "audit", "checkpoint")
    assert checkpoint.exit_code == 2 and "does not exist" in checkpoint.output


def test_public_key_creates_no_key(fresh_settings: Settings) -> None:
    shown = run_cli(fresh_settings, "audit", "public-key")
    assert shown.exit_code == 2 and "does not exist" in shown.output
    assert not (fresh_settings.data_dir / "signing-key.pem").exists()


def test_keygen_writes_a_key_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "checkpoint.pem"
    made = CliRunner().invoke(cli, ["audit", "keygen", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key = load_or_create_key(out, create=False)
    answer = json.loads(made.output)
    assert answer["key_id"] == key_id(public_key_raw(key))
    before = out.read_bytes()
    refused = CliRunner().invoke(cli, ["audit", "keygen", "--out", str(out)])
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["checkpoint.pem"]  # no temporary left
    forced = CliRunner().invoke(cli, ["audit", "keygen", "--out", str(out), "--force"])
    assert forced.exit_code == 0 and out.read_bytes() != before
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_configured_key_signs_and_the_cli_makes_checkpoints(
    services: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "configured.pem"
    assert CliRunner().invoke(cli, ["audit", "keygen", "--out", str(out)]).exit_code == 0
    settings = fresh_settings.model_copy(update={"signing_key_file": out})
    empty = run_cli(settings, "audit", "checkpoint")
    assert empty.exit_code == 2 and "empty" in empty.output
    register_and_raise(services)
    made = run_cli(settings, "audit", "checkpoint")
    assert made.exit_code == 0, made.output
    cp = json.loads(made.output)
    assert set(cp) == {
        "version",
        "log_id",
        "seq",
        "index",
        "hash",
        "root",
        "prev",
        "created_at",
        "algorithm",
        "key_id",
        "signature",
        "public_key",
    }
    configured = public_key_raw(load_or_create_key(out, create=False))
    assert verify_checkpoint(cp, configured) and cp["index"] == chain_head(services)[0]
    # the service's own (default) key made none of it
    assert not verify_checkpoint(cp, public_of(services))
    # a checkpoint with another key at the same head is a new one, not the old one again
    mine = make_checkpoint(services.database, "sha256", services.key())
    assert mine["index"] == cp["index"] and mine["key_id"] != cp["key_id"]


def test_a_key_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    bad.chmod(0o600)
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM"):
        load_or_create_key(bad, create=True)


def test_a_key_file_other_users_may_read_is_refused_at_start_up(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "shared.pem"
    assert CliRunner().invoke(cli, ["audit", "keygen", "--out", str(out)]).exit_code == 0
    out.chmod(0o640)  # readable by the group (the database's OS user, say)
    settings = fresh_settings.model_copy(update={"signing_key_file": out})
    with pytest.raises(SigningKeyError, match="may be read by other users"):
        build(settings, checkpoints=True)
    refused = run_cli(settings, "audit", "checkpoint")
    assert refused.exit_code != 0 and "chmod 600" in refused.output


def run_cli(settings: Settings, *args: str) -> Result:
    key_file = settings.signing_key_file
    env: dict[str, str | None] = {
        "SUPERVISION_DATABASE_URL": settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(settings.data_dir),
        "SUPERVISION_SIGNING_KEY_FILE": str(key_file) if key_file else None,  # None: unset
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, list(args), env=env)


# The signer keeps what it signed outside the database (issue 16 item 2) ------------------------


def forge_and_rechain(services: Services) -> None:
    """What a database administrator can do: change the first event that names a 问题,
    recompute the chain from it, and delete every checkpoint. The event is found by what it
    says, not by its position, which a background job's event may take."""
    h = hasher(services.settings.hash_algorithm)
    with as_dba(services.database) as conn:
        found = conn.execute(
            "SELECT c.ledger_index FROM supervision_chain c JOIN supervision_events e "
            "ON e.notification_id = c.position WHERE convert_from(e.state, 'UTF8') LIKE '%%问题%%' "
            "ORDER BY c.ledger_index LIMIT 1"
        ).fetchone()
        assert found is not None, "no event to forge"
        (index,) = found
        forged = conn.execute(
            "UPDATE supervision_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
            "'问题', '伪造'), 'UTF8') WHERE notification_id = "
            "(SELECT position FROM supervision_chain WHERE ledger_index = %s)",
            (index,),
        )
        assert forged.rowcount == 1
        (prev,) = conn.execute(
            "SELECT hash FROM supervision_chain WHERE ledger_index = %s", (index - 1,)
        ).fetchone() or (b"",)
        rows = conn.execute(
            "SELECT c.ledger_index, e.notification_id, e.originator_id, e.originator_version, "
            "e.topic, e.state FROM supervision_chain c JOIN supervision_events e "
            "ON e.notification_id = c.position WHERE c.ledger_index >= %s ORDER BY 1",
            (index,),
        ).fetchall()
        previous = bytes(prev)
        for ledger_index, position, aggregate, version, topic, state in rows:
            made = link(h, previous, ledger_index, position, str(aggregate), version, topic, state)
            conn.execute(
                "UPDATE supervision_chain SET prev_hash = %s, hash = %s WHERE ledger_index = %s",
                (made.prev_hash, made.hash, ledger_index),
            )
            previous = made.hash
        conn.execute("DELETE FROM supervision_checkpoints")


def test_the_signer_keeps_what_it_signed_beside_its_key_and_signs_a_log_that_extends_it(
    services: Services,
) -> None:
    register_and_raise(services)
    first = services.checkpoint()
    state = signer_state(services.settings)
    assert state.path.parent == services.settings.data_dir
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
    assert (state.load() or {})["index"] == first["index"] == chain_head(services)[0]
    register_and_raise(services)
    second = services.checkpoint()
    assert second["index"] > first["index"] and (state.load() or {})["hash"] == second["hash"]


def test_a_forged_rechained_log_with_its_checkpoints_deleted_is_not_signed_again(
    services: Services, fresh_settings: Settings
) -> None:
    register_and_raise(services, findings=3)
    signed = services.checkpoint()
    forge_and_rechain(services)
    with pytest.raises(CheckpointRefused, match="rewritten"):
        services.checkpoint()
    assert list_checkpoints(services.database, 10) == []  # nothing was signed
    refused = run_cli(fresh_settings, "audit", "checkpoint")
    assert refused.exit_code == 2 and f"index {signed['index']}" in refused.output


def test_a_log_cut_short_is_not_signed_and_readyz_says_so(
    services: Services, fresh_settings: Settings
) -> None:
    register_and_raise(services, findings=3)
    services.checkpoint()
    with as_dba(services.database) as conn:
        conn.execute("DELETE FROM supervision_chain WHERE ledger_index > 2")
        conn.execute("DELETE FROM supervision_events WHERE notification_id > 2")
        conn.execute("DELETE FROM supervision_checkpoints")
    checker = auto_checkpointer(services, every_events=1, state=signer_state(services.settings))
    register_and_raise(services, findings=1)  # new events where the cut ones were: due
    with pytest.raises(CheckpointRefused, match="no longer has the hash this signer signed"):
        checker.check_once()
    assert checker.refused is not None
    services.checkpointer = checker
    services.settings = fresh_settings.model_copy(update={"projection_runners": "off"})
    with TestClient(create_app(fresh_settings, services=services)) as client:
        ready = client.get("/readyz")
    assert ready.json()["checks"]["checkpoints"] == "refused"  # degraded, still serving
    assert ready.status_code == 200 and ready.json()["ready"] is True
    services.checkpointer = None


def test_a_log_shorter_than_what_was_signed_is_refused(services: Services) -> None:
    register_and_raise(services, findings=3)
    signed = services.checkpoint()
    with as_dba(services.database) as conn:
        conn.execute("DELETE FROM supervision_chain WHERE ledger_index > 3")
        conn.execute("DELETE FROM supervision_events WHERE notification_id > 3")
    with pytest.raises(CheckpointRefused, match=f"before index {signed['index']}"):
        services.checkpoint()


def test_a_broken_link_after_what_was_signed_is_refused(services: Services) -> None:
    register_and_raise(services, findings=2)
    signed = services.checkpoint()
    register_and_raise(services, findings=2)
    with as_dba(services.database) as conn:
        conn.execute(
            "UPDATE supervision_chain SET hash = sha256(hash) WHERE ledger_index = %s",
            (signed["index"] + 2,),
        )
    with pytest.raises(CheckpointRefused, match=f"after index {signed['index']} does not extend"):
        services.checkpoint()
    with services.database.connection(row_factory=dict_row) as conn:
        missing = chain_problem_after(conn, "sha256", 999, b"\0" * 32)
    assert missing == "there is no chain row at index 999"


def test_the_services_own_verdict_checks_the_checkpoints_against_its_pinned_keys(
    services: Services, fresh_settings: Settings
) -> None:
    """GET /api/v1/audit/verification and the console's 审计 page: the chain and every
    checkpoint, against the service's own key; with SUPERVISION_AUDIT_PUBLIC_KEYS, a log
    no checkpoint of theirs covers fails too."""
    register_and_raise(services)
    services.checkpoint()
    stranger = Ed25519PrivateKey.generate()
    index, hash_hex = chain_head(services)
    created_at = datetime.now(UTC).isoformat()
    kid = key_id(public_key_raw(stranger))
    message = checkpoint_message(index, hash_hex, created_at, "sha256", kid)
    with as_dba(services.database) as conn:
        conn.execute(
            "INSERT INTO supervision_checkpoints (ledger_index, hash, created_at, algorithm, "
            "key_id, signature, public_key) VALUES (%s, %s, %s, 'sha256', %s, %s, %s)",
            (index, bytes.fromhex(hash_hex), created_at, kid, stranger.sign(message),
             public_key_raw(stranger)),
        )  # fmt: skip
    with TestClient(create_app(fresh_settings, services=services)) as client:
        answer = client.get("/api/v1/audit/verification", headers=ADMIN).json()
        assert answer["ok"] is False and answer["first_invalid_index"] is None
        assert (
            answer["bad_checkpoint"]["index"] == index and "not the pinned key" in answer["problem"]
        )
        sign_in(client, ADMIN_TOKEN)
        page = client.get("/audit").text
        assert "签署的检查点与哈希链不符" in page
    with as_dba(services.database) as conn:
        conn.execute("DELETE FROM supervision_checkpoints")
    assert services.audit_verdict().ok is True  # the own key: deleting is not judged here
    own = base64.b64encode(public_key_raw(services.key())).decode()
    pinned = fresh_settings.model_copy(update={"audit_public_keys": [own]})
    services.settings = pinned
    verdict = services.audit_verdict()
    assert verdict.ok is False and "no checkpoint signed by the pinned key" in str(verdict.problem)


def test_the_signers_record_never_moves_back_and_a_write_failure_fails_no_checkpoint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = SignerState(tmp_path / "key.pem.state.json")
    cp = {"index": 9, "hash": "ab" * 32, "algorithm": "sha256", "key_id": "k", "created_at": "t"}
    state.save(cp)
    state.save(dict(cp, index=4, hash="cd" * 32))  # a racing signer that signed less
    assert (state.load() or {})["index"] == 9
    blocked = SignerState(tmp_path / "not-a-dir" / "x.json")
    (tmp_path / "not-a-dir").write_text("a file where the directory should be")
    blocked.save(cp)  # logged, not raised: the checkpoint is made already
    assert any(r.getMessage() == "the signer's record could not be kept" for r in caplog.records)


def chain_hashes(services: Services) -> list[bytes]:
    with as_dba(services.database) as conn:
        rows = conn.execute("SELECT hash FROM supervision_chain ORDER BY ledger_index").fetchall()
    return [bytes(row[0]) for row in rows]


def test_the_signer_chains_its_checkpoints_with_the_log_id_and_the_merkle_root(
    services: Services,
) -> None:
    """Version 2: each checkpoint names the log (its first chain hash), its number, the
    previous checkpoint's hash and the RFC 9162 root of the chain up to its index."""
    made = []
    for _ in range(3):
        register_and_raise(services, findings=3)
        made.append(services.checkpoint())
    h, leaves = hasher("sha256"), chain_hashes(services)
    public = public_of(services)
    previous = "0" * 64
    for seq, cp in enumerate(made, start=1):
        assert (cp["version"], cp["seq"], cp["prev"]) == (2, seq, previous)
        assert cp["log_id"] == leaves[0].hex()
        assert cp["root"] == merkle.root(h, merkle.in_memory(h, leaves), cp["index"]).hex()
        assert verify_checkpoint(cp, public)
        assert not verify_checkpoint(dict(cp, root=leaves[0].hex()), public)
        assert not verify_checkpoint(dict(cp, seq=seq + 1), public)
        assert not verify_checkpoint(dict(cp, seq=str(seq)), public)
        assert not verify_checkpoint(dict(cp, version=3), public)
        previous = h(message_of(cp)).hex()
    listed = list_checkpoints(services.database, 10)
    assert [as_json(cp) for cp in listed] == [as_json(cp) for cp in made]
    assert verify_checkpoints(services.database, public).ok


def test_the_signer_extends_the_merkle_tree_from_its_record(services: Services) -> None:
    """The signer keeps the tree's frontier beside its key and hashes only the rows added
    since: a record without one is rebuilt from every row, and a frontier that is not the
    chain's (here, spoilt on purpose) gives a root the verifiers refuse."""
    register_and_raise(services, findings=3)
    services.checkpoint()
    state = signer_state(services.settings)
    kept = state.load() or {}
    assert len(kept["frontier"]) == kept["index"].bit_count() and kept["seq"] == 1
    state.write({k: v for k, v in kept.items() if k != "frontier"})  # an older record
    register_and_raise(services, findings=2)
    second = services.checkpoint()
    h = hasher("sha256")
    leaves = chain_hashes(services)
    assert second["root"] == merkle.root(h, merkle.in_memory(h, leaves), second["index"]).hex()
    spoilt = state.load() or {}
    state.write(dict(spoilt, frontier=["00" * 32] * len(spoilt["frontier"])))
    register_and_raise(services, findings=1)
    third = services.checkpoint()
    verdict = verify_checkpoints(services.database, public_of(services))
    assert verdict.ok is False and verdict.bad_checkpoint is not None
    assert verdict.bad_checkpoint["index"] == third["index"]
    assert "signs Merkle root" in str(verdict.problem)


def test_a_signer_whose_last_checkpoint_was_deleted_signs_no_more(services: Services) -> None:
    """Deleting the checkpoints would let the next one start a fresh chain of its own that
    verifies; the signer remembers what it signed and refuses."""
    register_and_raise(services)
    signed = services.checkpoint()
    with as_dba(services.database) as conn:
        conn.execute("DELETE FROM supervision_checkpoints")
    register_and_raise(services)
    with pytest.raises(CheckpointRefused, match=f"checkpoint {signed['seq']}, signed by this"):
        services.checkpoint()
    assert list_checkpoints(services.database, 10) == []


def test_checkpoints_chain_on_after_version_1_ones(services: Services) -> None:
    """A log with checkpoints from before the chain (version 1) goes on: the first chained
    one is number (their count + 1) and names the last of them."""
    register_and_raise(services)
    index, hash_hex = chain_head(services)
    old = sign_checkpoint(services.key(), index, hash_hex, datetime.now(UTC).isoformat(), "sha256")
    assert old["version"] == 1 and old["seq"] is None
    with as_dba(services.database) as conn:
        conn.execute(
            "INSERT INTO supervision_checkpoints (ledger_index, hash, created_at, algorithm, "
            "key_id, signature, public_key) VALUES (%s, %s, %s, 'sha256', %s, %s, %s)",
            (index, bytes.fromhex(hash_hex), old["created_at"], old["key_id"],
             base64.b64decode(old["signature"]), public_key_raw(services.key())),
        )  # fmt: skip
    register_and_raise(services)
    new = services.checkpoint()
    assert new["seq"] == 2 and new["prev"] == hasher("sha256")(message_of(old)).hex()
    assert verify_checkpoints(services.database, public_of(services)).checkpoints_verified == 2


def test_a_chain_row_missing_under_the_head_fails_the_checkpoint(services: Services) -> None:
    register_and_raise(services, findings=3)
    with as_dba(services.database) as conn:
        conn.execute("DELETE FROM supervision_chain WHERE ledger_index = 3")
    with pytest.raises(CheckpointConflict, match="the chain has rows missing after index 0"):
        make_checkpoint(services.database, "sha256", services.key())
