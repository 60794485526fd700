"""Delivery channels of notifications: e-mail over SMTP, and a signed webhook.

Each `send` either delivers or raises `DeliveryFailed` (with whether trying again may help);
the dispatcher (infra/outbox.py) keeps the outcome and retries with back-off. A channel
never decides who is told: it carries one message to one address.

The webhook posts the JSON a DingTalk / 浙政钉 group robot accepts (`msgtype: text`), with
two headers a receiver checks before trusting the body:

    X-Supervision-Timestamp: <Unix time in milliseconds>
    X-Supervision-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body bytes>">

keyed by the webhook's secret; a receiver refuses a timestamp more than a few minutes old,
so a captured request cannot be replayed later.

Each send gives up after `timeout` seconds in all (10 s, well inside the dispatcher's 60 s
lease), however slowly the other end answers: a socket's own timeout bounds each read, and a
receiver that trickles a byte now and then would never trip it. The webhook is posted in an
event loop of its own and cancelled at the deadline; the mail's socket is shut down by a
watchdog at its deadline. Either is a failure worth trying again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import smtplib
import socket
import threading
import time
from collections.abc import Coroutine
from contextlib import suppress
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
TIMESTAMP_HEADER = "X-Supervision-Timestamp"
SIGNATURE_HEADER = "X-Supervision-Signature"


class DeliveryFailed(Exception):
    """The channel did not take the message; `retry`: whether trying later may help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Message:
    """One notification as a person reads it (Chinese subject and text)."""

    subject: str
    text: str
    link: str | None = None


LINE_BREAKING = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")
HOST_NAME = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?")


def host_name_taken(host: str) -> bool:
    """Whether a resolver takes `host` (ASCII: an internationalised name in its xn-- form):
    labels of letters, digits and hyphens, each of 1 to 63, at most 253 in all (a final dot
    aside)."""
    name = host.removesuffix(".")
    return (
        HOST_NAME.fullmatch(host) is not None
        and len(name) <= 253
        and all(len(label) <= 63 for label in name.split("."))
    )


def checked_email(address: str) -> str:
    """An address the mail channel can send to, as typed; ValueError for one it cannot (the
    mail library's own parse: no control characters, one @; an ASCII address — a mail server
    without SMTPUTF8 takes no other — whose domain a resolver takes and has a dot; an
    internationalised domain is given in its xn-- form)."""
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, HeaderParseError) as error:
        raise ValueError(f"not an e-mail address the mail server can take: {error}") from None
    if (
        LINE_BREAKING.search(address)
        or not address.isascii()
        or "." not in parsed.domain.strip(".")
        or not host_name_taken(parsed.domain)
    ):
        raise ValueError(
            "not an e-mail address the mail server can take (ASCII, with a domain a resolver "
            "takes; an internationalised domain in its xn-- form)"
        )
    return address


def checked_webhook(url: str) -> str:
    """A URL the webhook channel can post to, as typed; ValueError for one it cannot (not
    http(s), no host, a host no resolver takes, a port out of 1–65535, control
    characters). An internationalised host name is taken in its xn-- form."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as error:
        raise ValueError(f"not a URL the webhook can post to: {error}") from None
    literal = host.count(":") >= 2  # an IPv6 address
    if (
        parsed.scheme not in ("http", "https")
        or LINE_BREAKING.search(url)
        or not (literal or host_name_taken(host))
        or not (parsed.port is None or 1 <= parsed.port <= 65535)
    ):
        raise ValueError(
            "a webhook is an http:// or https:// URL with a host name a resolver takes "
            "(labels of at most 63 characters, 253 in all) and a port from 1 to 65535"
        )
    return url


def one_line(text: str) -> str:
    """A mail header's text: typed text may break lines or carry control characters, which
    a header cannot hold (nor should, lest it add headers); each run of them is one space."""
    return LINE_BREAKING.sub(" ", text).strip()


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    sender: str = "supervision@localhost"
    sender_name: str = "督查问责系统"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def send(self, address: str, message: Message) -> None:
        try:
            checked_email(address)
        except ValueError as error:
            raise DeliveryFailed(str(error), retry=False) from None
        smtp = WatchedSmtp(timeout=self.timeout)
        watchdog = threading.Timer(self.timeout, smtp.expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            with smtp:
                smtp.connect(self.host, self.port)
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                try:
                    smtp.send_message(self.mail(address, message))
                except (smtplib.SMTPNotSupportedError, UnicodeError) as error:
                    # An address that cannot be written, or a message that needs what the
                    # server does not offer (SMTPUTF8): trying again cannot help.
                    raise DeliveryFailed(
                        f"the mail server cannot take this message: {error}", retry=False
                    ) from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryFailed(
                "the mail server refused the recipient (SMTP " + ", ".join(map(str, codes)) + ")",
                retry=any(code < 500 for code in codes),  # 4xx: greylisted, mailbox busy…
            ) from None
        except smtplib.SMTPResponseException as error:  # 5xx: refused for good; 4xx: later
            raise DeliveryFailed(
                f"the mail server did not take the message: {error}", retry=error.smtp_code < 500
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            if smtp.expired:  # what the cut socket raised: the deadline passed
                raise DeliveryFailed(
                    f"the mail server did not take the message within {self.timeout:g} s "
                    "(timed out)"
                ) from None
            raise DeliveryFailed(f"the mail server did not take the message: {error}") from None
        finally:
            watchdog.cancel()

    def mail(self, address: str, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = address
        mail["Subject"] = one_line(message.subject)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text + (f"\n\n{message.link}" if message.link else ""))
        return mail


class WatchedSmtp(smtplib.SMTP):
    """An SMTP client whose socket a watchdog may cut (`expire`) once the send's deadline
    has passed: a blocked read or write then fails at once, and a socket made afterwards is
    cut as it is made."""

    def __init__(self, timeout: float) -> None:
        self.expired = False
        self._cutting = threading.Lock()
        super().__init__(timeout=timeout)

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: Any = None
    ) -> tuple[int, bytes]:
        """As the constructor given a host connects: the host kept for STARTTLS (which names
        it to the server's certificate), and a greeting other than 220 refused."""
        self._host = host
        code, greeting = super().connect(host, port, source_address)
        if code != 220:
            self.close()
            raise smtplib.SMTPConnectError(code, greeting)
        return code, greeting

    def expire(self) -> None:
        with self._cutting:
            self.expired = True
            self._cut()

    def _cut(self) -> None:
        sock = getattr(self, "sock", None)
        if sock is not None:
            with suppress(OSError):  # not connected (yet, or any more): nothing to cut
                sock.shutdown(socket.SHUT_RDWR)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        with self._cutting:
            self.sock = sock
            if self.expired:
                self._cut()
        return sock


def webhook_body(message: Message) -> bytes:
    """The robot's JSON: the subject and the text (and the link) as one text message."""
    content = f"{message.subject}\n{message.text}" + (f"\n{message.link}" if message.link else "")
    return json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode(
        "utf-8"
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signature_holds(secret: str, headers: Any, body: bytes, max_age_seconds: float = 300) -> bool:
    """What a receiver checks (the tests use it): a fresh timestamp and the right HMAC."""
    timestamp = str(headers.get(TIMESTAMP_HEADER, ""))
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > max_age_seconds * 1000:
        return False
    given = str(headers.get(SIGNATURE_HEADER, ""))
    return hmac.compare_digest(given, signature(secret, timestamp, body))


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
    """The webhook's request, its answer read whole (redirects not followed)."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        return await client.post(url, content=body, headers=headers)


def within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """`work` run to its end in an event loop of its own, on a thread of its own (so that a
    caller whose thread runs a loop already may call it too), or cancelled once `seconds`
    have passed in all (TimeoutError). The loop is closed without waiting for a name lookup
    still under way in its executor: it ends on its own."""
    outcome: list[Any] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        try:
            outcome.append(loop.run_until_complete(asyncio.wait_for(work, seconds)))
        except BaseException as error:  # handed to the caller, raised there
            outcome.append(error)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    runner = threading.Thread(target=run, name="webhook-send", daemon=True)
    runner.start()
    runner.join(seconds + 5)  # the cancelled work's clean-up, and no longer
    if runner.is_alive():
        raise TimeoutError(f"the send did not end within {seconds:g} s")
    (done,) = outcome
    if isinstance(done, BaseException):
        raise done
    result: T = done
    return result


@dataclass(frozen=True)
class Webhook:
    secret: str
    timeout: float = 10.0

    def send(self, url: str, message: Message) -> None:
        try:
            checked_webhook(url)
        except ValueError as error:
            raise DeliveryFailed(str(error), retry=False) from None
        body = webhook_body(message)
        timestamp = str(int(time.time() * 1000))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self.secret, timestamp, body),
        }
        try:
            answer = within(self.timeout, post(url, body, headers, self.timeout))
        except TimeoutError:
            raise DeliveryFailed(
                f"the webhook did not answer within {self.timeout:g} s (timed out)"
            ) from None
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"the webhook could not be reached: {error}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise DeliveryFailed(f"the webhook answered {answer.status_code}")
        if answer.status_code >= 400:
            raise DeliveryFailed(
                f"the webhook refused the message: {answer.status_code}", retry=False
            )
        if answer.status_code >= 300:  # not followed: the receiver never saw the message
            raise DeliveryFailed(
                f"the webhook answered {answer.status_code} (a redirect to "
                f"{answer.headers.get('location', '?')}): set that address instead",
                retry=False,
            )
