"""What several routes share: an event as the API shows it, and checks of query parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from api.http.errors import ApiError
from api.http.schemas import CommandAnswer, storable
from domain.vocabulary import event_label
from projections.paging import Page

ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
# Stored, chained and in the bundle, but never read back through the API or the console: the
# hash of an account's token (a hash of a secret is still not for reading).
WITHHELD_FIELDS = {"token_hash"}


def events_page(history: list[Any], limit: int, cursor: str | None) -> dict[str, Any]:
    """A page of a record's own events, oldest first: `limit` of them after the version the
    cursor names (the version of the page's last event)."""
    after = 0
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit()):  # "²" is a digit, not a number
            raise ApiError(400, "invalid_cursor", f"invalid cursor {cursor!r}")
        after = int(cursor)
    events = [e for e in history if e.originator_version > after]
    page = events[:limit]
    more = len(events) > limit
    return {
        "items": [event_out(e) for e in page],
        "next_cursor": str(page[-1].originator_version) if more else None,
    }


def event_out(event: Any) -> dict[str, Any]:
    """An event as every door shows it: its envelope, Chinese label and data, less what is
    withheld."""
    label = event_label(type(event).__qualname__)
    hidden = ENVELOPE_FIELDS | WITHHELD_FIELDS
    data = {k: v for k, v in vars(event).items() if k not in hidden}
    return cast(
        dict[str, Any],
        jsonable_encoder(
            {
                "version": event.originator_version,
                "event_type": type(event).__name__,
                "event_label": label,
                "recorded_at": event.timestamp,
                "actor": getattr(event, "actor", None),
                "data": data,
            }
        ),
    )


def record_out(record: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """A record as its read shows it, JSON-ready: its id and version, `fields`, and when it was
    created and last changed (the route's response model orders the fields and keeps only its
    own)."""
    envelope = {"id": record.id, "version": record.version}
    changed = {"created_at": record.created_on, "updated_at": record.modified_on}
    return cast(dict[str, Any], jsonable_encoder(envelope | fields | changed))


def page_out(page: Page) -> dict[str, Any]:
    """A page of a list as its route answers it: the items, and the cursor to the next page."""
    return {"items": page.items, "next_cursor": page.next_cursor}


COMMAND_ANSWER: TypeAdapter[Any] = TypeAdapter(CommandAnswer)
# Set by api/http/commands.py, or by Starlette from the body: never copied from another answer.
BODY_HEADERS = ("content-length", "content-type")


def conform(model: TypeAdapter[Any], value: Any) -> Any:
    """`value` as JSON-ready data through `model`: only its fields, its formats."""
    return model.dump_python(model.validate_python(value), mode="json")


def answered(response: JSONResponse, model: TypeAdapter[Any] = COMMAND_ANSWER) -> JSONResponse:
    """A command's answer written again through its declared model, with the status and
    headers (ETag) it had: api/http/commands.py builds the answer as a JSONResponse, which
    FastAPI would send as it is, past the route's response_model."""
    body = model.dump_python(model.validate_json(bytes(response.body)), mode="json")
    headers = {k: v for k, v in response.headers.items() if k not in BODY_HEADERS}
    return JSONResponse(body, status_code=response.status_code, headers=headers)


def check_time_travel(version: int | None, as_of: datetime | None) -> None:
    """`?version=N` or `?as_of=<time with offset>`, not both."""
    if version is not None and as_of is not None:
        raise ApiError(422, "validation_error", "give version or as_of, not both")
    if as_of is not None and as_of.tzinfo is None:
        raise ApiError(422, "validation_error", "as_of needs a UTC offset, e.g. +08:00")


def check_query_text(value: str) -> None:
    try:
        storable(value)
    except ValueError as e:
        raise ApiError(422, "validation_error", str(e)) from None
