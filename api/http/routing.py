"""The API's routers: each passes over a request outside its prefix at once."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Match
from starlette.types import Scope


class Router(APIRouter):
    """An `APIRouter` that answers "no match" for a path that does not hold its prefix,
    without trying its routes one by one.

    FastAPI asks every included router in turn, and each tries each of its routes' patterns:
    a command on a router included late paid for trying every route before it, several
    hundred microseconds a request (docs/performance.md)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Not even inside the path: whatever root path it is served under, no route matches.
        if self.prefix and self.prefix not in scope["path"]:
            return Match.NONE, {}
        return super().matches(scope)
