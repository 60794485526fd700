"""The dispatcher (infra/outbox.py): every notification reaches a real SMTP server (aiosmtpd) and a
real HTTP receiver at least once; a channel that is down delays delivery and loses nothing; a
refusal is final; a leased delivery is not sent twice at once; and the worker's chaser runs the
reminders and the outbox on their timers, outliving a failed round."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from api.main import create_app
from api.runtime.bootstrap import Services, build
from api.runtime.dispatch import Chaser, channels_of
from domain import clock
from domain.accounts import hash_token
from domain.findings import Finding
from domain.vocabulary import Role
from infra.channels import Smtp, Webhook, signature_holds
from infra.outbox import Backoff, Outbox, deliveries, set_channel_settings
from infra.settings import Settings
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from tests.conftest import settings_for
from tests.e2e.console import sign_in
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding
from tests.integration.test_channels import (
    Inbox,
    Receiver,
    Trickling,
    free_port,
    receiver,
    trickler,
)
from tests.support import ADMIN as ADMIN_HEADERS

__all__ = ["receiver", "trickler"]
SECRET = "s3cret"
FAST = Backoff(first_seconds=0.05, max_seconds=0.2)


def ordered(services: Services, code: str) -> tuple[UUID, UUID]:
    """A unit with one liaison (answered) and a finding ordered to it (answered first)."""
    services.app.register_unit(code=code, name="大市聚镇", kind="township", actor=ADMIN)
    liaison = services.app.create_account(
        token_hash=hash_token(code), name="联络员 钱", role=Role.UNIT, unit_code=code, actor=ADMIN
    ).id
    fid = raise_finding(services, code, "河道保洁<不到位>", found_on=clock.today())
    deadline = clock.today() + timedelta(days=30)
    services.app.order_rectification(fid, deadline=deadline, requirements="清理", actor=INSPECTOR)
    catch_up(services.app, services.datastore, PROJECTIONS)
    return fid, liaison


def statuses(services: Services) -> dict[str, tuple[str, int]]:
    return {
        d["channel"]: (d["status"], d["attempts"]) for d in deliveries(services.database, None, 10)
    }


@pytest.fixture
def mail_port() -> int:
    return free_port()


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def test_a_channel_that_is_down_delays_delivery_and_loses_nothing(
    services: Services, receiver: Receiver, mail_port: int
) -> None:
    fid, liaison = ordered(services, "dsj")
    set_channel_settings(services.database, liaison, "qian@dsj.gov.cn", receiver.url)
    channels = {"email": Smtp("127.0.0.1", mail_port, timeout=2), "webhook": Webhook(SECRET)}
    outbox = Outbox(services.database, channels, backoff=FAST, link="http://duban.example/")
    receiver.status = 503
    first = outbox.run_once()
    assert (first.taken_up, first.queued, first.delivered, first.failed) == (1, 2, 0, 2)
    assert statuses(services) == {"email": ("retrying", 1), "webhook": ("retrying", 1)}
    assert all(d["last_error"] for d in deliveries(services.database, "retrying", 10))

    controller, mails = start_smtp(mail_port)
    try:
        receiver.status = 200
        time.sleep(0.1)  # past the first back-off
        assert outbox.run_once().delivered == 2
        assert outbox.run_once().delivered == 0  # delivered ones are not sent again
    finally:
        controller.stop()
    (mail,) = mails.messages
    assert mail["Subject"] == "【交办通知】河道保洁<不到位>" and mail["To"] == "qian@dsj.gov.cn"
    assert f"http://duban.example/findings/{fid}" in mail.get_content()  # the console page
    assert len(receiver.received) == 2  # the refused try and the delivery
    headers, body = receiver.received[-1]
    assert signature_holds(SECRET, headers, body)
    assert statuses(services) == {"email": ("delivered", 2), "webhook": ("delivered", 2)}
    told = services.notifications.of_finding(fid)
    assert [d["status"] for d in told[0]["deliveries"]] == ["delivered", "delivered"]


def test_a_refusal_is_final_and_an_unconfigured_channel_waits(
    services: Services, fresh_settings: Settings, receiver: Receiver
) -> None:
    fid, liaison = ordered(services, "hjz")
    set_channel_settings(services.database, liaison, "qian@hjz.gov.cn", receiver.url)
    receiver.status = 400
    outbox = Outbox(services.database, {"webhook": Webhook(SECRET)}, backoff=FAST)
    assert outbox.run_once().failed == 1
    time.sleep(0.1)
    assert outbox.run_once().failed == 0
    assert len(receiver.received) == 1
    # No mail server configured: the e-mail waits, untried, until there is one.
    assert statuses(services) == {"webhook": ("failed", 1), "email": ("pending", 0)}
    assert Outbox(services.database, {}).run_once().delivered == 0
    # Why a delivery failed may name an address or a host: administrators read it, nobody else.
    with TestClient(create_app(fresh_settings, services=services)) as client:
        path = f"/api/v1/findings/{fid}/notifications"
        (seen,) = client.get(path, headers=ADMIN_HEADERS).json()["items"]
        (told,) = client.get(path, headers={"Authorization": "Bearer hjz"}).json()["items"]
    assert {d["channel"]: bool(d["last_error"]) for d in seen["deliveries"]} == {
        "email": False,
        "webhook": True,
    }
    assert all(d["last_error"] is None for d in told["deliveries"])
    assert [d["status"] for d in told["deliveries"]] == [d["status"] for d in seen["deliveries"]]


def test_a_revoked_accounts_deliveries_end_unsent_and_its_later_notices_make_none(
    services: Services, receiver: Receiver, mail_port: int
) -> None:
    """Only active accounts are told: the deliveries queued for a liaison who has left end
    `failed`, never sent, in the round that finds the account revoked; another liaison's
    are delivered in it; a notice the leaver was told just before leaving makes no delivery."""
    fid, leaver = ordered(services, "gqz")
    stays = services.app.create_account(
        token_hash=hash_token("gqz-2"), name="联络员 孙", role=Role.UNIT, unit_code="gqz",
        actor=ADMIN,
    ).id  # fmt: skip
    set_channel_settings(services.database, leaver, "qian@gqz.gov.cn", receiver.url)
    Outbox(services.database, {}).take_up()  # the order's deliveries wait (no channel yet)
    today = clock.today()
    services.app.remind_finding(
        fid, rule=f"acknowledge@{today}", kind="acknowledge", due_on=today, actor=ADMIN
    )
    catch_up(services.app, services.datastore, PROJECTIONS)  # told: the leaver and the other
    set_channel_settings(services.database, stays, None, receiver.url)
    services.app.revoke_account(leaver, reason="调离", actor=ADMIN)
    catch_up(services.app, services.datastore, PROJECTIONS)
    channels = {"email": Smtp("127.0.0.1", mail_port, timeout=2), "webhook": Webhook(SECRET)}
    done = Outbox(services.database, channels).run_once()
    assert len(receiver.received) == 1  # the other liaison's reminder, and nothing else
    assert (done.ended, done.delivered, done.failed) == (2, 1, 0)
    rows = deliveries(services.database, None, 10)
    assert sorted((d["account_id"] == leaver, d["kind"], d["status"], d["attempts"],
                   d["last_error"]) for d in rows) == [
        (False, "acknowledge", "delivered", 1, None),
        (True, "order", "failed", 0, "the account was revoked: not sent"),
        (True, "order", "failed", 0, "the account was revoked: not sent"),
    ]  # fmt: skip


def test_a_delivery_whose_notice_the_read_model_does_not_hold_waits_not_ended(
    services: Services, receiver: Receiver
) -> None:
    """Only an account the read model holds revoked ends its deliveries: one whose notice
    it does not hold (rebuilt since without it) waits, as before."""
    _, liaison = ordered(services, "wtz")
    set_channel_settings(services.database, liaison, None, receiver.url)
    Outbox(services.database, {}).take_up()  # its delivery made, then its notice gone
    with services.database.connection() as conn:
        conn.execute("DELETE FROM notifications WHERE account_id = %s", (liaison,))
    done = Outbox(services.database, {"webhook": Webhook(SECRET)}).run_once()
    assert done.ended == 0 and receiver.received == []
    with services.database.connection() as conn:
        left = conn.execute("SELECT status, last_error FROM supervision_deliveries").fetchall()
    assert left and {tuple(row) for row in left} == {("pending", None)}


def two_dispatchers(
    services: Services, receiver: Receiver, code: str
) -> tuple[Outbox, Outbox, dict[str, Any]]:
    """An ordered finding whose liaison has a webhook, two dispatchers of 0.2 s leases, and
    the one delivery the first took up and leased."""
    _, liaison = ordered(services, code)
    set_channel_settings(services.database, liaison, None, receiver.url)
    one, other = (
        Outbox(services.database, {"webhook": Webhook(SECRET)}, lease_seconds=0.2) for _ in range(2)
    )
    one.take_up()
    (leased,) = one.lease()
    return one, other, leased


def test_a_leased_delivery_is_not_sent_twice_at_once_and_is_retried_after_its_lease(
    services: Services, receiver: Receiver
) -> None:
    _, other, leased = two_dispatchers(services, receiver, "ljz")  # …the first dies unsent
    assert other.lease() == []
    time.sleep(0.3)
    (again,) = other.lease()
    assert again["notification_id"] == leased["notification_id"] and again["attempts"] == 2
    assert other.deliver(again)
    assert len(receiver.received) == 1


def test_a_dispatcher_whose_lease_ran_out_leaves_the_delivery_to_the_one_that_took_it(
    services: Services, receiver: Receiver
) -> None:
    """A batch slower than its lease (a receiver that answers late): the other dispatcher
    takes the rest up, and the first one, coming to them, sends none of them again."""
    one, other, leased = two_dispatchers(services, receiver, "mjz")
    time.sleep(0.3)  # …while it was sending the batch's others
    assert other.run_once().delivered == 1
    assert one.deliver(leased) is None
    assert len(receiver.received) == 1
    assert statuses(services) == {"webhook": ("delivered", 2)}


def test_an_outcome_a_dispatcher_comes_back_with_after_its_lease_changes_nothing(
    services: Services, receiver: Receiver
) -> None:
    """The one that took the delivery over keeps it: the first one's late outcome (here a
    refusal) is not written over the other's lease."""
    one, other, leased = two_dispatchers(services, receiver, "pjz")
    where = {"id": leased["notification_id"], "channel": "webhook"}
    assert one.renew(where, leased["attempts"])  # …its send then outlasts the lease
    time.sleep(0.3)
    (taken,) = other.lease()
    one.settle({**where, "attempts": leased["attempts"]}, "failed", "the receiver refused", 0)
    assert statuses(services) == {"webhook": ("pending", 2)}
    assert other.deliver(taken) is True
    assert statuses(services) == {"webhook": ("delivered", 2)}


class Exploding:
    """A channel with a bug: it raises what no channel should."""

    def send(self, address: str, message: object) -> None:
        raise RuntimeError(f"cannot handle {address}")


def test_one_delivery_that_cannot_be_made_does_not_hold_up_the_others(
    services: Services, receiver: Receiver
) -> None:
    """One liaison's URL the webhook cannot use (stored before it was checked) fails for
    good; a channel's unexpected error is kept and tried again; the others are delivered in
    the same round."""
    services.app.register_unit(code="njz", name="南江镇", kind="township", actor=ADMIN)
    liaisons = [
        services.app.create_account(
            token_hash=hash_token(name), name=name, role=Role.UNIT, unit_code="njz", actor=ADMIN
        ).id
        for name in ("联络员 钱", "联络员 孙")
    ]
    set_channel_settings(services.database, liaisons[0], "bad\x1c@njz.gov.cn", "http://[::1/x")
    set_channel_settings(services.database, liaisons[1], "sun@njz.gov.cn", receiver.url)
    fid = raise_finding(services, "njz", "河道保洁不到位", found_on=clock.today())
    deadline = clock.today() + timedelta(days=30)
    services.app.order_rectification(fid, deadline=deadline, requirements="清理", actor=INSPECTOR)
    catch_up(services.app, services.datastore, PROJECTIONS)
    outbox = Outbox(services.database, {"webhook": Webhook(SECRET), "email": Exploding()})
    done = outbox.run_once()
    assert (done.delivered, done.failed) == (1, 3)
    assert len(receiver.received) == 1
    rows = deliveries(services.database, None, 10)
    outcomes = sorted((d["channel"], d["status"], bool(d["last_error"])) for d in rows)
    assert outcomes == [
        ("email", "retrying", True),  # the channel's bug: kept, and tried again
        ("email", "retrying", True),
        ("webhook", "delivered", False),
        ("webhook", "failed", True),  # the unusable URL: final
    ]
    assert any(str(d["last_error"]).startswith("RuntimeError: cannot handle") for d in rows)


def test_a_receiver_that_trickles_its_answer_is_given_up_on_and_holds_up_no_other(
    services: Services, receiver: Receiver, trickler: Trickling
) -> None:
    """A webhook that answers a byte at a time, each within a socket's timeout, is given up
    at the send's deadline (well inside the lease) and tried again later; the others of the
    round are delivered."""
    services.app.register_unit(code="xtz", name="小将镇", kind="township", actor=ADMIN)
    slow, quick = (
        services.app.create_account(
            token_hash=hash_token(name), name=name, role=Role.UNIT, unit_code="xtz", actor=ADMIN
        ).id
        for name in ("联络员 钱", "联络员 孙")
    )
    set_channel_settings(services.database, slow, None, trickler.url)
    set_channel_settings(services.database, quick, None, receiver.url)
    fid = raise_finding(services, "xtz", "河道保洁不到位", found_on=clock.today())
    deadline = clock.today() + timedelta(days=30)
    services.app.order_rectification(fid, deadline=deadline, requirements="清理", actor=INSPECTOR)
    catch_up(services.app, services.datastore, PROJECTIONS)
    outbox = Outbox(services.database, {"webhook": Webhook(SECRET, timeout=1)})
    done = outbox.run_once()
    assert (done.delivered, done.failed) == (1, 1)
    assert len(receiver.received) == 1 and len(trickler.received) == 1
    outcomes = {
        (d["account_id"], d["status"], d["last_error"])
        for d in deliveries(services.database, None, 10)
    }
    assert outcomes == {
        (quick, "delivered", None),
        (slow, "retrying", "the webhook did not answer within 1 s (timed out)"),
    }


def test_backoff_doubles_up_to_its_cap() -> None:
    waits = [Backoff(30, 200).wait(n) for n in range(1, 6)]
    assert waits == [30, 60, 120, 200, 200]


@pytest.fixture
def chasing_settings(fresh_settings: Settings, mail_port: int) -> Settings:
    return settings_for(
        str(fresh_settings.database_url),
        fresh_settings.data_dir,
        smtp_host="127.0.0.1",
        smtp_port=mail_port,
        webhook_secret=SECRET,
        dispatch_every_seconds=0.05,
        remind_every_minutes=0.001,
        delivery_retry_seconds=0.05,
        projection_runners="in-process",
    )


@pytest.fixture
def chasing(chasing_settings: Settings) -> Iterator[Services]:
    opened = build(chasing_settings)
    yield opened
    opened.close()


def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_chaser_reminds_and_delivers_on_its_timers_and_outlives_a_failed_round(
    chasing: Services, mail_port: int, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the clock past the deadline: the log holds each reminder and 催办 once, the mail
    server and the webhook receiver got every one, and the console's inbox shows them."""
    assert set(channels_of(chasing.settings)) == {"email", "webhook"}
    fid, liaison = ordered(chasing, "wjz")
    set_channel_settings(chasing.database, liaison, "qian@wjz.gov.cn", receiver.url)
    controller, mails = start_smtp(mail_port)
    # The day the reminders are run for: past the deadline, so every rule is due.
    monkeypatch.setattr(clock, "today", lambda: clock.now().date() + timedelta(days=60))
    chaser = Chaser(chasing)
    failures = iter([RuntimeError("the database went away a moment")])

    def flaky() -> object:
        error = next(failures, None)
        if error is not None:
            raise error
        return Outbox.run_once(chaser.outbox)

    monkeypatch.setattr(chaser.outbox, "run_once", flaky)

    def reminded() -> list[Finding.Reminded]:
        history = chasing.app.aggregate_history(fid)
        return [e for e in history if isinstance(e, Finding.Reminded)]

    chaser.start()
    try:
        # Every notification (the order and each reminder) mailed, and some rounds more.
        until(
            lambda: (
                bool(reminded())
                and len(mails.messages) == len(receiver.received) == 1 + len(reminded())
            )
        )
        rounds = chaser.rounds
        until(lambda: chaser.rounds >= rounds + 3)
    finally:
        chaser.stop()
        controller.stop()
    events = reminded()
    assert {e.kind for e in events} >= {"acknowledge", "due", "overdue", "escalation"}
    assert len({e.rule for e in events}) == len(events)  # each rule once, however often run
    labels = {"acknowledge": "签收催办", "due": "到期催办", "overdue": "逾期催办"}
    labels.update(escalation="提级督办提醒", near="临近提醒")
    expected = ["【交办通知】河道保洁<不到位>"] + [
        f"【{labels[e.kind]}】河道保洁<不到位>" for e in events
    ]
    assert sorted(m["Subject"] for m in mails.messages) == sorted(expected)  # each once
    deadline = chasing.app.get_finding(fid).deadline
    assert deadline is not None
    overdue = next(m for m in mails.messages if m["Subject"].startswith("【逾期催办】"))
    day = f"{deadline.year}年{deadline.month}月{deadline.day}日"
    assert f"已超过整改期限（{day}），请立即整改并报送整改情况。" in overdue.get_content()
    hooks = [json.loads(body)["text"]["content"].split("\n", 1)[0] for _, body in receiver.received]
    assert sorted(hooks) == sorted(expected)
    assert all(signature_holds(SECRET, headers, body) for headers, body in receiver.received)
    with TestClient(create_app(chasing.settings, services=chasing)) as browser:
        sign_in(browser, "wjz")  # the liaison's token (see `ordered`)
        page = browser.get("/inbox").text
    assert f'title="未读消息">{1 + len(events)}</span>' in page
    assert page.count("【逾期催办】河道保洁&lt;不到位&gt;") == sum(
        e.kind == "overdue" for e in events
    )


def test_the_deliveries_list_pages_newest_first_each_one_once(
    services: Services, fresh_settings: Settings
) -> None:
    for code in ("pga", "pgb"):
        _, liaison = ordered(services, code)
        set_channel_settings(services.database, liaison, f"qian@{code}.gov.cn", "https://x.test/")
    Outbox(services.database, {}).run_once()  # queued, untried: no channel configured
    every = deliveries(services.database, None, 100)
    assert len(every) == 4
    pages, cursor = [], None
    with TestClient(create_app(fresh_settings, services=services)) as client:
        while True:
            query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/deliveries", params=query, headers=ADMIN_HEADERS).json()
            pages.append(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        forged = [
            "bm9wZQ",  # "nope"
            base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "n", "email"]').decode(),  # naive
            base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        ]
        bad = [
            client.get("/api/v1/deliveries", params={"cursor": c}, headers=ADMIN_HEADERS)
            for c in forged
        ]
    assert [len(p) for p in pages] == [1, 1, 1, 1]
    seen = [(d["notification_id"], d["channel"]) for (d,) in pages]
    assert seen == [(d["notification_id"], d["channel"]) for d in every]
    assert len(set(seen)) == 4
    times = [d["created_at"] for (d,) in pages]
    assert times == sorted(times, reverse=True)
    assert [(b.status_code, b.json()["error"]["code"]) for b in bad] == [
        (400, "invalid_cursor")
    ] * 3
