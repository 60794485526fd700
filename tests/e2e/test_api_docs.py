"""The interactive API documentation at /docs works on a network that reaches nothing outside:
the page and everything it loads come from the service itself."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

LOADED = re.compile(r"""(?:src|href)\s*[=:]\s*['"]([^'"]+)['"]|url:\s*['"]([^'"]+)['"]""")


def test_the_docs_page_loads_swagger_ui_and_the_schema_from_the_service_itself(
    client: TestClient,
) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = {a or b for a, b in LOADED.findall(page.text)}
    assert {
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon-32x32.png",
        "/openapi.json",
    } <= urls
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    for url in urls:
        loaded = client.get(url)
        assert loaded.status_code == 200, url
        assert loaded.content, url
    assert '"validatorUrl": null' in page.text  # no badge fetched from validator.swagger.io
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert "no-store" not in bundle.headers.get("cache-control", "")  # kept between visits
    assert page.headers["cache-control"] == "no-store"


def test_the_docs_page_may_load_nothing_from_another_origin(client: TestClient) -> None:
    policy = client.get("/docs").headers["content-security-policy"]
    assert "http" not in policy and "*" not in policy
    assert "script-src 'self' 'unsafe-inline'" in policy
    # Every other answer keeps the strict policy, the docs' assets included.
    strict = client.get("/docs/assets/swagger-ui-bundle.js").headers["content-security-policy"]
    assert "unsafe-inline" not in strict


def test_an_asset_the_docs_do_not_have_is_not_found(client: TestClient) -> None:
    assert client.get("/docs/assets/swagger-ui-standalone-preset.js").status_code == 404
    assert client.get("/docs/assets/../main.py").status_code == 404
