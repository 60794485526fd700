"""The real service killed with SIGKILL (its whole process group, projection worker included)
at a random moment under concurrent write load, five times over: after every restart nothing
acknowledged is lost, no command is half recorded, a command retried with its
Idempotency-Key is recorded exactly once, the chain verifies, and every projection catches
up and equals a rebuild from zero."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from infra.settings import Settings
from tests.faults.conftest import Team, set_up
from tests.faults.support import (
    CLIENT_TIMEOUT,
    Command,
    EventLog,
    Load,
    Rebuilds,
    Service,
    chain_problems,
    log_problems,
    rebuilds_of,
    replayed_answers,
    retry_unanswered,
    wait_until_projections_current,
)
from tests.support import ADMIN, bearer

CYCLES = 5
WRITERS = 8
UNDER_WAY = 10  # commands acknowledged before the kill may come
PAUSE = 1.5  # the longest wait after that, in seconds (drawn from the seeded source)


@pytest.fixture
def service(migrated: Settings, launch: Callable[..., Service]) -> Service:
    """The service (projection worker and all, as by default), launched first so that it
    starts while the test opens the database for itself."""
    return launch(migrated.database_url or "")


@pytest.fixture
def rebuilds(migrated: Settings, service: Service) -> Iterator[Rebuilds]:
    """The database opened by the test itself (no runners), to rebuild every read model."""
    with rebuilds_of(migrated) as opened:
        yield opened


def test_service_killed_five_times_under_load_loses_nothing_acknowledged(
    service: Service, rebuilds: Rebuilds, seed: int
) -> None:
    rng = random.Random(seed)
    service.wait_answering()
    with httpx.Client(base_url=service.url, headers=ADMIN, timeout=CLIENT_TIMEOUT) as admin:
        team = set_up(admin, WRITERS)
        log, commands = EventLog(), list[Command]()
        for cycle in range(1, CYCLES + 1):
            commands += kill_under_load(service, team, seed + cycle, rng.uniform(0, PAUSE))
            started = time.monotonic()
            service.start()
            checked = time.monotonic()
            check_after_restart(service, admin, team, log, commands, rebuilds, f"cycle {cycle}")
            print(
                f"cycle {cycle}: restarted in {checked - started:.1f} s, checked in "
                f"{time.monotonic() - checked:.1f} s ({len(log.by_position)} events)"
            )
    assert "unhandled error" not in service.tail(10**7), service.tail()


def kill_under_load(service: Service, team: Team, seed: int, pause: float) -> list[Command]:
    """Start the writers; once they are under way, wait `pause` seconds and kill the service;
    every command they sent, answered or not."""
    load = Load(service.url, team.token, team.units, team.successors, seed)
    load.start()
    try:
        load.wait_acknowledged(UNDER_WAY)
        time.sleep(pause)
    finally:
        service.kill()
        load.join()
    unanswered = sum(c.status is None for c in load.commands)
    print(
        f"killed {pause:.2f} s into the load: "
        f"{load.acknowledged()} acknowledged, {unanswered} unanswered"
    )
    return load.commands


def check_after_restart(
    service: Service,
    admin: httpx.Client,
    team: Team,
    log: EventLog,
    commands: list[Command],
    rebuilds: Rebuilds,
    when: str,
) -> None:
    url = rebuilds.services.database.conninfo
    refused = [c for c in commands if c.status is not None and not c.acknowledged]
    assert not refused, f"{when}: answers other than 2xx: {[(c.kind, c.answer) for c in refused]}"
    log.refresh(admin)
    problems = log_problems(log, commands, url)
    assert not problems, f"{when}: {problems}"

    problems = retry_unanswered(service.url, log, admin, url, commands)
    keyed = [c for c in commands if c.acknowledged and c.key is not None]
    problems += replayed_answers(service.url, log, admin, keyed[-5:])
    problems += log_problems(log, commands, url)
    problems += findings_as_acknowledged(service.url, team.token, commands)
    problems += chain_problems(admin, log)
    assert not problems, f"{when}: {problems}"

    waited = time.monotonic()
    wait_until_projections_current(admin, log.last)
    compared = time.monotonic()
    problems = rebuilds.unlike_live(log.last)
    print(
        f"projections current after {compared - waited:.1f} s, "
        f"compared in {time.monotonic() - compared:.1f} s"
    )
    assert not problems, f"{when}: {problems}"


def findings_as_acknowledged(url: str, token: str, commands: list[Command]) -> list[str]:
    """The newest acknowledged rectification orders, read back through the command side:
    each finding at that version or later, rectifying."""
    orders = [c for c in commands if c.kind == "order" and c.acknowledged][-10:]
    problems = []
    with httpx.Client(base_url=url, headers=bearer(token), timeout=CLIENT_TIMEOUT) as client:
        for c in orders:
            finding = client.get(f"/api/v1/findings/{c.target}").json()
            if finding.get("version", 0) < c.answer["version"] or finding["status"] != "rectifying":
                problems.append(f"finding {c.target} is {finding} after {c.answer}")
    return problems
