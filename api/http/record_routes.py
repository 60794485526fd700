"""The two reads every record has, built once: `GET /{id}` (now, at `version=N`, or as it was
at `as_of=<time>`, with its version as the ETag) and `GET /{id}/events` (its own events,
oldest first).

`record_reads(router, "finding_id", UUID, what="finding", load=…, out=…, model=…, one="…")`
serves both with the signature FastAPI reads (the path parameter, `version`, `as_of`, the
services and the reader), so the OpenAPI document is what hand-written routes gave.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.http.deps import Cursor, Limit, Reader, ServicesDep
from api.http.errors import ApiError
from api.http.presentation import check_time_travel, events_page
from api.http.read_schemas import EventPage
from api.runtime.bootstrap import Services
from domain.actors import Actor

Version = Annotated[int | None, Query(ge=1, le=2**31)]
KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD

# load(services, record id, reader, version=…, as_of=…) → the aggregate, or NotFound.
Load = Callable[..., Any]


def parameters(param: str, kind: Any, reader: Any, *extra: inspect.Parameter) -> list[Any]:
    return [
        inspect.Parameter(param, KEYWORD, annotation=kind),
        inspect.Parameter("services", KEYWORD, annotation=ServicesDep),
        inspect.Parameter("actor", KEYWORD, annotation=reader),
        *extra,
    ]


def signed(
    endpoint: Callable[..., dict[str, Any]], name: str, doc: str, params: list[Any]
) -> Callable[..., dict[str, Any]]:
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        params, return_annotation=dict[str, Any]
    )
    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__doc__ = doc
    return endpoint


def record_reads(
    router: APIRouter,
    param: str,
    kind: Any,
    *,
    what: str,
    load: Load,
    out: Callable[[Any], dict[str, Any]] | None = None,
    model: Any = None,
    one: str | None = None,
    events: str | None = None,
    reader: Any = Reader,
    etag: bool = True,
    named: Callable[[Any], str] = str,
) -> None:
    """Serve `GET /{param}` and `GET /{param}/events`, either or both, described by `one` and
    `events` (their operations are `get_<what>` and `<what>_events`): `load` finds the record
    as the reader may see it, `out` shows it as `model`; `named` writes its key in a
    not-found message (a unit's code quoted)."""
    path = "/{" + param + "}"
    noun = what.replace(" ", "_")
    if one is not None:
        assert out is not None and model is not None, "a record's route shows it as a model"
        show = out

        def get_one(**kwargs: Any) -> dict[str, Any]:
            version: int | None = kwargs["version"]
            as_of: datetime | None = kwargs["as_of"]
            check_time_travel(version, as_of)
            key = kwargs[param]
            record = load(kwargs["services"], key, kwargs["actor"], version=version, as_of=as_of)
            if version is not None and record.version != version:
                raise ApiError(404, "not_found", f"{what} {named(key)} has no version {version}")
            if etag:
                kwargs["response"].headers["ETag"] = f'"{record.version}"'
            return show(record)

        extra = [inspect.Parameter("response", KEYWORD, annotation=Response)] if etag else []
        extra += [
            inspect.Parameter("version", KEYWORD, annotation=Version, default=None),
            inspect.Parameter("as_of", KEYWORD, annotation=datetime | None, default=None),
        ]
        router.get(path, response_model=model)(
            signed(get_one, f"get_{noun}", one, parameters(param, kind, reader, *extra))
        )
    if events is not None:

        def own_events(**kwargs: Any) -> dict[str, Any]:
            services: Services = kwargs["services"]
            actor: Actor = kwargs["actor"]
            record = load(services, kwargs[param], actor)
            history = services.app.aggregate_history(record.id)
            return events_page(history, kwargs["limit"], kwargs["cursor"])

        paging = [
            inspect.Parameter("limit", KEYWORD, annotation=Limit, default=50),
            inspect.Parameter("cursor", KEYWORD, annotation=Cursor, default=None),
        ]
        router.get(path + "/events", response_model=EventPage)(
            signed(own_events, f"{noun}_events", events, parameters(param, kind, reader, *paging))
        )


__all__ = ["UUID", "record_reads"]
