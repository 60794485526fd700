"""A split (分设) and what is recorded against the unit while it is written: a finding raised,
or a unit merged into it, after the split read the unit's open records but before it was
saved still goes to a successor; and a closed finding of a split unit is not reopened on a
unit that no longer takes records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

import pytest

from api.runtime import directories
from api.runtime.bootstrap import Services
from domain.errors import UnitInactive
from domain.findings import Finding
from projections.base import ProjectionLagging
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding


def register(services: Services, *codes: str) -> None:
    for code in codes:
        services.app.register_unit(code=code, name=f"单位{code}", kind="department", actor=ADMIN)


def meanwhile(services: Services, act: Callable[[], None], *later: Callable[[], None]) -> None:
    """Run `act` right after the split's first read of the open records, and each of
    `later` right after the reads that follow (the sweep's)."""
    records = services.app.unit_records
    assert records is not None
    read = records.open_records
    acts = [act, *later]

    def then_act(codes: Sequence[str]) -> tuple[list[UUID], list[UUID]]:
        found = read(codes)
        if acts:
            acts.pop(0)()
        return found

    records.open_records = then_act  # type: ignore[method-assign]  # the sweep's reads too


def unit_of(services: Services, finding_id: UUID) -> str:
    return services.app.load(Finding, finding_id).unit_code


def split(services: Services) -> None:
    services.app.split_unit("s", into=["c1", "c2"], reason="机构改革", default_unit="c2",
                            effective_on=date(2026, 6, 1), actor=ADMIN)  # fmt: skip


def test_a_finding_raised_while_the_split_is_written_goes_to_the_default_successor(
    services: Services,
) -> None:
    register(services, "s", "c1", "c2")
    before = raise_finding(services, "s", "分设前")
    late: list[UUID] = []
    meanwhile(services, lambda: late.append(raise_finding(services, "s", "分设时")))
    split(services)
    assert unit_of(services, before) == "c2" and unit_of(services, late[0]) == "c2"


def test_a_straggler_closed_before_the_sweep_moves_it_stays_and_the_others_move(
    services: Services,
) -> None:
    """The sweep reads the stragglers, then one of them is withdrawn before it is moved:
    that one stays where it is (a withdrawn record moves no more), the other moves."""
    register(services, "s", "c1", "c2")
    late: list[UUID] = []

    def two_stragglers() -> None:
        late.extend(raise_finding(services, "s", f"分设时{n}") for n in range(2))

    def withdraw_one() -> None:
        services.app.withdraw_finding(late[0], reason="误报", actor=INSPECTOR)

    meanwhile(services, two_stragglers, withdraw_one)
    split(services)
    assert unit_of(services, late[0]) == "s" and unit_of(services, late[1]) == "c2"


def test_a_unit_merged_into_it_while_the_split_is_written_hands_on_its_findings(
    services: Services,
) -> None:
    register(services, "s", "p", "c1", "c2")
    inherited = raise_finding(services, "p", "合并单位的问题")
    merge = lambda: services.app.merge_unit(  # noqa: E731
        "p", into="s", reason="机构改革", effective_on=date(2026, 5, 1), actor=ADMIN
    )
    meanwhile(services, merge)
    split(services)
    assert unit_of(services, inherited) == "c2"


def test_a_closed_finding_of_a_split_unit_is_not_reopened_on_it(services: Services) -> None:
    register(services, "s", "c1", "c2")
    closed = raise_finding(services, "s")
    app = services.app
    app.order_rectification(closed, deadline=date(2026, 3, 1), requirements="整改",
                            actor=INSPECTOR)  # fmt: skip
    app.report_rectification(closed, summary="已整改", actor=INSPECTOR)
    app.verify_rectification(closed, outcome="accepted", comment="验收", actor=INSPECTOR)
    split(services)
    assert unit_of(services, closed) == "s"  # a closed record stays the unit's own
    with pytest.raises(UnitInactive, match="split"):
        app.reopen_finding(closed, reason="回头看", actor=INSPECTOR)


def test_a_sweep_that_finds_the_read_models_lagging_leaves_the_split_recorded(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The split is recorded before the sweep: read models that cannot be brought up to
    date then end the sweep (its straggler stays on the unit), not the split's answer."""
    register(services, "s", "c1", "c2")
    late: list[UUID] = []

    def straggle_then_lag() -> None:
        late.append(raise_finding(services, "s", "分设时"))

        def lagging(*_: object) -> None:
            raise ProjectionLagging("finding_board", 99, 1)

        monkeypatch.setattr(directories, "catch_up", lagging)

    meanwhile(services, straggle_then_lag)
    split(services)
    assert services.app.get_unit("s").split_into == ["c1", "c2"]
    assert unit_of(services, late[0]) == "s"
    assert "open records not current" in caplog.text
