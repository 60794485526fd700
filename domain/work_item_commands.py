"""Commands on the key-work list (重点工作清单) and its execution ledger (执行台账)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult, Sending
from domain.errors import AlreadyExists, NotFound
from domain.evaluation_schemes import DEFAULT_BANDS, DEFAULT_WEIGHTS, EvaluationScheme, check_bands
from domain.registry import EvaluateWorkItem, Listing
from domain.work_items import WorkItem


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

    def do_list_work_item(self, listing: Listing, by: Sending) -> CommandResult:
        """列入清单: one task of the key-work list (a new record: no version to expect)."""
        return self.record(self.new_work_item(listing, by.actor), **by.save_kwargs)

    def list_work_items(self, listings: Sequence[Listing], *, actor: Actor) -> list[UUID]:
        """Many tasks at once (an imported list): all are saved together, or none. A task
        whose id is taken (the same list imported meanwhile) refuses them all."""
        items = [self.new_work_item(listing, actor) for listing in listings]
        if items:
            try:
                self.save(*items)
            except IntegrityError:
                raise AlreadyExists(
                    "清单中已有其中的工作（同一清单刚被导入），未导入任何工作；"
                    "请重新导入，已在清单中的将被跳过 (some of these tasks were listed "
                    "meanwhile; nothing recorded: import again to add the rest)"
                ) from None
        return [item.id for item in items]

    def check_new_scheme(self, *, year: int, bands: dict[str, int], **_: Any) -> dict[str, Any]:
        """制定考评办法: one scheme a year, its bands in order."""
        if EvaluationScheme.create_id(year) in self.repository:
            raise AlreadyExists(f"the evaluation scheme of {year} already exists; revise it")
        return {"bands": check_bands(bands)}

    def evaluation_scheme(self, year: int) -> EvaluationScheme | None:
        """The year's adopted 考评办法, if it has one."""
        try:
            return self.load(EvaluationScheme, EvaluationScheme.create_id(year))
        except NotFound:
            return None

    def get_evaluation_scheme(self, year: int) -> dict[str, Any]:
        """A year's bands, and whether a scheme was adopted for it (else the usual bands,
        which grade nothing until adopted)."""
        scheme = self.evaluation_scheme(year)
        if scheme is None:
            return {
                "year": year,
                "bands": dict(DEFAULT_BANDS),
                "adopted": False,
                "version": 0,
                "weights": dict(DEFAULT_WEIGHTS),
            }
        return {
            "year": year,
            "bands": scheme.bands,
            "adopted": True,
            "version": scheme.version,
            "weights": scheme.weights or dict(DEFAULT_WEIGHTS),
        }

    def do_evaluate_work_item(self, cmd: EvaluateWorkItem, by: Sending) -> CommandResult:
        """年末考评: the grade checked against the bands of the item's year."""

        def evaluate(item: WorkItem) -> None:
            scheme = self.evaluation_scheme(item.year)
            item.evaluate(
                score=cmd.score,
                grade=cmd.grade,
                comment=cmd.comment,
                bands=None if scheme is None else scheme.bands,
                actor=by.actor.as_event_data(),
            )

        return self.update(
            WorkItem, cmd.item_id, by.expected_version, evaluate, seen_by=by.actor, **by.save_kwargs
        )

    def get_work_item(self, item_id: UUID, **at: Any) -> WorkItem:
        """The item now, at `version`, or as it was `as_of` a time; `viewer` scopes it."""
        return self.get_record(WorkItem, item_id, **at)
