"""The console's cookie session: who signed in, the CSRF token, the last position written.

The session lives in one HttpOnly cookie, signed with HMAC-SHA256 (docs/adr/009): it holds
the SHA-256 of the account token (never the token), the id of its server-side session
(infra/console_sessions.py: signing out ends every copy of the cookie), a random CSRF token,
an expiry and the log position of the viewer's own last command (so pages wait for their
own writes). Every request looks the account up again, so a revoked account is signed out
at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "sv_console"
LIFETIME_SECONDS = 8 * 3600  # one working day; signing in again costs the token only
KEY_INFO = b"supervision console session v1"


@dataclass(frozen=True)
class Session:
    """A signed-in (token_hash set) or anonymous (only a CSRF token) browser session."""

    csrf: str
    expires: int
    token_hash: str | None = None
    seen: int = 0  # the position of the viewer's own last command
    sid: str | None = None  # the server-side session of a signed-in one

    @property
    def signed_in_as(self) -> tuple[str, str] | None:
        """(session id, token hash) of a signed-in session."""
        if self.sid is None or self.token_hash is None:
            return None
        return self.sid, self.token_hash

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(32), expires=int(time.time()) + LIFETIME_SECONDS)

    @classmethod
    def signed_in(cls, token_hash: str, sid: str, expires: int) -> Session:
        """A new CSRF token at sign-in, so a token planted before it is worth nothing."""
        return replace(cls.anonymous(), token_hash=token_hash, sid=sid, expires=expires)

    def after(self, position: int) -> Session:
        return replace(self, seen=max(self.seen, position))

    def csrf_matches(self, submitted: str | None) -> bool:
        return submitted is not None and hmac.compare_digest(
            submitted.encode("utf-8", "replace"), self.csrf.encode()
        )


def session_key(signing_key: Ed25519PrivateKey) -> bytes:
    """The cookie's MAC key, derived (HKDF-SHA256, its own label) from the service's signing
    key, so every process of a deployment accepts the same sessions with no new secret."""
    raw = signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(raw)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(session: Session, key: bytes) -> str:
    payload = b64(
        json.dumps(
            {
                "c": session.csrf,
                "e": session.expires,
                "h": session.token_hash,
                "p": session.seen,
                "s": session.sid,
            },
            separators=(",", ":"),
        ).encode()
    )
    return f"{payload}.{b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def decode(value: str | None, key: bytes) -> Session | None:
    """The session in a cookie, or None when it is missing, forged or expired."""
    if not value or value.count(".") != 1 or len(value) > 4096:
        return None
    payload, signature = value.split(".")
    expected = b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    try:
        data: dict[str, Any] = json.loads(unb64(payload))
        session = Session(
            csrf=str(data["c"]),
            expires=int(data["e"]),
            token_hash=None if data["h"] is None else str(data["h"]),
            seen=int(data["p"]),
            sid=None if data.get("s") is None else str(data["s"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > time.time() else None


def store(response: Response, request: Request, session: Session, key: bytes) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, and Secure when the page came over https."""
    response.set_cookie(
        COOKIE,
        encode(session, key),
        max_age=max(0, session.expires - int(time.time())),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
