"""What every read model shares: rows and tracking in one transaction, waiting for a position."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from dataclasses import InitVar, dataclass, field
from functools import cache, cached_property
from itertools import groupby
from operator import itemgetter
from typing import Any, ClassVar, Generic, TypeVar, get_args
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic, retry
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal, Placeholder
from psycopg.types.json import Jsonb

from domain.aggregate import Aggregate
from domain.aggregates import AGGREGATES
from infra.migrations import EVENTS_TABLE
from projections.paging import QUERY_GRAMS, Page, decode_cursor, encode_cursor

log = logging.getLogger(__name__)

APPLICATION_NAME = "Supervision"
# The schema version every read model built before versions were recorded counts as.
UNVERSIONED = 1


def lock_key(name: str) -> int:
    """The second key of a projection's advisory locks (its runner's, its rebuild's)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def topics_of(*events: type) -> tuple[str, ...]:
    """The stored topics of these event classes (what a runner subscribes to)."""
    return tuple(get_topic(e) for e in events)


H = TypeVar("H", bound=Callable[..., None])
# The attribute `handles` puts on a method: the event classes it handles.
HANDLED = "_handles_events"


def handles(*events: type) -> Callable[[H], H]:
    """Declare a read model's method the handler of `events` (each called as
    `method(event, tracking)`). What a read model subscribes to is the events its handlers
    declare, so no list of topics can drift from the code that uses them."""
    if not events:
        raise TypeError("@handles names at least one event class")

    def mark(method: H) -> H:
        setattr(method, HANDLED, events)
        return method

    return mark


Params = dict[str, Any]
# A column type as a table declares it -> the name psycopg knows it by (for COPY).
COPY_TYPES = {"int": "int4"}
# The guard every write of a read model carries: the notification advanced the tracking.
ADVANCED = SQL("EXISTS (SELECT FROM advanced)")


def stamped(e: Any, changes: Params) -> Params:
    """`changes` to an aggregate's row with the version and time of its event `e` (every
    row kept per aggregate carries both)."""
    return dict(changes, version=e.originator_version, updated_at=e.timestamp)


@cache
def column_types(definition: str) -> dict[str, str]:
    """Each column's type in a table's column definitions (as CREATE TABLE takes them, none
    with a comma inside), in the table's order; the table constraints after them (`PRIMARY
    KEY (a, b)`) are left out."""
    types = {}
    for part in definition.split(", "):
        name, kind, *_ = [*part.split(), ""]
        if name in ("PRIMARY", "UNIQUE", "CHECK"):
            break
        types[name] = kind
    return types


@dataclass(frozen=True)
class AggregateTable:
    """A read-model table with one row per aggregate: its id (`id`), its own `columns`, and
    the aggregate's version, the log position and time of its first event (the columns
    `first_position` and `first_at`) and the time of its latest (`updated_at`).

    `columns` are the table's own column definitions as CREATE TABLE takes them, each
    `name type …` and none with a comma inside; `indexes` are define_indexes' (name:
    how); `copied` names (space-separated) the columns the first event fills from its
    attributes of the same names. `first`, the first event's verb, names the two columns
    after it (`first="listed"`: listed_position and listed_at); a table that names them
    otherwise gives both."""

    name: str
    columns: str
    indexes: dict[str, str]
    copied: str
    first: InitVar[str] = ""
    first_position: str = ""
    first_at: str = ""

    def __post_init__(self, first: str) -> None:
        if first:
            object.__setattr__(self, "first_position", f"{first}_position")
            object.__setattr__(self, "first_at", f"{first}_at")
        if not (self.first_position and self.first_at):
            raise ValueError(f"{self.name}: name the first event (`first`) or both columns")

    @property
    def definition(self) -> str:
        """Every column's definition, in the table's order."""
        return (
            f"id uuid PRIMARY KEY, {self.columns}, version int NOT NULL, "
            f"{self.first_position} bigint NOT NULL, {self.first_at} timestamptz NOT NULL, "
            "updated_at timestamptz NOT NULL"
        )

    @cached_property
    def types(self) -> dict[str, str]:
        """Each column's type, as insert_row casts the values to them."""
        return column_types(self.definition)

    @cached_property
    def defaults(self) -> dict[str, Any]:
        """Each column's value where an insert gives none: its DEFAULT (a whole number, a
        boolean, or an empty array or JSON array: the only kinds the tables declare), else
        NULL (None). An empty array is one list shared by every row that takes it: a fill
        replaces it (RowsFill.update), never appends to it in place."""
        found: dict[str, Any] = {}
        for definition in self.definition.split(", "):
            name, kind, *rest = definition.split()
            literal = rest[rest.index("DEFAULT") + 1] if "DEFAULT" in rest else None
            if literal is None:
                found[name] = None
            elif literal in ("true", "false"):
                found[name] = literal == "true"
            elif literal.isdigit():
                found[name] = int(literal)
            elif (literal, kind) == ("'[]'", "jsonb") or (literal == "'{}'" and kind[-2:] == "[]"):
                found[name] = []
            else:
                raise ValueError(f"{self.name}.{name}: a DEFAULT of {literal!r} is not read here")
        return found

    def copy(self, e: Any, names: str) -> Params:
        """The event's attributes `names` (space-separated) as values of the columns of
        the same names (an array as a list, JSON as Jsonb)."""
        types = self.types
        return {c: column_value(types[c], getattr(e, c)) for c in names.split()}

    def first_row(self, e: Any, tracking: Tracking, **values: Any) -> Params:
        """The row the aggregate's first event `e` inserts: the `copied` attributes, the
        other `values` given, and the bookkeeping."""
        return {
            "id": e.originator_id,
            **self.copy(e, self.copied),
            **values,
            "version": e.originator_version,
            self.first_position: tracking.notification_id,
            self.first_at: e.timestamp,
            "updated_at": e.timestamp,
        }


def column_value(column_type: str, value: Any) -> Any:
    """An event's attribute as a value for a column of `column_type` (events hold arrays
    as tuples and JSON as plain data)."""
    if column_type.endswith("[]"):
        return list(value)
    if column_type == "jsonb":
        return Jsonb(value)
    return value


@dataclass
class RowsFill:
    """The rows of one table that a batch of a fill keeps in Python (fill_batch), by key:
    those its aggregates had before it (`stored`) and those it inserts, as its statements
    would leave them, and which of them it changed (to be written anew: write_rows)."""

    rows: dict[Any, dict[str, Any]]
    stored: set[Any]
    changed: set[Any] = field(default_factory=set)

    @classmethod
    def of(cls, stored: Iterable[Any], key: Callable[[Any], Any] = itemgetter("id")) -> RowsFill:
        """The rows read before the batch (dict rows), by `key`."""
        rows = {key(row): dict(row) for row in stored}
        return cls(rows, set(rows))

    def insert(self, key: Any, row: Params, defaults: Params) -> bool:
        """An INSERT … ON CONFLICT DO NOTHING of `row` (the columns it gives none take
        `defaults`): whether it was inserted."""
        if key in self.rows:
            return False
        self.rows[key] = {**defaults, **row}
        self.changed.add(key)
        return True

    def update(
        self,
        key: Any,
        changes: Mapping[str, Any],
        increments: tuple[str, ...] = (),
        appends: Params | None = None,
    ) -> dict[str, Any] | None:
        """update_statement's UPDATE of the row `key`, in Python: each of `changes` set, one
        added to each of `increments`, each of `appends` appended to its array (a new list:
        the one before may be shared); the row before, or None where there is no row (as an
        UPDATE of no row, which changes nothing)."""
        row = self.rows.get(key)
        if row is None:
            return None
        before = dict(row)
        row.update(changes)
        for column in increments:
            row[column] = None if before[column] is None else before[column] + 1
        for column, value in (appends or {}).items():
            row[column] = [*(before[column] or ()), value]
        self.changed.add(key)
        return before


class ProjectionLagging(Exception):
    """The read model has not reached the requested position in time."""

    def __init__(self, name: str, wanted: int, reached: int | None) -> None:
        super().__init__(f"projection {name!r} has reached {reached}, not {wanted}")
        self.name, self.wanted, self.reached = name, wanted, reached


class TrackingMoved(RuntimeError):
    """A batch found its read model's tracking record moved by another writer."""


@dataclass
class SentBatch:
    """A batch sent to the server (ReadModelView.send_batch), its tracking advance pending."""

    projection: str
    advance: Cursor[Any]  # the cursor of the compare-and-set advance
    tracked: int
    position: int
    events: int
    confirmed: bool = False

    def confirm(self) -> None:
        """Wait for the batch's statements; TrackingMoved unless the advance took place.
        Once confirmed, a batch stays so."""
        if self.confirmed:
            return
        row = self.advance.fetchone()
        self.advance.close()
        self.confirmed = row is not None
        if row is None:
            raise TrackingMoved(
                f"read model {self.projection!r} was no longer at {self.tracked}: "
                "another writer applied events meanwhile"
            )


class ReadModelView(PostgresTrackingRecorder):
    """A PostgreSQL read model whose rows and tracking record commit together (exactly once)."""

    projection_name: ClassVar[str] = ""
    # The topics of the events this read model uses; its runner receives only those, and
    # `position()` counts every other event as processed. Not written here: the read model
    # (a `ReadModel` over this view) sets them from the events its handlers declare.
    topics: ClassVar[tuple[str, ...]] = ()
    # The version of this read model's tables and of what its handlers write into them:
    # raise it with any change that needs the rows rebuilt from the log. A runner starting
    # compares it with the version recorded beside the tables, and rebuilds on a difference.
    schema_version: ClassVar[int] = 1
    # This read model's own tables: name -> column definitions (see table_statements).
    tables: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = "",
        events_schema: str = "",
        **kw: Any,
    ):
        """`events_schema` is where the log lives when it is not the view's own schema (a
        rebuild fills a scratch schema beside the live one)."""
        super().__init__(
            datastore,
            tracking_table_name=tracking_table_name or f"{self.projection_name}_tracking",
            **kw,
        )
        self.sql_create_statements += self.table_statements()
        self.version_table_name = f"{self.projection_name}_schema_version"
        self.sql_create_statements += self.version_statements()
        tracking_table = Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
        advance = (
            "INSERT INTO {0}.{1} AS t (application_name, notification_id) "
            "VALUES (%(_application)s, %(_position)s) ON CONFLICT (application_name) "
            "DO UPDATE SET notification_id = EXCLUDED.notification_id "
            "WHERE {2} RETURNING t.notification_id"
        )
        # Per event: only forward. Per batch: only from where the batch began.
        self.advance_tracking = SQL(advance).format(
            *tracking_table, SQL("t.notification_id < EXCLUDED.notification_id")
        )
        self.advance_tracking_from = SQL(advance).format(
            *tracking_table, SQL("t.notification_id = %(_floor)s")
        )
        self._statements: dict[Hashable, str] = {}
        self._batch_statements: dict[Hashable, str] = {}
        self._bound: Connection[DictRow] | None = None
        # While a batch is applied set-wise (apply_batch): its statements, in order.
        self._collected: list[tuple[str, Params]] | None = None
        self._scanned: tuple[int, int] = (-1, 0)
        # While a rebuild fills this view's scratch copy from zero (see finish_filling).
        self.filling = False
        # A batch takes its tracking table first (before the rows it writes), in the order
        # a rebuild's switch takes them, so the two never wait on each other.
        self.lock_tracking = SQL("LOCK TABLE {}.{} IN ROW EXCLUSIVE MODE").format(*tracking_table)
        # The search for the next relevant event starts past what an earlier answer found
        # free of them (`_scanned`), while the tracked position is still the one it had.
        self.select_position = SQL(
            "SELECT t.notification_id AS tracked, (SELECT min(e.notification_id) FROM {0}.{1} e "
            "WHERE e.notification_id > CASE WHEN coalesce(t.notification_id, 0) = %(tracked)s "
            "THEN %(scanned)s ELSE coalesce(t.notification_id, 0) END "
            "AND e.topic = ANY(%(topics)s)) AS next_relevant, "
            "(SELECT max(notification_id) FROM {0}.{1}) AS head "
            "FROM (SELECT max(notification_id) AS notification_id FROM {0}.{2} "
            "WHERE application_name = %(application)s) t"
        ).format(
            Identifier(events_schema or self.datastore.schema),
            Identifier(EVENTS_TABLE),
            Identifier(self.tracking_table_name),
        )

    @property
    def connection(self) -> Connection[DictRow] | None:
        """The connection the view is bound to, if any (see bound_to)."""
        return self._bound

    @contextmanager
    def bound_to(self, conn: Connection[DictRow]) -> Iterator[None]:
        """Run this view's statements on `conn` (inside its transaction) for a while: the
        rebuild's final catch-up happens in the transaction that switches the tables."""
        before, self._bound = self._bound, conn
        try:
            yield
        finally:
            self._bound = before

    def table_statements(self) -> list[Composed]:
        """CREATE statements of this read model's own tables (IF NOT EXISTS): those of
        `tables`, and whatever a read model adds to them."""
        return [self.define_table(name, columns) for name, columns in self.tables.items()]

    def version_statements(self) -> list[Composed]:
        """The table of the version these tables were built with (one row), created with
        them: so a rebuild, whose scratch tables replace every live one, brings the version
        it was built with along in the same switch. A new table records this code's version
        when nothing has been applied yet (this code builds the rows), else UNVERSIONED
        (tables of a deployment from before versions were recorded)."""
        version = self.table(self.version_table_name)
        return [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (only_row boolean PRIMARY KEY DEFAULT true "
                "CHECK (only_row), schema_version int NOT NULL)"
            ).format(version),
            SQL(
                "INSERT INTO {version} (schema_version) SELECT CASE WHEN EXISTS "
                "(SELECT FROM {tracking} WHERE application_name = {application}) "
                "THEN {unversioned} ELSE {current} END WHERE NOT EXISTS (SELECT FROM {version})"
            ).format(
                version=version,
                tracking=self.table(self.tracking_table_name),
                application=Literal(APPLICATION_NAME),
                unversioned=Literal(UNVERSIONED),
                current=Literal(self.schema_version),
            ),
        ]

    def recorded_schema_version(self) -> int | None:
        """The version the tables were built with; None when there is no version table (a
        deployment whose migrate step predates it: its tables count as UNVERSIONED)."""
        (found,) = self.fetch_all(
            SQL("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL AS present"),
            (self.datastore.schema, self.version_table_name),
        )
        if not found["present"]:
            return None
        rows = self.fetch_all(
            SQL("SELECT schema_version FROM {}").format(self.table(self.version_table_name))
        )
        return int(rows[0]["schema_version"]) if rows else None

    def finish_filling(self, conn: Connection[Any]) -> None:
        """End a fill from zero (a rebuild's scratch copy, `filling` set while it is fed):
        work out once, on `conn`, what the read model left out of each event's statements
        while filling because its rows give it (counts a scorecard reads, say). From here
        on the events are applied as a runner applies them. Nothing here; a read model
        that leaves something out says what."""
        self.filling = False

    def table(self, name: str) -> Composed:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(name))

    def define_table(self, name: str, columns: str) -> Composed:
        """`CREATE TABLE IF NOT EXISTS name (columns)`."""
        return SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(self.table(name), SQL(columns))

    def define(self, table: AggregateTable) -> list[Composed]:
        """The CREATE statements of a per-aggregate table and its indexes."""
        return [
            self.define_table(table.name, table.definition),
            *self.define_indexes(table.name, **table.indexes),
        ]

    def define_indexes(self, table: str, **indexes: str) -> list[Composed]:
        """`CREATE INDEX IF NOT EXISTS <table>_<name>_idx ON table <how>` for each
        `name=how` (how: the columns in parentheses, or `USING gin (…)`)."""
        return [
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} {}").format(
                SQL(f"{table}_{name}_idx"), self.table(table), SQL(how)
            )
            for name, how in indexes.items()
        ]

    def search_column(self, table: str, grams: Composable) -> list[Composed]:
        """The indexed `grams` column a searched table keeps (see paging.text_search),
        the table's last: added to the table (new, or made before search had it), filled
        with `grams` (the bigrams of the searched text) where empty, and indexed."""
        t = self.table(table)
        return [
            SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS grams text[] NOT NULL DEFAULT '{{}}'"
            ).format(t),
            SQL("UPDATE {} SET grams = {} WHERE grams = '{{}}'").format(t, grams),
            *self.define_indexes(table, grams="USING gin (grams)"),
        ]

    def apply(
        self,
        tracking: Tracking,
        write: Callable[[], Composed] | None = None,
        params: Params | None = None,
        key: Hashable = None,
    ) -> None:
        """Advance the tracking record and write the rows in ONE statement (so one
        transaction and one round trip): the write is a data-modifying statement guarded by
        `EXISTS (SELECT FROM advanced)`, where `advanced` is the tracking upsert that only
        succeeds for a notification past the recorded position. A second delivery of a
        notification therefore changes nothing, and a crash leaves both or neither."""
        values = dict(
            params or {}, _application=tracking.application_name, _position=tracking.notification_id
        )
        if self._collected is not None:  # inside apply_batch: the batch tracks once
            if write is not None:
                self._collected.append((self.batch_statement(key, write), values))
            return
        self.execute(self.statement(key, write), values)

    def statement(self, key: Hashable, write: Callable[[], Composed] | None) -> str:
        """The whole statement for `write`, composed once per `key` and kept as text:
        composing SQL objects for every event costs more than executing the statement."""
        try:
            return self._statements[key]
        except KeyError:
            composed = (
                self.advance_tracking
                if write is None
                else SQL("WITH advanced AS ({}) {}").format(self.advance_tracking, write())
            )
            text = composed.as_string(None)
            self._statements[key] = text
            return text

    @contextmanager
    def batch_transaction(self, *, pipelined: bool = True) -> Iterator[Connection[Any]]:
        """A pooled connection in a transaction of its own, pipelined unless told otherwise,
        for batches of events (send_batch). Its commit need not wait for the WAL flush: a
        read model is rebuilt from the log, and a crash that loses the last commits only has
        those events processed again."""
        with self.datastore.get_connection() as conn, conn.transaction():
            conn.execute("SET LOCAL synchronous_commit = off")
            if not pipelined:
                yield conn
                return
            with conn.pipeline():
                yield conn

    def batch_statement(self, key: Hashable, write: Callable[[], Composed]) -> str:
        """`write` as apply_batch runs it: the guard holds for the whole batch, whose
        tracking is advanced once at its end (`advanced` is one row, so the write's
        `EXISTS (SELECT FROM advanced)` is true)."""
        try:
            return self._batch_statements[key]
        except KeyError:
            text = SQL("WITH advanced AS (SELECT) {}").format(write()).as_string(None)
            self._batch_statements[key] = text
            return text

    def tracked_on(self, conn: Connection[Any]) -> int:
        """The tracked position as `conn` sees it (0 before the first event)."""
        with conn.cursor(row_factory=tuple_row) as cursor:
            row = cursor.execute(self.max_tracking_id_statement, (APPLICATION_NAME,)).fetchone()
        return int(row[0] or 0) if row else 0

    def apply_batch(
        self,
        conn: Connection[Any],
        projection: Projection[Any],
        events: Sequence[tuple[Any, int]],
        *,
        tracked: int | None = None,
    ) -> int:
        """Apply `events` (in log order) set-wise, in the caller's transaction on `conn`
        (and in its pipeline, if it opened one); see send_batch. `tracked` is the position
        the caller knows the view to be at; by default it is read. Answers how many events
        were applied; TrackingMoved if another writer moved the tracking meanwhile (the
        caller's transaction must then roll back)."""
        if tracked is None:
            tracked = self.tracked_on(conn)
        sent = self.send_batch(conn, projection, events, tracked)
        if sent is None:
            return 0
        sent.confirm()
        return sent.events

    def send_batch(
        self,
        conn: Connection[Any],
        projection: Projection[Any],
        events: Sequence[tuple[Any, int]],
        tracked: int,
    ) -> SentBatch | None:
        """Send the events after `tracked` set-wise, without waiting for the server: the
        handlers' statements are collected, each run of the same statement goes out as one
        executemany, and the tracking record is advanced once, to the last position, in the
        same transaction, so rows and tracking commit together as with apply. The advance
        is a compare-and-set from `tracked`: the answer's `confirm()` raises TrackingMoved
        when the record no longer holds it (a second writer, as after a runner's lock was
        lost with its connection), and the batch must roll back. So a second delivery
        changes nothing, as under the per-event guard. None when no event is past
        `tracked`."""
        pending = self.pending(events, tracked)
        if not pending:
            return None
        collected: list[tuple[str, Params]] = []
        with self.bound_to(conn):
            self._collected = collected
            try:
                for event, position in pending:
                    projection.process_event(event, Tracking(APPLICATION_NAME, position))
            finally:
                self._collected = None
        with conn.cursor() as cursor:
            cursor.execute(self.lock_tracking)
            for text, run in groupby(collected, key=itemgetter(0)):
                rows = [params for _, params in run]
                if len(rows) == 1:
                    cursor.execute(text, rows[0])
                else:
                    cursor.executemany(text, rows)
        return self.advance_batch(conn, pending, tracked, statements=len(collected))

    @staticmethod
    def pending(events: Sequence[tuple[Any, int]], tracked: int) -> list[tuple[Any, int]]:
        """The events of a batch that the view does not hold yet (past `tracked`)."""
        return [(event, position) for event, position in events if position > tracked]

    def advance_batch(
        self, conn: Connection[Any], pending: list[tuple[Any, int]], tracked: int, **sent: int
    ) -> SentBatch:
        """Send the tracking's compare-and-set advance from `tracked` to the batch's last
        position, after the batch's rows (see send_batch); `sent` says, for the log, what
        went with it."""
        advance = conn.cursor(row_factory=tuple_row)
        last = pending[-1][1]
        advance.execute(
            self.advance_tracking_from,
            {"_application": APPLICATION_NAME, "_position": last, "_floor": tracked},
        )
        log.debug(
            "batch sent",
            extra={
                "projection": self.projection_name,
                "events": len(pending),
                "position": last,
                **sent,
            },
        )
        return SentBatch(self.projection_name, advance, tracked, last, len(pending))

    # Whether this view fills by COPY (fill_batch): it then keeps a batch of a fill in
    # Python, in the state its start_fill makes, and writes it with its write_fill.
    copies_fill: ClassVar[bool] = False
    # That state, while the handlers run over a batch of a fill.
    _fill: Any = None

    # A batch this long or longer (a runner catching up after downtime, a rebuild's top-up)
    # is written by COPY as well, by a view that fills by COPY: past a few dozen events,
    # one COPY a table costs less than a statement an event.
    copies_from: ClassVar[int] = 100

    @property
    def fills_by_copy(self) -> bool:
        """Whether this view is being filled from zero (`filling`) and writes each batch of
        the fill by COPY (fill_batch) instead of statements: it then takes its batches
        outside a pipeline, where COPY can run."""
        return self.filling and self.copies_fill

    def copies(self, events: Sized) -> bool:
        """Whether this view writes a batch of `events` by COPY (fill_batch), outside any
        pipeline, rather than by statements: each batch of a fill from zero, and a long
        batch of a view kept live (see copies_from), when the view fills by COPY."""
        return self.fills_by_copy or (self.copies_fill and len(events) >= self.copies_from)

    def fill_batch(
        self,
        conn: Connection[Any],
        projection: Projection[Any],
        events: Sequence[tuple[Any, int]],
        tracked: int,
    ) -> SentBatch | None:
        """send_batch for a view that fills by COPY, on `conn` outside any pipeline: the
        tracking table is taken first, the rows the batch's aggregates had are read once
        (start_fill), the handlers keep what their statements would have made in Python (a
        handler that sends a statement all the same fails the batch: it would be lost), the
        tracking is advanced and confirmed before any row is written (TrackingMoved, and
        nothing written, when another writer moved it), and the rows are written
        (write_fill). An event given that no handler declares only advances the tracking,
        as in send_batch."""
        if not self.copies_fill:
            raise NotImplementedError(f"{self.projection_name} does not fill by COPY")
        pending = self.pending(events, tracked)
        if not pending:
            return None
        conn.execute(self.lock_tracking)
        fill = self.start_fill(conn, list({event.originator_id for event, _ in pending}))
        stray: list[tuple[str, Params]] = []
        self._fill, self._collected = fill, stray
        try:
            for event, position in pending:
                projection.process_event(event, Tracking(APPLICATION_NAME, position))
        finally:
            self._fill = self._collected = None
        if stray:
            raise RuntimeError(
                f"{self.projection_name} sent {len(stray)} statements while filling by COPY"
            )
        sent = self.advance_batch(conn, pending, tracked)
        sent.confirm()
        written = self.write_fill(conn, fill)
        log.debug("batch filled", extra={"projection": self.projection_name, **written})
        return sent

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> Any:
        """The state a batch of a fill starts from: what the view holds of the aggregates
        `ids` (those of the batch's events), read once on `conn`."""
        raise NotImplementedError

    def write_fill(self, conn: Connection[Any], fill: Any) -> dict[str, int]:
        """Write what a batch of a fill kept (start_fill's state, as the handlers left it);
        how many rows of each kind, for the log."""
        raise NotImplementedError

    def write_rows(
        self, conn: Connection[Any], table: str, columns: dict[str, str], fill: RowsFill
    ) -> int:
        """Write anew the rows of `table` (keyed by `id`) that a batch of a fill changed:
        deleted first where they were stored, then copied with the new ones; how many."""
        self.delete_rows(conn, table, fill.changed & fill.stored)
        rows = [tuple(fill.rows[key][c] for c in columns) for key in fill.changed]
        self.copy_rows(conn, table, columns, rows)
        return len(rows)

    def declared(self, table: str) -> dict[str, str]:
        """The columns of one of this view's own `tables`, with their types."""
        return column_types(self.tables[table])

    def row_of(self, table: str, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """A row of one of this view's own `tables` as copy_rows takes it: `values` in the
        order of its columns (each column given)."""
        return tuple(values[column] for column in self.declared(table))

    def rows_of(
        self,
        conn: Connection[Any],
        table: str,
        columns: dict[str, str],
        ids: list[UUID] | None,
        key: str = "id",
    ) -> list[Any]:
        """The `columns` of `table`'s rows whose `key` is one of `ids` (every row for None),
        read on `conn` (what a fill's batch starts from, see start_fill)."""
        statement = SQL("SELECT {} FROM {}").format(
            SQL(", ").join(map(Identifier, columns)), self.table(table)
        )
        if ids is None:
            return conn.execute(statement).fetchall()
        where = SQL("{} WHERE {} = ANY(%s::uuid[])").format(statement, Identifier(key))
        return conn.execute(where, (ids,)).fetchall()

    def delete_rows(
        self, conn: Connection[Any], table: str, ids: Iterable[UUID], key: str = "id"
    ) -> None:
        """Delete `table`'s rows whose `key` is one of `ids` (rows a fill's batch writes
        anew, see write_fill); nothing for none."""
        if chosen := list(ids):
            statement = SQL("DELETE FROM {} WHERE {} = ANY(%s::uuid[])")
            conn.execute(statement.format(self.table(table), Identifier(key)), (chosen,))

    def copy_rows(
        self, conn: Connection[Any], table: str, columns: dict[str, str], rows: list[Any]
    ) -> None:
        """COPY `rows` (tuples of `columns`' values, in order: name -> type, as the table
        declares it) into `table`, in binary (a fill's batch, see fill_batch)."""
        if not rows:
            return
        statement = SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            self.table(table), SQL(", ").join(map(Identifier, columns))
        )
        with conn.cursor().copy(statement) as copy:
            copy.set_types([COPY_TYPES.get(t, t) for t in columns.values()])
            for row in rows:
                copy.write_row(row)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def execute(self, statement: str, values: Params) -> None:
        if self._bound is not None:
            self._bound.execute(statement, values)
            return
        with self.datastore.get_connection() as conn:
            conn.execute(statement, values, prepare=True)

    def write(self, tracking: Tracking, sql: str, params: Params, **tables: str) -> None:
        """Apply `sql` (guarded, see apply): it names each of `tables` by its keyword in
        braces (`{history}` for `history="unit_history"`) and carries the guard as
        `{advanced}`."""

        def build() -> Composed:
            names = {keyword: self.table(name) for keyword, name in tables.items()}
            return SQL(sql).format(advanced=ADVANCED, **names)

        self.apply(tracking, build, params, key=(sql, *tables.items()))

    def insert_row(
        self,
        tracking: Tracking,
        table: str,
        row: Params,
        types: dict[str, str],
        conflict: str = "DO NOTHING",
        computed: dict[str, Composable] | None = None,
    ) -> None:
        """INSERT one row (guarded); INSERT … SELECT needs each value cast to its type.
        `computed` columns get SQL expressions (over the row's placeholders)."""
        computed = computed or {}

        def build() -> Composed:
            return self.insert_statement(table, row, types, conflict, computed)

        self.apply(tracking, build, row, key=("insert", table, *row, "+", *computed))

    def update_row(
        self,
        tracking: Tracking,
        table: str,
        row_id: Any,
        changes: Params,
        increments: tuple[str, ...] = (),
        appends: Params | None = None,
        computed: dict[str, Composable] | None = None,
    ) -> None:
        """UPDATE the row `id = row_id` (guarded): set `changes`, add one to each of
        `increments`, append each of `appends` to its array column, set each `computed`
        column to its SQL expression (column names in it read the row before the update)."""
        appends = appends or {}
        computed = computed or {}

        def build() -> Composed:
            return self.update_statement(table, changes, increments, appends, computed)

        key = ("update", table, increments, *changes, "+", *appends, "=", *computed)
        self.apply(tracking, build, {**changes, **appends, "_id": row_id}, key=key)

    def insert_statement(
        self,
        table: str,
        row: Params,
        types: dict[str, str],
        conflict: str,
        computed: dict[str, Composable],
    ) -> Composed:
        """`INSERT … SELECT` of one row, guarded by the tracking advance (see insert_row)."""
        columns = SQL(", ").join(Identifier(c) for c in (*row, *computed))
        values = SQL(", ").join(
            [SQL("{}::{}").format(Placeholder(c), SQL(types[c])) for c in row]
            + list(computed.values())
        )
        return SQL("INSERT INTO {} ({}) SELECT {} WHERE {} ON CONFLICT {}").format(
            self.table(table), columns, values, ADVANCED, SQL(conflict)
        )

    def update_statement(
        self,
        table: str,
        changes: Params,
        increments: tuple[str, ...],
        appends: Params,
        computed: dict[str, Composable],
    ) -> Composed:
        """`UPDATE` of the row `id = %(_id)s`, guarded by the tracking advance (see
        update_row)."""
        sets = [SQL("{} = {}").format(Identifier(c), Placeholder(c)) for c in changes]
        sets += [SQL("{} = {}").format(Identifier(c), e) for c, e in computed.items()]
        sets += [SQL("{0} = {0} + 1").format(Identifier(c)) for c in increments]
        sets += [
            SQL("{0} = array_append({0}, {1})").format(Identifier(c), Placeholder(c))
            for c in appends
        ]
        return SQL("UPDATE {} SET {} WHERE id = %(_id)s AND {}").format(
            self.table(table), SQL(", ").join(sets), ADVANCED
        )

    def position(self) -> int:
        """How far this read model has processed the log: up to just before the first event
        it uses that it has not processed yet, or to the head when there is none.

        A read model whose events are rare (an inspection round among a million findings)
        would scan the whole log past its last event on every call; instead the answer
        remembers how far past the tracked position it found none, and the next call with
        the same tracked position scans only what came after. The events table is written
        in commit order (each write holds its EXCLUSIVE lock), so no event can appear
        later below a head once read."""
        tracked, scanned = self._scanned
        (row,) = self.fetch_all(
            self.select_position,
            {
                "topics": list(self.topics),
                "application": APPLICATION_NAME,
                "tracked": tracked,
                "scanned": scanned,
            },
        )
        now_tracked = int(row["tracked"] or 0)
        if row["next_relevant"] is None:
            reached = int(row["head"] or 0)
        else:
            reached = int(row["next_relevant"]) - 1
        self._scanned = (now_tracked, max(reached, now_tracked))
        return reached

    def wait_for(self, position: int | None, timeout: float) -> None:
        """Read-your-writes: block until this read model has processed `position`."""
        if position is None or position <= 0:
            return
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            reached = self.position()
            if reached >= position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionLagging(self.projection_name, position, reached)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def insert_aggregate(
        self, table: AggregateTable, tracking: Tracking, e: Any, **values: Any
    ) -> None:
        """Insert the row of the aggregate's first event `e` into its per-aggregate `table`
        (see AggregateTable.first_row)."""
        row = table.first_row(e, tracking, **values)
        if (fill := self._fill) is not None:
            fill.insert(row["id"], row, table.defaults)
            return
        self.insert_row(tracking, table.name, row, table.types, "(id) DO NOTHING")

    def update_aggregate(
        self,
        table: AggregateTable,
        tracking: Tracking,
        e: Any,
        copied: str = "",
        increments: tuple[str, ...] = (),
        appends: Params | None = None,
        **changes: Any,
    ) -> None:
        """update_row of the row of `e`'s aggregate in `table`: the event's attributes
        `copied` (AggregateTable.copy), the `changes`, and the event's version and time."""
        changes = stamped(e, {**table.copy(e, copied), **changes})
        if (fill := self._fill) is not None:
            fill.update(e.originator_id, changes, increments, appends)
            return
        self.update_row(tracking, table.name, e.originator_id, changes, increments, appends)

    def keyset_page(
        self,
        table: str,
        where: list[Composable],
        params: Params,
        key: str,
        limit: int,
        cursor: str | None,
        *,
        descending: bool = False,
        columns: Composable = SQL("*"),
        item: Callable[[DictRow], dict[str, Any]] = dict,
    ) -> Page:
        """One page of `table` in `key` order; the cursor is the last key handed out, so
        a page costs an index range scan however deep the reader has paged."""
        if cursor is not None:
            where = [
                *where,
                SQL("{} {} %(_after)s").format(Identifier(key), SQL("<" if descending else ">")),
            ]
            params = {**params, "_after": decode_cursor(cursor)}
        query = SQL("SELECT {} FROM {} WHERE {} ORDER BY {} {} LIMIT %(_limit)s").format(
            columns,
            self.table(table),
            SQL(" AND ").join(where or [SQL("TRUE")]),
            Identifier(key),
            SQL("DESC" if descending else "ASC"),
        )
        rows = self.fetch_all(query, {**params, "_limit": limit + 1})
        more = len(rows) > limit
        return Page(
            [item(r) for r in rows[:limit]], encode_cursor(rows[limit - 1][key]) if more else None
        )

    def grams(self, q: str) -> list[str]:
        """The bigrams of a search text, folded as the stored ones are (see paging.bigrams)."""
        (row,) = self.fetch_all(QUERY_GRAMS, {"q": q})
        return list(row["grams"])

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.5)  # see the recorder
    def fetch_all(self, query: Composed, params: Any = ()) -> list[DictRow]:
        if self._bound is not None:
            with self._bound.cursor() as curs:
                curs.execute(query, params)
                return curs.fetchall()
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, params)
            return curs.fetchall()


class AggregateView(ReadModelView):
    """A read model of one per-aggregate table, `rows`, whose name it bears. A fill from zero
    keeps each batch's rows in Python and copies them (fill_batch); a view that writes more
    than its rows extends start_fill and write_fill."""

    rows: ClassVar[AggregateTable]
    copies_fill = True
    _fill: RowsFill | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.projection_name = cls.rows.name

    def table_statements(self) -> list[Composed]:
        return self.define(self.rows)

    def insert_first(self, tracking: Tracking, e: Any, **values: Any) -> None:
        self.insert_aggregate(self.rows, tracking, e, **values)

    def update(self, tracking: Tracking, e: Any, copied: str = "", **changes: Any) -> None:
        self.update_aggregate(self.rows, tracking, e, copied, **changes)

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> RowsFill:
        """The rows the batch's aggregates had."""
        return RowsFill.of(self.rows_of(conn, self.rows.name, self.rows.types, ids))

    def write_fill(self, conn: Connection[Any], fill: Any) -> dict[str, int]:
        """The rows the batch changed, written anew (a RowsFill, or one that extends it)."""
        return {"rows": self.write_rows(conn, self.rows.name, self.rows.types, fill)}


V = TypeVar("V", bound=ReadModelView)


class ReadModel(Projection[V], Generic[V]):
    """A projection whose handlers say what it subscribes to.

    Each method marked `@handles(Event, ...)` is called for those event classes; the
    class's `topics` (and its view's, which the runner, a rebuild and `position()` read)
    are derived from them when the class is made. `ignores` names, on purpose, the event
    classes of the domain it has no use for (a whole aggregate where it handles none of its
    events): between them, the handlers and `ignores`
    account for every event type (tests/unit/test_projection_topics.py holds them to it),
    so a new event type cannot be left out of a read model unnoticed."""

    ignores: ClassVar[tuple[type, ...]] = ()
    # Event class -> name of the method that handles it (its own or inherited).
    handlers: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type, str] = {}
        for klass in reversed(cls.__mro__):  # a subclass's declarations win
            for attribute, value in vars(klass).items():
                for event in getattr(value, HANDLED, ()):
                    handlers[event] = attribute
        cls.ignores = ignored_events(cls, handlers)
        both = [e.__qualname__ for e in cls.ignores if e in handlers]
        if both:
            raise TypeError(f"{cls.__qualname__} both handles and ignores {both}")
        cls.handlers = handlers
        cls.topics = topics_of(*handlers)
        view = own_view_class(cls)
        if view is not None:
            given = view.__dict__.get("topics")
            if given is not None and set(given) != set(cls.topics):
                raise TypeError(f"{view.__qualname__} already serves another read model")
            view.topics = cls.topics

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Call the handler of the event's class. An event no handler declares is not one
        the read model subscribes to (a runner never delivers it); given one anyway, it
        only advances the tracking record, as a singledispatch default did before."""
        name = self.handlers.get(type(domain_event))
        if name is None:
            self.view.apply(tracking)
            return
        getattr(self, name)(domain_event, tracking)


def other_aggregates(*followed: type[Aggregate]) -> tuple[type[Aggregate], ...]:
    """Every aggregate of the domain but those `followed`: what a read model about them
    ignores whole. An aggregate added to the domain is then ignored by such a read model
    until it handles some of its events; a new event of a followed aggregate still fails
    tests/unit/test_projection_topics.py until it is handled or named in `ignores`."""
    unknown = [a.__name__ for a in followed if a not in AGGREGATES]
    if unknown:
        raise TypeError(f"not aggregates of the domain: {unknown}")
    return tuple(a for a in AGGREGATES if a not in followed)


def ignored_events(cls: type, handlers: dict[type, str]) -> tuple[type, ...]:
    """`ignores` with each aggregate named in it spelled out as its event classes. A read
    model ignores a whole aggregate only when it handles none of its events; where it
    handles some, it names the rest one by one, so each new event there is decided on."""
    events: list[type] = []
    for ignored in getattr(cls, "ignores", ()):
        if not issubclass(ignored, Aggregate):
            events.append(ignored)
            continue
        handled = [e.__qualname__ for e in ignored.event_classes() if e in handlers]
        if handled:
            raise TypeError(
                f"{cls.__qualname__} handles {handled}: ignore the rest of "
                f"{ignored.__name__}'s events one by one, not the whole aggregate"
            )
        events += ignored.event_classes()
    return tuple(events)


def own_view_class(cls: type) -> type[ReadModelView] | None:
    """The view class `cls` names as its parameter (`class X(ReadModel[XView])`), if it
    names one itself (a subclass of X inherits X's)."""
    for base in cls.__dict__.get("__orig_bases__", ()):
        for arg in get_args(base):
            if isinstance(arg, type) and issubclass(arg, ReadModelView):
                return arg
    return None
