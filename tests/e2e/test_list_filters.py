"""The list routes' shared query filters (api/http/deps.py: YearFilter, UnitFilter, Search;
api/http/routes/rulings.py: RulingKindFilter): every list that takes one keeps its bounds."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import assert_error
from tests.support import ADMIN, Api

YEARS = [
    "/api/v1/findings",
    "/api/v1/work-items",
    "/api/v1/major-decisions",
    "/api/v1/public/major-decisions",
    "/api/v1/case-library",
    "/api/v1/inspections",
    "/api/v1/public/inspections",
]
UNITS = [
    "/api/v1/findings",
    "/api/v1/work-items",
    "/api/v1/rulings",
    "/api/v1/case-library",
    "/api/v1/privacy/subjects",
    "/api/v1/enforcement-officers",
    "/api/v1/spot-check-matters",
    "/api/v1/public/spot-check-matters",
]
SEARCHES = ["/api/v1/findings", "/api/v1/case-library"]
KINDS = ["/api/v1/rulings", "/api/v1/case-library"]


@pytest.mark.parametrize("path", YEARS)
def test_a_year_filter_takes_1900_to_2999(api: Api, path: str) -> None:
    for year in (1900, 2999):
        assert api.get(path, ADMIN, year=year).status_code == 200, (path, year)
    for year in (1899, 3000):
        assert_error(api.get(path, ADMIN, year=year), 422, "validation_error")


@pytest.mark.parametrize("path", UNITS)
def test_a_unit_filter_takes_a_code_of_at_most_64_characters(api: Api, path: str) -> None:
    assert_error(api.get(path, ADMIN, unit_code="u" * 65), 422, "validation_error")


@pytest.mark.parametrize("path", SEARCHES)
def test_a_search_takes_at_most_200_characters(api: Api, path: str) -> None:
    assert api.get(path, ADMIN, q="督查" * 100).status_code == 200
    assert_error(api.get(path, ADMIN, q="督" * 201), 422, "validation_error")


@pytest.mark.parametrize("path", KINDS)
def test_a_ruling_kind_filter_takes_at_most_30_characters(api: Api, path: str) -> None:
    assert api.get(path, ADMIN, kind="fault_tolerance").status_code == 200
    assert_error(api.get(path, ADMIN, kind="k" * 31), 422, "validation_error")
