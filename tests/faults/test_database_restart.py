"""PostgreSQL stopped (fast) and started again under write load, on a server of the test's
own: the service answers 503 `database_unavailable` with Retry-After meanwhile (never 500),
takes writes again without being restarted, loses nothing it acknowledged, and its
projection runners resume by themselves: the chain verifies and every read model catches
up and equals a rebuild from zero."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx

from api.runtime.bootstrap import migrate_database
from tests.conftest import settings_for
from tests.faults.conftest import PrivatePostgres, set_up
from tests.faults.support import (
    CLIENT_TIMEOUT,
    Command,
    EventLog,
    Load,
    Service,
    chain_problems,
    log_problems,
    rebuilds_of,
    register_command,
    wait_for,
    wait_until_projections_current,
)
from tests.support import ADMIN

WRITERS = 8
UNDER_WAY = 10  # commands acknowledged before PostgreSQL is stopped, and after it is back
OUTAGE_SECONDS = 120.0  # the longest the test keeps PostgreSQL down waiting for a 503
RECOVERY_SECONDS = 60.0  # writes must succeed again this soon after PostgreSQL is back


def test_service_rides_out_a_postgresql_restart_under_write_load(
    private_postgres: PrivatePostgres, launch: Callable[..., Service], seed: int
) -> None:
    postgres = private_postgres
    settings = settings_for(postgres.url, projection_runners="off")
    migrate_database(settings)
    service = launch(postgres.url)
    service.wait_answering()
    assert service.process is not None
    pid = service.process.pid
    admin = httpx.Client(base_url=service.url, headers=ADMIN, timeout=CLIENT_TIMEOUT)
    team = set_up(admin, WRITERS)
    load = Load(service.url, team.token, team.units, team.successors, seed, keep_going=True)
    load.start()
    try:
        load.wait_acknowledged(UNDER_WAY)
        postgres.stop()
        down = time.monotonic()
        # Requests that need the database meanwhile answer 503: those under way at once,
        # later ones when they give up waiting for a connection (the writers' commands
        # wait long: the library retries each ten times; the probe, as the bootstrap admin
        # with an Idempotency-Key, waits for one connection only). Keep it down until one has.
        probe = register_command(f"probe-{seed}")
        prober = threading.Thread(target=probe.send, args=(admin,), daemon=True)
        prober.start()
        wait_for(
            "a request is answered 503 while PostgreSQL is down",
            lambda: any(
                unavailable(c) and (c.answered_at or 0) > down for c in [probe, *load.commands]
            ),
            OUTAGE_SECONDS,
        )
        postgres.start()
        back = time.monotonic()
        print(f"PostgreSQL down for {back - down:.1f} s")
        wait_for(
            f"{UNDER_WAY} commands sent after PostgreSQL came back are acknowledged",
            lambda: load.acknowledged(since=back) >= UNDER_WAY,
            RECOVERY_SECONDS,
        )
    finally:
        load.stop()
    prober.join(CLIENT_TIMEOUT)
    commands = [probe, *load.commands]
    answers = Counter((c.kind, c.status, c.error_code) for c in commands)
    print(f"answers: {sorted(answers.items(), key=str)}")

    assert service.process.poll() is None and service.process.pid == pid, "never restarted"
    wrong = [c for c in commands if not c.acknowledged and not unavailable(c)]
    assert not wrong, [(c.kind, c.status, c.answer) for c in wrong]

    log = EventLog().refresh(admin)
    problems = log_problems(log, commands, postgres.url) + chain_problems(admin, log)
    assert not problems, problems
    wait_until_projections_current(admin, log.last)
    with rebuilds_of(settings) as rebuilds:
        assert rebuilds.unlike_live(log.last) == []
    assert "unhandled error" not in service.tail(10**7), service.tail()


def unavailable(command: Command) -> bool:
    """The answer a client may retry: 503 `database_unavailable` with Retry-After."""
    return (
        command.status == 503
        and command.error_code == "database_unavailable"
        and command.retry_after is not None
    )
