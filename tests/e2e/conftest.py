"""End-to-end fixtures: the whole HTTP application over the shared, migrated database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

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
