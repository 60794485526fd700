"""A small driver for the HTTP API, so tests read as the steps a user takes."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.draw import commitment_of
from domain.findings import Finding
from domain.registry import Launch
from infra.database import Database
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

Built = TypeVar("Built")

# The codes the contract names for each enumeration of the vocabulary.
CONTRACT_CODES: dict[str, set[str]] = {
    "finding_categories": {
        "policy_implementation",
        "work_style",
        "dereliction",
        "service_quality",
        "procedure_violation",
        "integrity_risk",
        "other",
    },
    "severities": {"minor", "major", "serious"},
    "finding_sources": {
        "routine_supervision",
        "special_supervision",
        "random_inspection",
        "petition",
        "audit_referral",
        "inspection_tour_referral",
        "other",
    },
    "unit_kinds": {"township", "subdistrict", "department", "agency", "other"},
    "roles": {"admin", "inspector", "authority", "supervisor", "auditor", "unit"},
}
# Codes added beside the contract's since (issue 15: where a matter comes from, 立项).
ADDED_CODES: dict[str, set[str]] = {"finding_sources": {"leader_instruction", "meeting_decision"}}


TOOLS = Path(__file__).resolve().parents[1] / "tools"
BENCH = Path(__file__).resolve().parents[1] / "bench"


@contextmanager
def as_dba(database: Database) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the database's administrator, for tests that tamper with the log as one
    could: in replication mode (a superuser's), so the append-only triggers do not fire."""
    with database.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        yield conn


def load_tool(name: str) -> ModuleType:
    """A script of tools/ as a module (they are run by hand, not installed)."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_bench(name: str) -> ModuleType:
    """A script of bench/ as the module `bench_<name>` (they are run by hand, not installed).
    Each imports its siblings by name, so bench/ is on the path while it loads; the module is
    registered first, as its dataclasses look their module up."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def then(before: Callable[[], Built], step: Callable[[Built], object]) -> Callable[[], Built]:
    """A builder of a test's starting state: what `before` builds, with `step` done to it
    (`decided = then(proposed, lambda ruling: ruling.decide(...))`)."""

    def build() -> Built:
        built = before()
        step(built)
        return built

    return build


def raised_finding(
    actor: dict[str, str],
    found_on: date = date(2024, 3, 5),
    source: str = "routine_supervision",
    origin: dict[str, str] | None = None,
) -> Finding:
    """A new Finding (no database) of unit fgj, raised by `actor` on `found_on` (from routine
    supervision unless `source` and its `origin` say otherwise)."""
    return Finding(
        id=uuid.uuid4(),
        unit_code="fgj",
        title="任务未落实",
        description="说明",
        category="dereliction",
        severity="major",
        source=source,
        found_on=found_on,
        work_item_id=None,
        evidence=[],
        actor=actor,
        origin=origin,
    )


def random_round(
    units: tuple[str, ...],
    inspectors: tuple[tuple[str, str | None], ...],
    share_percent: int,
    period: tuple[date, date],
) -> Launch:
    """The launch of a random inspection (抽查) of the whole county over `period`."""
    return Launch(
        title="抽查",
        kind="random",
        scope="全县",
        period_start=period[0],
        period_end=period[1],
        units=units,
        inspectors=inspectors,
        share_percent=share_percent,
    )


def finish_draw(
    services: Services, rid: Any, seeds: tuple[str, str], inspector: Actor, second: Actor
) -> None:
    """The rest of a v2 draw of round `rid`, its own seed committed: the `second` party commits
    its seed, a checkpoint is signed (the beacon) and that seed revealed, then `inspector` draws.
    `seeds` are the inspector's and the second party's."""
    seed, co_seed = seeds
    services.app.commit_inspection_co_seed(rid, commitment=commitment_of(co_seed), actor=second)
    services.checkpoint()
    services.app.reveal_inspection_co_seed(rid, seed=co_seed, actor=second)
    services.app.draw_inspection(rid, seed=seed, actor=inspector)


def replayed(events: Iterable[Any]) -> Any:
    """The aggregate that `events` rebuild from nothing, as the event store does."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    assert aggregate is not None, "no events to replay"
    return aggregate


def cases(table: dict[str, tuple[Any, ...]]) -> list[Any]:
    """A parametrize table keyed by each case's id, as pytest's parameters."""
    return [pytest.param(*row, id=name) for name, row in table.items()]


def state(aggregate: object) -> dict[str, Any]:
    """An aggregate's attributes, less the events it has not yet handed over."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# What a ruling opened by Api.ruling says besides its subject and findings, by kind.
RULING_BODIES: dict[str, dict[str, Any]] = {
    "accountability": {"form": "written_inspection", "basis": "条例", "facts": "事实"},
    "fault-tolerance": {
        "grounds": "改革试点中因缺乏经验出现失误。",
        "criteria_claimed": ["pilot_inexperience"],
    },
}


class Api:
    """Drives the service as its users do: an admin sets up, inspectors and units act."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last: Response | None = None  # the answer to the last creation, headers and all

    def post(self, path: str, body: Any, headers: dict[str, str], **kw: Any) -> Response:
        return self.client.post(path, json=body, headers=headers, **kw)

    def get(self, path: str, headers: dict[str, str], **params: Any) -> Response:
        return self.client.get(path, headers=headers, params=params)

    def unit(self, name: str = "测试单位", kind: str = "township") -> str:
        code = unique("u")
        response = self.post("/api/v1/units", {"code": code, "name": name, "kind": kind}, ADMIN)
        assert response.status_code == 201, response.text
        return code

    def account(
        self, role: str, unit_code: str | None = None, name: str = "测试账号"
    ) -> dict[str, str]:
        body = {"name": name, "role": role, "unit_code": unit_code}
        response = self.post("/api/v1/accounts", body, ADMIN)
        assert response.status_code == 201, response.text
        return bearer(response.json()["token"])

    def finding(
        self, inspector: dict[str, str], unit_code: str, **overrides: Any
    ) -> dict[str, Any]:
        body = {
            "unit_code": unit_code,
            "title": "重点工作任务未按期完成",
            "description": "清单中的任务表、时间表、责任表未落实。",
            "category": "policy_implementation",
            "severity": "major",
            "source": "routine_supervision",
            "found_on": "2026-03-05",
            "evidence": [{"name": "督查记录.pdf", "sha256": "a" * 64, "size": 1024}],
        }
        body.update(overrides)
        return self.created("/api/v1/findings", body, inspector)

    def ruling(
        self,
        kind: str,
        inspector: dict[str, str],
        unit_code: str,
        finding_ids: list[str],
        **overrides: Any,
    ) -> dict[str, Any]:
        """A ruling of `kind` ("accountability" or "fault-tolerance") opened on `unit_code` for
        `finding_ids`, its body RULING_BODIES' with `overrides`; the 201 answer."""
        body = {"subject": {"unit_code": unit_code}, "finding_ids": finding_ids}
        body.update(RULING_BODIES[kind], **overrides)
        return self.created(f"/api/v1/rulings/{kind}", body, inspector)

    def accountability(
        self, inspector: dict[str, str], unit_code: str, finding_ids: list[str], **overrides: Any
    ) -> dict[str, Any]:
        """An accountability ruling proposed on `unit_code` for `finding_ids`."""
        return self.ruling("accountability", inspector, unit_code, finding_ids, **overrides)

    def decided(self, authority: dict[str, str], rid: str, decision: Any) -> dict[str, Any]:
        """`authority`'s decision on ruling `rid`; the 200 answer."""
        response = self.post(f"/api/v1/rulings/{rid}/decision", decision, authority)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def created(self, path: str, body: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
        """POST a creation; its 201 answer."""
        response = self.last = self.post(path, body, who)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer


def account_fixture(role: str, name: str) -> Callable[..., dict[str, str]]:
    """A fixture answering a new account of `role` named `name`, for a test module to bind to the
    fixture's name: `inspector = account_fixture("inspector", "督查员 张伟")`."""

    @pytest.fixture
    def account(api: Api) -> dict[str, str]:
        return api.account(role, name=name)

    return account


def unit_fixture(name: str, kind: str = "department") -> Callable[..., str]:
    """A fixture answering the code of a new unit, bound like `account_fixture`'s."""

    @pytest.fixture
    def unit(api: Api) -> str:
        return api.unit(name, kind)

    return unit
