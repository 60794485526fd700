"""The composition root: builds the database, application, read models and runners from Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.postgres import PostgresDatastore

from api.kept import ACCOUNTS, UNITS, Kept
from api.worker import ProjectionWorker
from domain.application import Supervision
from infra.checkpoints import AutoCheckpointer, load_signing_key, make_checkpoint
from infra.database import Database, release_embedded, resolve_database
from infra.migrations import check_algorithm, datastore_for, migrate
from infra.settings import Settings
from projections.base import ReadModelView
from projections.case_library import CaseLibraryView
from projections.directory import DirectoryView
from projections.finding_board import FindingBoardView
from projections.rebuild import RebuildJobs
from projections.registry import PROJECTIONS
from projections.rulings import RulingsView
from projections.runner import SupervisedRunner, locks_held
from projections.scorecard import Scorecards
from projections.unit_history import UnitHistoryView
from projections.work_ledger import WorkLedgerView

log = logging.getLogger(__name__)
V = TypeVar("V", bound=ReadModelView)


@dataclass
class Services:
    """Everything a process of the service holds open."""

    settings: Settings
    database: Database
    app: Supervision
    datastore: PostgresDatastore
    views: dict[str, ReadModelView]
    signing_key: Ed25519PrivateKey | None = None
    runners: list[SupervisedRunner] = field(default_factory=list)
    checkpointer: AutoCheckpointer | None = None
    accounts: Kept = field(init=False)
    units: Kept = field(init=False)

    def __post_init__(self) -> None:
        # Accounts by token hash, units by code: kept while listening for their changes
        # (each starts listening at its first lookup; one-shot commands mostly never do).
        self.accounts = Kept(self.database, ACCOUNTS)
        self.units = Kept(self.database, UNITS)
        self.app.kept_units = self.units

    @property
    def board(self) -> FindingBoardView:
        return self.view("finding_board", FindingBoardView)

    @property
    def directory(self) -> DirectoryView:
        return self.view("directory", DirectoryView)

    @property
    def ledger(self) -> WorkLedgerView:
        return self.view("work_ledger", WorkLedgerView)

    @property
    def rulings(self) -> RulingsView:
        return self.view("rulings", RulingsView)

    @property
    def history(self) -> UnitHistoryView:
        return self.view("unit_history", UnitHistoryView)

    @property
    def cases(self) -> CaseLibraryView:
        return self.view("case_library", CaseLibraryView)

    def view(self, name: str, kind: type[V]) -> V:
        view = self.views[name]
        assert isinstance(view, kind)
        return view

    worker: ProjectionWorker | None = None
    _rebuilds: RebuildJobs | None = None

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
        # Few connections each: a runner holds one to LISTEN, one for its lock, and reads
        # and writes on one or two more; five projections per process add up.
        env = app_env(self.database, pool_size=1, max_overflow=3)
        env["READ_MODEL_COMMITS"] = "async"  # see infra/persistence.py
        for spec in PROJECTIONS:
            if names is None or spec.name in names:
                runner = SupervisedRunner(spec, self.database, env)
                runner.start()
                self.runners.append(runner)

    def start_worker(self) -> None:
        """Run every projection in a supervised child process (`supervision projections run`)."""
        self.worker = ProjectionWorker(self.settings, self.database)
        self.worker.start()

    def projection_states(self) -> dict[str, str]:
        """Each projection's runner: running here, or held by another process, or not."""
        states = {r.spec.name: r.status.state for r in self.runners}
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
        """Sign the chain's head now (or return the newest checkpoint if it covers it)."""
        return make_checkpoint(self.database, self.settings.hash_algorithm, self.key())

    def start_checkpointer(self) -> None:
        """Sign checkpoints every N events or T minutes (settings), in a thread."""
        self.checkpointer = AutoCheckpointer(
            self.database,
            self.settings.hash_algorithm,
            self.key(),
            every_events=self.settings.checkpoint_every_events,
            every_minutes=self.settings.checkpoint_every_minutes,
        )
        self.checkpointer.start()

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.accounts.close()
        self.units.close()
        for runner in self.runners:
            runner.stop()
        self.runners.clear()
        if self.worker is not None:
            self.worker.stop()
        self.app.close()
        self.datastore.close()
        release_embedded(self.database)


def app_env(database: Database, pool_size: int, max_overflow: int = 10) -> dict[str, str]:
    return database.eventsourcing_env(pool_size=pool_size, max_overflow=max_overflow)


def migrate_database(settings: Settings) -> Database:
    """The explicit migrate step: event store, chain, and every read model's tables."""
    database = resolve_database(settings)
    migrate(database, settings.hash_algorithm, [spec.view_class for spec in PROJECTIONS])
    return database


def build(settings: Settings, *, runners: str | None = None, checkpoints: bool = False) -> Services:
    """Open the service on a migrated database (refusing a log made with another hash).

    `runners` overrides `settings.projection_runners` (the CLI's one-shot commands: "off").
    The checkpoint signing key is loaded first (without a configured file, the default one
    under DATA_DIR is generated if missing; a configured file that is missing is an error).
    `checkpoints` starts the automatic checkpoints (the HTTP service).
    """
    # The service checks its signing key before anything else; one-shot commands that sign
    # nothing never touch (or generate) a key.
    signing_key = load_signing_key(settings) if checkpoints else None
    database = resolve_database(settings)
    check_algorithm(database, settings.hash_algorithm)
    env = app_env(database, pool_size=settings.pool_size)
    env["GROUP_COMMIT"] = "y" if settings.group_commit else "n"
    env["GROUP_COMMIT_MAX"] = str(settings.group_commit_max)
    app = Supervision(env=env)
    datastore = datastore_for(database, pool_size=2, max_overflow=8)
    views = {spec.name: spec.view_class(datastore) for spec in PROJECTIONS}
    services = Services(settings, database, app, datastore, views, signing_key)
    mode = runners or settings.projection_runners
    if mode == "in-process":
        services.start_runners()
    elif mode == "worker":
        services.start_worker()
    if checkpoints:
        services.start_checkpointer()
    return services
