"""Accounts (admin): create with a token shown once, list, revoke."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, Field, TypeAdapter, model_validator

from api.http.command_routes import mount
from api.http.commands import Command
from api.http.deps import Admin, Cursor, Limit, ServicesDep, reached, require
from api.http.presentation import answered, page_out
from api.http.read_schemas import AccountPage, Instant
from api.http.routing import Router
from api.http.schemas import AccountCreate, AccountCreated, Revocation
from domain import clock
from domain.accounts import expired_by, hash_token, open_account
from domain.actors import Actor
from domain.registry import RevokeAccount
from domain.vocabulary import AccountStatus, Role

router = Router(prefix="/api/v1/accounts", tags=["accounts"])

AccountReader = Annotated[Actor, Depends(require(Role.ADMIN, Role.AUDITOR))]

TOKEN_PREFIX = "sv_"


def new_token() -> str:
    """256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class AccountOpening(AccountCreate):
    """An account, optionally with an expiry: a time (`expires_at`) or a number of days."""

    expires_at: AwareDatetime | None = Field(
        default=None, description="the token stops working at this time (ISO 8601 with offset)"
    )
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="the token stops working after this many days"
    )

    @model_validator(mode="after")
    def one_expiry_at_most(self) -> AccountOpening:
        if self.expires_at is not None and self.expires_in_days is not None:
            raise ValueError("give expires_at or expires_in_days, not both")
        return self

    def expiry(self, now: datetime) -> datetime | None:
        if self.expires_in_days is not None:
            return now + timedelta(days=self.expires_in_days)
        return self.expires_at


class AccountOpened(AccountCreated):
    expires_at: Instant | None = Field(default=None, description="null: never expires")


ACCOUNT_OPENED = TypeAdapter(AccountOpened)


@router.post("", status_code=201, response_model=AccountOpened)
def create_account(
    body: AccountOpening,
    actor: Admin,
    cmd: Command,
) -> JSONResponse:
    """Create an account; its token is in this answer only and stored only as a hash.
    With `expires_at` or `expires_in_days` the token answers 401 from then on."""
    token = new_token()
    now = cmd.services.clock.now()
    expires_at = body.expiry(now)
    extra = {
        "name": body.name,
        "role": body.role.value,
        "unit_code": body.unit_code,
        "expires_at": jsonable_encoder(expires_at),
        "token": None,
    }
    return answered(
        cmd.run(
            actor,
            body,
            lambda **kw: open_account(
                cmd.app,
                token_hash=hash_token(token),
                name=body.name,
                role=body.role,
                unit_code=body.unit_code,
                actor=actor,
                expires_at=expires_at,
                now=now,
                **kw,
            ),
            status=201,
            extra=extra,
            secret={"token": token},
        ),
        ACCOUNT_OPENED,
    )


@router.get("", response_model=AccountPage, dependencies=[reached("directory")])
def list_accounts(
    services: ServicesDep,
    actor: Admin,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every account (without tokens), oldest first, with when its token expires; one active
    but past that instant is listed `expired` (its token answers 401)."""
    page = services.directory.accounts(limit, cursor)
    now = clock.now()
    for item in page.items:
        if item["status"] == AccountStatus.ACTIVE and expired_by(item["expires_at"], now):
            item["status"] = AccountStatus.EXPIRED.value
    return page_out(page)


mount(router, {RevokeAccount: Revocation})
