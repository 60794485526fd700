"""Commands on the catalogue of major administrative decisions (重大行政决策目录) and their
third-party evaluations (第三方评估)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.commands import CommandBase
from domain.errors import NotFound, UnknownReference
from domain.findings import Finding, parse
from domain.major_decisions import MajorDecision
from domain.rulings import AccountabilityRuling
from domain.vocabulary import AccountabilityLinkKind


class MajorDecisionCommands(CommandBase):
    def check_new_decision(self, *, unit_code: str, **_: Any) -> None:
        """列入重大行政决策目录: the responsible unit takes new records."""
        self.active_unit(unit_code)

    def get_decision(self, decision_id: UUID, **at: Any) -> MajorDecision:
        """The decision now, at `version`, or as it was `as_of` a time (the catalogue is
        published: no scope)."""
        return self.get_record(MajorDecision, decision_id, **at)

    def check_link_target(self, kind: str, target_id: UUID) -> None:
        """The linked finding, or accountability ruling, exists."""
        code = parse(AccountabilityLinkKind, kind, "kind")
        target: type[Finding | AccountabilityRuling] = (
            Finding if code is AccountabilityLinkKind.FINDING else AccountabilityRuling
        )
        try:
            self.load(target, target_id)
        except NotFound:
            name = "finding" if target is Finding else "accountability ruling"
            raise UnknownReference(f"{name} {target_id} does not exist") from None
