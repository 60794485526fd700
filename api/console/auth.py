"""Signing in with an account token (into a cookie session) and signing out."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console import session as sessions
from api.console.session import Session
from api.console.web import (
    UNSENT,
    FormDep,
    ViewerDep,
    actor_for,
    console_key,
    local_path,
    parse_form,
    read_session,
    redirect,
    render,
)
from api.http.deps import ServicesDep
from domain.accounts import hash_token
from infra.console_sessions import end_every_session, end_session, open_session

router = APIRouter(include_in_schema=False)

NextPath = Annotated[str | None, Query(alias="next", max_length=500)]


def sign_in_page(
    request: Request, session: Session, next_path: str, error: str | None = None, status: int = 200
) -> Response:
    response = render(
        request,
        "signin.html",
        None,
        status=status,
        csrf_token=session.csrf,
        next_path=next_path,
        error=error,
        unsent=UNSENT in parse_qs(urlsplit(next_path).query),
    )
    sessions.store(response, request, session, console_key(request, request.app.state.services))
    return response


@router.get("/signin")
def sign_in_form(request: Request, services: ServicesDep, next_path: NextPath = None) -> Response:
    """The sign-in page; its form carries the CSRF token of an anonymous session."""
    session = read_session(request, services) or Session.anonymous()
    return sign_in_page(request, session, local_path(next_path))


@router.post("/signin")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    """Check the CSRF token and the account token; a new session (new CSRF token) on success."""
    form = await parse_form(request)
    session = read_session(request, services)
    next_path = local_path(form.get("next"))
    if session is None or not session.csrf_matches(form.get("csrf_token")):
        return sign_in_page(
            request, Session.anonymous(), next_path, "页面已过期，请重新输入令牌登录。", 403
        )
    token = form.get("token")
    token_hash = hash_token(token) if token else ""
    if not token or await run_in_threadpool(actor_for, services, token_hash) is None:
        return sign_in_page(
            request, session, next_path, "令牌无效或账号已注销，请核对后重试。", 401
        )
    expires = int(time.time()) + sessions.LIFETIME_SECONDS
    sid = await run_in_threadpool(open_session, services.database, token_hash, expires)
    response = redirect(next_path)
    signed_in = Session.signed_in(token_hash, sid, expires)
    sessions.store(response, request, signed_in, console_key(request, services))
    return response


@router.post("/signout")
def sign_out(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """End this session on the server, so no copy of its cookie is worth anything (the form
    is CSRF-checked like every other)."""
    if viewer.session.sid is not None:
        end_session(viewer.services.database, viewer.session.sid)
    response = redirect("/signin")
    sessions.clear(response, request)
    return response


@router.post("/signout/everywhere")
def sign_out_everywhere(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """End every session of this account's token, in every browser (a lost laptop)."""
    if viewer.session.token_hash is not None:
        end_every_session(viewer.services.database, viewer.session.token_hash)
    response = redirect("/signin")
    sessions.clear(response, request)
    return response
