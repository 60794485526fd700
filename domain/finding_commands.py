"""The commands on a finding (督查发现问题), as messages (domain/messages.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.findings import Finding
from domain.messages import Command, command
from domain.vocabulary import Role

INSPECTOR = (Role.INSPECTOR,)
REPORTER = (Role.INSPECTOR, Role.UNIT)
ON_FINDING: dict[str, Any] = {"aggregate": Finding, "target": "finding_id"}


@command(roles=INSPECTOR, handler="do_raise_finding", path="/findings", status=201)
@dataclass(frozen=True)
class RaiseFinding(Command):
    """发现问题: raise a finding against an active unit (status `raised`)."""

    unit_code: str
    title: str
    description: str
    category: str
    severity: str
    source: str
    found_on: date
    evidence: list[dict[str, Any]] = field(default_factory=list)
    work_item_id: UUID | None = None
    finding_id: UUID | None = None


@command(
    roles=INSPECTOR,
    method="order_rectification",
    path="/findings/{finding_id}/rectification-order",
    **ON_FINDING,
)
@dataclass(frozen=True)
class OrderRectification(Command):
    """下达整改 → `rectifying`."""

    finding_id: UUID
    deadline: date
    requirements: str


@command(
    roles=REPORTER,
    method="report_rectification",
    path="/findings/{finding_id}/rectification-report",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReportRectification(Command):
    """报送整改情况 (the finding's unit, or an inspector) → `reported`."""

    finding_id: UUID
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@command(
    roles=INSPECTOR,
    method="verify",
    path="/findings/{finding_id}/verification",
    **ON_FINDING,
)
@dataclass(frozen=True)
class VerifyRectification(Command):
    """整改验收: accepted → `closed` (销号); rejected → `rectifying`."""

    finding_id: UUID
    outcome: str
    comment: str
    new_deadline: date | None = None


@command(
    roles=INSPECTOR,
    method="extend_deadline",
    path="/findings/{finding_id}/deadline-extension",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ExtendDeadline(Command):
    """延长整改期限."""

    finding_id: UUID
    new_deadline: date
    reason: str


@command(
    roles=INSPECTOR,
    method="escalate",
    path="/findings/{finding_id}/escalation",
    **ON_FINDING,
)
@dataclass(frozen=True)
class EscalateFinding(Command):
    """提级督办."""

    finding_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    method="amend",
    path="/findings/{finding_id}/amendment",
    **ON_FINDING,
)
@dataclass(frozen=True)
class AmendFinding(Command):
    """更正: correct fields, with a reason; the history keeps what was there before."""

    finding_id: UUID
    changes: dict[str, Any]
    reason: str


@command(
    roles=INSPECTOR,
    method="withdraw",
    path="/findings/{finding_id}/withdrawal",
    **ON_FINDING,
)
@dataclass(frozen=True)
class WithdrawFinding(Command):
    """撤回 → `withdrawn` (terminal)."""

    finding_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    method="reopen",
    path="/findings/{finding_id}/reopening",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReopenFinding(Command):
    """整改回头看: reopen a closed finding → `rectifying`."""

    finding_id: UUID
    reason: str
    new_deadline: date | None = None


@command(
    roles=(Role.INSPECTOR, Role.AUTHORITY),
    method="hold_interview",
    path="/findings/{finding_id}/interview",
    **ON_FINDING,
)
@dataclass(frozen=True)
class HoldInterview(Command):
    """约谈: the responsible unit's head is called in over an open finding (task 11); who was
    talked to is named by post (`interviewee`, e.g. 局长), never by name."""

    finding_id: UUID
    held_on: date
    interviewee: str
    summary: str
