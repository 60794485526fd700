"""The monthly 情况通报 (issue 17 item 2) issued by the scheduler on the first working day of the
month, exactly once however often and by however many processes it runs; and a copy of an
issued document checked against the log from the command line."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import cli
from api.runtime.bootstrap import Services
from api.runtime.bulletins import first_working_day, issue_monthly_bulletin
from api.runtime.dispatch import Chaser
from api.runtime.reminders import SCHEDULER
from domain import clock
from domain.documents import IssuedDocument, scheduled_bulletin_id
from domain.errors import RenderingUnavailable
from domain.registry import IssueDocument
from infra.locks import BULLETIN_LOCK, only_one
from infra.settings import Settings
from infra.workdays import WorkingDays
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from tests.integration.conftest import ADMIN, raise_finding

# October 2026: the National Day holiday runs from the 1st, so the month's first working day
# comes after it (the State Council's calendar, infra/workdays.py).
OCTOBER = date(2026, 10, 1)


def issued_bulletins(services: Services) -> list[IssuedDocument]:
    found = []
    for n in services.app.recorder.select_notifications(start=1, limit=10_000):
        if n.topic.endswith("IssuedDocument.Issued"):
            document = services.app.get_record(IssuedDocument, n.originator_id)
            if document.kind == "bulletin":
                found.append(document)
    return found


def on(day: date) -> Any:
    """The service's clock at ten in the morning of `day` (China)."""
    return clock.use(clock.SettableClock(datetime.combine(day, time(10), tzinfo=clock.CHINA)))


def test_the_bulletin_of_last_month_is_issued_on_the_first_working_day_exactly_once(
    services: Services,
) -> None:
    with on(first_working_day(OCTOBER, WorkingDays())):
        issued_once(services)


def issued_once(services: Services) -> None:
    calendar = WorkingDays()
    first = first_working_day(OCTOBER, calendar)
    assert first > OCTOBER and calendar.add(first - timedelta(days=1), 1) == first
    assert issue_monthly_bulletin(services, first - timedelta(days=1), calendar) is None
    assert issued_bulletins(services) == []

    with only_one(services.database, BULLETIN_LOCK):  # another process is issuing it
        assert issue_monthly_bulletin(services, first, calendar) is None
    issued = issue_monthly_bulletin(services, first, calendar)
    assert issued == scheduled_bulletin_id("county", "2026-09")
    assert issue_monthly_bulletin(services, first, calendar) is None
    with on(first + timedelta(days=3)):
        assert issue_monthly_bulletin(services, first + timedelta(days=3), calendar) is None
    (bulletin,) = issued_bulletins(services)
    assert bulletin.id == issued and bulletin.issued_on == first
    assert bulletin.title == "关于2026年9月督查工作情况的通报"
    assert bulletin.issued_by["name"] == "督办提醒"


def test_the_scheduler_thread_issues_it_with_the_reminders(services: Services) -> None:
    """… under an id of its own when the derived one was taken by another document (here a
    group's bulletin of the same month, issued by hand under that id)."""
    day = first_working_day(date(2026, 11, 1), WorkingDays())
    taken = scheduled_bulletin_id("county", "2026-10")
    services.app.register_unit(code="xjz", name="新林乡", kind="township", actor=ADMIN)
    with on(day):
        group = IssueDocument(kind="bulletin", period="2026-10", unit_codes=["xjz"],
                              document_id=taken)  # fmt: skip
        services.app.handle(group, actor=ADMIN)
        Chaser(services).remind()
    titles = sorted((b.record["kind"], b.id == taken) for b in issued_bulletins(services))
    assert titles == [("county", False), ("group", True)]
    county = next(b for b in issued_bulletins(services) if b.record["kind"] == "county")
    assert county.title == "关于2026年10月督查工作情况的通报"
    with on(day):  # issued: the next run finds it
        assert issue_monthly_bulletin(services, day, WorkingDays()) is None


def test_the_command_line_issues_a_document_and_verifies_a_copy(
    services: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    env = {
        "SUPERVISION_DATABASE_URL": fresh_settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(fresh_settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()
    out = tmp_path / "out"
    done = runner.invoke(
        cli, ["documents", "issue", "bulletin", "--period", "2026-Q3", "--out", str(out)], env=env
    )
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["title"] == "关于2026年第三季度督查工作情况的通报"
    pdf = Path(answer["written"][1])
    assert pdf.suffix == ".pdf" and pdf.exists()

    verified = runner.invoke(cli, ["documents", "verify", str(pdf)], env=env)
    assert verified.exit_code == 0, verified.output
    assert f"已核验：{answer['number']}" in verified.output and "（pdf）" in verified.output
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(pdf.read_bytes().replace(b"%%EOF", b"%%EOF\n% x"))
    refused = runner.invoke(cli, ["documents", "verify", str(altered)], env=env)
    assert refused.exit_code == 1 and "未通过" in refused.output

    wrong = runner.invoke(cli, ["documents", "issue", "memo"], env=env)
    assert wrong.exit_code == 2 and "is not a kind of document" in wrong.output
    missing = runner.invoke(cli, ["documents", "issue", "supervision_notice"], env=env)
    assert missing.exit_code == 2 and "未印发" in missing.output  # refused: exit 2


def test_without_a_pdf_renderer_nothing_is_issued_and_the_reason_is_clear(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with on(date(2026, 12, 7)):
        refused_then_issued(services, monkeypatch, caplog)


def refused_then_issued(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from api.cli.demo import DemoLoader
    from infra.documents import official

    def no_pango(document: object) -> bytes:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(official, "to_pdf", no_pango)
    message = IssueDocument(kind="bulletin", period="2026-10")
    with pytest.raises(RenderingUnavailable, match=r"apt-get install libpango-1\.0-0"):
        services.app.handle(message, actor=SCHEDULER)
    assert issued_bulletins(services) == []  # and no number was taken
    with caplog.at_level(logging.WARNING, logger="supervision.demo"):
        DemoLoader(services, Path("unused.json")).issue_documents()
    assert [r.msg for r in caplog.records if r.name == "supervision.demo"] == [
        "demo_documents_skipped"
    ]
    assert issued_bulletins(services) == []
    monkeypatch.undo()  # the renderer back: the year's first number is still free
    services.app.handle(message, actor=SCHEDULER)
    (bulletin,) = issued_bulletins(services)
    assert bulletin.number == "新政督通〔2026〕1号"


def test_a_deployment_may_leave_the_bulletin_to_be_issued_by_hand(services: Services) -> None:
    day = first_working_day(date(2026, 11, 1), WorkingDays())
    by_hand = services.settings.model_copy(update={"monthly_bulletin": False})
    services.settings = by_hand
    with on(day):
        Chaser(services).remind()
    assert issued_bulletins(services) == []


def test_a_bulletin_counts_its_own_period(services: Services) -> None:
    """Found within the period, and open (and overdue) on the bulletin's day."""
    services.app.register_unit(code="cdz", name="城东镇", kind="township", actor=ADMIN)
    for found_on in (date(2026, 11, 5), date(2026, 10, 20), date(2026, 11, 28)):
        raise_finding(services, "cdz", "问题", found_on=found_on)
    catch_up(services.app, services.datastore, PROJECTIONS)
    counts = services.board.period_counts(
        {"cdz": ("cdz",)}, date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 7)
    )
    assert counts == {"cdz": {"raised": 2, "closed": 0, "open": 3, "overdue": 0}}
    nothing = services.board.period_counts(
        {"xyz": ("xyz",)}, date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 7)
    )
    assert nothing == {"xyz": {"raised": 0, "closed": 0, "open": 0, "overdue": 0}}


def test_the_demo_loads_beside_a_running_scheduler_that_issued_the_bulletin_first(
    services: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`supervision demo` run while the service runs: the scheduler's bulletin of last month
    stands, and the demo goes on to its other documents. (Its liaisons act under their
    units' names, as the timelines show them, not their codes.)"""
    from api.cli.demo import DemoLoader

    with on(date(2026, 12, 7)):
        Chaser(services).remind()
        (first,) = issued_bulletins(services)
        with caplog.at_level(logging.INFO, logger="supervision.demo"):
            DemoLoader(services, tmp_path / "demo-accounts.json").load()
    assert [b.id for b in issued_bulletins(services)] == [first.id]
    assert any(r.msg == "demo_bulletin_issued_already" for r in caplog.records)
    kinds = set()
    for n in services.app.recorder.select_notifications(start=1, limit=100_000):
        if n.topic.endswith("IssuedDocument.Issued"):
            kinds.add(services.app.get_record(IssuedDocument, n.originator_id).kind)
    assert {"supervision_notice", "evaluation_report"} <= kinds, "the demo went on"
    liaisons = {
        e.actor["name"]
        for n in services.app.recorder.select_notifications(start=1, limit=100_000)
        for e in [services.app.mapper.to_domain_event(n)]
        if isinstance(getattr(e, "actor", None), dict) and e.actor.get("role") == "unit"
    }
    assert "南明街道 联络员" in liaisons
    assert not [name for name in liaisons if name.split()[0].isascii()], "named by unit codes"
