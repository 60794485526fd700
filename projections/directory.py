"""Directory: the lists of units and accounts (look-up tables for lists and the console)."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Composable

from domain.accounts import Account
from domain.units import Unit
from domain.vocabulary import AccountStatus, Labelled, UnitStatus
from projections.base import ReadModel, ReadModelView, handles, other_aggregates
from projections.paging import Page

UNIT_COLUMNS = ("code", "name", "kind", "status", "successor_code", "version")
# A unit as a list names it (an Excel import): with the names it bore before, oldest first.
NAMED_UNIT_COLUMNS = (*UNIT_COLUMNS, "former_names")
# The name a rename replaces, kept (the update's expressions read the row before it).
FORMER_NAME_KEPT: dict[str, Composable] = {"former_names": SQL("array_append(former_names, name)")}
ACCOUNT_COLUMNS = (
    "id", "name", "role", "unit_code", "status", "created_at", "expires_at", "version"
)  # fmt: skip
# The types of the columns the first events insert (both tables).
TYPES = {
    "id": "uuid",
    "code": "text",
    "name": "text",
    "kind": "text",
    "role": "text",
    "unit_code": "text",
    "status": "text",
    "created_at": "timestamptz",
    "expires_at": "timestamptz",
    "version": "int",
    "position": "bigint",
}


class DirectoryView(ReadModelView):
    projection_name = "directory"
    # 2: a merged unit's merged_on (its records the successor's from then); 3: a dissolved or
    # split unit's ended_on (it stands, with its own records, in the years up to it); 4: an
    # account's expires_at; 5: a unit's former_names (a list written before a rename names
    # the unit as it was then)
    schema_version = 5
    tables: ClassVar[dict[str, str]] = {
        "directory_units": (
            "id uuid PRIMARY KEY, code text NOT NULL UNIQUE, "
            "name text NOT NULL, kind text NOT NULL, status text NOT NULL, "
            "successor_code text, merged_on date, ended_on date, version int NOT NULL, "
            "position bigint NOT NULL, former_names text[] NOT NULL DEFAULT '{}'"
        ),
        "directory_accounts": (
            "id uuid PRIMARY KEY, name text NOT NULL, "
            "role text NOT NULL, unit_code text, status text NOT NULL, "
            "created_at timestamptz NOT NULL, expires_at timestamptz, version int NOT NULL, "
            "position bigint NOT NULL"
        ),
    }

    def units(self, limit: int, cursor: str | None) -> Page:
        return self.page("directory_units", limit, cursor, UNIT_COLUMNS)

    def named_units(self, limit: int, cursor: str | None) -> Page:
        """Every unit with the names it bore before (former_names), as a list may name it."""
        return self.page("directory_units", limit, cursor, NAMED_UNIT_COLUMNS)

    def accounts(self, limit: int, cursor: str | None) -> Page:
        return self.page("directory_accounts", limit, cursor, ACCOUNT_COLUMNS)

    def page(self, table: str, limit: int, cursor: str | None, columns: tuple[str, ...]) -> Page:
        return self.keyset_page(
            table, [], {}, "position", limit, cursor, item=lambda r: {c: r[c] for c in columns}
        )


class Directory(ReadModel[DirectoryView]):
    """Units and accounts as lists; the aggregates themselves answer single look-ups."""

    name = "directory"
    ignores = (*other_aggregates(Unit, Account), Unit.InternalUnitAdded, Unit.InternalUnitRemoved)

    @handles(Unit.Registered)
    def unit_registered(self, e: Unit.Registered, tracking: Tracking) -> None:
        self.insert(tracking, "directory_units", e, "code name kind", UnitStatus.ACTIVE)

    @handles(Unit.Renamed)
    def unit_renamed(self, e: Unit.Renamed, tracking: Tracking) -> None:
        """更名: the name it bore is kept, so a list written before still names the unit."""
        changes = {"name": e.name, "version": e.originator_version}
        self.view.update_row(
            tracking, "directory_units", e.originator_id, changes, computed=FORMER_NAME_KEPT
        )

    @handles(Unit.Merged)
    def unit_merged(self, e: Unit.Merged, tracking: Tracking) -> None:
        merged = {"status": UnitStatus.MERGED.value, "successor_code": e.into}
        self.update(tracking, "directory_units", e, **merged, merged_on=e.effective_on)

    @handles(Unit.Dissolved, Unit.Split)
    def unit_ended(self, e: Unit.Dissolved | Unit.Split, tracking: Tracking) -> None:
        """撤销 or 分设: the unit stands no more from the day it took effect."""
        ended = {"status": UnitStatus.DISSOLVED.value, "ended_on": e.effective_on}
        self.update(tracking, "directory_units", e, **ended)

    @handles(Unit.Absorbed)
    def unit_absorbed(self, e: Unit.Absorbed, tracking: Tracking) -> None:
        """The successor's row does not change (the merged unit's does, on Unit.Merged): the
        event only advances the tracking record. It has been subscribed to since the list
        began, so it stays, keeping the tracked position (and a rebuild's digest) as it was."""
        self.view.apply(tracking)

    @handles(Account.Created)
    def account_created(self, e: Account.Created, tracking: Tracking) -> None:
        self.insert(
            tracking,
            "directory_accounts",
            e,
            "name role unit_code expires_at",
            AccountStatus.ACTIVE,
            created_at=e.timestamp,
        )

    @handles(Account.Revoked)
    def account_revoked(self, e: Account.Revoked, tracking: Tracking) -> None:
        self.update(tracking, "directory_accounts", e, status=AccountStatus.REVOKED.value)

    def insert(
        self, tracking: Tracking, table: str, e: Any, copied: str, status: Labelled, **values: Any
    ) -> None:
        """The row of the aggregate's first event `e`: its attributes `copied` (space-
        separated), the `status` and other `values`, and its id, version and position."""
        row = {
            "id": e.originator_id,
            **{c: getattr(e, c) for c in copied.split()},
            "status": status.value,
            **values,
            "version": e.originator_version,
            "position": tracking.notification_id,
        }
        self.view.insert_row(tracking, table, row, TYPES)

    def update(self, tracking: Tracking, table: str, e: Any, **changes: Any) -> None:
        changes["version"] = e.originator_version
        self.view.update_row(tracking, table, e.originator_id, changes)
