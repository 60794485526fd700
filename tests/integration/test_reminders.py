"""The reminder scheduler (api/runtime/reminders.py): every reminder the rules demand recorded
on the finding once, however often it runs; one process at a time; and from the command line."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from typer.testing import CliRunner

from api.cli.main import cli
from api.runtime.bootstrap import Services
from api.runtime.reminders import policy_of, remind, send_reminders
from domain import clock
from domain.accounts import hash_token
from domain.actors import Actor
from domain.findings import Finding
from domain.registry import (
    AcknowledgeOrder,
    DisputeOrder,
    OrderRectification,
    RejectDispute,
    ReopenFinding,
    ReportRectification,
    VerifyRectification,
)
from domain.reminders import Policy, runs_to
from domain.vocabulary import Role
from infra.locks import REMINDER_LOCK, only_one
from infra.settings import Settings
from infra.workdays import WorkingDays
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding

TODAY = clock.today()
DEADLINE = TODAY + timedelta(days=14)
LATE = DEADLINE + timedelta(days=21)


def ordered_finding(services: Services, code: str) -> Finding:
    services.app.register_unit(code=code, name="镜岭镇", kind="township", actor=ADMIN)
    fid = raise_finding(services, code, "安全隐患整改", found_on=TODAY)
    services.app.order_rectification(
        fid, deadline=DEADLINE, requirements="限期整改", actor=INSPECTOR
    )
    catch_up(
        services.app, services.datastore, [s for s in PROJECTIONS if s.name == "finding_board"]
    )
    return services.app.get_finding(fid)


def test_each_reminder_is_recorded_once_however_often_the_scheduler_runs(
    services: Services,
) -> None:
    finding = ordered_finding(services, "jlz")
    first = send_reminders(services, LATE, WorkingDays(), Policy())
    # All at once, as after an outage: only 临近提醒 is not sent, the deadline being past.
    assert first is not None and first["due"] == 1 and first["near"] == 0
    assert first["acknowledge"] == 1 and first["overdue"] >= 3 and first["escalation"] == 1
    assert send_reminders(services, LATE, WorkingDays(), Policy()) == Counter()
    reminded = [
        e for e in services.app.aggregate_history(finding.id) if isinstance(e, Finding.Reminded)
    ]
    assert len(reminded) == sum(first.values())
    assert len({e.rule for e in reminded}) == len(reminded)
    assert reminded[0].actor == {"id": "scheduler", "name": "督办提醒", "role": "admin"}


def test_a_second_scheduler_does_nothing_while_one_runs(services: Services) -> None:
    ordered_finding(services, "xjz")
    with only_one(services.database, REMINDER_LOCK) as mine:
        assert mine
        assert send_reminders(services, LATE, WorkingDays(), Policy()) is None
    assert send_reminders(services, LATE, WorkingDays(), Policy())


def on(day: str) -> Any:
    """The process's clock at ten in the morning of `day` (China)."""
    moment = datetime.combine(date.fromisoformat(day), time(10), tzinfo=clock.CHINA)
    return clock.use(clock.SettableClock(moment))


def test_the_command_line_runs_the_rules_for_a_day(
    services: Services, fresh_settings: Settings
) -> None:
    ordered_finding(services, "mzz")
    env = {
        "SUPERVISION_DATABASE_URL": fresh_settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(fresh_settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()
    due = runs_to(DEADLINE, WorkingDays()).isoformat()  # (a deadline on a day off runs on)
    early = runner.invoke(cli, ["reminders", "run", "--today", due], env=env)
    assert early.exit_code == 2 and "has not come yet" in early.output, "nothing recorded ahead"
    with on(due):
        done = runner.invoke(cli, ["reminders", "run", "--today", due], env=env)
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output.strip().splitlines()[-1])
    assert answer["today"] == due and answer["sent"]["due"] == 1
    with only_one(services.database, REMINDER_LOCK):
        busy = runner.invoke(cli, ["reminders", "run"], env=env)
    assert busy.exit_code == 1 and "another process is sending reminders" in busy.output
    bad = runner.invoke(
        cli, ["reminders", "run", "--today", "tomorrow"], env={**env, "COLUMNS": "300"}
    )
    assert bad.exit_code == 2 and "is not a day (YYYY-MM-DD)" in bad.output


def test_a_finding_moved_on_meanwhile_is_left_for_the_next_run(services: Services) -> None:
    stale = ordered_finding(services, "hsz")
    services.app.escalate_finding(stale.id, reason="提级督办", actor=INSPECTOR)  # a racing change
    assert remind(services, stale, LATE, WorkingDays(), Policy()) == []
    assert not [
        e for e in services.app.aggregate_history(stale.id) if isinstance(e, Finding.Reminded)
    ]
    fresh = services.app.get_finding(stale.id)
    assert remind(services, fresh, LATE, WorkingDays(), Policy())


def test_the_rules_numbers_are_the_deployments(
    services: Services, fresh_settings: Settings
) -> None:
    """SUPERVISION_REMIND_*: with 30 working days to sign for an order, none is chased yet;
    with 临近提醒 3 working days ahead for a minor finding (2 by default), it is due on the
    third working day before the deadline."""
    ordered_finding(services, "dmx")
    env = {
        "SUPERVISION_DATABASE_URL": fresh_settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(fresh_settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "WARNING",
        "SUPERVISION_REMIND_ACKNOWLEDGE_WITHIN": "30",
        "SUPERVISION_REMIND_NEAR_BEFORE": '{"minor": 3}',
    }
    day = WorkingDays().add(DEADLINE, -3).isoformat()
    with on(day):
        done = CliRunner().invoke(cli, ["reminders", "run"], env=env)
    assert done.exit_code == 0, done.output
    sent = json.loads(done.output.strip().splitlines()[-1])["sent"]
    assert sent == {"near": 1}
    policy = policy_of(Settings(remind_overdue_every=5, remind_escalate_after=2))
    assert (policy.overdue_every, policy.escalate_after, policy.acknowledge_within) == (5, 2, 2)


def unit_with_liaison(services: Services, code: str, name: str) -> None:
    services.app.register_unit(code=code, name=name, kind="township", actor=ADMIN)
    services.app.create_account(
        token_hash=hash_token(code), name="联络员", role=Role.UNIT, unit_code=code, actor=ADMIN
    )


def caught_up(services: Services, name: str) -> None:
    catch_up(services.app, services.datastore, [s for s in PROJECTIONS if s.name == name])


def notices(services: Services, fid: UUID, kind: str) -> list[str]:
    """What the finding's reminders of `kind` told the unit's liaison, oldest first."""
    caught_up(services, "notifications")
    with services.database.connect() as conn:
        rows = conn.execute(
            "SELECT body FROM notifications WHERE finding_id = %s AND kind = %s ORDER BY position",
            (fid, kind),
        ).fetchall()
    return [str(row[0]) for row in rows]


def due_notice(services: Services, fid: UUID) -> str:
    """What the finding's 到期催办 told the unit's liaison."""
    (said,) = notices(services, fid, "due")
    return said


def test_a_disputed_order_is_not_chased_for_signing_and_a_late_due_reminder_says_so(
    services: Services,
) -> None:
    """While the inspector answers a 退办 the order cannot be signed for, so no 签收催办; and
    a 到期催办 sent after the day (rules run late, after an outage) says the deadline has
    passed instead of "today"."""
    unit_with_liaison(services, "bxz", "北漳镇")
    fid = raise_finding(services, "bxz", "河道清障", found_on=TODAY)
    services.app.order_rectification(fid, deadline=DEADLINE, requirements="清障", actor=INSPECTOR)
    liaison = Actor(id="l-1", name="联络员 周", role=Role.UNIT, unit_code="bxz")
    services.app.dispute_order(fid, reason="该河段不属本镇管辖", actor=liaison)
    caught_up(services, "finding_board")
    sent = send_reminders(services, LATE, WorkingDays(), Policy())
    assert sent is not None and sent["acknowledge"] == 0 and sent["due"] == 1
    passed = f"整改期限（{clock.cn_date(DEADLINE)}）已届满，请及时报送整改情况。"
    assert due_notice(services, fid) == passed


def test_a_due_reminder_on_the_working_day_a_deadline_on_a_day_off_runs_to_says_so(
    services: Services,
) -> None:
    saturday = DEADLINE + timedelta(days=(5 - DEADLINE.weekday()) % 7)
    unit_with_liaison(services, "sxz", "沙溪镇")
    fid = raise_finding(services, "sxz", "路灯维修", found_on=TODAY)
    services.app.order_rectification(fid, deadline=saturday, requirements="维修", actor=INSPECTOR)
    caught_up(services, "finding_board")
    day = runs_to(saturday, WorkingDays())
    assert day > saturday
    with on(day.isoformat()):
        sent = send_reminders(services, day, WorkingDays(), Policy())
    assert sent is not None and sent["due"] == 1
    moved = f"整改期限（{clock.cn_date(saturday)}）逢休息日顺延至今日届满，请及时报送整改情况。"
    assert due_notice(services, fid) == moved


def test_an_order_given_or_given_back_after_its_deadline_sends_one_reminder_not_the_backlog(
    services: Services,
) -> None:
    """The audit's case: a deadline already past when the order is given (a late-entered
    ledger), a report sent back (验收退回) long after the deadline, a reopening (回头看) that
    keeps it: each gives one 逾期催办 today, never the 催办 of the weeks before."""
    unit_with_liaison(services, "lhz", "龙皇镇")
    liaison = Actor(id="l-2", name="联络员 吴", role=Role.UNIT, unit_code="lhz")
    start = TODAY - timedelta(days=150)
    late = raise_finding(services, "lhz", "旧账销号", found_on=start)
    deadline = start + timedelta(days=30)
    services.app.handle(OrderRectification(late, deadline, "限期整改"), actor=INSPECTOR)
    returned = raise_finding(services, "lhz", "危桥加固", found_on=start)
    reopened = raise_finding(services, "lhz", "违建拆除", found_on=start)
    for fid in (returned, reopened):
        with on(start.isoformat()):
            services.app.handle(OrderRectification(fid, deadline, "整改"), actor=INSPECTOR)
            services.app.handle(AcknowledgeOrder(fid), actor=liaison)
        with on((start + timedelta(days=7)).isoformat()):
            services.app.handle(ReportRectification(fid, "已整改"), actor=liaison)
    with on((start + timedelta(days=8)).isoformat()):
        services.app.handle(VerifyRectification(reopened, "accepted", "销号"), actor=INSPECTOR)
    services.app.handle(VerifyRectification(returned, "rejected", "资料不全"), actor=INSPECTOR)
    services.app.handle(ReopenFinding(reopened, "回头看发现反弹"), actor=INSPECTOR)
    caught_up(services, "finding_board")
    assert send_reminders(services, TODAY, WorkingDays(), Policy()) == Counter(overdue=3)
    for fid in (late, returned, reopened):
        (reminded,) = [
            e for e in services.app.aggregate_history(fid) if isinstance(e, Finding.Reminded)
        ]
        assert reminded.kind == "overdue" and reminded.due_on == TODAY


def test_a_signing_reminder_after_a_rejected_dispute_asks_the_unit_to_sign_only(
    services: Services,
) -> None:
    """退办不予认可: the order stands and the unit may not dispute it again (the finding
    refuses a second 退办 in the round), so its 签收催办 asks it to sign and no longer offers
    申请退办; an order never disputed is chased with both, and so is a reopened one (回头看:
    a new round, in which the unit may dispute again)."""
    unit_with_liaison(services, "dmx", "东茗乡")
    liaison = Actor(id="l-3", name="联络员 俞", role=Role.UNIT, unit_code="dmx")
    start = TODAY - timedelta(days=60)
    rejected, plain, reopened = (
        raise_finding(services, "dmx", title, found_on=start) for title in ("占道", "噪声", "污水")
    )
    with on(start.isoformat()):
        for fid in (rejected, plain, reopened):
            services.app.handle(OrderRectification(fid, DEADLINE, "整改"), actor=INSPECTOR)
        for fid in (rejected, reopened):
            services.app.handle(DisputeOrder(fid, "不属本乡职责"), actor=liaison)
            services.app.handle(RejectDispute(fid, "属本乡职责"), actor=INSPECTOR)
        services.app.handle(AcknowledgeOrder(reopened), actor=liaison)
        services.app.handle(ReportRectification(reopened, "已整改"), actor=liaison)
        services.app.handle(VerifyRectification(reopened, "accepted", "销号"), actor=INSPECTOR)
    services.app.handle(ReopenFinding(reopened, "回头看发现反弹"), actor=INSPECTOR)
    caught_up(services, "finding_board")
    sent = send_reminders(services, LATE, WorkingDays(), Policy())
    assert sent is not None and sent["acknowledge"] == 3
    given, again = clock.cn_date(start), clock.cn_date(TODAY)
    signs_only = f"{given}交办的事项尚未签收，请尽快签收。"
    assert notices(services, rejected, "acknowledge") == [signs_only]
    assert notices(services, plain, "acknowledge") == [
        f"{given}交办的事项尚未签收，请尽快签收或申请退办。"
    ]
    assert notices(services, reopened, "acknowledge") == [
        f"{again}交办的事项尚未签收，请尽快签收或申请退办。"
    ]
