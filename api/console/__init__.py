"""The web console (控制台): server-rendered pages in Chinese at `/`, beside the JSON API.

`install(app)` adds its routes, its static files (the vendored ECharts and htmx, and the
stylesheet) and the handlers that turn its errors into pages. The API under /api/v1 keeps
its bearer tokens and JSON errors: no console route lives there, and the console's cookie
is never read by an API route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.console import (
    audit_pages,
    auth,
    decision_pages,
    document_pages,
    finding_pages,
    inbox_pages,
    inspection_pages,
    pages,
    person_pages,
    public_pages,
    ruling_pages,
    spot_check_pages,
    unit_pages,
    work_item_pages,
)
from api.console.web import (
    PageError,
    SignInRequired,
    is_console_path,
    redirect,
    render,
    sign_in_url,
    viewer_if_signed_in,
)

STATIC = Path(__file__).parent / "static"
Handler = Callable[[Request, Any], Awaitable[Response]]


MESSAGES = {404: "页面不存在。", 413: "提交的内容过大，请删减后重试。"}


def install(app: FastAPI) -> None:
    """Mount the console on `app` (after the API's error handlers are installed)."""
    for module in (
        auth,
        pages,
        decision_pages,
        document_pages,
        finding_pages,
        ruling_pages,
        unit_pages,
        audit_pages,
        inbox_pages,
        inspection_pages,
        person_pages,
        public_pages,
        spot_check_pages,
        work_item_pages,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")

    @app.exception_handler(SignInRequired)
    async def sign_in_required(_: Request, exc: SignInRequired) -> Response:
        return redirect(sign_in_url(exc.next_path))

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html", exc.viewer, status=exc.status, message=exc.message)

    # The API's own handlers (all `async def`), kept for every path outside the console.
    api_http_error = cast(Handler, app.exception_handlers[StarletteHTTPException])
    api_validation_error = cast(Handler, app.exception_handlers[RequestValidationError])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if not is_console_path(request.url.path):
            return await api_http_error(request, exc)
        message = MESSAGES.get(exc.status_code, "无法处理此请求。")
        viewer = await run_in_threadpool(viewer_if_signed_in, request)
        return render(request, "error.html", viewer, status=exc.status_code, message=message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Any:
        if not is_console_path(request.url.path):
            return await api_validation_error(request, exc)
        message = "请求参数有误，请返回上一页重试。"
        viewer = await run_in_threadpool(viewer_if_signed_in, request)
        return render(request, "error.html", viewer, status=400, message=message)
