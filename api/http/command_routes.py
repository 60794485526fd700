"""Command routes built from the registry (domain/messages.py): no route written by hand.

`mount(router, {EscalateFinding: ReasonOnly, …})` serves, for every registered command whose
path lies under the router's prefix, `POST /api/v1<path>`: the body is validated by its
schema (the one named, or one derived from the command's fields), the path names the
command's target, the registry's roles decide who may send it (403 for the others), and the
message is carried out by `Supervision.handle` under the same runner as every command
(api/http/commands.py: `Idempotency-Key`, `If-Match`, the `CommandAnswer` and its ETag).

The endpoint is an ordinary function with the signature FastAPI reads — the target path
parameter, the body, the actor, the command context — and the registry's name and docstring,
so the OpenAPI document (operation id, summary, description, parameters) is what a
hand-written route would give.

Its route is a `CommandRoute`: a request that is in order (a known token of an allowed role,
well-formed headers, a path and a JSON body that validate) is handed to the endpoint
directly, through the same dependency functions FastAPI would call, without FastAPI's general
dependency solving, which cost more than the command itself (issue 19, docs/performance.md).
Anything else — a missing or refused token, a bad header, a body that does not validate — is
answered by FastAPI's own handling of the same route, so every refusal is the one it always
was.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any, Optional, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.http.commands import Command, CommandContext
from api.http.deps import current_actor, expected_version, idempotency_key, require
from api.http.errors import ApiError
from api.http.presentation import answered
from api.http.schemas import Body as BodyBase
from api.http.schemas import CommandAnswer, Day, EvidenceList, Reason, text
from domain.actors import Actor
from domain.messages import PATH_FIELD, REGISTRY, Entry
from domain.messages import Command as Message

API = "/api/v1"

log = logging.getLogger(__name__)


# How a derived body checks each kind of field a command declares (a text as a reason is).
DERIVED: dict[Any, Any] = {
    str: Reason,
    int: Annotated[int, Field(ge=0, le=2**31)],
    date: Day,  # written YYYY-MM-DD, from 1900 on
    UUID: UUID,
    list[dict[str, Any]]: EvidenceList,
}


def plain(value: Any) -> Any:
    """A body's value as the domain takes it: enums as their values, models as mappings of
    the fields they were given (a subject without a person has no `person`)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def body_fields(body: BaseModel) -> dict[str, Any]:
    """Every field of the body, as the domain takes it."""
    return {name: plain(getattr(body, name)) for name in type(body).model_fields}


@dataclass(frozen=True)
class Route:
    """How a command's route differs from the plain one: its body's schema, `prepare` (see
    `command_route`), the operation's name and annotated path parameters."""

    body: type[BaseModel]
    prepare: Callable[[Any], dict[str, Any]] | None = None
    name: str | None = None
    params: dict[str, Any] | None = None


# Every mounted command's route, by message: what the command line validates a body with.
MOUNTED: dict[type[Message], Route] = {}


def message_of(message: type[Message], route: Route, body: BaseModel, **in_path: Any) -> Message:
    """The command a validated body (and the path's fields) make, as its route makes it."""
    fields = route.prepare(body) if route.prepare is not None else body_fields(body)
    return message(**fields | in_path)


# The headers a command reads; one sent twice is left to FastAPI's handling.
COMMAND_HEADERS = ("authorization", "idempotency-key", "if-match", "content-type")


class Irregular(Exception):
    """A request the quick path leaves to FastAPI's handling of the route (see the module)."""


@dataclass(frozen=True)
class Quick:
    """What a command route's quick path checks, with the dependency functions FastAPI would
    call for the same route, in the same order: the actor (authenticated, of an allowed
    role), the Idempotency-Key and If-Match headers, the path's fields, the JSON body."""

    body: type[BaseModel]
    roles: Callable[[Actor], Any]
    in_path: dict[str, TypeAdapter[Any]]

    async def arguments(self, request: Request) -> dict[str, Any]:
        """The endpoint's arguments for a request in order; `Irregular` for any other."""
        if request.app.dependency_overrides:  # what FastAPI would call instead, it calls
            raise Irregular("dependency overrides")
        headers = request.headers
        for name in COMMAND_HEADERS:
            if len(headers.getlist(name)) > 1:
                raise Irregular(f"{name} sent more than once")
        try:
            services = request.app.state.services
            actor = await self.roles(
                await current_actor(request, services, headers.get("authorization"))
            )
            key = await idempotency_key(headers.get("idempotency-key"))
            expected = await expected_version(headers.get("if-match"))
        except ApiError as refused:
            raise Irregular(refused.code) from None
        try:
            fields = {f: a.validate_python(request.path_params[f]) for f, a in self.in_path.items()}
        except ValidationError:
            raise Irregular("path") from None
        kind = (headers.get("content-type") or "").partition(";")[0].strip().lower()
        if kind != "application/json":
            raise Irregular("content-type")
        try:
            raw = await request.body()
        except HTTPException:  # the body limit's 413: FastAPI lets it through as well
            raise
        except Exception:  # as a client gone mid-body: FastAPI's own reading answers it
            raise Irregular("body unread") from None
        try:
            body = self.body.model_validate(json.loads(raw), from_attributes=True)
        except (ValueError, RecursionError):  # not JSON (or nested too deep), or not the schema
            raise Irregular("body") from None
        cmd = CommandContext(services, request, key, expected)
        return fields | {"body": body, "actor": actor, "cmd": cmd}


class CommandRoute(APIRoute):
    """A command's route: requests in order take the quick path (see the module and `Quick`),
    the others FastAPI's handling of the same route."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        full = super().get_route_handler()
        endpoint = self.endpoint
        quick: Quick = endpoint.quick  # type: ignore[attr-defined]

        async def handle(request: Request) -> Response:
            try:
                arguments = await quick.arguments(request)
            except Irregular as why:
                log.debug(
                    "command request left to the full path",
                    extra={"path": request.url.path, "reason": str(why)},
                )
                return await full(request)
            answer: Response = await run_in_threadpool(endpoint, **arguments)
            return answer

        return handle


def command_route(
    router: APIRouter, path: str, message: type[Message], route: Route, *, status: int = 200
) -> Callable[..., JSONResponse]:
    """Serve POST `path` as the registered command `message` (see the module and `Route`)."""
    entry = REGISTRY[message]
    hints = get_type_hints(message)
    in_path = list(PATH_FIELD.findall(path))
    annotations = {f: hints[f] for f in in_path} | (route.params or {})

    def endpoint(**kwargs: Any) -> JSONResponse:
        validated: BaseModel = kwargs["body"]
        actor: Actor = kwargs["actor"]
        cmd: CommandContext = kwargs["cmd"]
        sent = message_of(message, route, validated, **{f: kwargs[f] for f in in_path})
        return answered(
            cmd.run(
                actor,
                validated,
                lambda **kw: cmd.app.handle(sent, actor=actor, expected_version=cmd.expected, **kw),
                status=status,
            )
        )

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter(f, keyword, annotation=annotations[f]) for f in in_path]
    roles = require(*entry.roles)  # one check, for FastAPI's path and the quick one
    parameters += [
        inspect.Parameter("body", keyword, annotation=route.body),
        inspect.Parameter("actor", keyword, annotation=Annotated[Actor, Depends(roles)]),
        inspect.Parameter("cmd", keyword, annotation=Command),
    ]
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=JSONResponse
    )
    endpoint.__name__ = endpoint.__qualname__ = route.name or entry.name
    endpoint.__doc__ = entry.doc
    endpoint.quick = Quick(  # type: ignore[attr-defined]
        route.body, roles, {f: TypeAdapter(annotations[f]) for f in in_path}
    )
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        status_code=status,
        response_model=CommandAnswer,
        route_class_override=CommandRoute,
    )
    return endpoint


def derived_body(entry: Entry) -> type[BaseModel]:
    """A request schema from the command's own fields (those not in its path): a text checked
    as a reason (not blank; shorter where its field's metadata names a `max_length`), a date,
    an id, a count, evidence; optional where the command has a default."""
    in_path = set(entry.path_fields)
    hints = get_type_hints(entry.command)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(entry.command):
        if f.name in in_path:
            continue
        kind, optional = hints[f.name], False
        if get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind):
            (kind,) = [k for k in get_args(kind) if k is not type(None)]
            optional = True
        if kind not in DERIVED:
            raise TypeError(f"{entry.command.__name__}.{f.name}: no derived check for {kind}")
        checked = DERIVED[kind]
        if kind is str and "max_length" in f.metadata:  # a shorter text: field(metadata=…)
            checked = text(f.metadata["max_length"])
        checked = Optional[checked] if optional else checked  # noqa: UP045 (a runtime form)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = ...
        fields[f.name] = (checked, default)
    model: type[BaseModel] = create_model(
        entry.command.__name__ + "Body", __base__=BodyBase, __doc__=entry.doc, **fields
    )
    return model


def mount(router: APIRouter, routes: Mapping[type[Message], type[BaseModel] | Route]) -> None:
    """Serve every registered command whose path lies under the router's prefix, with the
    schema (or `Route`) named for it in `routes`, or else one derived from its fields."""
    base = router.prefix.removeprefix(API)
    under = [
        entry
        for entry in REGISTRY.values()
        if entry.path is not None and (entry.path == base or entry.path.startswith(base + "/"))
    ]
    stray = set(routes) - {entry.command for entry in under}
    if stray:
        raise TypeError(f"no registered path under {router.prefix} for {sorted(map(str, stray))}")
    for entry in under:
        assert entry.path is not None
        given = routes.get(entry.command)
        route = given if isinstance(given, Route) else Route(given or derived_body(entry))
        command_route(
            router, entry.path.removeprefix(base), entry.command, route, status=entry.status
        )
        MOUNTED[entry.command] = route
