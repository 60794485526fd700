"""The hash chain from event one: continuous under concurrent writers, and any change detected."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import ProgrammingError
from typer.testing import CliRunner

from api.cli.main import cli, main
from api.runtime.bootstrap import Services, build, migrate_database
from infra.audit import verify_chain
from infra.migrations import AlgorithmMismatch
from infra.settings import Settings
from tests.conftest import settings_for
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding
from tests.support import as_dba

WRITERS = 4
FINDINGS_PER_WRITER = 25


def write_findings(services: Services, writer: int) -> None:
    code = f"w{writer}"
    services.app.register_unit(code=code, name=f"单位{writer}", kind="township", actor=ADMIN)
    for n in range(FINDINGS_PER_WRITER):
        fid = raise_finding(services, code, f"问题{n}")
        services.app.order_rectification(
            fid, deadline=date(2024, 2, 1), requirements="r", actor=INSPECTOR
        )


def chain_rows(services: Services) -> list[tuple[int, int, int]]:
    with services.database.connect() as conn:
        return conn.execute(
            "SELECT c.ledger_index, c.position, e.notification_id FROM supervision_chain c "
            "JOIN supervision_events e ON e.notification_id = c.position ORDER BY c.ledger_index"
        ).fetchall()


@pytest.fixture(params=["sha256", "sm3"])
def chained(
    request: pytest.FixtureRequest, new_database: Callable[[], str], tmp_path: Path
) -> Iterator[tuple[Services, str]]:
    """The services on a fresh log of each hash: every tamper and concurrency test runs for
    both, as the database (SHA-256) and this process (SM3) build the chain differently."""
    algorithm: str = request.param
    settings = settings_for(new_database(), tmp_path, hash_algorithm=algorithm)
    migrate_database(settings)
    opened = build(settings, runners="off")
    yield opened, algorithm
    opened.close()


def test_chain_stays_continuous_and_verifiable_under_four_concurrent_writers(
    chained: tuple[Services, str],
) -> None:
    services, algorithm = chained
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda w: write_findings(services, w), range(WRITERS)))
    expected = WRITERS * (1 + 2 * FINDINGS_PER_WRITER)
    rows = chain_rows(services)
    assert [r[0] for r in rows] == list(range(1, expected + 1))
    assert [r[1] for r in rows] == sorted(r[2] for r in rows)
    result = verify_chain(services.database, algorithm)
    assert result.ok and result.events_verified == expected and result.head_index == expected


def tamper(services: Services, sql: str) -> None:
    """What the database's administrator can do (the service cannot: append-only)."""
    with as_dba(services.database) as conn:
        conn.execute(sql)


def test_changing_one_stored_byte_is_detected_at_that_event(
    chained: tuple[Services, str],
) -> None:
    services, algorithm = chained
    write_findings(services, 0)
    tamper(
        services,
        "UPDATE supervision_events SET state = set_byte(state, 10, get_byte(state, 10) # 1) "
        "WHERE notification_id = 7",
    )
    result = verify_chain(services.database, algorithm)
    assert not result.ok and result.first_invalid_index == 7 and result.events_verified == 6


def test_a_deleted_event_is_detected(chained: tuple[Services, str]) -> None:
    services, algorithm = chained
    write_findings(services, 0)
    tamper(services, "DELETE FROM supervision_events WHERE notification_id = 5")
    result = verify_chain(services.database, algorithm)
    assert not result.ok and result.first_invalid_index == 5


def test_a_rewritten_chain_row_is_detected(chained: tuple[Services, str]) -> None:
    services, algorithm = chained
    write_findings(services, 0)
    tamper(services, "UPDATE supervision_chain SET hash = sha256(hash) WHERE ledger_index = 3")
    result = verify_chain(services.database, algorithm)
    assert not result.ok and result.first_invalid_index in (3, 4)


def test_an_event_inserted_by_hand_is_never_chained_by_the_next_command(
    chained: tuple[Services, str],
) -> None:
    """A raw INSERT into the events table (as a database administrator could make) stays
    without a chain row even after ordinary commands: the chain extends only over what each
    command's own transaction inserted, so verification names the forged event."""
    services, algorithm = chained
    write_findings(services, 0)
    tamper(
        services,
        "INSERT INTO supervision_events (originator_id, originator_version, topic, state) "
        "SELECT gen_random_uuid(), 1, topic, state FROM supervision_events "
        "WHERE notification_id = 2",
    )
    with services.database.connect() as conn:
        row = conn.execute("SELECT max(notification_id) FROM supervision_events").fetchone()
    assert row is not None
    forged = int(row[0])
    write_findings(services, 1)  # ordinary commands after it
    result = verify_chain(services.database, algorithm)
    assert not result.ok and result.events_verified == forged - 1, result
    assert result.problem == f"event at position {forged} has no chain row", result


def test_the_cli_exits_non_zero_naming_the_first_bad_index(
    services: Services, fresh_settings: Settings
) -> None:
    write_findings(services, 0)
    env = {
        "SUPERVISION_DATABASE_URL": fresh_settings.database_url or "",
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--quiet"], env=env)
    assert ok.exit_code == 0, ok.output
    assert '"ok": true' in ok.output
    tamper(
        services,
        "UPDATE supervision_events SET state = state || '\\x00'::bytea WHERE notification_id = 4",
    )
    broken = runner.invoke(cli, ["audit", "verify", "--quiet"], env=env)
    assert broken.exit_code == 1
    assert "index 4" in broken.output


def test_the_cli_finds_a_log_whose_algorithm_row_was_changed_not_verified(
    services: Services, fresh_settings: Settings
) -> None:
    """The log's record of its hash algorithm rewritten to none (or deleted) is a log that
    does not verify (exit 1, with the verdict), not a command that could not run (exit 2);
    one naming the other algorithm is a log of it, and the setting is wrong (exit 2)."""
    write_findings(services, 0)
    env = {
        "SUPERVISION_DATABASE_URL": fresh_settings.database_url or "",
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()
    other = "UPDATE supervision_log_meta SET value = 'sm3' WHERE key = 'hash_algorithm'"
    tamper(services, other)
    with pytest.raises(AlgorithmMismatch, match="SUPERVISION_HASH_ALGORITHM is 'sha256'"):
        runner.invoke(cli, ["audit", "verify", "--quiet"], env=env, catch_exceptions=False)
    for change in (
        "UPDATE supervision_log_meta SET value = 'md5' WHERE key = 'hash_algorithm'",
        "DELETE FROM supervision_log_meta WHERE key = 'hash_algorithm'",
    ):
        tamper(services, change)
        result = runner.invoke(cli, ["audit", "verify", "--quiet"], env=env)
        assert result.exit_code == 1, result.output
        verdict = json.loads(result.stdout)
        assert verdict["ok"] is False and "hash algorithm" in verdict["problem"]
        assert "事件日志校验未通过" in result.stderr and "哈希算法被删除或改写" in result.stderr


def test_the_console_script_answers_an_unmigrated_database_with_exit_2(
    new_database: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A database with no log yet is a command that cannot run (exit 2), not a bad log."""
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", new_database())
    monkeypatch.setenv("SUPERVISION_LOG_LEVEL", "WARNING")
    monkeypatch.setattr(sys, "argv", ["supervision", "audit", "verify", "--quiet"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "run `supervision migrate` first" in capsys.readouterr().err


def test_an_event_log_refuses_a_different_hash_algorithm(fresh_settings: Settings) -> None:
    from api.runtime.bootstrap import build
    from infra.migrations import AlgorithmMismatch

    sm3 = fresh_settings.model_copy(update={"hash_algorithm": "sm3"})
    try:
        build(sm3, runners="off")
    except AlgorithmMismatch as error:
        assert "sha256" in str(error) and "sm3" in str(error)
    else:
        raise AssertionError("a log made with sha256 was opened with sm3")


def test_an_sm3_log_chains_with_sm3(new_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.runtime.bootstrap import build, migrate_database
    from tests.conftest import settings_for

    settings = settings_for(new_database(), tmp_path, hash_algorithm="sm3")
    migrate_database(settings)
    services = build(settings, runners="off")
    try:
        write_findings(services, 1)
        assert verify_chain(services.database, "sm3").ok
        assert not verify_chain(services.database, "sha256").ok
    finally:
        services.close()


def test_concurrent_migrations_do_not_race(new_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.runtime.bootstrap import migrate_database
    from tests.conftest import settings_for

    settings = settings_for(new_database(), tmp_path)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: migrate_database(settings), range(4)))
    with psycopg.connect(settings.database_url or "") as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
    assert {"supervision_events", "supervision_chain", "finding_board", "directory_units"} <= tables


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE supervision_events SET topic = topic WHERE notification_id = 1",
        "DELETE FROM supervision_events WHERE notification_id = 1",
        "TRUNCATE supervision_events CASCADE",
        "UPDATE supervision_chain SET hash = hash",
        "DELETE FROM supervision_chain",
        "TRUNCATE supervision_chain",
        "DELETE FROM supervision_checkpoints",
        "TRUNCATE supervision_checkpoints",
    ],
)
def test_the_service_cannot_update_delete_or_truncate_the_log(
    chained: tuple[Services, str], statement: str
) -> None:
    """Append-only in the database (issue 16 item 5): the service's own connections are
    refused, and nothing changes."""
    services, algorithm = chained
    services.app.register_unit(code="ao", name="单位", kind="township", actor=ADMIN)
    services.checkpoint()
    before = verify_chain(services.database, algorithm)
    refused = pytest.raises(ProgrammingError, match="is append-only")  # (the pool wraps it)
    with refused, services.database.connection() as conn:
        conn.execute(statement)
    after = verify_chain(services.database, algorithm)
    assert after.ok and after.events_verified == before.events_verified > 0
