"""签收, 退办, 转办 on the Finding aggregate."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain import clock
from domain.errors import InvalidTransition, InvalidValue
from domain.findings import Finding
from tests.support import raised_finding

ACTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
LIAISON = {"id": "u1", "name": "联络员", "role": "unit"}


def ordered() -> Finding:
    finding = raised_finding(ACTOR)
    finding.order_rectification(deadline=date(2024, 6, 30), requirements="整改", actor=ACTOR)
    return finding


def test_a_reopened_finding_asks_its_unit_to_sign_again() -> None:
    finding = ordered()
    finding.acknowledge_order(note=None, actor=LIAISON)
    finding.report_rectification(summary="已整改", evidence=[], actor=LIAISON)
    finding.verify(
        outcome="accepted",
        comment="同意",
        new_deadline=None,
        actor=ACTOR,
        verified_on=date(2024, 6, 1),
    )
    finding.reopen(reason="反弹", new_deadline=None, actor=ACTOR)
    assert finding.acknowledged is False
    finding.acknowledge_order(note="再次签收", actor=LIAISON)
    assert finding.acknowledged is True


def test_a_reassignment_moves_the_matter_and_asks_the_new_unit_to_sign() -> None:
    finding = ordered()
    finding.dispute_order(reason="不属本单位", actor=LIAISON)
    with pytest.raises(InvalidValue):
        finding.reassign(to_unit="fgj", reason="转办", actor=ACTOR)
    finding.reassign(to_unit="scjgj", reason="转办", actor=ACTOR)
    assert (finding.unit_code, finding.dispute, finding.acknowledged) == ("scjgj", None, False)
    moved = finding.collect_events()[-1]
    assert isinstance(moved, Finding.Reassigned)
    assert (moved.from_unit, moved.to_unit) == ("fgj", "scjgj")
    with pytest.raises(InvalidTransition, match="no dispute awaits an answer"):
        finding.reject_dispute(reason="不成立", actor=ACTOR)


def test_an_extension_is_asked_for_before_the_deadline_passes() -> None:
    finding = ordered()  # deadline 2024-06-30
    late = datetime(2024, 7, 1, 4, 0, tzinfo=clock.CHINA)
    with clock.use(clock.SettableClock(late)), pytest.raises(InvalidValue) as refused:
        finding.apply_for_extension(new_deadline=date(2024, 8, 1), reason="晚了", actor=LIAISON)
    assert refused.value.details == {"deadline": "2024-06-30", "new_deadline": "2024-08-01"}
    assert finding.extension is None
