"""The FastAPI application: `create_app(settings=None)` builds everything in its lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.console import install as install_console
from api.console.web import is_console_path
from api.http.docs import install_docs
from api.http.errors import declare_error_responses, install_error_handlers
from api.http.middleware import AccessLog, BodyLimit
from api.http.read_access import ReadAccessLog
from api.http.routes import (
    access_log,
    accounts,
    audit,
    case_library,
    commendations,
    documents,
    files,
    findings,
    inbox,
    inspections,
    major_decisions,
    meta,
    persons,
    power_lists,
    privacy,
    projections,
    records,  # noqa: F401  (adds every record's reads to the routers above before they are included)
    rulings,
    spot_checks,
    stats,
    tolerance_policy,
    units,
    work_items,
)
from api.http.security import install_rate_limit, install_security
from api.runtime.bootstrap import Services, build
from infra.logging import configure_logging
from infra.settings import Settings

DESCRIPTION = """督查问责 — every supervision finding, rectification step and ruling is an
immutable, hash-chained event. Errors are `{"error": {"code", "message", "details"}}`."""


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    checkpoints: bool = True,
) -> FastAPI:
    """Build the HTTP application; its lifespan opens (or adopts) the services and closes them.
    `checkpoints`: this process makes the automatic signed checkpoints."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = services or build(settings, checkpoints=checkpoints)
        app.state.services = opened
        # What is loaded by now (modules, routes, schemas: ~150k objects) lives as long as
        # the process: out of the collector's sight, a full collection no longer walks it
        # (it cost 90–280 ms every few seconds under load, a pause for every request).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if services is None:
                opened.close()

    app = FastAPI(
        title="督查问责 Supervision API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the vendored Swagger UI instead (install_docs)
        redoc_url=None,
    )
    install_docs(app)
    install_error_handlers(app)
    for module in (
        meta,
        accounts,
        units,
        findings,
        work_items,
        rulings,
        tolerance_policy,
        case_library,
        stats,
        projections,
        audit,
        access_log,
        privacy,
        inbox,
    ):
        app.include_router(module.router)
    app.include_router(work_items.schemes)
    app.include_router(major_decisions.router)
    app.include_router(inspections.router)
    app.include_router(inspections.public_router)
    app.include_router(major_decisions.public_router)
    app.include_router(power_lists.router)
    app.include_router(commendations.router)
    app.include_router(power_lists.public_router)
    for router in (spot_checks.entities, spot_checks.officers, spot_checks.matters):
        app.include_router(router)
    app.include_router(spot_checks.public_router)
    app.include_router(persons.router)
    app.include_router(files.router)
    app.include_router(documents.router)
    declare_error_responses(app)
    install_console(app)  # the web console at /, never under /api/v1
    install_rate_limit(app, settings)
    app.add_middleware(ReadAccessLog)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        # Uploads, from the API and from the console's drop zones.
        larger=dict.fromkeys(
            (files.router.prefix, "/files"), settings.upload_max_request_mb * 1024 * 1024
        ),
        answered_within=is_console_path,  # a page in Chinese, not the API's JSON
    )
    app.add_middleware(AccessLog)
    install_security(app, settings)
    return app


def worker_app() -> FastAPI:
    """One HTTP worker of `serve --workers N` (uvicorn's factory, in a process of its own):
    its settings come from the environment `serve` prepared, which names the database the
    parent opened; the parent runs the projection runners and the automatic checkpoints."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, checkpoints=False)
