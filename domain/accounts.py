"""Account: who may do what, itself event-sourced so auditors see who held which role when."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actors import Actor
from domain.aggregate import Aggregate
from domain.commands import CommandBase, CommandResult, ConcurrentChange
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, UnknownReference
from domain.vocabulary import AccountStatus, Role

ACCOUNT_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/accounts")


def hash_token(token: str) -> str:
    """Tokens are stored only as their SHA-256 (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Account(Aggregate):
    """A person's or system's access to the service, with one role."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        """The id derives from the token's hash, so a request's token finds its account
        with one read and no secondary index; the id reveals nothing of the token."""
        return uuid5(ACCOUNT_NAMESPACE, token_hash)

    class Created(Aggregate.Created):
        """v2 adds `expires_at` (None: the token never expires)."""

        class_version = 2

        token_hash: str
        name: str
        role: str
        unit_code: str | None
        actor: dict[str, Any]
        expires_at: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["expires_at"] = None

    class Revoked(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Created)
    def __init__(
        self,
        # Not keyword-only: eventsourcing 9.5 treats a keyword-only argument with a default
        # as required, and `expires_at` must stay optional for callers that predate it.
        token_hash: str,
        name: str,
        role: str,
        unit_code: str | None,
        actor: dict[str, Any],
        expires_at: datetime | None = None,
    ) -> None:
        self.token_hash = token_hash
        self.name = name
        self.role = Role(role)
        self.unit_code = unit_code
        self.expires_at = expires_at
        self.status = AccountStatus.ACTIVE
        self.revoked_reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    def has_expired(self, now: datetime) -> bool:
        """A token with an expiry stops working at that instant."""
        return expired_by(self.expires_at, now)

    def admits(self, now: datetime) -> bool:
        """The token authenticates: neither revoked nor expired."""
        return self.is_active and not self.has_expired(now)

    def revoke(self, *, reason: str, actor: dict[str, Any]) -> None:
        """注销: the token stops working on the next request."""
        if not self.is_active:
            raise InvalidTransition("revoke an account", self.status.value)
        self._revoked(reason=reason, actor=actor)

    @event(Revoked)
    def _revoked(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = AccountStatus.REVOKED
        self.revoked_reason = reason


def open_account(
    app: CommandBase,
    *,
    token_hash: str,
    name: str,
    role: Role,
    unit_code: str | None,
    actor: Actor,
    expires_at: datetime | None,
    now: datetime,
    **save_kwargs: Any,
) -> CommandResult:
    """创建账号, optionally with an expiry: a `unit` account belongs to one active unit, and
    an expiry lies in the future and carries its time zone."""
    if expires_at is not None:
        check_expiry(expires_at, now)
    if role is Role.UNIT and not unit_code:
        raise UnknownReference("a unit account needs a unit_code")
    if unit_code:
        app.active_unit(unit_code)
    account = Account(
        token_hash=token_hash,
        name=name,
        role=role.value,
        unit_code=unit_code,
        actor=actor.as_event_data(),
        expires_at=expires_at,
    )
    try:
        return app.record(account, **save_kwargs)
    except ConcurrentChange:
        raise AlreadyExists("an account with this token already exists") from None


def check_expiry(expires_at: datetime, now: datetime) -> None:
    if expires_at.tzinfo is None:
        raise InvalidValue("expires_at needs a time zone offset")
    if expires_at <= now:
        raise InvalidValue("expires_at must lie in the future", details={"now": now.isoformat()})


def expired_by(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a token expiring at `expires_at` (None: never) no longer works at `now`."""
    return expires_at is not None and now >= expires_at
