"""The composition root: builds the database, application, read models and runners from Settings."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.postgres import PostgresDatastore

from api.runtime.directories import CurrentDirectory, CurrentRecords
from api.runtime.documents import ServiceDesk
from api.runtime.draws import beacon
from api.runtime.kept import ACCOUNTS, UNITS, Kept
from api.runtime.waiting import Positions
from api.runtime.worker import ProjectionWorker
from domain.accounts import Account
from domain.application import Supervision
from domain.clock import CURRENT, Clock
from domain.units import Unit
from infra.bundle import BundleVerification, load_public_key, verify_checkpoints
from infra.checkpoints import (
    AutoCheckpointer,
    load_signing_key,
    make_checkpoint,
    signer_state,
)
from infra.database import Database, release_embedded, resolve_database
from infra.files import FileStore, file_store
from infra.listener import Listener
from infra.migrations import check_algorithm, migrate
from infra.persistence import SupervisionFactory
from infra.settings import Settings
from infra.signing import public_key_raw
from projections.base import ReadModelView
from projections.case_library import CaseLibraryView
from projections.directory import DirectoryView
from projections.finding_board import FindingBoardView, due_by_of
from projections.notifications import NotificationsView
from projections.rebuild import RebuildJobs
from projections.registry import PROJECTIONS
from projections.rulings import RulingsView
from projections.runner import ProjectionHost, RunnerStatus, locks_held
from projections.scorecard import Scorecards
from projections.spot_checks import SpotCheckView
from projections.unit_history import UnitHistoryView
from projections.work_ledger import WorkLedgerView

log = logging.getLogger(__name__)
V = TypeVar("V", bound=ReadModelView)
ONE_SHOT_CONNECTIONS = 2  # a CLI command's budget: no listener, a pool of two


class ViewOf(Generic[V]):
    """A read model's view on the services, named and checked for its kind (`services.board`)."""

    def __init__(self, name: str, kind: type[V]) -> None:
        self.name, self.kind = name, kind

    def __get__(self, services: Services, owner: type[Services]) -> V:
        return services.view(self.name, self.kind)


@dataclass
class Services:
    """Everything a process of the service holds open."""

    settings: Settings
    database: Database
    app: Supervision
    datastore: PostgresDatastore
    views: dict[str, ReadModelView]
    signing_key: Ed25519PrivateKey | None = None
    # The process's one listening connection (none in a one-shot command).
    listener: Listener | None = None
    host: ProjectionHost | None = None
    checkpointer: AutoCheckpointer | None = None
    # What the service reads the time from (a token's expiry): by default whichever clock the
    # process uses (domain/clock.py), the one its events and business dates also follow.
    clock: Clock = CURRENT
    accounts: Kept = field(init=False)
    files: FileStore = field(init=False)  # evidence files and issued documents (ADR 033)
    units: Kept = field(init=False)

    def __post_init__(self) -> None:
        # Accounts by token hash, units by code: kept while the listener hears of every
        # change to them (with no listener, nothing is kept).
        self.accounts = Kept(self.listener, ACCOUNTS)
        self.units = Kept(self.listener, UNITS)
        self.app.kept = {Unit: self.units, Account: self.accounts}
        self.app.inspection_beacon = functools.partial(beacon, self)
        self.files = file_store(self.settings)
        self.app.document_desk = ServiceDesk(self)
        self.app.spot_check_directory = CurrentDirectory(
            self.app,
            self.datastore,
            self.view("spot_checks", SpotCheckView),
            self.settings.read_wait_seconds,
        )
        self.app.unit_records = CurrentRecords(
            self.app,
            self.datastore,
            self.view("finding_board", FindingBoardView),
            self.view("work_ledger", WorkLedgerView),
            self.settings.read_wait_seconds,
        )
        self.app.deadline_runs_to = due_by_of  # the calendar overdue is judged by

    # The read models' views, each by its name and kind.
    board = ViewOf("finding_board", FindingBoardView)
    directory = ViewOf("directory", DirectoryView)
    ledger = ViewOf("work_ledger", WorkLedgerView)
    rulings = ViewOf("rulings", RulingsView)
    history = ViewOf("unit_history", UnitHistoryView)
    cases = ViewOf("case_library", CaseLibraryView)
    notifications = ViewOf("notifications", NotificationsView)

    def view(self, name: str, kind: type[V]) -> V:
        view = self.views[name]
        assert isinstance(view, kind)
        return view

    worker: ProjectionWorker | None = None
    _rebuilds: RebuildJobs | None = None
    _positions: Positions | None = None

    @property
    def positions(self) -> Positions:
        """The poller that settles reads waiting for `min_position` (api/runtime/waiting.py)."""
        if self._positions is None:
            self._positions = Positions(
                self.views, self.head, self.settings.waiting_reads_per_account
            )
        return self._positions

    _scorecards: Scorecards | None = None

    @property
    def scorecards(self) -> Scorecards:
        """The unit scorecards (one instance: it keeps answers while the read models stand)."""
        if self._scorecards is None:
            self._scorecards = Scorecards(self.board, self.rulings, self.ledger, self.directory)
        return self._scorecards

    @property
    def rebuilds(self) -> RebuildJobs:
        """Rebuilds started by this process (blue/green; see projections/rebuild.py)."""
        if self._rebuilds is None:
            self._rebuilds = RebuildJobs(self.database, self.app)
        return self._rebuilds

    def start_runners(self, names: list[str] | None = None) -> None:
        """Run the projections (all, or those named) in a thread of this process, on its
        pool and its listening connection (projections/runner.py)."""
        if self.listener is None:
            raise RuntimeError("a one-shot command runs no projection runners")
        specs = [spec for spec in PROJECTIONS if names is None or spec.name in names]
        self.host = ProjectionHost(specs, self.app, self.listener, self.datastore)
        self.host.start()

    @property
    def runner_statuses(self) -> dict[str, RunnerStatus]:
        return {} if self.host is None else self.host.statuses

    def start_worker(self) -> None:
        """Run every projection in a supervised child process (`supervision projections run`)."""
        self.worker = ProjectionWorker(self.settings, self.database)
        self.worker.start()

    def projection_states(self) -> dict[str, str]:
        """Each projection's runner: running here, or held by another process, or not."""
        states = {name: status.state for name, status in self.runner_statuses.items()}
        if len(states) < len(PROJECTIONS):
            held = locks_held(self.datastore)
            for spec in PROJECTIONS:
                states.setdefault(spec.name, "running" if spec.name in held else "stopped")
        return states

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def key(self) -> Ed25519PrivateKey:
        """The checkpoint signing key, loaded (or, by default, generated) when first needed."""
        if self.signing_key is None:
            self.signing_key = load_signing_key(self.settings)
        return self.signing_key

    def checkpoint(self) -> dict[str, Any]:
        """Sign the chain's head now (or return the newest checkpoint if it covers it), if
        the log extends what this signer signed last (its record beside its key)."""
        return make_checkpoint(
            self.database,
            self.settings.hash_algorithm,
            self.key(),
            state=signer_state(self.settings),
        )

    def audit_verdict(self) -> BundleVerification:
        """The service's own verdict on its log (the HTTP verification, the console): every
        link, and every checkpoint against the pinned keys — those configured
        (SUPERVISION_AUDIT_PUBLIC_KEYS, which also demand that a checkpoint covers the log),
        else the service's own signing key — and the co-signatures of the configured witnesses
        (SUPERVISION_AUDIT_WITNESS_KEYS, of which SUPERVISION_AUDIT_WITNESSES_REQUIRED must
        have co-signed a checkpoint on the chain)."""
        configured = [load_public_key(k) for k in self.settings.audit_public_keys]
        pinned = configured or [public_key_raw(self.key())]
        return verify_checkpoints(
            self.database,
            pinned,
            coverage=bool(configured),
            witnesses=[load_public_key(k) for k in self.settings.audit_witness_keys],
            witnesses_required=self.settings.audit_witnesses_required,
        )

    def start_checkpointer(self) -> None:
        """Sign checkpoints every N events or T minutes (settings), in a thread."""
        self.checkpointer = AutoCheckpointer(
            self.database,
            self.settings.hash_algorithm,
            self.key(),
            every_events=self.settings.checkpoint_every_events,
            every_minutes=self.settings.checkpoint_every_minutes,
            state=signer_state(self.settings),
        )
        self.checkpointer.start()

    def close(self) -> None:
        if self._positions is not None:
            self._positions.close()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.host is not None:
            self.host.stop()
        if self.worker is not None:
            self.worker.stop()
        if self.listener is not None:
            self.listener.close()
        self.app.close()  # its pool too: the process's one pool
        release_embedded(self.database)


def migrate_database(settings: Settings) -> Database:
    """The explicit migrate step: event store, chain, and every read model's tables."""
    database = resolve_database(settings, owner=True)
    database.application_name = "supervision-migrate"
    service = resolve_database(settings)
    service.application_name = "supervision-migrate"
    views = [spec.view_class for spec in PROJECTIONS]
    migrate(database, settings.hash_algorithm, views, service=service)
    return service


def build(
    settings: Settings,
    *,
    runners: str | None = None,
    checkpoints: bool = False,
    one_shot: bool = False,
    process: str | None = None,
    clock: Clock = CURRENT,
) -> Services:
    """Open the service on a migrated database (refusing a log made with another hash).

    Every connection the process opens comes from here: ONE pool, shared by the command
    side, the read models, the runners and everything else, and (unless `one_shot`) ONE
    listening connection; together at most `settings.db_connections`. A `one_shot`
    process (a CLI command, or `serve`'s parent of HTTP workers) listens to nothing and
    opens at most two; it runs no projection runners unless told (`runners="worker"`).

    `runners` overrides `settings.projection_runners`. `process` names the process in
    pg_stat_activity (`supervision-<process>`; by default `http`, or `cli` when one-shot).
    The checkpoint signing key is loaded first (without a configured file, the default one
    under DATA_DIR is generated if missing; a configured file that is missing is an error).
    `checkpoints` starts the automatic checkpoints (the HTTP service). `clock` is what the
    services read the time from; events and business dates follow `domain.clock.use()`.
    """
    # The service checks its signing key before anything else; one-shot commands that sign
    # nothing never touch (or generate) a key.
    signing_key = load_signing_key(settings) if checkpoints else None
    database = resolve_database(settings)
    database.application_name = f"supervision-{process or ('cli' if one_shot else 'http')}"
    check_algorithm(database, settings.hash_algorithm)
    budget = min(settings.db_connections, ONE_SHOT_CONNECTIONS) if one_shot else None
    pooled = budget or settings.db_connections - 1  # one is the listener's
    env = database.eventsourcing_env(pool_size=1, max_overflow=pooled - 1)
    env["GROUP_COMMIT"] = "y" if settings.group_commit and not one_shot else "n"
    env["GROUP_COMMIT_MAX"] = str(settings.group_commit_max)
    app = Supervision(env=env)
    factory = app.factory
    assert isinstance(factory, SupervisionFactory)
    datastore = factory.datastore
    database.attach(datastore)
    views = {spec.name: spec.view_class(datastore) for spec in PROJECTIONS}
    listener = None if one_shot else Listener(database)
    services = Services(
        settings, database, app, datastore, views, signing_key, listener, clock=clock
    )
    mode = runners or ("off" if one_shot else settings.projection_runners)
    if mode == "in-process":
        services.start_runners()
    elif mode == "worker":
        services.start_worker()
    if checkpoints:
        services.start_checkpointer()
    return services
