"""Sixteen writers amend one finding at once, each with If-Match: the version all of them
read. Each round exactly one wins the next version and the fifteen others get 409
`version_conflict`; round after round, the finding holds exactly the winners' amendments."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from infra.settings import Settings
from tests.faults.conftest import set_up
from tests.faults.support import CLIENT_TIMEOUT, Command, EventLog, Service, chain_problems, headers
from tests.support import ADMIN, bearer

WRITERS = 16
ROUNDS = 6


def amend_command(token: str, finding: str, version: int, n: int) -> Command:
    body = {"changes": {"title": f"第{version}版 写者{n} 的更正"}, "reason": "并发更正"}
    path = f"/api/v1/findings/{finding}/amendment"
    # Half of them with an Idempotency-Key: a loser's key must not turn its 409 into a win.
    sent = headers(token, key=n % 2 == 0, if_match=version)
    return Command("amend", path, body, sent, finding)


def contend(clients: list[httpx.Client], token: str, finding: str, version: int) -> list[Command]:
    """Every writer sends its amendment for `version` at the same moment."""
    commands = [amend_command(token, finding, version, n) for n in range(WRITERS)]
    together = threading.Barrier(WRITERS)

    def send(n: int) -> None:
        together.wait(30)
        commands[n].send(clients[n])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CLIENT_TIMEOUT + 10)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting for its answer"
    return commands


def test_sixteen_writers_on_one_finding_one_wins_each_version_the_rest_get_409(
    migrated: Settings, launch: Callable[..., Service]
) -> None:
    # The command side alone: no projection worker competes for the two cores.
    service = launch(migrated.database_url or "", SUPERVISION_PROJECTION_RUNNERS="off")
    service.wait_answering()
    admin = httpx.Client(base_url=service.url, headers=ADMIN, timeout=CLIENT_TIMEOUT)
    clients = [httpx.Client(base_url=service.url, timeout=CLIENT_TIMEOUT) for _ in range(WRITERS)]
    try:
        team = set_up(admin, 1)
        inspector = bearer(team.token)
        raised = admin.post(
            "/api/v1/findings",
            headers=inspector,
            json={
                "unit_code": team.units[0],
                "title": "多人同时更正的问题",
                "description": "并发写入",
                "category": "procedure_violation",
                "severity": "major",
                "source": "petition",
                "found_on": "2026-02-01",
                "evidence": [],
            },
        )
        assert raised.status_code == 201, raised.text
        finding = raised.json()["id"]
        for client in clients:  # connections open before the first round
            assert client.get("/healthz").status_code == 200
        winners = []
        for version in range(1, ROUNDS + 1):
            commands = contend(clients, team.token, finding, version)
            won = [c for c in commands if c.acknowledged]
            lost = [(c.status, c.error_code) for c in commands if not c.acknowledged]
            assert len(won) == 1, f"version {version}: {len(won)} winners"
            assert won[0].answer["version"] == version + 1, won[0].answer
            assert lost == [(409, "version_conflict")] * (WRITERS - 1), lost
            winners.append(won[0])

        now = admin.get(f"/api/v1/findings/{finding}", headers=inspector)
        assert now.json()["version"] == 1 + ROUNDS
        assert now.json()["title"] == winners[-1].body["changes"]["title"]
        events = admin.get(f"/api/v1/findings/{finding}/events", headers=inspector).json()["items"]
        assert [e["version"] for e in events] == list(range(1, ROUNDS + 2))
        assert [e["event_type"] for e in events] == ["Raised"] + ["Amended"] * ROUNDS
        assert [e["data"]["changes"] for e in events[1:]] == [w.body["changes"] for w in winners]
        log = EventLog().refresh(admin)
        assert sum(e["aggregate_id"] == finding for e in log.events()) == 1 + ROUNDS
        assert chain_problems(admin, log) == []
    finally:
        for client in [admin, *clients]:
            client.close()
