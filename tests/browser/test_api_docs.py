"""The interactive API documentation renders in a browser that can reach nothing but the
service (a county's network): Swagger UI, its styles and the OpenAPI 3.1 schema all come from
the service itself."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Route, expect

from tests.browser.conftest import DESKTOP, Service


def test_the_docs_render_every_operation_with_nothing_loaded_from_outside(
    browser: Browser, service: Service
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    outside: list[str] = []
    errors: list[str] = []

    def only_the_service(route: Route) -> None:
        if route.request.url.startswith(service.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        context.route("**/*", only_the_service)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{service.url}/docs")
        expect(page.get_by_role("heading", level=1)).to_contain_text("督查问责 Supervision API")
        # Every resource's operations are listed (the schema is OpenAPI 3.1, which Swagger
        # UI 5 reads). The page draws only what is in view: scroll through it all.
        first = page.locator('.opblock-summary-path[data-path="/healthz"]')
        expect(first).to_be_visible(timeout=60_000)
        schema = httpx.get(f"{service.url}/openapi.json", timeout=30).json()
        tags = {t for path in schema["paths"].values() for op in path.values() for t in op["tags"]}
        seen: set[str] = set()
        for _ in range(400):
            seen.update(
                page.eval_on_selector_all("h3.opblock-tag", "hs => hs.map(h => h.dataset.tag)")
            )
            if seen >= tags:
                break
            page.mouse.wheel(0, 400)
            page.wait_for_timeout(50)
        assert seen >= tags and len(tags) > 10, tags - seen
        assert outside == [] and errors == []
    finally:
        context.close()
