"""Notifications reach a real SMTP server (aiosmtpd) and a real HTTP receiver on loopback, in
Chinese, signed; a channel that is down or refuses says whether trying again may help."""

from __future__ import annotations

import asyncio
import json
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.channels import (
    DeliveryFailed,
    Message,
    Smtp,
    WatchedSmtp,
    Webhook,
    checked_email,
    checked_webhook,
    signature_holds,
)

MESSAGE = Message(
    subject="【催办】整改期限已到",
    text="南明街道：“台账资料缺失<script>alert(1)</script>”的整改期限已到，请于2个工作日内报告。",
    link="http://127.0.0.1:8000/findings/1",
)
SECRET = "webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd's handler: keeps each message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Smtp, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield Smtp(host="127.0.0.1", port=controller.port, sender="duban@xinchang.gov.cn"), inbox
    controller.stop()


class Receiver(ThreadingHTTPServer):
    """An HTTP receiver of webhooks that answers `status` and keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.received.append((dict(self.headers), body))
                self.send_response(server.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet: the test reads what was received, not the access log."""

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/robot/send"


S = TypeVar("S", bound=ThreadingHTTPServer)


def serving(server: S) -> Iterator[S]:
    """The server answering on a thread of its own until the test ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serving(Receiver())


class Trickling(ThreadingHTTPServer):
    """A receiver that takes the request, then answers one byte at a time, each well within a
    socket's timeout: an answer that would take far longer than a send may."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

    def __init__(self, every: float = 0.2) -> None:
        self.received: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.received.append(self.rfile.read(int(self.headers["Content-Length"])))
                try:
                    for byte in Trickling.ANSWER:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(every)
                except OSError:
                    pass  # the sender gave up: the trickle ends
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/robot/send"


@pytest.fixture
def trickler() -> Iterator[Trickling]:
    yield from serving(Trickling())


@contextmanager
def trickling_smtp(every: float = 0.1) -> Iterator[int]:
    """A mail server that greets one byte at a time, each well within a socket's timeout,
    with a greeting longer than a send may take; its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            try:
                for byte in b"220 " + b"x" * 100 + b"\r\n":
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(every)
            except OSError:
                pass  # the client gave up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    listener.close()


def test_a_mail_reaches_the_smtp_server_in_chinese(smtp_server: tuple[Smtp, Inbox]) -> None:
    smtp, inbox = smtp_server
    smtp.send("liaison@nanming.gov.cn", MESSAGE)
    (mail,) = inbox.messages
    assert mail["Subject"] == MESSAGE.subject and mail["To"] == "liaison@nanming.gov.cn"
    assert "督查问责系统" in str(mail["From"])
    body = mail.get_content()
    assert MESSAGE.text in body and str(MESSAGE.link) in body


def self_signed(directory: Path) -> ssl.SSLContext:
    """A server's TLS context with a certificate of its own for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


def test_a_mail_goes_over_starttls_to_a_server_that_demands_it(tmp_path: Path) -> None:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            tls_context=self_signed(tmp_path), require_starttls=True)  # fmt: skip
    controller.start()
    try:
        Smtp(host="127.0.0.1", port=controller.port, starttls=True).send("a@b.cn", MESSAGE)
        with pytest.raises(DeliveryFailed) as plain:  # without it, the server refuses
            Smtp(host="127.0.0.1", port=controller.port).send("a@b.cn", MESSAGE)
    finally:
        controller.stop()
    (mail,) = inbox.messages
    assert mail["Subject"] == MESSAGE.subject and not plain.value.retry


def test_a_mail_server_that_greets_with_a_refusal_is_refused_for_good() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def refuse() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"554 no service here\r\n")
                connection.recv(1024)

        threading.Thread(target=refuse, daemon=True).start()
        port = listener.getsockname()[1]
        with pytest.raises(DeliveryFailed) as refused:
            Smtp(host="127.0.0.1", port=port, timeout=5).send("a@b.cn", MESSAGE)
    assert refused.value.retry is False and "554" in str(refused.value)


def test_a_mail_server_that_is_down_is_worth_trying_again() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        Smtp(host="127.0.0.1", port=free_port(), timeout=2).send("a@b.cn", MESSAGE)
    assert failed.value.retry


def test_a_webhook_is_signed_and_carries_the_text_as_text(receiver: Receiver) -> None:
    Webhook(SECRET).send(receiver.url, MESSAGE)
    ((headers, body),) = receiver.received
    assert signature_holds(SECRET, headers, body)
    assert not signature_holds("another-secret", headers, body)
    assert not signature_holds(SECRET, headers, body + b" ")
    sent = json.loads(body)
    assert sent["msgtype"] == "text"
    assert sent["text"]["content"] == f"{MESSAGE.subject}\n{MESSAGE.text}\n{MESSAGE.link}"


def test_a_webhook_is_sent_from_a_thread_whose_event_loop_is_running(receiver: Receiver) -> None:
    """A caller inside a running event loop (an async route, a test's loop) sends as any
    other: the send's own loop runs on a thread of its own."""

    async def from_a_loop() -> None:
        Webhook(SECRET).send(receiver.url, MESSAGE)

    # On a thread of the test's own, whatever loop this thread may run already.
    caller = threading.Thread(target=asyncio.run, args=(from_a_loop(),))
    caller.start()
    caller.join(30)
    ((headers, body),) = receiver.received
    assert signature_holds(SECRET, headers, body)


@pytest.mark.parametrize(("status", "retry"), [(500, True), (503, True), (429, True), (400, False)])
def test_a_webhook_that_fails_says_whether_to_try_again(
    receiver: Receiver, status: int, retry: bool
) -> None:
    receiver.status = status
    with pytest.raises(DeliveryFailed) as failed:
        Webhook(SECRET).send(receiver.url, MESSAGE)
    assert failed.value.retry is retry


def test_a_webhook_nobody_listens_to_is_worth_trying_again() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        Webhook(SECRET, timeout=2).send(f"http://127.0.0.1:{free_port()}/x", MESSAGE)
    assert failed.value.retry


def test_a_webhook_receiver_that_trickles_its_answer_is_given_up_on_at_the_deadline(
    trickler: Trickling,
) -> None:
    """Each byte arrives within the socket's timeout; the send as a whole is given up at its
    deadline, and is worth trying again."""
    with pytest.raises(DeliveryFailed) as failed:
        Webhook(SECRET, timeout=1).send(trickler.url, MESSAGE)
    assert failed.value.retry and str(failed.value) == (
        "the webhook did not answer within 1 s (timed out)"
    )
    assert len(trickler.received) == 1


def test_a_mail_server_that_trickles_its_answer_is_given_up_on_at_the_deadline() -> None:
    with trickling_smtp() as port, pytest.raises(DeliveryFailed) as failed:
        Smtp(host="127.0.0.1", port=port, timeout=1).send("a@b.cn", MESSAGE)
    assert failed.value.retry and str(failed.value) == (
        "the mail server did not take the message within 1 s (timed out)"
    )


def test_a_message_the_mail_server_cannot_take_is_refused_for_good(
    smtp_server: tuple[Smtp, Inbox],
) -> None:
    """A sender's address that cannot be written in a mail's envelope (not ASCII, and the
    server offers no SMTPUTF8): trying again cannot help."""
    smtp, inbox = smtp_server
    with pytest.raises(DeliveryFailed) as failed:
        replace(smtp, sender="督办@xinchang.gov.cn").send("liaison@nanming.gov.cn", MESSAGE)
    assert failed.value.retry is False
    assert str(failed.value).startswith("the mail server cannot take this message: ")
    assert inbox.messages == []


def test_an_internationalised_host_is_taken_in_its_ascii_form(receiver: Receiver) -> None:
    assert checked_webhook("http://例子.中国/robot") == "http://例子.中国/robot"
    assert checked_email("a@xn--fsqu00a.xn--fiqs8s") == "a@xn--fsqu00a.xn--fiqs8s"


def test_a_mail_connection_made_after_the_deadline_is_cut_as_it_is_made(
    smtp_server: tuple[Smtp, Inbox],
) -> None:
    """The watchdog may fire while the connection is still being made: the socket is cut
    the moment it exists, and nothing is sent."""
    smtp, inbox = smtp_server
    late = WatchedSmtp(timeout=1)
    late.expire()  # before any socket: nothing to cut yet
    with pytest.raises(smtplib.SMTPServerDisconnected):
        late.connect(smtp.host, smtp.port)
    assert late.expired and inbox.messages == []


def test_an_old_timestamp_does_not_hold() -> None:
    from infra.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

    body = b"{}"
    headers = {TIMESTAMP_HEADER: "1000", SIGNATURE_HEADER: signature(SECRET, "1000", body)}
    assert not signature_holds(SECRET, headers, body)


class Refusing(Inbox):
    """A mail server that knows no recipient."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 no such user here"


def refusal_of(handler: Inbox, address: str = "liaison@nanming.gov.cn") -> DeliveryFailed:
    """What the mail channel raises sending to a real SMTP server answering as `handler`."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            Smtp(host="127.0.0.1", port=controller.port).send(address, MESSAGE)
    finally:
        controller.stop()
    return failed.value


def test_a_refused_recipient_is_final_and_not_named_in_the_error() -> None:
    refused = refusal_of(Refusing(), "secret@nanming.gov.cn")
    assert refused.retry is False
    assert "550" in str(refused) and "secret@" not in str(refused)


def test_a_subject_that_breaks_lines_reaches_the_server_on_one_line(
    smtp_server: tuple[Smtp, Inbox],
) -> None:
    """A finding's title may break lines; a mail header cannot (nor may it add headers)."""
    smtp, inbox = smtp_server
    typed = replace(MESSAGE, subject="【交办】河道保洁\r\nBcc: x@evil.test\n\x01不到位　（南明）")
    smtp.send("liaison@nanming.gov.cn", typed)
    (mail,) = inbox.messages
    assert mail["Subject"] == "【交办】河道保洁 Bcc: x@evil.test 不到位　（南明）"
    assert mail["Bcc"] is None


class Greylisting(Inbox):
    """A mail server that asks a first-time sender to come back later."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "451 4.7.1 Greylisted, please try again later"


class RefusingTheMessage(Inbox):
    """A mail server that takes the recipient and refuses the message for good."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 Message rejected"


@pytest.mark.parametrize(
    ("handler", "code", "retry"), [(Greylisting, "451", True), (RefusingTheMessage, "554", False)]
)
def test_a_mail_servers_answer_says_whether_to_try_again_by_its_code(
    handler: type[Inbox], code: str, retry: bool
) -> None:
    """4xx: not now (greylisting, a full mailbox), tried again; 5xx: never, final."""
    refused = refusal_of(handler())
    assert refused.retry is retry and code in str(refused)


def test_a_webhook_that_redirects_did_not_take_the_message(receiver: Receiver) -> None:
    receiver.status = 302
    with pytest.raises(DeliveryFailed) as failed:
        Webhook(SECRET).send(receiver.url, MESSAGE)
    assert failed.value.retry is False and "302" in str(failed.value)


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        (Smtp(host="127.0.0.1", port=9, timeout=1), "a\x1cb@nanming.gov.cn"),
        (Smtp(host="127.0.0.1", port=9, timeout=1), "a\x00b@nanming.gov.cn"),
        (Webhook(SECRET, timeout=1), "http://[::1/x"),
        (Webhook(SECRET, timeout=1), "http://a..b/robot"),
        (Webhook(SECRET, timeout=1), "http://" + "a" * 64 + ".com/"),  # a label over 63
        (Webhook(SECRET, timeout=1), "http://" + "abcdefghi." * 26 + "cn/"),  # over 253
        (Webhook(SECRET, timeout=1), "http://robot.example:99999/send"),
        (Webhook(SECRET, timeout=1), "http://robot.example:0/send"),
        (Smtp(host="127.0.0.1", port=9, timeout=1), "a@例子.中国"),  # not in its xn-- form
        (Smtp(host="127.0.0.1", port=9, timeout=1), "联络员@nanming.gov.cn"),
        (Smtp(host="127.0.0.1", port=9, timeout=1), "a@" + "b" * 64 + ".cn"),
    ],
)
def test_an_address_the_channel_cannot_use_is_refused_for_good_without_a_try(
    channel: Smtp | Webhook, address: str
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        channel.send(address, MESSAGE)
    assert failed.value.retry is False
