"""Commands on the power and responsibility lists (权力清单、责任清单): a unit's list is compiled
with its first item; a unit's liaison keeps its own unit's, inspectors and administrators any."""

from __future__ import annotations

from typing import Any

from domain.commands import CommandBase, CommandResult, ConcurrentChange, Sending
from domain.errors import InvalidValue, NotFound, VersionConflict
from domain.findings import Finding
from domain.power_lists import PowerList
from domain.registry import AddPowerItem, AmendPowerItem, CitePowerItem


class PowerListCommands(CommandBase):
    def do_add_power_item(self, cmd: AddPowerItem, by: Sending) -> CommandResult:
        """列入权力事项: into the unit's list, compiled now if the unit has none yet (an active
        unit: a merged or dissolved one keeps the list it had)."""
        if not by.actor.covers_unit(cmd.unit_code):
            raise NotFound(f"unit {cmd.unit_code!r} not found")
        fields = cmd.fields(without=("unit_code",))

        def add(power_list: PowerList) -> None:
            self.read_unit(power_list.unit_code).check_internal_unit(fields["internal_unit"])
            power_list.add_item(**fields, actor=by.actor.as_event_data())

        list_id = PowerList.create_id(cmd.unit_code)
        if list_id not in self.repository:
            if by.expected_version:  # If-Match on a list not compiled yet
                raise VersionConflict(by.expected_version, 0)
            self.active_unit(cmd.unit_code)
            compiled = PowerList(unit_code=cmd.unit_code, actor=by.actor.as_event_data())
            add(compiled)
            try:
                return self.record(compiled, **by.save_kwargs)
            except ConcurrentChange:  # compiled meanwhile by another: add to theirs
                pass
        return self.update(PowerList, list_id, by.expected_version, add, **by.save_kwargs)

    def do_amend_power_item(self, cmd: AmendPowerItem, by: Sending) -> CommandResult:
        """调整权力事项: the fields given that change; an internal unit it changes to is one
        the unit has (checked as on an item added), once the item is found in force."""
        fields = cmd.fields(without=("unit_code", "number", "reason"))

        def amend(power_list: PowerList) -> None:
            found = power_list.item(cmd.number, "amend")
            if cmd.internal_unit not in (None, found["internal_unit"]):
                self.read_unit(power_list.unit_code).check_internal_unit(cmd.internal_unit)
            power_list.amend_item(
                number=cmd.number, reason=cmd.reason, **fields, actor=by.actor.as_event_data()
            )

        return self.update(PowerList, PowerList.create_id(cmd.unit_code), by.expected_version,
                           amend, seen_by=by.actor, named=f"power list {cmd.unit_code!r}",
                           **by.save_kwargs)  # fmt: skip

    def do_cite_power_item(self, cmd: CitePowerItem, by: Sending) -> CommandResult:
        """引用权力事项: a power in force on the list of the finding's unit, its name as listed
        now recorded with the citation."""

        def cite(finding: Finding) -> None:
            try:
                powers = self.load(PowerList, PowerList.create_id(finding.unit_code))
            except NotFound:
                raise InvalidValue(f"unit {finding.unit_code!r} has no power list") from None
            item = powers.in_force(cmd.number)
            if item is None:
                raise InvalidValue(f"the list has no item number {cmd.number} in force")
            finding.cite_power_item(
                unit_code=finding.unit_code,
                number=cmd.number,
                name=item["name"],
                actor=by.actor.as_event_data(),
            )

        return self.update(Finding, cmd.finding_id, by.expected_version, cite, **by.save_kwargs)

    def get_power_list(self, unit_code: str, **at: Any) -> PowerList:
        """The unit's list now, at `version`, or as it was `as_of` a time (public: 政务公开)."""
        return self.get_record(PowerList, PowerList.create_id(unit_code), **at)
