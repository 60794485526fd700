"""Accounts (admin): create with a token shown once, list, revoke."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.commands import Command
from api.deps import Admin, Cursor, Limit, MinPosition, ServicesDep, require
from api.presentation import event_out
from api.schemas import AccountCreate, AccountCreated, CommandAnswer, Revocation
from domain.accounts import Account, hash_token
from domain.actors import Actor
from domain.vocabulary import Role

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])

AccountReader = Annotated[Actor, Depends(require(Role.ADMIN, Role.AUDITOR))]

TOKEN_PREFIX = "sv_"


def new_token() -> str:
    """256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@router.post("", status_code=201, response_model=AccountCreated)
def create_account(
    body: AccountCreate,
    actor: Admin,
    cmd: Command,
) -> JSONResponse:
    """Create an account; its token is in this answer only and stored only as a hash."""
    token = new_token()
    extra = {"name": body.name, "role": body.role.value, "unit_code": body.unit_code, "token": None}
    return cmd.run(
        actor,
        body,
        lambda **kw: cmd.app.create_account(
            token_hash=hash_token(token),
            name=body.name,
            role=body.role,
            unit_code=body.unit_code,
            actor=actor,
            **kw,
        ),
        status=201,
        extra=extra,
        secret={"token": token},
    )


@router.get("")
def list_accounts(
    services: ServicesDep,
    actor: Admin,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Every account (without tokens), oldest first."""
    services.directory.wait_for(min_position, services.settings.read_wait_seconds)
    page = services.directory.accounts(limit, cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/{account_id}/revocation", response_model=CommandAnswer)
def revoke_account(
    account_id: UUID,
    body: Revocation,
    actor: Admin,
    cmd: Command,
) -> JSONResponse:
    """Revoke an account: its token is refused from the next request on."""
    return cmd.run(
        actor,
        body,
        lambda **kw: cmd.app.revoke_account(account_id, reason=body.reason, actor=actor, **kw),
    )


@router.get("/{account_id}/events")
def account_events(account_id: UUID, services: ServicesDep, actor: AccountReader) -> dict[str, Any]:
    """The account's own events (created, revoked): who held which role when."""
    account = services.app.load(Account, account_id)
    items = [event_out(e) for e in services.app.aggregate_history(account.id)]
    for item in items:
        item["data"].pop("token_hash", None)  # a hash of a secret is still not for reading
    return {"items": items, "next_cursor": None}
