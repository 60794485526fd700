"""The command registry (domain/messages.py) and the routes it builds (api/http)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi import APIRouter
from pydantic import ValidationError

from api.http.command_routes import derived_body, mount
from api.main import create_app
from domain.findings import Finding
from domain.messages import BY_NAME, REGISTRY, Command, Entry, command
from domain.vocabulary import Role


@dataclass(frozen=True)
class Sample(Command):
    """样例."""

    finding_id: UUID
    note: str
    held_on: date
    count: int = 0
    who: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    post: str = field(default="局长", metadata={"max_length": 5})


def entry(path: str | None = "/findings/{finding_id}/sample", **kwargs: Any) -> Entry:
    values = {"aggregate": Finding, "target": "finding_id", "method": "sample", "path": path}
    return Entry(command=Sample, name="sample", roles=(Role.INSPECTOR,), doc="", **values | kwargs)


def test_an_entry_names_one_of_a_method_a_handler_and_a_creation() -> None:
    for wrong in ({"handler": "sampling"}, {"creates": Finding}, {"method": None}):
        with pytest.raises(TypeError, match="name one of a method, a handler, a creation"):
            entry(**wrong)


def test_a_creation_names_no_existing_record_though_its_target_names_the_new_ones_id() -> None:
    made = entry(method=None, creates=Finding, path="/findings")
    assert made.record_field is None and made.record_name == "finding"
    assert entry().record_field == "finding_id"
    assert BY_NAME["propose_accountability"].record_field is None
    assert BY_NAME["decide_ruling"].record_field == "ruling_id"  # a handler's: from its path


def test_a_method_needs_the_aggregate_and_the_field_naming_it() -> None:
    with pytest.raises(TypeError, match="aggregate and a target"):
        entry(target=None)


def test_a_path_may_name_only_the_commands_fields() -> None:
    with pytest.raises(TypeError, match=r"names no field \['case_id'\]"):
        entry(path="/findings/{case_id}/sample")


def test_a_command_is_registered_once() -> None:
    taken = next(iter(REGISTRY.values()))
    with pytest.raises(TypeError, match="registered twice"):
        command(roles=(Role.ADMIN,), handler="x", name=taken.name)(Sample)
    assert Sample not in REGISTRY


def test_a_derived_body_checks_each_field_the_path_does_not_name() -> None:
    body = derived_body(entry())
    assert set(body.model_fields) == {"note", "held_on", "count", "who", "evidence", "post"}
    made = body.model_validate({"note": "约谈", "held_on": "2026-12-01"})
    assert (made.count, made.who, made.evidence) == (0, None, [])  # type: ignore[attr-defined]
    day = {"held_on": "2026-12-01"}
    refused = [
        {"note": ""} | day,  # a text is not empty
        {"note": "   "} | day,  # nor blank
        {"note": "x", "post": "主要负责同志"} | day,  # a field's metadata may shorten it
        {"note": "x" * 2001} | day,  # nor longer than a reason
        {"note": "x"},  # a field with no default is required
        {"note": "x", "count": -1} | day,
        {"note": "x", "held_on": "not a day"},
    ]
    for bad in refused:
        with pytest.raises(ValidationError):
            body.model_validate(bad)


def test_a_field_of_a_kind_no_body_checks_is_refused_when_the_route_is_built() -> None:
    @dataclass(frozen=True)
    class Odd(Command):
        finding_id: UUID
        weights: dict[str, float]

    odd = Entry(
        command=Odd, name="odd", roles=(), doc="", handler="odd", path="/findings/{finding_id}/odd"
    )
    with pytest.raises(TypeError, match=r"Odd\.weights: no derived check"):
        derived_body(odd)


def test_a_route_named_for_a_command_with_no_path_under_the_router_is_refused() -> None:
    router = APIRouter(prefix="/api/v1/units")
    finding_command = BY_NAME["escalate_finding"].command
    with pytest.raises(TypeError, match="no registered path under /api/v1/units"):
        mount(router, {finding_command: derived_body(BY_NAME["escalate_finding"])})


def test_every_registered_path_is_served_as_a_post_with_the_registrys_summary() -> None:
    paths = create_app().openapi()["paths"]
    served = [e for e in REGISTRY.values() if e.path is not None]
    assert len(served) >= 30
    for e in served:
        operation = paths["/api/v1" + e.path]["post"]
        assert operation["description"].startswith(e.doc.splitlines()[0]), e.name
        assert str(e.status) in operation["responses"], e.name
