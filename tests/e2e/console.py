"""Steps in the web console for the end-to-end tests: a browser of its own signed in as an
account, and a page's form sent with the page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from fastapi.testclient import TestClient
from httpx import Response

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(response: Response) -> str:
    match = CSRF.search(response.text)
    assert match, response.text
    return match.group(1)


def submit(
    browser: TestClient, page: Response, action: str, fields: Mapping[str, str | list[str]]
) -> Response:
    """POST a form of the console `page` to `action`: `fields` after the page's CSRF token; the
    answer as it comes (a redirect is not followed)."""
    data = {"csrf_token": csrf_of(page), **fields}
    return browser.post(action, data=data, follow_redirects=False)


def sign_in(browser: TestClient, token: str) -> Response:
    answer = submit(browser, browser.get("/signin"), "/signin", {"token": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    return answer


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@contextmanager
def console_as(client: TestClient, who: dict[str, str]) -> Iterator[TestClient]:
    """A browser of the shared client's app with a cookie jar of its own (the shared `client`
    serves every e2e test), signed in as the account `who`."""
    with TestClient(client.app, raise_server_exceptions=False) as browser:
        sign_in(browser, token_of(who))
        yield browser
