"""Commands on the key-work list (重点工作清单) and its execution ledger (执行台账)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult
from domain.errors import NotFound, PermissionDenied
from domain.vocabulary import Role
from domain.work_items import WorkItem


@dataclass(frozen=True)
class Listing:
    """One task for the list: what `list_work_item` takes, and what an import row gives."""

    title: str
    year: int
    lead_unit: str
    due_on: date
    co_units: tuple[str, ...] = ()
    source_ref: str | None = None
    description: str | None = None
    item_id: UUID | None = None


class WorkItemCommands(CommandBase):
    def new_work_item(self, listing: Listing, actor: Actor) -> WorkItem:
        """A checked, unsaved work item: its units exist and take new records."""
        WorkItem.check_listing(
            listing.year, listing.lead_unit, list(listing.co_units), listing.due_on
        )
        for code in (listing.lead_unit, *listing.co_units):
            self.active_unit(code)
        return WorkItem(
            id=listing.item_id or uuid4(),
            title=listing.title,
            year=listing.year,
            lead_unit=listing.lead_unit,
            co_units=list(listing.co_units),
            due_on=listing.due_on,
            source_ref=listing.source_ref,
            description=listing.description,
            actor=actor.as_event_data(),
        )

    def list_work_item(
        self, listing: Listing, *, actor: Actor, **save_kwargs: Any
    ) -> CommandResult:
        """列入清单: one task of the key-work list."""
        return self.record(self.new_work_item(listing, actor), **save_kwargs)

    def list_work_items(self, listings: Sequence[Listing], *, actor: Actor) -> list[UUID]:
        """Many tasks at once (an imported list): all are saved together, or none."""
        items = [self.new_work_item(listing, actor) for listing in listings]
        if items:
            self.save(*items)
        return [item.id for item in items]

    def get_work_item(
        self,
        item_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        viewer: Actor | None = None,
    ) -> WorkItem:
        """The item now, at a version, or as it was at a time (time travel)."""
        if as_of is not None:
            version = self.version_as_of(item_id, as_of)
        item = self.load(WorkItem, item_id, version=version)
        if viewer is not None and not any(viewer.covers_unit(u) for u in item.units()):
            raise NotFound(f"work item {item_id} not found")
        return item

    def work_item_command(
        self,
        item_id: UUID,
        expected_version: int | None,
        actor: Actor,
        change: Callable[[WorkItem], None],
        **save_kwargs: Any,
    ) -> CommandResult:
        def guarded(item: WorkItem) -> None:
            if not any(actor.covers_unit(u) for u in item.units()):
                raise NotFound(f"work item {item_id} not found")
            change(item)

        return self.update(WorkItem, item_id, expected_version, guarded, **save_kwargs)

    def log_progress(
        self,
        item_id: UUID,
        *,
        note: str,
        percent: int,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """登记进展 (the lead unit, a co-unit, or an inspector)."""
        return self.work_item_command(
            item_id,
            expected_version,
            actor,
            lambda w: w.log_progress(note=note, percent=percent, actor=actor.as_event_data()),
            **save_kwargs,
        )

    def evaluate_work_item(
        self,
        item_id: UUID,
        *,
        score: int,
        grade: str,
        comment: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """年末考评 (inspectors)."""
        if actor.role is Role.UNIT:
            raise PermissionDenied("a unit does not evaluate its own work")
        return self.work_item_command(
            item_id,
            expected_version,
            actor,
            lambda w: w.evaluate(
                score=score, grade=grade, comment=comment, actor=actor.as_event_data()
            ),
            **save_kwargs,
        )

    def close_work_item(
        self,
        item_id: UUID,
        *,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """办结."""
        return self.work_item_command(
            item_id,
            expected_version,
            actor,
            lambda w: w.close(reason=reason, actor=actor.as_event_data()),
            **save_kwargs,
        )

    def cancel_work_item(
        self,
        item_id: UUID,
        *,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """取消."""
        return self.work_item_command(
            item_id,
            expected_version,
            actor,
            lambda w: w.cancel(reason=reason, actor=actor.as_event_data()),
            **save_kwargs,
        )
