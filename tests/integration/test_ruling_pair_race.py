"""Two decisions of a paired fault-tolerance and accountability ruling never pass each other
unseen (issue 18 item 4): each decision also records, on the other ruling, that its partner
was decided (`Ruling.PartnerDecided`), so a decision prepared on the other ruling before that
cannot be saved over it — the lost race is retried on the newer state and refused there."""

from __future__ import annotations

from datetime import date

import pytest

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.commands import ConcurrentChange
from domain.errors import FormExceedsMitigation
from domain.rulings import AccountabilityRuling, Ruling
from domain.vocabulary import Role
from tests.integration.conftest import raise_finding

ADMIN = Actor(id="a", name="管理员", role=Role.ADMIN)
INSPECTOR = Actor(id="i", name="督查员", role=Role.INSPECTOR)
AUTHORITY = Actor(id="au", name="纪委", role=Role.AUTHORITY)
DECIDED_ON = date(2026, 3, 1)


def test_a_proposals_decision_prepared_before_the_tolerances_appeal_cannot_be_saved(
    services: Services,
) -> None:
    app = services.app
    app.register_unit(code="zjj", name="县住建局", kind="department", actor=ADMIN)
    finding = raise_finding(services, "zjj")
    subject = {"unit_code": "zjj"}
    tolerance = app.apply_for_tolerance(
        subject=subject, finding_ids=[finding], grounds="g",
        criteria_claimed=["pilot_inexperience"], actor=INSPECTOR,
    ).id  # fmt: skip
    proposal = app.propose_accountability(
        subject=subject, finding_ids=[finding], form="circulated_criticism", basis="b",
        facts="f", actor=INSPECTOR,
    ).id  # fmt: skip
    app.pair_rulings(tolerance, accountability_ruling_id=proposal, actor=INSPECTOR)
    app.decide_ruling(tolerance, outcome="denied", criteria_met=[], reasoning="r",
                      decided_on=DECIDED_ON, actor=AUTHORITY)  # fmt: skip
    # A heavy decision of the proposal prepared now, on the tolerance as denied…
    stale_proposal, stale_tolerance = app.load(Ruling, proposal), app.load(Ruling, tolerance)
    # …while the tolerance is appealed and changed to 从轻.
    app.appeal_ruling(tolerance, grounds="不服", actor=INSPECTOR)
    mitigated = {"outcome": "mitigated", "criteria_met": ["pilot_inexperience"]}
    app.decide_appeal(tolerance, result="modified", reasoning="r", **mitigated, actor=AUTHORITY)
    events = [type(e).__name__ for e in app.aggregate_history(proposal)]
    assert events[-1] == "PartnerDecided", events
    actor = AUTHORITY.as_event_data()
    assert isinstance(stale_proposal, AccountabilityRuling)
    stale_proposal.decide(form="reorganisation", reasoning="r", decided_on=DECIDED_ON,
                          actor=actor)  # fmt: skip
    stale_tolerance.note_partner_decided(actor=actor)
    with pytest.raises(ConcurrentChange):
        app.record(stale_proposal, stale_tolerance)
    with pytest.raises(FormExceedsMitigation):  # run again on the newer state: refused
        app.decide_ruling(proposal, form="reorganisation", reasoning="r",
                          decided_on=DECIDED_ON, actor=AUTHORITY)  # fmt: skip
    assert app.get_ruling(proposal).decision is None
