"""A unit's timeline speaks Chinese: its lines write days as 2026年3月5日, not 2026-03-05."""

from __future__ import annotations

from datetime import date

from projections.unit_history import summarise
from tests.support import raised_finding

ACTOR = {"id": "a1", "name": "督查员", "role": "inspector"}


def test_the_lines_of_an_order_and_its_extension_write_their_days_in_chinese() -> None:
    finding = raised_finding(ACTOR, date(2026, 3, 5))
    finding.order_rectification(deadline=date(2026, 4, 1), requirements="整改", actor=ACTOR)
    finding.extend_deadline(new_deadline=date(2026, 5, 8), reason="客观原因", actor=ACTOR)
    lines = [summarise(e) for e in finding.collect_events()]
    assert lines[1].endswith("期限2026年4月1日")
    assert lines[2].endswith("期限2026年5月8日")
    assert not any("2026-" in line for line in lines)
