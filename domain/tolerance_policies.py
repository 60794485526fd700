"""TolerancePolicy (容错免责办法): the conditions (条件) this county requires verified before a
fault-tolerance ruling is decided 免责 or 从轻, kept as data.

The criteria split into circumstances (情形: 先行先试, 探索试验, 推动发展中的无意过失 — the
error arose in one of them) and conditions (条件: 决策程序合规, 未谋取私利, 积极挽回损失,
未与他人恶意串通, … — verified of the case). Once the county has adopted its policy, an
`exempted` or `mitigated` decision, and an appeal decision that makes one, names at least one
circumstance met and every condition the policy requires (in `criteria_met`), else 422
`tolerance_criteria_unmet` naming what is missing. Until then the v1 contract's rule stands
(at least one criterion met), as a year without an evaluation scheme keeps the evaluator's
grade. The service keeps one policy: the county's own (`locality` names it); revising it bears
on decisions made after it, never on those already recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import DomainError, InvalidValue
from domain.findings import parse
from domain.vocabulary import ToleranceCriterion, ToleranceOutcome

POLICY_ID = uuid5(NAMESPACE_URL, "https://supervision.example/tolerance-policy")


class ToleranceCriteriaUnmet(DomainError, code="tolerance_criteria_unmet"):
    """免责 or 从轻 without a circumstance met, or without a condition the policy requires."""


def check_conditions(conditions: list[str]) -> list[str]:
    """Conditions of the vocabulary, each once, in its order (the same conditions given in
    another order are the same policy); a circumstance is not a condition."""
    chosen = [parse(ToleranceCriterion, c, "condition") for c in conditions]
    circumstances = [c.value for c in chosen if c.circumstance]
    if circumstances:
        raise InvalidValue(
            f"{', '.join(circumstances)}: a circumstance (情形), not a condition (条件)",
            details={"circumstances": circumstances},
        )
    given = set(chosen)
    return [c.value for c in ToleranceCriterion if c in given]  # in the vocabulary's order


class TolerancePolicy(Aggregate):
    """The county's 容错免责办法: the conditions every 免责 and 从轻 needs verified."""

    @staticmethod
    def create_id() -> UUID:
        """The service keeps one policy, its county's."""
        return POLICY_ID

    class Adopted(Aggregate.Created):
        locality: str
        required_conditions: list[str]
        actor: dict[str, Any]

    class Revised(Aggregate.Event):
        required_conditions: list[str]
        reason: str
        actor: dict[str, Any]

    @event(Adopted)
    def __init__(
        self, *, locality: str, required_conditions: list[str], actor: dict[str, Any]
    ) -> None:
        self.locality = locality
        self.required_conditions = list(required_conditions)

    def revise(self, *, required_conditions: list[str], reason: str, actor: dict[str, Any]) -> None:
        """修订容错免责办法: the conditions required from now on."""
        conditions = check_conditions(required_conditions)
        if set(conditions) == set(self.required_conditions):
            raise InvalidValue("the revision requires the conditions already required")
        self._revised(required_conditions=conditions, reason=reason, actor=actor)

    @event(Revised)
    def _revised(self, required_conditions: list[str], reason: str, actor: dict[str, Any]) -> None:
        self.required_conditions = list(required_conditions)

    def check_decision(self, outcome: str, criteria_met: list[str]) -> None:
        """免责 and 从轻: a circumstance met and every required condition verified."""
        if outcome == ToleranceOutcome.DENIED:
            return
        met = set(criteria_met)
        circumstance = any(ToleranceCriterion(c).circumstance for c in met)
        missing = [c for c in self.required_conditions if c not in met]
        if circumstance and not missing:
            return
        reasons = [] if circumstance else ["no circumstance (情形) met"]
        if missing:
            reasons.append(f"conditions (条件) not verified: {', '.join(missing)}")
        raise ToleranceCriteriaUnmet(
            f"{ToleranceOutcome(outcome).label} ({outcome}) needs a circumstance met and every "
            f"condition the county's policy requires: {'; '.join(reasons)} (不符合容错免责条件)",
            details={"circumstance_met": circumstance, "missing_conditions": missing},
        )
