"""Durable commands per second over HTTP: our command path beside a bare `eventsourcing` save.

One run starts two servers on loopback, each on a fresh database of its own (dropped at the
end): the service (`supervision migrate` + `supervision serve`) and bench/bare_app.py, whose
one route does a single plain `Application.save()`. Both are single uvicorn workers with the
same pool of 3 connections (the service's default budget). The same closed-loop load (32
clients by default) then measures, each bounded in requests and seconds and after a warm-up:

  bare_save            POST /notes on the bare app: new aggregate, one save
  raise_finding        POST /api/v1/findings: auth, unit check, hash-chained save
  order_rectification  POST /api/v1/findings/{id}/rectification-order: auth, load, save

Only 2xx answers count as commands; any other answer makes the run invalid.

The service is measured twice. First its command path alone (SUPERVISION_PROJECTION_RUNNERS
=off), as the bare endpoint has no read side: this is the figure the bar judges. Then as it
runs by default, with its projection runners in the worker process `serve` starts, building
six read models from the same events on the same two cores ("+ read side" rows; they are let
catch up, lag 0, before each warm-up and timed window). `--projection-runners MODE` measures
one mode only.
The load generator is bench/loadgen.py. The bar is raise_finding ≥ 0.70 × bare_save in the
same run.

    .venv/bin/python bench/commands.py [--clients 32] [--requests 3000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from harness import (
    BenchError,
    clean_env,
    free_port,
    fresh_database,
    library_env,
    run_once,
    server,
    supervision,
)
from loadgen import MakeRequest, Outcome, drive

HERE = Path(__file__).resolve().parent
BAR = 0.70
# The service runs with its default connection budget (SUPERVISION_DB_CONNECTIONS=4: one
# listening connection and a pool of 3 per process); the bare app gets the same pool.
POOL_SIZE = 1
MAX_OVERFLOW = 2
SETTLE_SECONDS = 60.0
UNTIMED_SECONDS = 600.0  # warm-up and top-up are bounded in count; this only stops a hang
ADMIN_TOKEN = "bench-admin-" + secrets.token_urlsafe(24)
UNIT_CODE = "bench-town"

FINDING = {
    "unit_code": UNIT_CODE,
    "title": "重点工作任务未按期完成",
    "description": "清单中的任务表、时间表、责任表未落实。",
    "category": "work_style",
    "severity": "minor",
    "source": "routine_supervision",
    "found_on": "2026-01-05",
    "evidence": [],
}
ORDER = {"deadline": "2026-02-01", "requirements": "限期整改，逐项销号。"}
NOTE = {"title": FINDING["title"]}


@dataclass(frozen=True)
class Options:
    clients: int
    requests: int
    seconds: float
    warmup: int
    database_url: str
    json_path: Path | None
    projection_runners: str | None
    workers: int = 1


@dataclass(frozen=True)
class Target:
    """A server under load; `settle` waits until its background work has caught up."""

    base_url: str
    headers: dict[str, str]
    settle: Callable[[], None] | None = None


@dataclass(frozen=True)
class Row:
    workload: str
    outcome: Outcome


# -- command line -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench/commands.py",
        description="Durable commands/s over HTTP: the service's command path beside a bare "
        "eventsourcing save in the same run, each on a fresh PostgreSQL database.",
        epilog=f"Passes when raise_finding reaches {BAR:.2f}× bare_save. Exit status: 0 pass, "
        "1 below the bar, 2 invalid run (non-2xx answers) or setup failure.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--clients", type=positive, default=32, help="concurrent clients")
    parser.add_argument(
        "--requests", type=positive, default=3000, help="most requests timed per workload"
    )
    parser.add_argument(
        "--seconds", type=positive_float, default=15.0, help="most seconds timed per workload"
    )
    parser.add_argument(
        "--warmup", type=positive, default=200, help="untimed requests before each workload"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server where databases may be created and dropped "
        "(env BENCH_DATABASE_URL)",
    )
    parser.add_argument("--json", dest="json_path", type=Path, help="also write the results here")
    parser.add_argument(
        "--projection-runners",
        choices=("worker", "in-process", "off"),
        default=None,
        help="measure only this mode of the service's projection runners "
        "(SUPERVISION_PROJECTION_RUNNERS; default: off, then worker)",
    )
    parser.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="the service's HTTP worker processes (SUPERVISION_WORKERS); the bare app has one",
    )
    args = parser.parse_args(argv)
    return Options(**vars(args))


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


# -- servers ------------------------------------------------------------------------------------


def start_bare(stack: ExitStack, opts: Options) -> Target:
    url = stack.enter_context(fresh_database(opts.database_url, "bench_bare"))
    env = clean_env(library_env(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW))
    port = free_port()
    argv = [sys.executable, str(HERE / "bare_app.py"), "--host", "127.0.0.1", "--port", str(port)]
    return Target(stack.enter_context(server(argv, env, port, "/healthz")), {})


def start_ours(
    stack: ExitStack, opts: Options, runners: str, extra_env: dict[str, str] | None = None
) -> Target:
    url = stack.enter_context(fresh_database(opts.database_url, "bench_cmd"))
    env = clean_env(
        {
            "SUPERVISION_DATABASE_URL": url,
            "SUPERVISION_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
            "SUPERVISION_LOG_LEVEL": "WARNING",
            "SUPERVISION_PROJECTION_RUNNERS": runners,
            "SUPERVISION_WORKERS": str(opts.workers),
            **(extra_env or {}),
        }
    )
    run_once(supervision("migrate"), env)
    port = free_port()
    argv = supervision("serve", "--host", "127.0.0.1", "--port", str(port))
    base_url = stack.enter_context(server(argv, env, port, "/readyz"))
    token = set_up_inspector(base_url)
    settle = None if runners == "off" else (lambda: wait_for_projections(base_url))
    return Target(base_url, bearer(token), settle)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def set_up_inspector(base_url: str) -> str:
    """The admin makes the unit findings are raised against, and an inspector; its token."""
    with httpx.Client(base_url=base_url, headers=bearer(ADMIN_TOKEN), timeout=30.0) as admin:
        unit = {"code": UNIT_CODE, "name": "城关镇", "kind": "township"}
        expect(admin.post("/api/v1/units", json=unit), 201)
        account = {"name": "压测督查员", "role": "inspector"}
        token: str = expect(admin.post("/api/v1/accounts", json=account), 201)["token"]
    return token


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise BenchError(f"{response.request.url} answered {response.status_code}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


def wait_for_projections(base_url: str) -> None:
    """Until every projection has caught up with the log.

    The service's projection runners share its process; without this, the backlog of one
    workload would be processed during, and charged to, the next one's timed window.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    with httpx.Client(base_url=base_url, headers=bearer(ADMIN_TOKEN), timeout=30.0) as admin:
        while time.monotonic() < deadline:
            response = admin.get("/api/v1/projections")
            if response.status_code == 200 and all(p["lag"] == 0 for p in response.json()):
                return
            time.sleep(0.1)
    raise BenchError(
        f"projections still lagging after {SETTLE_SECONDS:.0f} s: {response.text[:600]}"
    )


# -- workloads ----------------------------------------------------------------------------------


def measure(target: Target, make: MakeRequest, opts: Options) -> tuple[Outcome, Outcome]:
    """An untimed warm-up, then the timed run; both outcomes (the ids of both are needed).

    Each starts on a quiet server, so no workload pays for the one before it.
    """
    settle(target)
    warm = load(target, make, opts, limit=opts.warmup, seconds=UNTIMED_SECONDS)
    fail_on_errors("warm-up", warm)
    settle(target)
    return warm, load(
        target,
        lambda n: make(opts.warmup + n),
        opts,
        limit=opts.requests,
        seconds=opts.seconds,
    )


def load(
    target: Target, make: MakeRequest, opts: Options, *, limit: int, seconds: float
) -> Outcome:
    return asyncio.run(
        drive(
            target.base_url,
            target.headers,
            make,
            clients=opts.clients,
            limit=limit,
            seconds=seconds,
        )
    )


def settle(target: Target) -> None:
    if target.settle is not None:
        target.settle()


def fail_on_errors(what: str, outcome: Outcome) -> None:
    if outcome.errors:
        raise BenchError(f"{what}: non-2xx answers {dict(outcome.errors)}")


def raise_request(n: int) -> tuple[str, dict[str, Any]]:
    return "/api/v1/findings", FINDING


def findings_to_order(ours: Target, have: list[str], need: int, opts: Options) -> list[str]:
    """`need` raised findings: those of raise_finding, topped up (untimed) if it stopped early."""
    missing = need - len(have)
    if missing <= 0:
        return have[:need]
    more = load(ours, raise_request, opts, limit=missing, seconds=UNTIMED_SECONDS)
    fail_on_errors("raising findings to order", more)
    return have + more.ids


def run_ours(ours: Target, opts: Options, label: str) -> list[Row]:
    progress("raise_finding" + label)
    raise_warm, raise_timed = measure(ours, raise_request, opts)
    ids = findings_to_order(
        ours, raise_warm.ids + raise_timed.ids, opts.warmup + opts.requests, opts
    )
    progress("order_rectification" + label)
    _, order_timed = measure(
        ours, lambda n: (f"/api/v1/findings/{ids[n]}/rectification-order", ORDER), opts
    )
    return [
        Row("raise_finding" + label, raise_timed),
        Row("order_rectification" + label, order_timed),
    ]


def progress(step: str) -> None:
    print(f"… {step}", file=sys.stderr, flush=True)


# -- report -------------------------------------------------------------------------------------

HEADER = (
    f"{'workload':<38} {'requests':>8} {'seconds':>8} {'commands/s':>10} "
    f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'× bare':>7} {'client cpu':>10}"
)


def print_report(rows: list[Row], opts: Options) -> tuple[float, str]:
    """The table and the verdict line; the ratio and the verdict."""
    bare = rows[0].outcome.rate
    print(
        f"{opts.clients} clients on loopback; each workload ≤{opts.requests} requests or "
        f"≤{opts.seconds:g} s after {opts.warmup} warm-up; {os.cpu_count()} CPUs; "
        f"pool {POOL_SIZE}+{MAX_OVERFLOW} on both servers; "
        "client cpu = the load generator's share of one CPU"
    )
    print(HEADER)
    for row in rows:
        o = row.outcome
        print(
            f"{row.workload:<38} {o.sent:>8} {o.seconds:>8.2f} {o.rate:>10.1f} "
            f"{o.percentile(50):>8.1f} {o.percentile(99):>8.1f} {o.error_count:>6} "
            f"{ratio(o.rate, bare):>7.2f} {o.client_cpu:>10.0%}"
        )
        if o.errors:
            print(f"  errors: {dict(o.errors)}")
    value = ratio(rows[1].outcome.rate, bare)
    verdict = judge(rows, value)
    print(f"ratio {rows[1].workload}/bare = {value:.2f} (bar {BAR:.2f}): {verdict}")
    return value, verdict


def ratio(ours: float, bare: float) -> float:
    return ours / bare if bare else 0.0


def judge(rows: list[Row], value: float) -> str:
    if any(row.outcome.errors for row in rows):
        return "INVALID (non-2xx answers)"
    return "PASS" if value >= BAR else "FAIL"


def write_json(path: Path, rows: list[Row], opts: Options, value: float, verdict: str) -> None:
    bare = rows[0].outcome.rate
    document = {
        "clients": opts.clients,
        "max_requests": opts.requests,
        "max_seconds": opts.seconds,
        "warmup": opts.warmup,
        "cpus": os.cpu_count(),
        "pool": {"size": POOL_SIZE, "max_overflow": MAX_OVERFLOW},
        "workloads": [row_json(row, bare) for row in rows],
        "ratio_raise_finding_to_bare": round(value, 3),
        "bar": BAR,
        "verdict": verdict.split()[0],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def row_json(row: Row, bare: float) -> dict[str, Any]:
    o = row.outcome
    return {
        "workload": row.workload,
        "requests": o.sent,
        "ok": o.ok,
        "seconds": round(o.seconds, 3),
        "commands_per_s": round(o.rate, 1),
        "p50_ms": ms(o.percentile(50)),
        "p99_ms": ms(o.percentile(99)),
        "errors": dict(o.errors),
        "ratio_to_bare": round(ratio(o.rate, bare), 3),
        "client_cpu": round(o.client_cpu, 3),
    }


def ms(value: float) -> float | None:
    """NaN (no 2xx answer at all) is not JSON; null is."""
    return None if math.isnan(value) else round(value, 2)


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    # SIGTERM becomes SystemExit, so the ExitStack still stops the servers and drops the
    # databases when the benchmark itself is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        with ExitStack() as stack:
            progress("starting the bare server on a fresh database")
            bare = start_bare(stack, opts)
            progress("bare_save")
            rows = [Row("bare_save", measure(bare, lambda n: ("/notes", NOTE), opts)[1])]
        modes = [opts.projection_runners] if opts.projection_runners else ["off", "worker"]
        for mode in modes:
            with ExitStack() as stack:
                progress(f"starting the service (projection runners: {mode}) on a fresh database")
                ours = start_ours(stack, opts, mode)
                rows += run_ours(ours, opts, "" if mode == "off" else f" + read side ({mode})")
    except (BenchError, psycopg.Error) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the servers are stopped and databases dropped by now
        print("interrupted", file=sys.stderr)
        return 130
    value, verdict = print_report(rows, opts)
    if opts.json_path is not None:
        write_json(opts.json_path, rows, opts, value, verdict)
    return {"PASS": 0, "FAIL": 1}.get(verdict, 2)


if __name__ == "__main__":
    sys.exit(main())
