"""The command side: one `Supervision` application, one event log, one global order; every
command of domain/registry.py is one of its methods (domain/commands.py says how each runs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any
from uuid import UUID

from domain import clock
from domain.accounts import Account, open_account
from domain.actors import Actor
from domain.aggregate import Aggregate
from domain.commands import (
    UNGUARDED_RETRIES,
    CommandResult,
    ConcurrentChange,
    Sending,
    install_commands,
)
from domain.commendation_commands import CommendationCommands
from domain.document_commands import DocumentCommands
from domain.errors import (
    AlreadyExists,
    DomainError,
    InvalidValue,
    NotFound,
    UnitInactive,
    UnknownReference,
)
from domain.findings import Finding, checked_origin, parse
from domain.inspection_commands import InspectionCommands
from domain.major_decision_commands import MajorDecisionCommands
from domain.power_list_commands import PowerListCommands
from domain.registry import MergeUnit, ReopenFinding, SplitUnit
from domain.ruling_commands import RulingCommands
from domain.spot_check_commands import SpotCheckCommands
from domain.units import Unit, UnitRecords
from domain.vocabulary import FindingCategory, Role, Severity, UnitStatus
from domain.work_item_commands import WorkItemCommands
from domain.work_items import WorkItem


class Supervision(
    WorkItemCommands,
    RulingCommands,
    InspectionCommands,
    MajorDecisionCommands,
    PowerListCommands,
    CommendationCommands,
    SpotCheckCommands,
    DocumentCommands,
):
    """督查问责: every finding, rectification step and ruling as an immutable event."""

    name = "Supervision"
    # Set by the service: a unit's open records, which a split transfers.
    unit_records: UnitRecords | None = None

    # -- units ----------------------------------------------------------------------------

    def check_new_unit(self, *, code: str, **_: Any) -> None:
        """登记单位: a code names one unit."""
        if Unit.create_id(code) in self.repository:
            raise AlreadyExists(f"unit {code!r} already exists")

    def do_split_unit(self, cmd: SplitUnit, by: Sending) -> CommandResult:
        """分设: the unit split, and each of its open records transferred to the successor
        the assignments (else the default) name, all in one transaction. The records are
        read again whenever the split runs again after a lost race (a merger into the unit
        meanwhile brings its own); records recorded against the unit while the split was
        being written are then transferred to the default successor right after it."""
        default = cmd.default_unit or (cmd.into[0] if cmd.into else None)
        assigned = {str(a.get("record_id")): str(a.get("unit_code")) for a in cmd.assignments}
        if default not in cmd.into or not set(assigned.values()) <= set(cmd.into):
            raise InvalidValue("records go to units the split names in `into`")
        reason = f"机构调整（分设）：{cmd.reason}"

        def split(unit: Unit) -> list[Any]:
            for code in cmd.into:
                self.active_unit(code)
            findings, items = self.open_records_of(cmd.code)
            unknown = set(assigned) - {str(i) for i in (*findings, *items)}
            if unknown:
                raise InvalidValue(
                    "an assignment names a record that is not an open record of the unit",
                    details={"record_ids": sorted(unknown)},
                )
            data = by.actor.as_event_data()
            unit.split(into=list(cmd.into), reason=cmd.reason, effective_on=cmd.effective_on,
                       actor=data)  # fmt: skip
            return self.transferred(findings, items, lambda record: assigned.get(record, default),
                                    reason, data)  # fmt: skip

        done = self.update_unit(cmd.code, by, split)
        assert default is not None
        self.sweep_split(cmd.code, default, reason, by.actor.as_event_data())
        return done

    def open_records_of(self, code: str) -> tuple[list[UUID], list[UUID]]:
        """The open findings and led work items of the unit and of the units merged into it."""
        if self.unit_records is None:
            raise InvalidValue("this service keeps no read model to find the unit's records")
        return self.unit_records.open_records(self.lineage(code))

    def transferred(
        self,
        findings: list[UUID],
        items: list[UUID],
        to_unit: Callable[[str], str],
        reason: str,
        actor: dict[str, Any],
        *,
        skip_refused: bool = False,
    ) -> list[Any]:
        """Each record moved to the unit `to_unit` names for its id (one of a merged unit's
        may already lie there): the records changed. `skip_refused`: a record its own rules
        will not move now (closed meanwhile) is left where it is, the others moved."""
        moves: list[tuple[Any, Callable[..., None]]] = []
        for finding_id in findings:
            finding = self.load(Finding, finding_id)
            if (to := to_unit(str(finding_id))) != finding.unit_code:
                moves.append((finding, partial(finding.transfer, to_unit=to)))
        for item_id in items:
            item = self.load(WorkItem, item_id)
            if (to := to_unit(str(item_id))) != item.lead_unit:
                moves.append((item, partial(item.transfer_lead, to_unit=to)))
        moved: list[Any] = []
        for record, move in moves:
            try:
                move(reason=reason, actor=actor)
            except DomainError:
                if not skip_refused:
                    raise
                continue
            moved.append(record)
        return moved

    def sweep_split(self, code: str, default: str, reason: str, actor: dict[str, Any]) -> None:
        """After a split: the records still open on the unit (recorded against it while the
        split was written, before the others saw it end) go to the default successor. The
        split is recorded already: read models that lag, or a record gone, end the sweep
        (what it leaves stays on the unit), never the split's answer."""
        assert self.unit_records is not None  # the split read its records through them
        for _ in range(UNGUARDED_RETRIES):
            found = self.unit_records.open_records_if_current(self.lineage(code))
            if found is None or not any(found):
                return
            try:
                moved = self.transferred(
                    *found, lambda _: default, reason, actor, skip_refused=True
                )
            except NotFound:
                return
            if not moved:
                return
            try:
                self.record(*moved)
            except ConcurrentChange:
                continue  # one of them changed meanwhile: read them again

    def do_merge_unit(self, cmd: MergeUnit, by: Sending) -> CommandResult:
        """机构改革: merge a unit into its successor (both change in one transaction)."""

        def merge(unit: Unit) -> list[Unit]:
            try:
                successor = self.get_unit(cmd.into)
            except NotFound:
                raise UnknownReference(f"successor unit {cmd.into!r} does not exist") from None
            unit.merge_into(
                successor=successor,
                reason=cmd.reason,
                effective_on=cmd.effective_on,
                actor=by.actor.as_event_data(),
            )
            successor.absorb(
                predecessor=unit.code, effective_on=cmd.effective_on, actor=by.actor.as_event_data()
            )
            return [successor]

        return self.update_unit(cmd.code, by, merge)

    def update_unit(
        self, code: str, by: Sending, change: Callable[[Unit], Sequence[Aggregate] | None]
    ) -> CommandResult:
        """`update` of the unit of this code; an unknown one is named by its code."""
        return self.update(Unit, Unit.create_id(code), by.expected_version, change,
                           named=f"unit {code!r}", **by.save_kwargs)  # fmt: skip

    # -- accounts -------------------------------------------------------------------------

    def create_account(
        self,
        *,
        token_hash: str,
        name: str,
        role: Role,
        unit_code: str | None,
        actor: Actor,
        **save_kwargs: Any,
    ) -> CommandResult:
        """创建账号 without an expiry (the command line, the demo): see `open_account`."""
        return open_account(
            self,
            token_hash=token_hash,
            name=name,
            role=role,
            unit_code=unit_code,
            actor=actor,
            expires_at=None,
            now=clock.now(),
            **save_kwargs,
        )

    def unit_as_of(
        self, code: str, *, version: int | None = None, as_of: datetime | None = None
    ) -> Unit:
        """A unit now, at a version, or as it was at a time (a name before a renaming); one
        not there is NotFound by its code, not by the id derived from it."""
        if as_of is not None:
            try:
                version = self.version_as_of(Unit.create_id(code), as_of)
            except NotFound:
                raise NotFound(f"unit {code!r} not found at {as_of.isoformat()}") from None
        return self.get_unit(code, version)

    def find_account(self, token_hash: str) -> Account | None:
        try:
            return self.load(Account, Account.create_id(token_hash))
        except NotFound:
            return None

    # -- findings -------------------------------------------------------------------------

    def check_new_finding(
        self,
        *,
        unit_code: str,
        category: str,
        severity: str,
        source: str,
        work_item_id: UUID | None,
        found_on: date,
        origin: Any = None,
        **_: Any,
    ) -> dict[str, Any]:
        """发现问题: a finding is raised against an active unit, in the vocabulary's terms,
        on a work item that exists, naming where it came from as its source requires (立项);
        answers the origin as the event keeps it."""
        parse(FindingCategory, category, "category")
        parse(Severity, severity, "severity")
        clock.check_done_by_today(found_on, "found_on")
        origin = checked_origin(source, origin, found_on)
        self.active_unit(unit_code)
        if work_item_id is not None:
            self.check_work_item(work_item_id)
        return {"origin": origin}

    def working_days(self, **_: Any) -> dict[str, Any]:
        """What a command that judges a deadline gets: the day a deadline runs to (itself
        where no calendar is set or known)."""
        return {"runs_to": lambda deadline: self.deadline_runs_to(deadline) or deadline}

    def check_reassignment(self, *, to_unit: str, **_: Any) -> None:
        """转办: the unit the finding goes to takes new records."""
        self.active_unit(to_unit)

    def check_work_item(self, work_item_id: UUID) -> None:
        try:
            self.load(WorkItem, work_item_id)
        except NotFound:
            raise UnknownReference(f"work item {work_item_id} does not exist") from None

    def do_reopen_finding(self, cmd: ReopenFinding, by: Sending) -> CommandResult:
        """整改回头看 on the unit that has the finding: one merged since answers through its
        successor, as for every record; one split or dissolved takes no records (409
        unit_inactive): the problem found again is a new finding of the unit now in charge."""

        def reopen(finding: Finding) -> None:
            unit = self.read_unit(finding.unit_code)
            if unit.status is UnitStatus.DISSOLVED:
                ended = "split" if unit.split_into else "dissolved"
                raise UnitInactive(
                    f"unit {unit.code!r} was {ended}: raise the problem found again as a new "
                    "finding of the unit now in charge",
                    details={"status": unit.status.value, "split_into": list(unit.split_into)},
                )
            finding.reopen(
                reason=cmd.reason, new_deadline=cmd.new_deadline, actor=by.actor.as_event_data()
            )

        return self.update(
            Finding, cmd.finding_id, by.expected_version, reopen, seen_by=by.actor,
            **by.save_kwargs,
        )  # fmt: skip

    def get_finding(self, finding_id: UUID, **at: Any) -> Finding:
        """The finding now, at `version`, or as it was `as_of` a time; `viewer` scopes it."""
        return self.get_record(Finding, finding_id, **at)


install_commands(Supervision)
