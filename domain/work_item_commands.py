"""Commands on the key-work list (重点工作清单) and its execution ledger (执行台账)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult
from domain.errors import NotFound
from domain.messages import Command, command
from domain.vocabulary import Role
from domain.work_items import WorkItem


@command(
    roles=(Role.INSPECTOR, Role.ADMIN),
    handler="do_list_work_item",
    name="list_work_item",
    path="/work-items",
    status=201,
)
@dataclass(frozen=True)
class Listing(Command):
    """列入重点工作清单: a task with its lead unit, co-units and due date."""

    # An import row gives one too (api/documents/excel.py), by position.

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

    def do_list_work_item(
        self, listing: Listing, *, actor: Actor, expected_version: int | None, **save_kwargs: Any
    ) -> CommandResult:
        """列入清单: one task of the key-work list (a new record: no version to expect)."""
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


REPORTER = (Role.INSPECTOR, Role.UNIT)
INSPECTOR = (Role.INSPECTOR,)
ON_ITEM: dict[str, Any] = {"aggregate": WorkItem, "target": "item_id"}


@command(roles=REPORTER, method="log_progress", **ON_ITEM, path="/work-items/{item_id}/progress")
@dataclass(frozen=True)
class LogProgress(Command):
    """登记进展 (its lead unit or a co-unit, or an inspector)."""

    item_id: UUID
    note: str
    percent: int


@command(roles=INSPECTOR, method="evaluate", **ON_ITEM, path="/work-items/{item_id}/evaluation")
@dataclass(frozen=True)
class EvaluateWorkItem(Command):
    """年末考评 (inspectors): score 0–100 and grade."""

    item_id: UUID
    score: int
    grade: str
    comment: str = ""


@command(roles=INSPECTOR, method="close", **ON_ITEM, path="/work-items/{item_id}/closure")
@dataclass(frozen=True)
class CloseWorkItem(Command):
    """办结 (after its evaluation)."""

    item_id: UUID
    reason: str


@command(roles=INSPECTOR, method="cancel", **ON_ITEM, path="/work-items/{item_id}/cancellation")
@dataclass(frozen=True)
class CancelWorkItem(Command):
    """取消 (while still open)."""

    item_id: UUID
    reason: str
