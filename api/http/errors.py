"""One place that turns every error into `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.runtime.waiting import PastTheHead, TooManyWaits
from domain.actors import Actor
from domain.errors import DomainError
from domain.vocabulary import Role
from infra.outage import DATABASE_UNAVAILABLE
from projections.base import ProjectionLagging
from projections.paging import InvalidCursor

log = logging.getLogger(__name__)

# A path's record id or key that no record's can be (`/findings/not-a-uuid`, a unit code of
# characters no code has, or too long): an unknown id, 404.
NOT_AN_ID = frozenset(
    {
        "uuid_parsing",
        "uuid_type",
        "uuid_version",
        "string_pattern_mismatch",
        "string_too_long",
        "string_too_short",
    }
)

STATUS_OF_CODE = {
    "not_found": 404,
    "already_exists": 409,
    "invalid_transition": 409,
    "version_conflict": 409,
    "unit_inactive": 409,
    "tolerance_pending": 409,
    "paired_ruling_decided": 409,
    "spot_check_frequency_reached": 409,
    "rendering_unavailable": 503,
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


# A unit account is told the same thing whether a record does not exist, existed only
# later (`as_of`), or belongs to another unit: the wording must not tell these apart.
HIDDEN_NOT_FOUND = "no such record for this account"


def hides_existence(request: Request) -> bool:
    """The request is a unit account's (the actor is kept on the request by api/http/deps.py)."""
    actor = getattr(request.state, "actor", None)
    return isinstance(actor, Actor) and actor.role is Role.UNIT


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

    def response(self) -> JSONResponse:
        """The error as the API answers every error: `{"error": {code, message, details}}`."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body["details"] = jsonable_encoder(self.details)  # null when there are none
        return JSONResponse({"error": body}, status_code=self.status, headers=self.headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.code == "not_found" and hides_existence(request):
            return ApiError(404, "not_found", HIDDEN_NOT_FOUND).response()
        return exc.response()

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if exc.code == "not_found" and hides_existence(request):
            return ApiError(404, "not_found", HIDDEN_NOT_FOUND).response()
        return ApiError(
            STATUS_OF_CODE.get(exc.code, 422), exc.code, exc.message, exc.details
        ).response()

    @app.exception_handler(PastTheHead)
    async def past_the_head(_: Request, exc: PastTheHead) -> JSONResponse:
        return ApiError(
            422,
            "invalid_value",
            f"min_position {exc.position} is past the head of the log ({exc.head})",
            {"min_position": exc.position, "head": exc.head},
        ).response()

    @app.exception_handler(TooManyWaits)
    async def too_many_waits(_: Request, exc: TooManyWaits) -> JSONResponse:
        return ApiError(429, "too_many_waits", str(exc), headers={"Retry-After": "1"}).response()

    @app.exception_handler(ProjectionLagging)
    async def lagging(_: Request, exc: ProjectionLagging) -> JSONResponse:
        return ApiError(
            503,
            "projection_lagging",
            str(exc),
            {"projection": exc.name, "min_position": exc.wanted, "position": exc.reached},
            headers={"Retry-After": "1"},
        ).response()

    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning(
            "database unavailable",
            extra={"path": request.url.path, "method": request.method, "error": str(exc)},
        )
        return ApiError(
            503,
            "database_unavailable",
            "the database is unavailable for a moment; retry later",
            headers={"Retry-After": "1"},
        ).response()

    # The database cannot be reached (restarting, failing over, out of connections): the
    # request was fine and may succeed in a moment, so it is a 503 with Retry-After, not a 500.
    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, database_unavailable)

    @app.exception_handler(InvalidCursor)
    async def invalid_cursor(_: Request, exc: InvalidCursor) -> JSONResponse:
        return ApiError(400, "invalid_cursor", str(exc)).response()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            return ApiError(
                400, "malformed_json", "the request body is not valid JSON", errors
            ).response()
        unknown = [e for e in errors if e["loc"][:1] == ["path"] and e["type"] in NOT_AN_ID]
        if unknown:  # a path naming a record by what no record's id can be: no such record
            name = str(unknown[0]["loc"][-1]).replace("_", " ")
            return ApiError(404, "not_found", f"no record has the {name} given").response()
        return ApiError(422, "validation_error", summarise(errors), errors).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODE_OF_STATUS.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return ApiError(exc.status_code, code, str(exc.detail), headers=headers).response()

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error",
            exc_info=exc,
            extra={"path": request.url.path, "method": request.method},
        )
        return ApiError(500, "internal_error", "an unexpected error occurred").response()


# -- the error format in the OpenAPI document ----------------------------------------------------

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "snake_case, stable"},
                "message": {"type": "string", "description": "for people"},
                "details": {"description": "what went wrong, where the code says more; null"},
            },
        }
    },
}
ERROR_DESCRIPTIONS = {
    "400": "bad request: malformed JSON, bad header or cursor",
    "401": "no, unknown, revoked or expired bearer token",
    "403": "the account's role may not do this",
    "404": "not found (also: a record outside a unit account's own unit)",
    "409": "conflict: version, transition, duplicate, reused idempotency key",
    "413": "request body over the limit",
    "422": "validation error",
    "429": "too many commands from this token (Retry-After says when to retry)",
    "503": "a projection lags behind `min_position`, or the database is unavailable "
    "for a moment (Retry-After); documents: no PDF renderer installed",
}


def declare_error_responses(app: FastAPI) -> None:
    """Every /api operation's OpenAPI entry names the error answers it may give, each with
    the `{"error": {...}}` body (replacing FastAPI's own 422 body, which we never send)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        reference = {"$ref": "#/components/schemas/Error"}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_DESCRIPTIONS.items():
                    responses[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    }
                for status, answer in responses.items():  # a route's own (410, 415)
                    if status.startswith("4") and status not in ERROR_DESCRIPTIONS:
                        answer["content"] = {"application/json": {"schema": reference}}
        for unused in ("HTTPValidationError", "ValidationError"):
            if unused not in str(schema["paths"]):
                components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def summarise(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {e['msg']}")
    return "; ".join(parts) or "invalid request"
