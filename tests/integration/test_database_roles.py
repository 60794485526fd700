"""Two database roles (issue 16 item 5): migrations run as the tables' owner
(SUPERVISION_MIGRATION_DATABASE_URL, the embedded server's superuser), the service as a role
that may only add to the log and read it. Through the service's own role nothing can
change, delete or truncate the log, nor drop or disable the triggers that guard it; the
service still works end to end, read-model rebuilds included; a raw INSERT stays unchained
under both hashes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.runtime.bootstrap import Services, build, migrate_database
from infra.bundle import verify_checkpoints
from infra.migrations import APPEND_ONLY, migrated_tables
from infra.receipts import make_receipt
from infra.settings import Settings
from projections.rebuild import rebuild
from projections.registry import PROJECTIONS
from tests.conftest import settings_for
from tests.integration.conftest import ADMIN, raise_finding


@dataclass
class TwoRoles:
    settings: Settings
    services: Services
    role: str


@pytest.fixture(params=["sha256", "sm3"])
def two_roles(
    request: pytest.FixtureRequest,
    new_database: Callable[[], str],
    pg_admin_url: str,
    tmp_path: Path,
) -> Iterator[TwoRoles]:
    owner_url = new_database()
    role = f"svc_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'service'").format(sql.Identifier(role))
        )
    service_url = make_conninfo(owner_url, user=role, password="service")
    settings = settings_for(
        service_url, tmp_path, migration_database_url=owner_url, hash_algorithm=request.param
    )
    migrate_database(settings)
    services = build(settings, runners="off")
    try:
        yield TwoRoles(settings, services, role)
    finally:
        services.close()


REFUSED = [
    "UPDATE supervision_events SET state = state",
    "DELETE FROM supervision_events",
    "TRUNCATE supervision_events",
    "UPDATE supervision_chain SET hash = hash",
    "DELETE FROM supervision_chain",
    "DELETE FROM supervision_checkpoints",
    "TRUNCATE supervision_cosignatures",
    "ALTER TABLE supervision_events DISABLE TRIGGER ALL",
    "DROP TRIGGER supervision_events_append_only ON supervision_events",
    "ALTER TABLE supervision_chain DISABLE TRIGGER supervision_chain_append_only",
    "DROP TABLE supervision_checkpoints",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_services_role_cannot_change_the_log_nor_its_guards(
    two_roles: TwoRoles, statement: str
) -> None:
    unit = f"r{uuid.uuid4().hex[:6]}"
    two_roles.services.app.register_unit(code=unit, name="单位", kind="township", actor=ADMIN)
    raise_finding(two_roles.services, unit, "问题")
    with two_roles.services.database.connection() as conn:
        assert conn.execute("SELECT current_user").fetchone() == (two_roles.role,)
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        two_roles.services.database.connect() as conn,  # a connection of the role's own
    ):
        conn.execute(statement)
    assert verify_checkpoints(two_roles.services.database, None).ok


def test_the_service_works_as_its_role_rebuilds_included(two_roles: TwoRoles) -> None:
    services = two_roles.services
    services.app.register_unit(code="rb", name="单位", kind="township", actor=ADMIN)
    finding = raise_finding(services, "rb", "问题")
    cp = services.checkpoint()
    with services.database.connection() as conn:
        (position,) = conn.execute(
            "SELECT notification_id FROM supervision_events WHERE originator_id = %s",
            (finding,),
        ).fetchone() or (0,)
    assert make_receipt(services.database, two_roles.settings.hash_algorithm, position)
    spec = PROJECTIONS[0]
    assert rebuild(services.database, services.app, spec).name == spec.name
    verdict = verify_checkpoints(services.database, None)
    assert verdict.ok and verdict.checkpoints_verified == 1 and cp["seq"] == 1
    with services.database.connect() as conn:  # the read models belong to the service's role
        owners = conn.execute(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    migrated = migrated_tables()
    assert {t for t, owner in owners if owner == two_roles.role} == {
        t for t, _ in owners if t not in migrated and "yoyo" not in t
    }
    assert all(owner != two_roles.role for t, owner in owners if t in APPEND_ONLY)


def test_a_raw_insert_by_the_services_role_stays_unchained(two_roles: TwoRoles) -> None:
    services = two_roles.services
    services.app.register_unit(code="ri", name="单位", kind="township", actor=ADMIN)
    with services.database.connection() as conn:
        conn.execute(
            "INSERT INTO supervision_events (originator_id, originator_version, topic, state) "
            "SELECT gen_random_uuid(), 1, topic, state FROM supervision_events LIMIT 1"
        )
    raise_finding(services, "ri", "之后的命令")
    verdict = verify_checkpoints(services.database, None)
    assert verdict.ok is False and "has no chain row" in str(verdict.problem)


def test_a_log_migrated_with_one_role_is_handed_over_when_a_second_comes(
    new_database: Callable[[], str], pg_admin_url: str, tmp_path: Path
) -> None:
    """Read models made by the owner before (one role) pass to the service's role."""
    owner_url = new_database()
    migrate_database(settings_for(owner_url, tmp_path))
    role = f"svc_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    settings = settings_for(make_conninfo(owner_url, user=role), tmp_path,
                            migration_database_url=owner_url)  # fmt: skip
    migrate_database(settings)
    services = build(settings, runners="off")
    try:
        spec = PROJECTIONS[-1]
        assert rebuild(services.database, services.app, spec).name == spec.name
    finally:
        services.close()
