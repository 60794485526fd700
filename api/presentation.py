"""What several routes share: an event as the API shows it, and checks of query parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from fastapi.encoders import jsonable_encoder

from api.errors import ApiError
from api.schemas import storable
from domain.vocabulary import event_label

ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


def event_out(event: Any) -> dict[str, Any]:
    label = event_label(type(event).__qualname__)
    data = {k: v for k, v in vars(event).items() if k not in ENVELOPE_FIELDS}
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
