"""For any sequence of commands, every read model maintained event by event — with events
delivered a second time along the way — equals the same read model rebuilt from zero (filled
as a rebuild fills, then topped up as a runner applies)."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any, NamedTuple
from unittest import mock

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.runtime.bootstrap import Services, build
from domain.actors import Actor
from domain.draw import commitment_of
from domain.errors import DomainError
from domain.evaluation_schemes import DEFAULT_BANDS, grade_for
from domain.registry import Listing, SplitUnit
from domain.vocabulary import Role
from infra.migrations import datastore_for
from infra.settings import Settings
from projections import replay as replay_module
from projections.base import APPLICATION_NAME
from projections.registry import PROJECTIONS, ProjectionSpec
from projections.replay import digest, replay, scratch_schema
from tests.counters import assert_counters_agree
from tests.integration.conftest import raise_finding
from tests.support import finish_draw, random_round

ADMIN = Actor(id="a", name="管理员", role=Role.ADMIN)
INSPECTOR = Actor(id="i", name="督查员", role=Role.INSPECTOR)
AUTHORITY = Actor(id="au", name="纪委", role=Role.AUTHORITY)
CO_SEED = "纪委第二方种子"
DRAW_SEED = "property-test-seed-0123456789"
# The whole life of an inspection round and of a major decision.
ROUND_AND_DECISION = [
    "launch",
    "commit_seed",
    "draw",
    "link_finding",
    "conclude",
    "catalogue",
    "record_step",
    "decide_decision",
    "link_decision",
    "implement",
    "correct",
    "plan_evaluation",
    "report_evaluation",
    "feedback",
    "use_results",
]

# Evidence an event cites: a hash given in capitals (cited in lower case), and one file
# named twice (cited once).
FILES = [
    {"sha256": "AB" * 32, "name": "整改照片.jpg"},
    {"sha256": "cd" * 32, "name": "台账.xlsx"},
    {"sha256": "cd" * 32, "name": "台账.xlsx"},
]


class Command(NamedTuple):
    """A command on the newest aggregate of one kind, its arguments fixed."""

    target: str  # a Scenario list, or "evaluation": the newest decision's newest evaluation
    method: str
    arguments: dict[str, Any]
    actor: Actor = INSPECTOR


COMMANDS = {
    "order": Command(
        "findings",
        "order_rectification",
        {"deadline": date(2024, 2, 1), "requirements": "r"},
    ),
    "report": Command("findings", "report_rectification", {"summary": "s", "evidence": FILES}),
    "accept": Command(
        "findings",
        "verify_rectification",
        {"outcome": "accepted", "comment": "", "new_deadline": None},
    ),
    "reject": Command(
        "findings",
        "verify_rectification",
        {"outcome": "rejected", "comment": "", "new_deadline": date(2024, 3, 1)},
    ),
    "extend": Command(
        "findings", "extend_deadline", {"new_deadline": date(2024, 6, 1), "reason": "r"}
    ),
    "escalate": Command("findings", "escalate_finding", {"reason": "r"}),
    "reject_dispute": Command("findings", "reject_dispute", {"reason": "r"}),
    "amend": Command(
        "findings", "amend_finding", {"changes": {"title": "更正后的问题"}, "reason": "r"}
    ),
    "withdraw": Command("findings", "withdraw_finding", {"reason": "r"}),
    "reopen": Command("findings", "reopen_finding", {"reason": "r", "new_deadline": None}),
    "progress": Command("items", "log_progress", {"note": "n", "percent": 50}),
    "leader": Command("items", "assign_work_item_leader", {"leader": "副县长 王某"}),
    "milestone": Command(
        "items",
        "set_work_item_milestone",
        {"title": "节点", "due_on": date(2024, 6, 30), "leader": None},
    ),
    "close_item": Command("items", "close_work_item", {"reason": "r"}),
    "appeal": Command("rulings", "appeal_ruling", {"grounds": "g"}),
    "uphold": Command(
        "rulings", "decide_appeal", {"result": "upheld", "reasoning": "r"}, AUTHORITY
    ),
    "revoke_on_appeal": Command(
        "rulings", "decide_appeal", {"result": "revoked", "reasoning": "r"}, AUTHORITY
    ),
    "publish": Command(
        "rulings", "publish_ruling", {"summary": "某同志的案例", "tags": ["示例"]}, AUTHORITY
    ),
    "commit_seed": Command(
        "rounds", "commit_inspection_seed", {"commitment": commitment_of(DRAW_SEED)}
    ),
    "conclude": Command(
        "rounds",
        "conclude_inspection",
        {"summary": "s", "concluded_on": date(2024, 2, 1), "results": []},
    ),
    "decide_decision": Command(
        "decisions", "decide_decision", {"decided_on": date(2024, 2, 1), "summary": "s"}
    ),
    "implement": Command(
        "decisions", "implement_decision", {"implemented_on": date(2024, 3, 1), "note": ""}
    ),
    "correct": Command(
        "decisions",
        "correct_decision",
        {"reason": "r", "correction": "c", "corrected_on": date(2024, 4, 1)},
    ),
    "plan_evaluation": Command(
        "decisions",
        "plan_decision_evaluation",
        {"evaluator": "e", "scope": "s", "planned_on": date(2024, 5, 1)},
    ),
    "report_evaluation": Command(
        "evaluation",
        "report_decision_evaluation",
        {"score": 80, "conclusion": "c", "findings": [], "reported_on": date(2024, 6, 1)},
    ),
    "feedback": Command(
        "evaluation",
        "give_evaluation_feedback",
        {"feedback": "f", "rectification_required": False, "deadline": None},
    ),
    "use_results": Command(
        "evaluation", "use_evaluation_results", {"use": "assessment", "description": "d"}
    ),
}


OPERATIONS = st.lists(
    st.sampled_from(
        [
            "raise",
            "order",
            "report",
            "accept",
            "reject",
            "extend",
            "escalate",
            "amend",
            "withdraw",
            "reopen",
            "dispute",
            "reject_dispute",
            "reassign",
            "remind",
            "revoke",
            "list_item",
            "progress",
            "evaluate",
            "close_item",
            "leader",
            "milestone",
            "reach",
            "split",
            "propose",
            "apply",
            "decide",
            "appeal",
            "uphold",
            "revoke_on_appeal",
            "publish",
            "rename",
            "merge",
            *ROUND_AND_DECISION,
        ]
    ),
    min_size=1,
    max_size=25,
)


@pytest.fixture(scope="module")
def services(new_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    from api.runtime.bootstrap import migrate_database
    from tests.conftest import settings_for

    settings: Settings = settings_for(new_database(), tmp_path_factory.mktemp("rebuild"))
    migrate_database(settings)
    opened = build(settings, runners="off")
    yield opened
    opened.close()


class Scenario:
    """Runs generated commands on fresh units; refused commands are part of the game."""

    def __init__(self, services: Services) -> None:
        self.app = services.app
        tag = uuid.uuid4().hex[:8]
        self.unit, self.other = f"p{tag}", f"q{tag}"
        for code in (self.unit, self.other):
            self.app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
        self.findings: list[Any] = []
        self.items: list[Any] = []
        self.rulings: list[Any] = []
        self.services = services
        self.rounds: list[Any] = []
        self.decisions: list[Any] = []
        # Accounts to notify: a liaison of each unit, a supervisor, and the inspector who
        # raises the findings (an actor whose id is its account's).
        self.accounts = {
            key: self.app.create_account(
                token_hash=uuid.uuid4().hex, name=key, role=role, unit_code=unit, actor=ADMIN
            ).id
            for key, role, unit in (
                ("liaison", Role.UNIT, self.unit),
                ("other liaison", Role.UNIT, self.other),
                ("supervisor", Role.SUPERVISOR, None),
                ("inspector", Role.INSPECTOR, None),
            )
        }
        self.reminders = 0
        self.inspector = Actor(id=str(self.accounts["inspector"]), name="督查员",
                               role=Role.INSPECTOR)  # fmt: skip

    def run(self, operation: str) -> None:
        # A refused command (wrong state, or nothing yet to act on) records nothing: the
        # read models must agree on whatever the log holds, refused commands included.
        with contextlib.suppress(DomainError, IndexError):
            command = COMMANDS.get(operation)
            if command is None:
                getattr(self, operation)()
            else:
                method = getattr(self.app, command.method)
                method(*self.newest(command.target), **command.arguments, actor=command.actor)

    def newest(self, target: str) -> tuple[Any, ...]:
        """The newest aggregate of the target kind, as a command's positional arguments."""
        if target == "evaluation":
            decision = self.decisions[-1]
            return decision, len(self.app.get_decision(decision).evaluations)
        return (getattr(self, target)[-1],)

    def raise_(self) -> None:
        other = {"category": "other", "source": "other", "evidence": FILES}
        self.findings.append(raise_finding(self.services, self.unit, actor=self.inspector, **other))

    def remind(self) -> None:
        """催办 of the newest finding, a rule of its own each time: escalation (the supervisors
        are told too), overdue and acknowledge (the unit, in words that depend on whether a
        退办 of the order was rejected) in turn."""
        self.reminders += 1
        kind = ("acknowledge", "escalation", "overdue")[self.reminders % 3]
        rule = f"{kind}-{self.reminders}-{uuid.uuid4().hex[:4]}@2024-02-01"
        self.app.remind_finding(
            self.findings[-1], rule=rule, kind=kind, due_on=date(2024, 2, 2), actor=ADMIN
        )

    def revoke(self) -> None:
        """The unit's liaison leaves: told nothing from here on."""
        self.app.revoke_account(self.accounts["liaison"], reason="调离", actor=ADMIN)

    def dispute(self) -> None:
        """退办 by the liaison of the unit the newest finding lies with."""
        finding = self.app.get_finding(self.findings[-1])
        unit = finding.unit_code
        liaison = Actor(id=f"l-{unit}", name="联络员", role=Role.UNIT, unit_code=unit,
                        unit_scope=frozenset({unit}))  # fmt: skip
        self.app.dispute_order(self.findings[-1], reason="不属本单位职责", actor=liaison)

    def reassign(self) -> None:
        """转办 of the newest finding to the other unit (its history moves with it)."""
        finding = self.app.get_finding(self.findings[-1])
        to = self.other if finding.unit_code == self.unit else self.unit
        self.app.reassign_finding(self.findings[-1], to_unit=to, reason="转办", actor=INSPECTOR)

    def list_item(self) -> None:
        # Each unit leads every other item, so both lead and co-own some.
        lead, co = (self.unit, self.other) if len(self.items) % 2 == 0 else (self.other, self.unit)
        self.items.append(
            self.app.list_work_item(
                Listing(
                    title="任务",
                    year=2024,
                    lead_unit=lead,
                    co_units=(co,),
                    due_on=date(2024, 12, 31),
                ),
                actor=INSPECTOR,
            ).id
        )

    def reach(self) -> None:
        """完成节点: the newest item's first milestone not yet reached (one past its last,
        refused, where all are)."""
        item = self.app.get_work_item(self.items[-1])
        unreached = (m["number"] for m in item.milestones if m["reached_on"] is None)
        number = next(unreached, len(item.milestones) + 1)
        self.app.reach_work_item_milestone(
            item.id, number=number, reached_on=date(2024, 7, 1), note="按期完成", actor=INSPECTOR
        )

    def split(self) -> None:
        """分设: the other unit's duties go to a new unit, which then leads its open items
        (counted where they were listed; evaluated, under their new lead)."""
        into = [f"{prefix}{uuid.uuid4().hex[:8]}" for prefix in "rs"]
        for code in into:
            self.app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
        split = SplitUnit(self.other, into=into, reason="机构改革", effective_on=date(2024, 1, 1))
        self.app.handle(split, actor=ADMIN)
        self.other = into[0]

    def evaluate(self) -> None:
        self.app.evaluate_work_item(
            self.items[-1],
            score=60 + len(self.items),
            grade=grade_for(60 + len(self.items), DEFAULT_BANDS).value,
            comment="",
            actor=INSPECTOR,
        )

    def propose(self) -> None:
        self.rulings.append(
            self.app.propose_accountability(
                subject={"unit_code": self.unit, "person": {"name": "张某某", "position": "科长"}},
                finding_ids=self.findings[-1:],
                form="admonishment",
                basis="b",
                facts="张某某推进不力",
                actor=INSPECTOR,
            ).id
        )

    def apply(self) -> None:
        self.rulings.append(
            self.app.apply_for_tolerance(
                subject={"unit_code": self.unit},
                finding_ids=[],
                grounds="g",
                criteria_claimed=["pilot_inexperience"],
                actor=INSPECTOR,
            ).id
        )

    def decide(self) -> None:
        ruling = self.app.get_ruling(self.rulings[-1])
        if ruling.kind.value == "accountability":
            self.app.decide_ruling(
                self.rulings[-1],
                form="written_inspection",
                reasoning="r",
                decided_on=date(2024, 5, 1),
                actor=AUTHORITY,
            )
        else:
            self.app.decide_ruling(
                self.rulings[-1],
                outcome="exempted",
                criteria_met=["pilot_inexperience"],
                reasoning="r",
                decided_on=date(2024, 5, 1),
                actor=AUTHORITY,
            )

    def rename(self) -> None:
        self.app.rename_unit(
            self.other,
            name=f"新名{uuid.uuid4().hex[:4]}",
            reason="r",
            effective_on=date(2024, 1, 1),
            actor=ADMIN,
        )

    def merge(self) -> None:
        self.app.merge_unit(
            self.other, into=self.unit, reason="r", effective_on=date(2024, 1, 1), actor=ADMIN
        )

    def launch(self) -> None:
        inspectors = (("甲", self.unit), ("乙", self.other), ("丙", None))
        period = (date(2024, 1, 1), date(2024, 2, 1))
        launch = random_round((self.unit, self.other), inspectors, 50, period)
        self.rounds.append(self.app.launch_inspection(launch, actor=INSPECTOR).id)

    def draw(self) -> None:
        """The v2 draw: a second party's seed, a checkpoint (the beacon), the reveal, the draw."""
        finish_draw(self.services, self.rounds[-1], (DRAW_SEED, CO_SEED), INSPECTOR, AUTHORITY)

    def link_finding(self) -> None:
        self.app.link_inspection_finding(
            self.rounds[-1], finding_id=self.findings[-1], actor=INSPECTOR
        )

    def catalogue(self) -> None:
        self.decisions.append(
            self.app.catalogue_decision(
                title="决策", year=2024, unit_code=self.unit, description=None, actor=INSPECTOR
            ).id
        )

    def record_step(self) -> None:
        step = ["public_participation", "risk_assessment"][len(self.decisions) % 2]
        self.app.record_decision_step(
            self.decisions[-1],
            step=step,
            done_on=date(2024, 1, 1),
            evidence=[],
            note="",
            actor=INSPECTOR,
        )

    def link_decision(self) -> None:
        self.app.link_decision_accountability(
            self.decisions[-1], kind="finding", target_id=self.findings[-1], actor=INSPECTOR
        )


def incrementally(
    services: Services, spec: ProjectionSpec, schema: str, head: int, rng: random.Random
) -> str:
    """Deliver the view's events one by one, re-delivering an earlier one now and then."""
    datastore = datastore_for(services.database, pool_size=1, schema=schema)
    try:
        view = spec.view_class(datastore)
        view.create_table()
        projection = spec.projection_class(view=view)
        delivered: list[tuple[Any, int]] = []
        notifications = services.app.recorder.select_notifications(
            start=0, limit=10_000, stop=head, topics=list(view.topics), inclusive_of_start=False
        )
        for notification in notifications:
            event = services.app.mapper.to_domain_event(notification)
            projection.process_event(event, Tracking(APPLICATION_NAME, notification.id))
            delivered.append((event, notification.id))
            if rng.random() < 0.3:
                again, position = rng.choice(delivered)
                projection.process_event(again, Tracking(APPLICATION_NAME, position))
        assert_counters_agree(view)
        return digest(view)
    finally:
        datastore.close()


def from_zero(services: Services, spec: ProjectionSpec, schema: str, head: int, batch: int) -> str:
    """Fill the view from zero as a rebuild fills its scratch copy (projections/rebuild.py),
    `batch` events at a time, then deliver the rest of the log as a runner would (the
    rebuild's top-up): first in long batches, which a view that fills by COPY writes by
    COPY on its live tables (a runner catching up after downtime), then by statements."""
    datastore = datastore_for(services.database, pool_size=1, schema=schema)
    try:
        view = spec.view_class(datastore)
        view.create_table()
        view.filling = True
        with mock.patch.object(replay_module, "BATCH", batch):
            replay(services.app, view, spec, head * 2 // 3)
        with datastore.get_connection() as conn, conn.transaction():
            view.finish_filling(conn)
        assert not view.filling
        with (
            mock.patch.object(type(view), "copies_from", 1),
            mock.patch.object(replay_module, "BATCH", batch),
        ):
            replay(services.app, view, spec, head * 5 // 6)
        replay(services.app, view, spec, head)
        assert_counters_agree(view)
        return digest(view)
    finally:
        datastore.close()


# A finding passed to another unit and back (转办), and to its successor on a merger, told
# to liaisons, supervisors and its inspector, one of whom leaves.
PASSED_ON = ["raise", "order", "dispute", "reassign", "dispute", "reassign", "dispute",
             "reassign", "remind", "amend", "merge", "remind", "revoke", "remind", "report",
             "list_item", "progress"]  # fmt: skip
# A 退办 rejected, the order chased for signing (签收催办: no 退办 offered); then reopened and
# chased again (a new round: 退办 offered again).
REJECTED = ["raise", "order", "dispute", "reject_dispute", "remind", "remind", "remind",
            "report", "accept", "reopen", "remind", "remind", "remind"]  # fmt: skip
# Cases published: one whose finding's title was amended (the amended title is shown), each
# with the person's name in its facts (redacted).
CASES = ["raise", "propose", "decide", "amend", "publish", "raise", "apply", "decide", "publish",
         "raise", "amend", "propose", "decide", "publish"]  # fmt: skip
# A work item evaluated; then one with milestones reached, whose lead unit is split (the lead
# passes to a unit that was listed nothing that year), evaluated after; evidence cited.
LEDGER = ["list_item", "evaluate", "list_item", "leader", "milestone", "milestone", "reach",
          "progress", "split", "progress", "reach", "evaluate",
          "raise", "order", "report"]  # fmt: skip


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# A fill's batches: one event at a time, a few (what a batch of the fill leaves to the next
# one is then read back), and the rebuild's own size.
@given(
    operations=OPERATIONS,
    seed=st.integers(0, 2**16),
    batch=st.sampled_from([1, 4, replay_module.BATCH]),
)
# The whole life of an inspection round and of a major decision, every time; and a finding
# passed on, in a fill of small batches.
@example(operations=["raise", *ROUND_AND_DECISION], seed=7, batch=replay_module.BATCH)
@example(operations=PASSED_ON, seed=3, batch=1)
@example(operations=PASSED_ON, seed=3, batch=4)
@example(operations=REJECTED, seed=4, batch=1)
@example(operations=CASES, seed=9, batch=1)
@example(operations=CASES, seed=9, batch=3)
@example(operations=LEDGER, seed=5, batch=1)
@example(operations=LEDGER, seed=5, batch=3)
def test_every_read_model_maintained_incrementally_equals_a_rebuild_from_zero(
    services: Services, operations: list[str], seed: int, batch: int
) -> None:
    scenario = Scenario(services)
    for operation in operations:
        scenario.run(operation if operation != "raise" else "raise_")
    head = services.head()
    rng = random.Random(seed)
    for spec in PROJECTIONS:
        with scratch_schema(services.database) as a, scratch_schema(services.database) as b:
            assert incrementally(services, spec, a, head, rng) == from_zero(
                services, spec, b, head, batch
            ), f"{spec.name} differs after {operations} (fill batches of {batch})"
