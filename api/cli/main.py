"""The `supervision` command: serve, migrate, demo, accounts, audit."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import SecretStr

from api.cli.commands import commands_cli
from infra.logging import configure_logging
from infra.settings import Settings

if TYPE_CHECKING:
    from uuid import UUID

    from api.runtime.bootstrap import Services
    from domain.actors import Actor
    from infra.bundle import BundleVerification
    from infra.database import Database
    from projections.registry import ProjectionSpec

cli = typer.Typer(
    help="督查问责 supervision service: an event-sourced, hash-chained record of "
    "supervision findings, rectification and rulings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def print_version(asked: bool) -> None:
    """`supervision --version`: the installed package's version, then exit."""
    if asked:
        from importlib.metadata import version

        typer.echo(f"supervision {version('supervision')}")
        raise typer.Exit()


@cli.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """The options before any command."""


def group(name: str, help: str) -> typer.Typer:
    """The commands under `supervision <name>` (alone, it shows their help)."""
    commands = typer.Typer(help=help, no_args_is_help=True)
    cli.add_typer(commands, name=name)
    return commands


accounts_cli = group("accounts", "Manage accounts (each has one role and a token).")
audit_cli = group("audit", "Check the audit hash chain.")
projections_cli = group("projections", "Run and inspect the read-model projections.")
import_cli = group("import", "Import from Excel files.")
export_cli = group("export", "Export to Excel files.")
witness_cli = group(
    "witness", "A witness of another party: co-signs checkpoints of a log that grew consistently."
)
cli.add_typer(commands_cli, name="commands")

log = logging.getLogger("supervision.cli")


def existing_file(help: str) -> Any:
    """An option naming a file that must be there (a bundle, a receipt, a key, a token)."""
    return typer.Option(exists=True, dir_okay=False, help=help)


def load_settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def migrated_database(settings: Settings) -> Database:
    """The configured database, for a command that reads its tables without `opened`; one
    never migrated is refused (NoEventLog: one line, exit 2) before any table is read."""
    from infra.database import resolve_database
    from infra.migrations import check_migrated

    database = resolve_database(settings)
    check_migrated(database)
    return database


@contextmanager
def opened(*read_models: str, settings: Settings | None = None) -> Iterator[Services]:
    """The services for one command (no runners, no listening connection), closed after it;
    `read_models` brought up to the head first (see `caught_up`)."""
    from api.runtime.bootstrap import build

    services = build(settings or load_settings(), one_shot=True)
    try:
        if read_models:
            caught_up(services, list(read_models))
        yield services
    finally:
        services.close()


def cli_actor() -> Actor:
    """Who a command line administrator's act is recorded as."""
    from domain.actors import Actor
    from domain.vocabulary import Role

    return Actor(id="cli", name="命令行管理员", role=Role.ADMIN)


def parsed_id(value: str, refusal: str, param_hint: str) -> UUID:
    """A record's id typed on the command line; anything else is a usage error (`refusal`)."""
    from uuid import UUID

    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(refusal, param_hint=param_hint) from None


def admin_token(settings: Settings) -> Settings:
    """With the embedded database and no configured admin token, keep one in DATA_DIR."""
    if settings.bootstrap_admin_token is not None or settings.database_url:
        return settings
    path = settings.data_dir / "admin-token"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("sv_admin_" + secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        path.chmod(0o600)
    token = path.read_text(encoding="utf-8").strip()
    return settings.model_copy(update={"bootstrap_admin_token": SecretStr(token)})


@cli.command()
def migrate() -> None:
    """Create every table once (run before the first start and after upgrades)."""
    from api.runtime.bootstrap import migrate_database

    settings = load_settings()
    migrate_database(settings)
    typer.echo("数据库迁移完成 (database migrated)")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="port to listen on")] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate", help="migrate before serving")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="HTTP worker processes (default: SUPERVISION_WORKERS)"),
    ] = None,
) -> None:
    """Start the HTTP API (and the projection runners) on HOST:PORT."""
    import uvicorn

    from api.main import create_app
    from api.runtime.bootstrap import migrate_database
    from api.runtime.http_workers import check_port
    from api.runtime.listening import bound_sockets, close

    settings = admin_token(load_settings())
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    # The port is taken (or, for workers that bind their own, checked) before anything says
    # where the service listens; a port in use is one line (PortUnavailable, exit 2).
    sockets = bound_sockets(host, port) if workers == 1 else []
    if workers > 1:
        check_port(host, port)
    try:
        if migrate_first:
            migrate_database(settings)
        check_log(settings)
    except BaseException:
        close(sockets)
        raise
    url = f"http://{host}:{port}"
    typer.echo(f"督查问责服务 (supervision service): {url}  — API 文档: {url}/docs")
    if settings.bootstrap_admin_token is not None and not settings.database_url:
        typer.echo(f"管理员令牌 (admin token): {settings.bootstrap_admin_token.get_secret_value()}")
    sys.stdout.flush()
    if workers > 1:
        serve_workers(settings, host, port, workers)
        return
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    server.run(sockets=sockets)  # closes them when it stops
    if not server.started:  # as uvicorn.run ends a start-up that failed
        raise SystemExit(3)


def check_log(settings: Settings) -> None:
    """Before `serve` says where it listens: the log is there, of the configured hash
    algorithm (else one line, exit 2; the application's start-up would fail on it after the
    banner, with a traceback)."""
    from infra.database import resolve_database
    from infra.migrations import NoEventLog, check_algorithm

    try:
        check_algorithm(resolve_database(settings), settings.hash_algorithm)
    except NoEventLog as error:
        raise NoEventLog(f"{error} (or `supervision serve --migrate`)") from None


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """`workers` HTTP processes, each on a SO_REUSEPORT socket of its own (api/http_workers).

    This process opens the database (starting the embedded one if it is in use) and runs
    what must run once: the projection runners (their worker child, or threads) and the
    automatic checkpoints. Each HTTP worker gets the database's address and an environment
    in which it runs neither.
    """
    import os

    from api.runtime.bootstrap import build
    from api.runtime.http_workers import HttpWorkers

    # Its projection runners run in threads only if so configured; otherwise this process
    # keeps no listening connection (it serves no request).
    mode = settings.projection_runners
    services = build(
        settings, checkpoints=True, runners=mode, one_shot=mode != "in-process", process="serve"
    )
    env = {
        "SUPERVISION_DATABASE_URL": services.database.conninfo,
        "SUPERVISION_PROJECTION_RUNNERS": "off",
        "SUPERVISION_DATA_DIR": str(settings.data_dir),
    }
    if settings.bootstrap_admin_token is not None:
        env["SUPERVISION_BOOTSTRAP_ADMIN_TOKEN"] = settings.bootstrap_admin_token.get_secret_value()
    os.environ.update(env)
    try:
        HttpWorkers(host, port, workers).run()
    finally:
        services.close()


@cli.command()
def demo() -> None:
    """Load the demo data (units, accounts, findings in every state); safe to run twice."""
    from api.cli.demo import DemoLoader

    settings = load_settings()
    with opened(settings=settings) as services:
        loader = DemoLoader(services, settings.data_dir / "demo-accounts.json")
        tokens = loader.load()
    typer.echo(f"演示数据已就绪 (demo data ready): {loader.steps_run} 个新步骤 (new steps)")
    typer.echo(
        "  南明街道联络员的 Webhook 地址在演示中无法连接：投递失败的记录见 /api/v1/deliveries "
        "(the demo's webhook is down on purpose: failed deliveries are kept and retried)"
    )
    for name, token in tokens.items():
        typer.echo(f"  {name}: {token}")


@accounts_cli.command("create")
def create_account(
    name: Annotated[str, typer.Option(help="who holds the account")],
    role: Annotated[
        str, typer.Option(help="admin, inspector, authority, supervisor, auditor, unit")
    ],
    unit_code: Annotated[str | None, typer.Option(help="the unit of a `unit` account")] = None,
) -> None:
    """Create an account and print its token (shown once, stored only as a hash)."""
    from api.http.routes.accounts import new_token
    from domain.accounts import hash_token
    from domain.errors import DomainError
    from domain.vocabulary import Role

    try:
        role_value = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}", param_hint="--role") from None
    if not name.strip() or len(name) > 100:  # as the API's AccountCreate takes a name
        raise typer.BadParameter("a name of 1–100 characters, not blank", param_hint="--name")
    with opened() as services:
        token = new_token()
        try:
            result = services.app.create_account(
                token_hash=hash_token(token),
                name=name,
                role=role_value,
                unit_code=unit_code,
                actor=cli_actor(),
            )
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        json.dumps(
            {"id": str(result.id), "name": name, "role": role, "token": token}, ensure_ascii=False
        )
    )


@audit_cli.command("verify")
def verify(
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    bundle: Annotated[
        Path | None,
        existing_file("verify this exported bundle instead of the database (touches no database)"),
    ] = None,
    public_keys: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="the checkpoints' Ed25519 public key (base64, hex or a file), obtained out "
            "of band; repeat it for rotated keys. Without it the keys stored with the "
            "checkpoints are trusted, which proves less",
        ),
    ] = None,
    max_age_hours: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="with --public-key: fail when the newest checkpoint it signed is older "
            "than this many hours (the events after it are covered by no signature)",
        ),
    ] = None,
    since: Annotated[
        Path | None,
        existing_file(
            "a bundle exported before: prove (by an RFC 9162 consistency proof) that the "
            "database's chain extends it, never rewrote it"
        ),
    ] = None,
    receipt: Annotated[
        Path | None,
        existing_file(
            "a receipt kept from GET /api/v1/audit/receipts/{position}: check it against "
            "--public-key and that the database still holds its event"
        ),
    ] = None,
    witnesses: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="a witness's Ed25519 public key (base64, hex or a file); repeat for each",
        ),
    ] = None,
    witnesses_required: Annotated[
        int,
        typer.Option(
            min=0, help="fail unless a checkpoint on the chain is co-signed by this many of them"
        ),
    ] = 0,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="processes that verify stretches of a long log side by side "
            "(default: one per core)",
        ),
    ] = None,
) -> None:
    """Walk the hash chain from the first event and check the signed checkpoints, of the
    database or of a bundle (--bundle); exit 1 naming the first bad index or checkpoint.
    With --public-key, a log no checkpoint of that key covers fails too."""
    from infra.bundle import load_public_key

    settings = load_settings()
    try:
        pinned = [load_public_key(value) for value in public_keys or ()]
        named = [load_public_key(value) for value in witnesses or ()]
    except (ValueError, OSError) as error:
        raise typer.BadParameter(str(error), param_hint="--public-key / --witness") from None
    if max_age_hours is not None and not pinned:  # else it would be ignored, silently
        raise typer.BadParameter(
            "the age is checked of the checkpoints signed by --public-key: give the key",
            param_hint="--max-age-hours",
        )
    if witnesses_required > len(named):
        raise typer.BadParameter(
            f"{witnesses_required} witnesses required, {len(named)} named",
            param_hint="--witnesses-required",
        )
    from infra.stretch import workers_available

    witnessing: dict[str, Any] = {"witnesses": named, "witnesses_required": witnesses_required}
    witnessing["workers"] = workers or workers_available()
    max_age = None if max_age_hours is None else timedelta(hours=max_age_hours)
    if since is not None and bundle is not None:
        raise typer.BadParameter("--since checks the database, not a bundle", param_hint="--since")
    if since is not None:
        check_extends(settings, since, pinned)
    if receipt is not None:
        check_receipt(settings, receipt, pinned)
    if bundle is not None:
        result = bundle_verdict(bundle, pinned, quiet, max_age, witnessing)
    else:
        result = database_verdict(settings, pinned, quiet, max_age, witnessing)
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    if result.checkpoints_verified and not pinned:
        typer.echo(
            "注意 (note): no --public-key pinned, the checkpoints' own keys were trusted", err=True
        )
    if not result.ok:
        typer.echo(verification_failure(result, bundle is not None), err=True)
        raise typer.Exit(1)


def check_extends(settings: Settings, since: Path, pinned: list[bytes]) -> None:
    """`audit verify --since OLD`: the earlier bundle verifies, and the chain extends it."""
    from infra.bundle import chain_hashes_of, verify_bundle_file
    from infra.merkle_store import extends_problem

    earlier = verify_bundle_file(since, pinned)
    leaves = chain_hashes_of(since)
    problem = None if earlier.ok else f"the earlier bundle does not verify: {earlier.problem}"
    if problem is None:
        database = migrated_database(settings)
        with database.connection() as conn:
            problem = extends_problem(conn, settings.hash_algorithm, leaves)
    typer.echo(json.dumps({"since": str(since), "rows": len(leaves), "extends": problem is None,
                           "problem": problem}, ensure_ascii=False))  # fmt: skip
    if problem is not None:
        typer.echo(f"日志未延续先前的导出包 (the log does not extend {since}): {problem}", err=True)
        raise typer.Exit(1)


def check_receipt(settings: Settings, path: Path, pinned: list[bytes]) -> None:
    """`audit verify --receipt R`: the receipt verifies under the pinned key, and the
    database still holds its event (not restored from an older backup, not rewritten)."""
    from infra.receipts import holds_problem, receipt_problem

    if not pinned:
        raise typer.BadParameter(
            "a receipt is checked against --public-key", param_hint="--receipt"
        )
    try:
        kept = json.loads(path.read_bytes())
    except ValueError as error:
        raise typer.BadParameter(f"not JSON: {error}", param_hint="--receipt") from None
    problem = receipt_problem(kept, pinned)
    if problem is None:
        problem = holds_problem(migrated_database(settings), kept)
    event = kept.get("event") if isinstance(kept, dict) else None
    index = event.get("index") if isinstance(event, dict) else None
    typer.echo(json.dumps({"receipt": str(path), "index": index, "held": problem is None,
                           "problem": problem}, ensure_ascii=False))  # fmt: skip
    if problem is not None:
        typer.echo(f"回执未通过核验 (the receipt does not hold): {problem}", err=True)
        raise typer.Exit(1)


def bundle_verdict(
    path: Path,
    pinned: list[bytes],
    quiet: bool,
    max_age: timedelta | None,
    witnessing: dict[str, Any],
) -> BundleVerification:
    """A bundle's verdict, from the file alone: no database is resolved or started."""
    from infra.bundle import verify_bundle_file

    size = path.stat().st_size
    with absolute_progress(size, "校验导出包 (verifying the bundle)", quiet) as progress:
        return verify_bundle_file(path, pinned, progress, max_age, **witnessing)


def database_verdict(
    settings: Settings,
    pinned: list[bytes],
    quiet: bool,
    max_age: timedelta | None,
    witnessing: dict[str, Any],
) -> BundleVerification:
    from infra.bundle import BundleVerification, verify_checkpoints
    from infra.chain import HASH_ALGORITHMS
    from infra.database import resolve_database
    from infra.migrations import AlgorithmMismatch, NoEventLog, check_algorithm
    from infra.queries import chain_length

    database = resolve_database(settings)
    try:
        check_algorithm(database, settings.hash_algorithm)
    except NoEventLog:
        raise
    except AlgorithmMismatch as mismatch:
        if mismatch.recorded in HASH_ALGORITHMS:  # a log of the other algorithm: the setting
            raise
        # The log's record of its algorithm deleted or rewritten to no algorithm at all.
        problem = f"{mismatch} (日志记录的哈希算法被删除或改写)"
        return BundleVerification(False, 0, 0, None, problem=problem)  # nothing verified
    total = chain_length(database)
    with absolute_progress(total, "校验哈希链 (verifying)", quiet) as progress:
        return verify_checkpoints(
            database, pinned, max_age=max_age, progress=progress, **witnessing
        )


def verification_failure(result: BundleVerification, of_bundle: bool) -> str:
    if result.first_invalid_index is not None:
        return (
            f"第 {result.first_invalid_index} 条事件校验失败 (chain broken at index "
            f"{result.first_invalid_index}): {result.problem}"
        )
    if result.bad_checkpoint is not None:
        bad = result.bad_checkpoint
        return (
            f"检查点 {bad['id']} 校验失败 (bad checkpoint {bad['id']} at index "
            f"{bad['index']}): {result.problem}"
        )
    if of_bundle:
        return f"导出包不完整或格式有误 (bundle rejected): {result.problem}"
    return f"事件日志校验未通过 (the log does not verify): {result.problem}"


@contextmanager
def absolute_progress(length: int, label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, fed with how far the work has come (not by how much)."""
    with typer.progressbar(
        length=max(length, 1), label=label, file=sys.stderr, hidden=quiet
    ) as bar:
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            bar.update(n - done)
            done = n

        yield progress


@audit_cli.command("export")
def export_bundle(
    out: Annotated[
        Path, typer.Option(dir_okay=False, help="the bundle file to write (JSON Lines)")
    ],
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Write the offline-verifiable bundle: every stored event with its chain row, the
    signed checkpoints and their public keys (check it with `audit verify --bundle`)."""
    from infra.bundle import Export
    from infra.database import resolve_database
    from infra.migrations import check_algorithm

    settings = load_settings()
    database = resolve_database(settings)
    check_algorithm(database, settings.hash_algorithm)
    with Export(database) as bundle:
        try:
            with absolute_progress(bundle.head_index, "导出 (exporting)", quiet) as progress:
                bundle.write(out, progress)
        except OSError as error:
            # Named by the path given: the bundle is written beside it first (.NAME.partial),
            # which is the file the error names.
            said = OSError(error.errno, error.strerror, str(out)) if error.strerror else error
            typer.echo(f"错误 (error): {said}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        f"已导出 {bundle.events} 条事件、{bundle.checkpoints} 个检查点 (exported "
        f"{bundle.events} events and {bundle.checkpoints} checkpoints, head index "
        f"{bundle.head_index}): {out}"
    )


@audit_cli.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option(help="the new private key file (PEM, PKCS#8, mode 0600)")],
    force: Annotated[bool, typer.Option("--force", help="replace an existing file")] = False,
) -> None:
    """Make a new Ed25519 checkpoint signing key (use it with SUPERVISION_SIGNING_KEY_FILE)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from infra.signing import SigningKeyError, b64, key_id, public_key_raw, write_key

    key = Ed25519PrivateKey.generate()
    try:
        write_key(out, key, overwrite=force)
    except (SigningKeyError, OSError) as error:
        typer.echo(f"错误 (error): {error}", err=True)
        raise typer.Exit(2) from None
    public = public_key_raw(key)
    typer.echo(json.dumps({"key_id": key_id(public), "public_key": b64(public), "file": str(out)}))


@audit_cli.command("public-key")
def public_key() -> None:
    """Print the key id and the base64 raw public key of the checkpoint signing key
    (SUPERVISION_SIGNING_KEY_FILE, else DATA_DIR/signing-key.pem); creates none."""
    from infra.checkpoints import load_signing_key, signing_key_path
    from infra.signing import SigningKeyError, b64, key_id, public_key_raw

    settings = load_settings()
    try:
        key = load_signing_key(settings, create=False)
    except SigningKeyError as error:
        typer.echo(f"错误 (error): {error}", err=True)
        raise typer.Exit(2) from None
    public = public_key_raw(key)
    path = str(signing_key_path(settings))
    typer.echo(json.dumps({"key_id": key_id(public), "public_key": b64(public), "file": path}))


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign the chain's head now and print the checkpoint as JSON."""
    from infra.checkpoints import CheckpointConflict, EmptyLog, as_json
    from infra.signing import SigningKeyError

    with opened() as services:
        try:
            made = services.checkpoint()
        except (SigningKeyError, EmptyLog, CheckpointConflict) as error:
            typer.echo(f"错误 (error): {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(json.dumps(as_json(made)))


@audit_cli.command("replay")
def replay(
    to_position: Annotated[
        int | None,
        typer.Option(min=0, help="replay up to this position (default: the head; not past it)"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Rebuild every read model from zero into a scratch schema, up to a position, and print
    a digest per read model: two replays to the same position give the same digests."""
    from projections.registry import PROJECTIONS
    from projections.replay import attest

    with opened() as services:
        head = services.head()
        if to_position is not None and to_position > head:
            # Positions past the head would hold events to come: the digests would change.
            raise typer.BadParameter(
                f"{to_position} lies past the head of the log ({head})", param_hint="--to-position"
            )
        position = head if to_position is None else to_position
        digests = {}
        for spec in PROJECTIONS:
            with typer.progressbar(
                length=max(position, 1), label=f"重放 {spec.name}", file=sys.stderr, hidden=quiet
            ) as bar:
                done = {"n": 0}

                def progress(n: int, bar: Any = bar, done: dict[str, int] = done) -> None:
                    bar.update(n - done["n"])
                    done["n"] = n

                digests[spec.name] = attest(
                    services.database, services.app, spec, position, progress
                )
    typer.echo(json.dumps({"to_position": position, "digests": digests}, ensure_ascii=False))


@projections_cli.command("run")
def run_projections(
    names: Annotated[
        list[str] | None, typer.Argument(help="projections to run (default: all)")
    ] = None,
    exit_with_parent: Annotated[
        bool, typer.Option(help="stop when the parent process dies")
    ] = False,
    parent_pid: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="stop when this process is gone (implies --exit-with-parent; `serve` gives "
            "its own PID; default: the parent process at start)",
        ),
    ] = None,
) -> None:
    """Run projection runners in this process until interrupted (one active per projection
    across all processes; a second one waits on standby)."""
    import gc
    import os
    import signal
    import threading

    # Read before anything slow: a parent killed while this process starts must not leave
    # it watching whichever process adopted it instead.
    started_under = os.getppid()
    parent = parent_pid or started_under
    exit_with_parent = exit_with_parent or parent_pid is not None

    from api.runtime.bootstrap import build
    from api.runtime.dispatch import Chaser
    from api.runtime.worker import parent_gone

    known = known_projections(names or ())
    # This process's pool and its listening connection serve the runners (one thread).
    services = build(load_settings(), runners="off", process="projections")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    gc.collect()
    gc.freeze()  # what is loaded lives as long as the process: keep it out of collections
    services.start_runners(names or None)
    log.info("projection runners started", extra={"projections": names or sorted(known)})
    # The loop's clock (reminders, notifications) runs beside all the runners, once.
    chaser = None if names else Chaser(services)
    if chaser is not None:
        chaser.start()
    try:
        while not stop.wait(0.5):
            if exit_with_parent and parent_gone(parent, started_under):
                log.warning("the parent process is gone; stopping the projection runners")
                break
    finally:
        if chaser is not None:
            chaser.stop()
        services.close()


@projections_cli.command("status")
def projection_status() -> None:
    """Each projection's position, the log's head, the lag and whether a runner holds it."""
    with opened() as services:
        head, states = services.head(), services.projection_states()
        typer.echo(f"{'projection':16} {'position':>10} {'head':>10} {'lag':>8}  runner")
        for name, view in services.views.items():
            position = view.position()
            typer.echo(f"{name:16} {position:>10} {head:>10} {head - position:>8}  {states[name]}")


@projections_cli.command("rebuild")
def rebuild_projections(
    names: Annotated[list[str], typer.Argument(help="projections to rebuild, or 'all'")],
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Rebuild read models from zero beside the live ones and switch each atomically once
    caught up (blue/green): readers never see an empty or partial read model, and the
    running service keeps answering and applying new events throughout."""
    from projections.rebuild import rebuild_many

    every = names == ["all"]
    known = known_projections(() if every else names)
    chosen = list(known) if every else list(dict.fromkeys(names))
    with opened() as services:
        head = max(services.head(), 1)
        label = "全部读模型" if every else "、".join(chosen)
        with typer.progressbar(
            length=head, label=f"重建 {label} (rebuilding)", file=sys.stderr, hidden=quiet
        ) as bar:
            done = {"n": 0}

            def progress(n: int, _head: int) -> None:
                step = min(n, head) - done["n"]
                if step > 0:
                    bar.update(step)
                    done["n"] += step

            results = rebuild_many(
                services.database, services.app, [known[n] for n in chosen], progress=progress
            )
        for result in results:
            typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))


def known_projections(names: Iterable[str]) -> dict[str, ProjectionSpec]:
    """Every projection by name; a name in `names` that is none of them is a usage error."""
    from projections.registry import PROJECTIONS

    known = {spec.name: spec for spec in PROJECTIONS}
    unknown = set(names) - set(known)
    if unknown:
        raise typer.BadParameter(f"unknown projections {sorted(unknown)}; known: {sorted(known)}")
    return known


def caught_up(services: Services, names: list[str]) -> None:
    """Bring these read models up to the head before the command reads them: here, for
    those no other process runs (maybe no worker runs), and by waiting for the others."""
    from projections.base import ProjectionLagging
    from projections.registry import PROJECTIONS
    from projections.runner import catch_up

    try:
        catch_up(services.app, services.datastore, [s for s in PROJECTIONS if s.name in names])
    except ProjectionLagging as error:
        typer.echo(f"error: the read models are not up to date: {error}", err=True)
        raise typer.Exit(2) from None


def sheet_of(file: Path, settings: Settings, layout: Any) -> Any:
    """The rows of the file's list of `layout` (api.documents.excel.Layout), read under the
    import limits of the settings; a file that cannot be read is exit status 2."""
    from api.documents import excel

    limits = excel.ImportLimits(
        file_bytes=settings.import_max_file_mb * 2**20,
        unpacked_bytes=settings.import_max_unpacked_mb * 2**20,
        rows=settings.import_max_rows,
        columns=settings.import_max_columns,
        merged_cells=settings.import_max_merged_cells,
    )
    try:
        rows = excel.load_sheet(file, limits, layout)
    except excel.ExcelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    for number in rows.hidden:
        typer.echo(
            f"第 {number} 行 (row {number}): 已隐藏，未导入 (hidden: not imported)", err=True
        )
    return rows


@import_cli.command("work-items")
def import_work_items(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx file")],
    year: Annotated[
        int | None, typer.Option(min=2000, max=2100, help="the list's year (default: 完成时限's)")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="record the good rows, skip the bad ones")
    ] = False,
) -> None:
    """Import a 重点工作清单 (序号, 工作任务, 牵头单位, 配合单位, 完成时限, 来源): all rows in
    one transaction, or, when any row is bad, none (unless --skip-invalid). A task already
    listed (the same year, lead unit and title) is left as listed, so a list imported again,
    or an exported 执行台账 imported back, records nothing twice. A unit is named by its code,
    its name, or a name it bore before a rename (docs/adr/016)."""
    from api.documents import excel
    from domain.errors import DomainError

    settings = load_settings()
    rows = sheet_of(file, settings, excel.WORK_ITEMS)
    # Units are named by the directory read model; the tasks already listed, by the ledger.
    with opened("directory", "work_ledger", settings=settings) as services:
        try:
            units = excel.UnitIndex.load(services.directory)
            with typer.progressbar(rows, label="校验 (checking rows)", file=sys.stderr) as bar:
                result = excel.parse_rows(bar, units, year)
            years = {task_year for task_year, _ in result.tasks.values()}
            listed = excel.leave_out_listed(result, excel.ledger_items(services, years))
            for problem in result.errors:
                typer.echo(str(problem), err=True)
            bad_rows = len({problem.row for problem in result.errors})
            if bad_rows and not skip_invalid:
                typer.echo(f"{bad_rows} 行有误，未导入任何工作 (nothing recorded)", err=True)
                raise typer.Exit(1)
            for note in listed:
                typer.echo(str(note), err=True)
            ids = services.app.list_work_items(result.listings, actor=cli_actor())
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
    log.info(
        "work items imported",
        extra={"listed": len(ids), "already_listed": len(listed), "skipped_rows": bad_rows},
    )
    again = f"，{len(listed)} 项已在清单中 ({len(listed)} already listed)" if listed else ""
    skipped = f"，跳过 {bad_rows} 行 (skipped {bad_rows} rows)" if bad_rows else ""
    typer.echo(f"已导入 {len(ids)} 项重点工作 (imported {len(ids)} work items){again}{skipped}")


@import_cli.command("market-entities")
def import_market_entities(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx file")],
) -> None:
    """Import a 检查对象名录 (统一社会信用代码, 主体名称, 行业, 主体类型, 住所) into the
    检查对象名录库: new entities listed, changed ones amended, the rest left; all in one
    transaction, or, when any row is bad, none."""
    from api.documents import excel
    from domain.errors import DomainError

    settings = load_settings()
    rows = sheet_of(file, settings, excel.MARKET_ENTITIES)
    with typer.progressbar(rows, label="校验 (checking rows)", file=sys.stderr) as bar:
        result = excel.parse_entities(bar)
    for problem in result.errors:
        typer.echo(str(problem), err=True)
    if result.errors:
        bad_rows = len({problem.row for problem in result.errors})
        typer.echo(f"{bad_rows} 行有误，未导入任何主体 (nothing recorded)", err=True)
        raise typer.Exit(1)
    with opened(settings=settings) as services:
        try:
            done = services.app.import_market_entities(result.entities, actor=cli_actor())
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
    log.info(
        "market entities imported",
        extra={"listed": done.listed, "amended": done.amended, "unchanged": done.unchanged},
    )
    typer.echo(
        f"新列入 {done.listed} 户，更新 {done.amended} 户，未变 {done.unchanged} 户 "
        f"(listed {done.listed}, amended {done.amended}, unchanged {done.unchanged})"
    )
    if done.delisted:
        typer.echo(
            f"{done.delisted} 户已移出名录库，未恢复 ({done.delisted} delisted before, left out)",
            err=True,
        )


@export_cli.command("ledger")
def export_ledger(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="the ledger's year")],
    out: Annotated[Path | None, typer.Option(help="default: 执行台账-YEAR.xlsx")] = None,
) -> None:
    """Write a year's 执行台账 (items, progress, evaluation) as an Excel workbook."""
    from api.documents import excel

    with opened("directory", "work_ledger") as services:
        ledger = excel.collect_ledger(services, year)
    path = out or Path(f"执行台账-{year}.xlsx")
    try:
        path.write_bytes(excel.write_ledger(ledger))
    except OSError as error:
        typer.echo(f"错误 (error): {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已导出 {len(ledger.items)} 项 (exported {len(ledger.items)} items): {path}")


reminders_cli = group(
    "reminders", "Reminders and 催办 (督办提醒): record those the rules demand, each once."
)


@reminders_cli.command("run")
def run_reminders(
    today: Annotated[
        str | None,
        typer.Option(
            help="the business day to run for (YYYY-MM-DD; default today; not a later day)"
        ),
    ] = None,
) -> None:
    """Record on every rectifying finding the reminders and 催办 due by the day, in working
    days (签收催办, 临近提醒, 到期催办, 逾期催办, 提级督办提醒); each rule once, one process
    at a time. Run it every working day (cron, or a timer); `--today` runs a missed day
    late. A day that has not come yet is refused: its reminders would be recorded for good."""
    from datetime import date

    from api.runtime.reminders import policy_of, send_reminders
    from domain import clock
    from infra.workdays import WorkingDays

    now = clock.today()
    try:
        day = date.fromisoformat(today) if today else now
    except ValueError:
        raise typer.BadParameter(
            f"{today!r} is not a day (YYYY-MM-DD)", param_hint="--today"
        ) from None
    if day > now:
        raise typer.BadParameter(
            f"{day.isoformat()} has not come yet (today is {now.isoformat()})",
            param_hint="--today",
        )
    # The board names the rectifying findings.
    with opened("finding_board") as services:
        sent = send_reminders(services, day, WorkingDays(), policy_of(services.settings))
    if sent is None:
        typer.echo("另一进程正在发送提醒 (another process is sending reminders)", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"today": day.isoformat(), "sent": dict(sent)}, ensure_ascii=False))


files_cli = group("files", "Evidence files (证据材料): collect those no event cites.")


@files_cli.command("collect")
def collect_files(
    grace_hours: Annotated[
        float | None,
        typer.Option(
            min=0, help="keep uploads younger than this (default SUPERVISION_FILES_GRACE_HOURS)"
        ),
    ] = None,
) -> None:
    """Delete the uploaded files that no event cites once their grace period is over (an
    upload whose command never came); files a record cites are never collected."""
    from api.runtime.files import collect

    with opened() as services:
        hours = services.settings.files_grace_hours if grace_hours is None else grace_hours
        collected = collect(services, services.clock.now(), hours)
    typer.echo(f"已清理 {collected} 个未被引用的文件 (collected {collected} uncited files)")


documents_cli = group(
    "documents", "Official documents (公文): issue one, or check a copy against the log."
)


@documents_cli.command("issue")
def issue_document_command(
    kind: Annotated[
        str,
        typer.Argument(
            help="supervision_notice, rectification_notice, bulletin, evaluation_report, "
            "accountability_decision or tolerance_decision"
        ),
    ],
    finding_id: Annotated[str | None, typer.Option(help="the finding (notices)")] = None,
    ruling_id: Annotated[str | None, typer.Option(help="the decided ruling (decisions)")] = None,
    unit_code: Annotated[str | None, typer.Option(help="the unit (年度考评报告)")] = None,
    year: Annotated[
        int | None, typer.Option(min=2000, max=2100, help="the year (年度考评报告)")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="the period of a 情况通报: YYYY-MM, YYYY-Qn or YYYY")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="a directory to write the PDF and the Word file into")
    ] = None,
) -> None:
    """印发公文 as the command-line administrator: rendered as PDF and Word under the kind's
    next 发文字号 and recorded in the log with each file's SHA-256."""
    from api.runtime.documents import document_bytes
    from domain.documents import IssuedDocument
    from domain.errors import DomainError
    from domain.registry import IssueDocument
    from domain.vocabulary import DocumentKind

    if kind not in {k.value for k in DocumentKind}:
        raise typer.BadParameter(f"{kind!r} is not a kind of document", param_hint="KIND")
    message = IssueDocument(
        kind=kind,
        finding_id=parsed_id(finding_id, "not a finding id", "--finding-id")
        if finding_id
        else None,
        ruling_id=parsed_id(ruling_id, "not a ruling id", "--ruling-id") if ruling_id else None,
        unit_code=unit_code,
        year=year,
        period=period,
    )
    if out is not None:  # before the document takes its number, not after
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise typer.BadParameter(f"{out} is no directory to write into ({error})") from None
        if not os.access(out, os.W_OK):
            raise typer.BadParameter(f"{out} cannot be written into", param_hint="--out")
    with opened() as services:
        try:
            answer = services.app.handle(message, actor=cli_actor())
        except DomainError as refused:  # the command refused, as any refused command: exit 2
            typer.echo(f"未印发 (not issued): {refused}", err=True)
            raise typer.Exit(2) from None
        document = services.app.get_record(IssuedDocument, answer.id)
        written = []
        if out is not None:
            for fmt in sorted(document.files):
                path = out / f"{document.number}.{fmt}"
                path.write_bytes(document_bytes(services, document, fmt))
                written.append(str(path))
    typer.echo(
        json.dumps(
            {"id": str(answer.id), "number": document.number, "title": document.title,
             "files": document.files, "written": written},
            ensure_ascii=False,
        )
    )  # fmt: skip


@documents_cli.command("verify")
def verify_document_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="a copy of an issued document")
    ],
) -> None:
    """Check a copy of a document against the log: its SHA-256 must be the one an
    `IssuedDocument.Issued` event records. Exit 0 naming the document, 1 when no issued
    document has these exact bytes (an altered copy)."""
    import hashlib

    from domain.documents import IssuedDocument
    from projections.evidence import EvidenceView

    sha256 = hashlib.sha256(file.read_bytes()).hexdigest()
    with opened("evidence") as services:
        found = []
        for document_id in services.view("evidence", EvidenceView).documents_with(sha256):
            document = services.app.get_record(IssuedDocument, document_id)  # from the log
            found += [(document, f) for f, h in document.files.items() if h["sha256"] == sha256]
    if not found:
        typer.echo(
            f"未通过：没有已印发的公文与该文件一致 (no issued document has SHA-256 {sha256})"
        )
        raise typer.Exit(1)
    for document, fmt in found:
        typer.echo(
            f"已核验：{document.number}《{document.title}》（{fmt}），{document.issued_on} "
            f"由{document.issued_by.get('name', '')}印发 (verified: SHA-256 {sha256})"
        )


inspections_cli = group(
    "inspections", "Inspection rounds (督查活动): check a double-random draw (双随机)."
)


@inspections_cli.command("verify-draw")
def verify_draw_command(
    inspection_id: Annotated[str, typer.Argument(help="the round's id")],
) -> None:
    """Re-derive a round's draw from its stored events and chain rows alone: the seed
    matches its commitment, the chain head is the chain's, the units and teams follow from
    the algorithm; print the verdict as JSON, exit 1 naming every problem."""
    from api.runtime.draws import verify_draw

    round_id = parsed_id(inspection_id, f"{inspection_id!r} is not an id", "ID")
    with opened() as services:
        result = verify_draw(services, round_id)
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    if not result.ok:
        for problem in result.problems:
            typer.echo(f"抽取校验失败 (draw check failed): {problem}", err=True)
        raise typer.Exit(1)


# -- privacy (issue #6, part 4): personal data encrypted at rest, removable (ADR 013) --------

privacy_cli = group(
    "privacy", "Personal data of ruling subjects: list the data subjects, crypto-shred one."
)


@privacy_cli.command("list")
def privacy_list(
    unit_code: Annotated[str | None, typer.Option("--unit", help="only this unit's")] = None,
    ruling: Annotated[str | None, typer.Option(help="the subject of this ruling (its id)")] = None,
) -> None:
    """Data subjects, one JSON line each: id, unit, masked name (until shredded), dates."""
    from uuid import UUID

    from domain.units import Unit
    from infra.migrations import EVENTS_TABLE
    from infra.privacy import list_subjects, subject_of_ruling
    from infra.queries import recorded

    database = migrated_database(load_settings())
    if unit_code is not None and not recorded(database, Unit.create_id(unit_code)):
        raise typer.BadParameter(f"no unit {unit_code!r}", param_hint="--unit")
    with database.connection() as conn:
        subject = None
        if ruling is not None:
            try:
                subject = subject_of_ruling(conn, UUID(ruling), EVENTS_TABLE)
            except ValueError:
                raise typer.BadParameter("not a ruling id", param_hint="--ruling") from None
            if subject is None:
                typer.echo(f"错误 (error): ruling {ruling} names no person", err=True)
                raise typer.Exit(2)
        after = 0
        while True:
            rows = list_subjects(
                conn, unit_codes=[unit_code] if unit_code else None, subject_id=subject, after=after
            )
            for row in rows:
                typer.echo(json.dumps(row, ensure_ascii=False))
            if len(rows) < 50:
                break
            after = rows[-1]["seq"]


@privacy_cli.command("shred")
def privacy_shred(
    subject: Annotated[str, typer.Argument(help="the data subject's id (see `privacy list`)")],
    reason: Annotated[
        str, typer.Option(help="why the personal data is erased (recorded on the chain)")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="shred without asking (a script; no terminal needed)")
    ] = False,
) -> None:
    """Destroy the subject's key: their name and position read [已删除] everywhere from now
    on; everything else, and the hash chain, stays as it was. The shredding itself is recorded
    on the chain (who, when, which subject, why). It cannot be undone, so it asks first,
    naming the subject (answered no: exit 1, nothing changed); without a terminal it shreds
    only with --yes."""
    from api.http.routes.privacy import record_shredding
    from infra.privacy import UnknownSubject
    from projections.privacy import shred_subject

    subject_id = parsed_id(subject, "not a subject id", "SUBJECT")
    if not reason.strip():
        raise typer.BadParameter("the reason is empty", param_hint="--reason")
    if not yes and not sys.stdin.isatty():
        typer.echo(
            "错误 (error): 销毁密钥不可撤销，须在终端确认，或加 --yes (shredding cannot be "
            "undone: run it at a terminal to confirm, or pass --yes)",
            err=True,
        )
        raise typer.Exit(2)
    settings = load_settings()
    if not yes:
        confirm_shredding(settings, subject_id)
    with opened(settings=settings) as services:
        try:
            result = shred_subject(services.database, subject_id, services.cases)
        except UnknownSubject as error:
            typer.echo(f"错误 (error): {error}", err=True)
            raise typer.Exit(2) from None
        record_shredding(services, subject_id, reason, cli_actor())
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))


def confirm_shredding(settings: Settings, subject_id: UUID) -> None:
    """Ask the operator at the terminal, naming the subject (unit, masked name); an unknown
    subject is refused before anything is asked, an answer other than yes changes nothing."""
    from infra.privacy import list_subjects

    with migrated_database(settings).connection() as conn:
        found = list_subjects(conn, subject_id=subject_id, limit=1)
    if not found:
        typer.echo(f"错误 (error): no data subject {subject_id}", err=True)
        raise typer.Exit(2)
    named = found[0]
    who = f"{named['unit_code']} 的 {named['masked_name'] or '[已删除]'}"
    question = (
        f"将销毁数据主体 {subject_id}（{who}）的密钥，此后其姓名、职务在各处均显示为 [已删除]。"
        "此操作不可撤销 (this cannot be undone)。确定销毁吗 (shred the key)?"
    )
    if not typer.confirm(question, default=False):
        typer.echo("已取消，未作任何改动 (cancelled: nothing changed)", err=True)
        raise typer.Exit(1)


def setting_name(field: str) -> str:
    """The environment variable of a Settings field."""
    return "SUPERVISION_" + field.upper()


def main() -> None:
    """The console script: expected failures are one clear line and exit code 2."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from api.runtime.listening import PortUnavailable
    from domain.errors import DomainError
    from infra.migrations import AlgorithmMismatch
    from infra.outage import CannotConnect
    from infra.signing import SigningKeyError
    from projections.rebuild import RebuildInProgress

    try:
        cli()
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        for problem in error.errors():
            field, *within = problem["loc"]  # a value inside the setting's JSON: its key
            said = ": ".join([*map(str, within), problem["msg"]])
            typer.echo(f"错误 (error): 设置 {setting_name(str(field))} 有误 (bad setting): {said}",
                       err=True)  # fmt: skip
        raise SystemExit(2) from None
    except SettingsError as error:  # a setting that is not the JSON it must be
        named = re.search(r'field "(\w+)"', str(error))
        name = setting_name(named[1]) if named else "SUPERVISION_*"
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        typer.echo(f"错误 (error): 设置 {name} 有误 (bad setting): not valid JSON{cause}", err=True)
        raise SystemExit(2) from None
    except DomainError as error:
        typer.echo(f"错误 (error): {error.message}", err=True)
        raise SystemExit(2) from None
    except (
        AlgorithmMismatch,
        SigningKeyError,
        RebuildInProgress,
        CannotConnect,
        PortUnavailable,
    ) as error:
        typer.echo(f"错误 (error): {error}", err=True)
        raise SystemExit(2) from None


@witness_cli.command("run")
def witness_run(
    url: Annotated[str, typer.Option(help="the service's address, e.g. https://dc.example.gov.cn")],
    log_key: Annotated[
        str,
        typer.Option(help="the log's checkpoint public key (base64, hex or a file), out of band"),
    ],
    key: Annotated[
        Path,
        existing_file("this witness's own Ed25519 key (audit keygen --out)"),
    ],
    record: Annotated[
        Path | None,
        typer.Option(help="its record of what it co-signed last (default: KEY.witness.json)"),
    ] = None,
    token_file: Annotated[
        Path | None,
        existing_file("a file holding an auditor's token (else SUPERVISION_WITNESS_TOKEN)"),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = False,
    interval: Annotated[float, typer.Option(min=1, help="seconds between rounds")] = 60,
) -> None:
    """Follow a log over its HTTP API alone and co-sign each new checkpoint once the log is
    proved to extend what this witness co-signed before (docs/audit.md §9). With --once, exit
    0 after co-signing or finding nothing new, 1 on a refusal, 2 when the service cannot be
    asked."""
    import os
    import time

    import httpx

    from infra.bundle import load_public_key
    from infra.logging import configure_logging
    from infra.signing import SigningKeyError, read_key
    from infra.witness import Witness, WitnessRefused, WitnessUnreachable

    configure_logging(os.environ.get("SUPERVISION_LOG_LEVEL", "INFO"), "text")
    token = (
        token_file.read_text(encoding="utf-8").strip()
        if token_file is not None
        else os.environ.get("SUPERVISION_WITNESS_TOKEN", "")
    )
    if not token:
        raise typer.BadParameter(
            "give --token-file or SUPERVISION_WITNESS_TOKEN", param_hint="--token-file"
        )
    try:
        pinned = load_public_key(log_key)
        own = read_key(key)
    except (ValueError, OSError, SigningKeyError) as error:
        raise typer.BadParameter(str(error)) from None
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        witness = Witness(client, pinned, own, record or key.with_name(key.name + ".witness.json"))
        while True:
            try:
                made = witness.round()
            except WitnessRefused as refusal:
                typer.echo(f"见证人拒绝联署 (the witness refuses to co-sign): {refusal}", err=True)
                if once:
                    raise typer.Exit(1) from None
            except WitnessUnreachable as error:
                typer.echo(f"无法访问服务 (the service cannot be asked): {error}", err=True)
                if once:
                    raise typer.Exit(2) from None
            else:
                typer.echo(json.dumps({"cosigned": made["seq"] if made else None}))
            if once:
                return
            time.sleep(interval)
