"""The fault tier's tools: the real `supervision serve` as a subprocess whose whole process
group can be killed, writers that keep every command they sent and what came back, and the
checks that must hold after any fault (nothing acknowledged lost, no half command, the chain
verifies, every projection equals a rebuild from zero)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from api.runtime.bootstrap import Services, build
from bench.harness import BIN, REPO, clean_env, free_port
from domain.units import Unit
from infra.migrations import EVENTS_TABLE, datastore_for
from infra.recorder import idempotency_table
from infra.settings import Settings
from projections.base import ReadModelView
from projections.registry import PROJECTIONS
from projections.replay import digest, replay, scratch_schema, tables_of
from tests.conftest import ADMIN_TOKEN
from tests.support import ADMIN, bearer

START_SECONDS = 180.0  # a loaded two-core machine may take long to import and start
CATCH_UP_SECONDS = 180.0
CLIENT_TIMEOUT = 90.0  # a command answers long before; a hung one counts as unanswered


def service_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The service's environment: only what the test sets (none of the caller's settings)."""
    return clean_env(
        {
            "SUPERVISION_DATABASE_URL": database_url,
            "SUPERVISION_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
            "SUPERVISION_DATA_DIR": str(data_dir),
            "SUPERVISION_LOG_LEVEL": "WARNING",
            "SUPERVISION_LOG_FORMAT": "text",
            # The log holds only what the test sends: no 情况通报 of the worker's own, whose
            # events would land whenever it renders it (the scheduler has tests of its own).
            "SUPERVISION_MONTHLY_BULLETIN": "false",
            **extra,
        }
    )


class Service:
    """`supervision serve` in a process group of its own (with its projection worker), so a
    crash is the whole group killed at once, as a power cut or an OOM kill would."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.port = env, log, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.launch()
        self.wait_answering()

    def launch(self) -> None:
        """Start the process; `wait_answering()` waits until it serves."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "supervision"), "serve", "--port", str(self.port)],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_answering(self) -> None:
        """Until an authenticated read answers: the services are built, the database reached."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the service exited:\n{self.tail()}")
            with contextlib.suppress(httpx.TransportError):  # not listening yet
                answer = httpx.get(f"{self.url}/api/v1/projections", headers=ADMIN, timeout=10)
                if answer.status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the service did not answer in {START_SECONDS:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: the API process and its projection worker."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        """At teardown: SIGKILL to whatever of the group is left (its graceful shutdown is
        not what these tests are about, and would cost seconds on a loaded machine)."""
        if self.process is None:
            return
        # The group outlives its leader while a child runs; ProcessLookupError: all gone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


# -- the load ----------------------------------------------------------------------------------


@dataclass
class Command:
    """One command as sent (enough to send it again) and what came back, if anything."""

    kind: str  # raise, order, register, merge, amend; read (a GET)
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    target: str | None = None  # the finding id or unit code it acts on
    status: int | None = None  # None: no answer (connection dropped or timed out)
    answer: dict[str, Any] = field(default_factory=dict)
    retry_after: str | None = None
    sent_at: float = 0.0
    answered_at: float | None = None

    @property
    def key(self) -> str | None:
        return self.headers.get("Idempotency-Key")

    @property
    def acknowledged(self) -> bool:
        """Answered 2xx (for a read: answered 200)."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def recorded(self) -> bool:
        """A command that was acknowledged: its events must be in the log."""
        return self.kind != "read" and self.acknowledged

    @property
    def error_code(self) -> str | None:
        error = self.answer.get("error")
        return str(error.get("code")) if isinstance(error, dict) else None

    def send(self, client: httpx.Client) -> Command:
        self.sent_at = time.monotonic()
        try:
            if self.kind == "read":
                response = client.get(self.path, headers=self.headers)
            else:
                response = client.post(self.path, json=self.body, headers=self.headers)
        except httpx.TransportError:
            return self
        self.answered_at = time.monotonic()
        self.status = response.status_code
        self.retry_after = response.headers.get("Retry-After")
        with contextlib.suppress(ValueError):  # a body that is not JSON is kept as empty
            self.answer = response.json()
        return self


def headers(token: str, *, key: bool = False, if_match: int | None = None) -> dict[str, str]:
    chosen = bearer(token)
    if key:
        chosen["Idempotency-Key"] = uuid.uuid4().hex
    if if_match is not None:
        chosen["If-Match"] = f'"{if_match}"'
    return chosen


def raise_command(token: str, unit: str, *, key: bool) -> Command:
    marker = uuid.uuid4().hex
    body = {
        "unit_code": unit,
        "title": f"故障测试问题 {marker}",  # unique: a command recorded twice would show
        "description": "写入压力下的督查发现",
        "category": "work_style",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": "2026-03-05",
        "evidence": [],
    }
    return Command("raise", "/api/v1/findings", body, headers(token, key=key))


def order_command(token: str, finding: str, *, key: bool, if_match: int | None) -> Command:
    body = {"deadline": "2030-12-31", "requirements": "限期整改到位"}
    path = f"/api/v1/findings/{finding}/rectification-order"
    return Command("order", path, body, headers(token, key=key, if_match=if_match), finding)


def register_command(code: str) -> Command:
    body = {"code": code, "name": "机构改革单位", "kind": "department"}
    return Command("register", "/api/v1/units", body, headers(ADMIN_TOKEN, key=True), code)


def merge_command(code: str, into: str) -> Command:
    body = {"into": into, "reason": "机构改革合并", "effective_on": "2026-03-01"}
    path = f"/api/v1/units/{code}/merger"
    return Command("merge", path, body, headers(ADMIN_TOKEN, key=True), code)


class Writer(threading.Thread):
    """Raises findings, orders their rectification and now and then merges a new unit into
    its successor (two aggregates in one command), keeping every command it sent.

    `keep_going`: go on after an error answer or a dropped connection (a database restart);
    otherwise stop at the first command without an answer (the service was killed)."""

    def __init__(
        self, url: str, token: str, unit: str, successor: str, seed: int, *, keep_going: bool
    ) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.unit, self.successor = url, token, unit, successor
        self.rng, self.keep_going = random.Random(seed), keep_going
        self.commands: list[Command] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=CLIENT_TIMEOUT) as client:
            while not self.stopping.is_set() and self.round(client):
                pass

    def send(self, client: httpx.Client, command: Command) -> Command:
        self.commands.append(command.send(client))
        if not command.acknowledged and command.status is not None:
            self.stopping.wait(0.2)  # Retry-After, shortened: the load must keep coming
        return command

    def round(self, client: httpx.Client) -> bool:
        """One finding through to rectifying; False once the writer should stop."""
        rng, every_key = self.rng, self.keep_going  # during an outage: retries must be safe
        raised = self.send(client, raise_command(self.token, self.unit, key=every_key or coin(rng)))
        if not raised.acknowledged:
            return self.carry_on(raised)
        finding = str(raised.answer["id"])
        if self.keep_going:  # reads too, which must also answer 503 while the database is down
            read = Command("read", f"/api/v1/findings/{finding}", {}, bearer(self.token))
            if not self.send(client, read).acknowledged:
                return True
        if_match = 1 if coin(rng) else None
        order = order_command(self.token, finding, key=every_key or coin(rng), if_match=if_match)
        if not self.send(client, order).acknowledged:
            return self.carry_on(order)
        if rng.random() < 0.15:
            code = f"m-{uuid.uuid4().hex[:12]}"
            registered = self.send(client, register_command(code))
            if not registered.acknowledged:
                return self.carry_on(registered)
            merged = self.send(client, merge_command(code, self.successor))
            if not merged.acknowledged:
                return self.carry_on(merged)
        return True

    def carry_on(self, command: Command) -> bool:
        return self.keep_going or command.status is not None


def coin(rng: random.Random) -> bool:
    return rng.random() < 0.5


class Load:
    """`writers` writer threads against one service."""

    def __init__(
        self,
        url: str,
        token: str,
        units: list[str],
        successors: list[str],
        seed: int,
        *,
        keep_going: bool = False,
    ) -> None:
        self.writers = [
            Writer(url, token, unit, successor, seed * 1000 + n, keep_going=keep_going)
            for n, (unit, successor) in enumerate(zip(units, successors, strict=True))
        ]

    def start(self) -> None:
        for writer in self.writers:
            writer.start()

    def stop(self) -> None:
        for writer in self.writers:
            writer.stopping.set()
        self.join()

    def join(self) -> None:
        for writer in self.writers:
            writer.join(CLIENT_TIMEOUT + 15)
        alive = [w.name for w in self.writers if w.is_alive()]
        assert not alive, f"writers still running after {CLIENT_TIMEOUT + 15:.0f} s: {alive}"

    @property
    def commands(self) -> list[Command]:
        return [c for writer in self.writers for c in list(writer.commands)]

    def acknowledged(self, since: float = 0.0) -> int:
        """Commands acknowledged, of those sent after `since` (time.monotonic())."""
        return sum(c.recorded and c.sent_at > since for c in self.commands)

    def wait_acknowledged(self, count: int) -> None:
        """Until `count` commands are acknowledged (the writers are under way)."""
        wait_for(
            f"{count} commands are acknowledged",
            lambda: self.acknowledged() >= count,
            START_SECONDS,
        )


def wait_for(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.1)


# -- the log as the service shows it -------------------------------------------------------------


class EventLog:
    """A copy of `GET /api/v1/events`, fetched page by page after the last position seen."""

    def __init__(self) -> None:
        self.by_position: dict[int, dict[str, Any]] = {}
        self.last = 0

    def refresh(self, admin: httpx.Client) -> EventLog:
        while True:
            response = admin.get("/api/v1/events", params={"after": self.last, "limit": 500})
            assert response.status_code == 200, response.text
            page = response.json()
            for item in page["items"]:
                self.by_position[item["position"]] = item
                self.last = max(self.last, item["position"])
            if page["next_cursor"] is None:
                return self

    def events(self) -> list[dict[str, Any]]:
        return [self.by_position[p] for p in sorted(self.by_position)]

    def by_version(self) -> dict[tuple[str, int], dict[str, Any]]:
        return {(e["aggregate_id"], e["version"]): e for e in self.by_position.values()}

    def effects(self, command: Command) -> list[dict[str, Any]]:
        """The events that show this command was recorded (one, if it was)."""
        if command.kind == "raise":
            title = command.body["title"]
            return [e for e in self.events() if e["data"].get("title") == title]
        kind = {"order": "RectificationOrdered", "register": "Registered", "merge": "Merged"}
        aggregate = (
            str(Unit.create_id(command.target or ""))
            if command.kind in ("register", "merge")
            else command.target
        )
        return [
            e
            for e in self.events()
            if e["aggregate_id"] == aggregate and e["event_type"] == kind[command.kind]
        ]


# -- what must hold after any fault --------------------------------------------------------------


def lost_acknowledgements(log: EventLog, commands: list[Command]) -> list[str]:
    """Every acknowledged command's event is in the log: its aggregate at its version, and
    the position it answered."""
    versions = log.by_version()
    problems = []
    for c in commands:
        if not c.recorded:
            continue
        event = versions.get((str(c.answer["id"]), int(c.answer["version"])))
        if event is None or int(c.answer["position"]) not in log.by_position:
            problems.append(f"acknowledged {c.kind} {c.answer} is not in the log")
        elif c.kind == "raise" and event["data"].get("title") != c.body["title"]:
            problems.append(f"acknowledged {c.kind} {c.answer} is another event: {event}")
    return problems


def half_commands(log: EventLog) -> list[str]:
    """Each command's events are all in the log or none: every aggregate's versions are
    1..n with no gap, the ledger is dense, a merger's two events sit side by side, and no
    finding was raised twice by one command."""
    events = log.events()
    problems = []
    indexes = [e["ledger_index"] for e in events]
    if indexes != list(range(1, len(events) + 1)):
        problems.append(f"the ledger indexes are not 1..{len(events)}")
    versions: dict[str, list[int]] = defaultdict(list)
    codes: dict[str, str] = {}
    for e in events:
        versions[e["aggregate_id"]].append(e["version"])
        if e["event_type"] == "Registered":
            codes[e["aggregate_id"]] = e["data"]["code"]
    problems += [
        f"aggregate {a} has versions {v}"
        for a, v in versions.items()
        if v != list(range(1, len(v) + 1))
    ]
    for before, after in zip(events, [*events[1:], None], strict=True):
        if before["event_type"] != "Merged":
            continue
        expected = (str(Unit.create_id(before["data"]["into"])), codes.get(before["aggregate_id"]))
        if after is None or (after["aggregate_id"], after["data"].get("predecessor")) != expected:
            problems.append(f"merger at {before['position']} without its absorption next to it")
    absorbed = sum(e["event_type"] == "Absorbed" for e in events)
    merged = sum(e["event_type"] == "Merged" for e in events)
    if absorbed != merged:
        problems.append(f"{merged} mergers but {absorbed} absorptions")
    titles = Counter(e["data"]["title"] for e in events if e["event_type"] == "Raised")
    problems += [f"{title!r} raised {n} times" for title, n in titles.items() if n > 1]
    return problems


def log_problems(log: EventLog, commands: list[Command], database_url: str) -> list[str]:
    """What the log shows wrong: an acknowledged command lost, a command half recorded, or an
    idempotency record that names no event of the log (the database at `database_url`)."""
    problems = lost_acknowledgements(log, commands) + half_commands(log)
    return problems + dangling_idempotency_records(log, idempotency_records(database_url))


def idempotency_records(database_url: str) -> dict[str, dict[str, Any]]:
    """Every kept answer, by its Idempotency-Key."""
    table = Identifier(idempotency_table(EVENTS_TABLE))
    with psycopg.connect(database_url, row_factory=dict_row, connect_timeout=10) as conn:
        rows = conn.execute(SQL("SELECT key, body FROM {}").format(table)).fetchall()
    return {str(r["key"]): dict(r["body"]) for r in rows}


def dangling_idempotency_records(log: EventLog, records: dict[str, dict[str, Any]]) -> list[str]:
    """Every kept answer names events that are in the log (they committed together)."""
    versions = log.by_version()
    return [
        f"idempotency record {key} answers {body}, which is not in the log"
        for key, body in records.items()
        if (str(body.get("id")), body.get("version")) not in versions
        or body.get("position") not in log.by_position
    ]


def chain_problems(admin: httpx.Client, log: EventLog) -> list[str]:
    """The service verifies the whole chain, and it covers exactly the events of the log."""
    response = admin.get("/api/v1/audit/verification")
    if response.status_code != 200:
        return [f"verification answered {response.status_code}: {response.text}"]
    result = response.json()
    count = len(log.by_position)
    ok = result["ok"] and result["events_verified"] == result["head_index"] == count
    return [] if ok else [f"chain verification {result} for {count} events"]


def same_answer(answer: dict[str, Any], first: dict[str, Any]) -> bool:
    return all(str(answer.get(k)) == str(first.get(k)) for k in ("id", "version", "position"))


def retry_unanswered(
    url: str, log: EventLog, admin: httpx.Client, database_url: str, commands: list[Command]
) -> list[str]:
    """Send every unanswered command that had an Idempotency-Key again: it answers what was
    kept if it had committed, else it commits now; either way it is recorded exactly once."""
    kept = idempotency_records(database_url)
    retried = [c for c in commands if c.status is None and c.key is not None]
    problems = []
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT) as client:
        for c in retried:
            first = kept.get(c.key or "")
            response = client.post(c.path, json=c.body, headers=c.headers)
            if not 200 <= response.status_code < 300:
                problems.append(
                    f"retry of {c.kind} answered {response.status_code} {response.text}"
                )
                continue
            if first is not None and not same_answer(response.json(), first):
                problems.append(f"retry of a committed {c.kind}: {response.json()} != {first}")
            c.status, c.answer = response.status_code, response.json()
    log.refresh(admin)
    for c in retried:
        if c.acknowledged and len(log.effects(c)) != 1:
            problems.append(f"retried {c.kind} recorded {len(log.effects(c))} times")
    return problems


def replayed_answers(
    url: str, log: EventLog, admin: httpx.Client, sample: list[Command]
) -> list[str]:
    """Acknowledged commands with a key, sent again after the restart: the first answer
    again, and nothing new in the log."""
    head = log.last
    problems = []
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT) as client:
        for c in sample:
            response = client.post(c.path, json=c.body, headers=c.headers)
            if response.status_code != c.status or not same_answer(response.json(), c.answer):
                problems.append(f"replayed {c.kind}: {response.status_code} {response.text}")
    if log.refresh(admin).last != head:
        problems.append("replaying acknowledged commands recorded new events")
    return problems


# -- projections ---------------------------------------------------------------------------------


def wait_until_projections_current(admin: httpx.Client, head: int) -> None:
    """Until `GET /api/v1/projections` shows every projection at lag 0 at `head`."""
    seen: list[Any] = []

    def current() -> bool:
        with contextlib.suppress(httpx.TransportError):
            response = admin.get("/api/v1/projections")
            seen[:] = [response.status_code, response.text]
            if response.status_code == 200:
                states = response.json()
                return all(p["lag"] == 0 and p["head"] == head for p in states)
        return False

    try:
        wait_for("every projection is current", current, CATCH_UP_SECONDS)
    except AssertionError as error:
        raise AssertionError(f"{error}; last answer: {seen}") from None


@contextlib.contextmanager
def rebuilds_of(settings: Settings) -> Iterator[Rebuilds]:
    """The database of `settings` opened by the test itself (no runners), to rebuild every
    read model; closed afterwards."""
    verifier = build(settings, runners="off")
    try:
        with Rebuilds(verifier) as opened:
            yield opened
    finally:
        verifier.close()


class Rebuilds:
    """Every read model rebuilt from zero by the test, each in a scratch schema of its own,
    from the log alone; `unlike_live(head)` feeds them up to `head` and compares each with
    the service's live read model. The log only grows, so feeding a rebuild in pieces, in
    order, makes what one replay from zero to the same head makes (without rebuilding the
    tables and replaying the whole log again after every restart)."""

    def __init__(self, services: Services) -> None:
        self.services, self.fed = services, 0
        self.views: dict[str, ReadModelView] = {}
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> Rebuilds:
        database = self.services.database
        for spec in PROJECTIONS:
            schema = self.stack.enter_context(scratch_schema(database))
            datastore = datastore_for(database, pool_size=1, schema=schema)
            self.stack.callback(datastore.close)  # before its schema is dropped
            view = spec.view_class(datastore)
            view.create_table()
            self.views[spec.name] = view
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def unlike_live(self, head: int) -> list[str]:
        problems = []
        for spec in PROJECTIONS:
            rebuilt = self.views[spec.name]
            replay(self.services.app, rebuilt, spec, head, after=self.fed)
            tables = tables_of(rebuilt)
            if digest(self.services.views[spec.name], tables) != digest(rebuilt, tables):
                problems.append(f"{spec.name} differs from its rebuild from zero at {head}")
        self.fed = head
        return problems
