"""A data subject's crypto-shredding as a record of its own (issue 16 item 6): who destroyed the
key of which person named in rulings, when, and why — on the chain like every other step.

The key itself lives outside the log (infra/privacy.py); destroying it cannot be undone, and
this event is what an auditor reads to learn that it was done, by whom and on what grounds.
The event names the subject by its id alone: it holds nothing of the person.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import Aggregate

# What a person's name reads as once their key is destroyed (infra/privacy.py writes it).
SHREDDED = "[已删除]"


class DataSubject(Aggregate):
    """A person named in rulings, as far as the log records their data's fate."""

    class Shredded(Aggregate.Created):
        """删除个人信息（加密粉碎）: the subject's key destroyed."""

        reason: str
        actor: dict[str, Any]

    @event(Shredded)
    def __init__(self, *, id: UUID, reason: str, actor: dict[str, Any]) -> None:
        self.reason = reason
