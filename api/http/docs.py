"""The API's interactive documentation at /docs: Swagger UI served from the vendored copy in
api/http/static/ (tools/vendor_js.sh), never from a CDN, so it works on a county's network
that reaches nothing outside."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/docs"
ASSETS = "/docs/assets"
STATIC = Path(__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """/docs and its assets (FastAPI's own /docs and /redoc are turned off in create_app:
    they load Swagger UI, ReDoc and fonts from CDNs)."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            # Swagger UI would fetch a badge from validator.swagger.io (the policy refuses it).
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_route(DOCS, swagger_ui, include_in_schema=False)
