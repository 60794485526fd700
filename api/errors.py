"""One place that turns every error into `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError
from projections.base import ProjectionLagging
from projections.paging import InvalidCursor

log = logging.getLogger(__name__)

STATUS_OF_CODE = {
    "not_found": 404,
    "already_exists": 409,
    "invalid_transition": 409,
    "version_conflict": 409,
    "unit_inactive": 409,
    "invalid_deadline": 422,
    "unknown_reference": 422,
    "invalid_value": 422,
    "forbidden": 403,
}

CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the API layer raises itself (authentication, headers, idempotency)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(STATUS_OF_CODE.get(exc.code, 422), exc.code, exc.message, exc.details)

    @app.exception_handler(ProjectionLagging)
    async def lagging(_: Request, exc: ProjectionLagging) -> JSONResponse:
        return error_response(
            503,
            "projection_lagging",
            str(exc),
            {"projection": exc.name, "min_position": exc.wanted, "position": exc.reached},
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(InvalidCursor)
    async def invalid_cursor(_: Request, exc: InvalidCursor) -> JSONResponse:
        return error_response(400, "invalid_cursor", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            return error_response(
                400, "malformed_json", "the request body is not valid JSON", errors
            )
        return error_response(422, "validation_error", summarise(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODE_OF_STATUS.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error",
            exc_info=exc,
            extra={"path": request.url.path, "method": request.method},
        )
        return error_response(500, "internal_error", "an unexpected error occurred")


def summarise(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {e['msg']}")
    return "; ".join(parts) or "invalid request"
