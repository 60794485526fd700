"""End-to-end fixtures: the whole HTTP application over the shared, migrated database.

Every test that uses the shared `client` (directly, or through `api` or a fixture built on it)
has each answer of that client checked: no request may come back as a 5xx, other than a 503
`projection_lagging`, or /readyz's 503 while the projections start.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.main import create_app
from api.runtime.bootstrap import Services
from tests.support import Api


@pytest.fixture(scope="session")
def client(shared_services: Services) -> Iterator[TestClient]:
    app = create_app(shared_services.settings, services=shared_services)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture(autouse=True)
def no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if any answer the shared client gave it was a server error."""
    if "client" not in request.fixturenames:
        yield
        return
    client: TestClient = request.getfixturevalue("client")
    seen: list[tuple[str, str, int, str]] = []

    def record(response: Response) -> None:
        if response.status_code >= 500:
            response.read()
            request = response.request
            seen.append((request.method, str(request.url), response.status_code, response.text))

    hooks = client.event_hooks
    hooks["response"] = [*hooks.get("response", []), record]
    client.event_hooks = hooks
    try:
        yield
    finally:
        hooks = client.event_hooks
        hooks["response"] = [h for h in hooks.get("response", []) if h is not record]
        client.event_hooks = hooks
    unexpected = [s for s in seen if not expected_unavailable(*s)]
    assert not unexpected, f"server errors answered: {unexpected}"


def expected_unavailable(method: str, url: str, status: int, text: str) -> bool:
    """503s the contract names: a lagging projection, and /readyz while starting up."""
    if status != 503:
        return False
    return '"projection_lagging"' in text or url.endswith("/readyz")
