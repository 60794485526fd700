"""Command routes built from the registry (domain/messages.py): one line a route.

`command_route(router, "/{finding_id}/escalation", EscalateFinding, ReasonOnly)` serves
`POST …/escalation`: the body is validated by its schema, the path names the command's
target, the registry's roles decide who may send it (403 for the others), and the message is
carried out by `Supervision.handle` under the same runner as every command
(api/http/commands.py: `Idempotency-Key`, `If-Match`, the `CommandAnswer` and its ETag).

The endpoint is an ordinary function with the signature FastAPI reads — the target path
parameter, the body, the actor, the command context — and the registry's name and docstring,
so the OpenAPI document (operation id, summary, description, parameters) is what a
hand-written route would give.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar, get_type_hints

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.http.commands import Command, CommandContext
from api.http.deps import require
from api.http.presentation import answered
from api.http.schemas import CommandAnswer
from domain.actors import Actor
from domain.messages import REGISTRY
from domain.messages import Command as Message

B = TypeVar("B", bound=BaseModel)
PATH_PARAMETER = re.compile(r"{(\w+)}")


def plain(value: Any) -> Any:
    """A body's value as the domain takes it: enums as their values, models as mappings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def body_fields(body: BaseModel) -> dict[str, Any]:
    """Every field of the body, as the domain takes it."""
    return {name: plain(getattr(body, name)) for name in type(body).model_fields}


def command_route(
    router: APIRouter,
    path: str,
    message: type[Message],
    body: type[B],
    *,
    status: int = 200,
    prepare: Callable[[B], dict[str, Any]] | None = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
) -> Callable[..., JSONResponse]:
    """Serve POST `path` as the registered command `message` (see the module). `prepare`
    makes the command's fields of a body whose fields are not simply the command's; `name`
    is the operation's, when not the command's; `params` annotates path parameters that
    carry more than their field's type (bounds, a description)."""
    entry = REGISTRY[message]
    hints = get_type_hints(message)
    in_path = list(PATH_PARAMETER.findall(path))
    annotations = {f: hints[f] for f in in_path} | (params or {})

    def endpoint(**kwargs: Any) -> JSONResponse:
        validated: B = kwargs["body"]
        actor: Actor = kwargs["actor"]
        cmd: CommandContext = kwargs["cmd"]
        fields = prepare(validated) if prepare is not None else body_fields(validated)
        fields |= {f: kwargs[f] for f in in_path}
        sent = message(**fields)
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
    parameters += [
        inspect.Parameter("body", keyword, annotation=body),
        inspect.Parameter(
            "actor", keyword, annotation=Annotated[Actor, Depends(require(*entry.roles))]
        ),
        inspect.Parameter("cmd", keyword, annotation=Command),
    ]
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=JSONResponse
    )
    endpoint.__name__ = endpoint.__qualname__ = name or entry.name
    endpoint.__doc__ = entry.doc
    router.post(path, status_code=status, response_model=CommandAnswer)(endpoint)
    return endpoint
