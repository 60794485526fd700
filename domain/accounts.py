"""Account: who may do what, itself event-sourced so auditors see who held which role when."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransition
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
        token_hash: str
        name: str
        role: str
        unit_code: str | None
        actor: dict[str, Any]

    class Revoked(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Created)
    def __init__(
        self,
        *,
        token_hash: str,
        name: str,
        role: str,
        unit_code: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.token_hash = token_hash
        self.name = name
        self.role = Role(role)
        self.unit_code = unit_code
        self.status = AccountStatus.ACTIVE
        self.revoked_reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    def revoke(self, *, reason: str, actor: dict[str, Any]) -> None:
        """注销: the token stops working on the next request."""
        if not self.is_active:
            raise InvalidTransition("revoke an account", self.status.value)
        self._revoked(reason=reason, actor=actor)

    @event(Revoked)
    def _revoked(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = AccountStatus.REVOKED
        self.revoked_reason = reason
