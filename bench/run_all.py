"""Every headline figure of the service in one table, each beside a baseline from the same run.

  commands      durable commands/s over HTTP (POST /api/v1/findings) at 1 and 32 clients,
                p50/p99; group commit on (the default) and off (the library's one save per
                command); baselines: a no-op endpoint (same HTTP stack and body validation,
                nothing stored) and raw single-row INSERT+COMMIT from 1 and 32 connections
  lag           projection lag p50/p99 (events, and ms at that rate) under a steady open-loop
                300 commands/s, the projections running in the service's worker process
  full scale    on a province-scale log (bench/generate.py): a full rebuild's events/s
                (`supervision projections rebuild all`, all projections from zero) and the
                runners' catch-up from zero (a worker down since the first event), both
                beside the decoded log read; p50/p99 of every list endpoint (baseline
                /healthz), chain verification events/s, peak RSS of the service (with its
                worker) and of the full rebuild

    .venv/bin/python bench/run_all.py [--scale 1.0] [--keep NAME] [--seconds 15]
    .venv/bin/python bench/run_all.py --curve docs/performance-curve.png [--curve-scales …]

`--curve` runs the full-scale part at 0.1, 0.3 and 1.0 province scale and draws rebuild time,
verification time, the slowest list's p99 and the service's RSS against the log's size, each
with its least-squares line, and where the rebuild would cross an hour (bench/curve.py).

`--keep NAME` keeps the generated log in database NAME and reuses it next time (generating
1.5M events takes a while). Figures depend on the machine: docs/performance.md says which.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import commands
import curve
import generate
import httpx
import psycopg
import queries
from harness import (
    bench_parser,
    fresh_database,
    parse_with_database_url,
    percentile,
    service_database,
    service_env,
    serving,
    supervision,
)
from loadgen import Connection, Outcome, send

TOKEN = queries.TOKEN


@dataclass
class Row:
    section: str
    name: str
    value: str
    baseline: str = ""
    ratio: str = ""
    aim: str = ""


# Issue 19's aims: each ratio to its same-run baseline.
AIMS = {
    "commands@32 one worker": 0.4,
    "commands@32 two workers": 0.5,
    "generate": 0.25,
    "rebuild": 0.3,
    "catch-up": 0.3,
}


def against(name: str, ratio: float) -> str:
    """The aim `name` and whether `ratio` meets it."""
    bar = AIMS[name]
    return f"≥ {bar:.2f} {'met' if ratio >= bar else 'not met'}"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, *args: str) -> None:
        self.rows.append(Row(*args))
        print(f"… {' | '.join(args)}", file=sys.stderr, flush=True)

    def print(self) -> None:
        print(f"{'section':<11} {'measure':<46} {'value':>24} {'baseline':>24} {'ratio':>6}  aim")
        for r in self.rows:
            print(
                f"{r.section:<11} {r.name:<46} {r.value:>24} {r.baseline:>24} {r.ratio:>6}  "
                f"{r.aim}".rstrip()
            )


# -- commands -----------------------------------------------------------------------------------


def raw_insert_rate(url: str, clients: int, seconds: float) -> float:
    """Single-row INSERT + COMMIT (durable: synchronous_commit on) from `clients` connections."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_commits (id bigserial PRIMARY KEY, body jsonb)"
        )
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(k: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                conn.execute("INSERT INTO raw_commits (body) VALUES (%s)", ('{"title": "整改"}',))
                counts[k] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


def figure(o: Outcome) -> str:
    return f"{o.rate:,.0f}/s p50 {o.percentile(50):.0f} p99 {o.percentile(99):.0f} ms"


def command_section(report: Report, opts: commands.Options) -> None:
    with contextlib.ExitStack() as stack:
        raw_url = stack.enter_context(fresh_database(opts.database_url, "bench_raw"))
        bare = commands.start_bare(stack, opts)
        grouped = commands.start_ours(stack, opts, "off")
        workers = commands.start_ours(stack, opts, "off", {"SUPERVISION_WORKERS": "2"})
        single = commands.start_ours(stack, opts, "off", {"SUPERVISION_GROUP_COMMIT": "false"})
        for clients in (1, 32):
            o = replace(opts, clients=clients)
            raw = raw_insert_rate(raw_url, clients, min(opts.seconds, 10))
            _, noop = commands.measure(bare, lambda n: ("/noop", {"title": f"n{n}"}), o)
            _, ours = commands.measure(grouped, commands.raise_request, o)
            _, two = commands.measure(workers, commands.raise_request, o)
            _, lib = commands.measure(single, commands.raise_request, o)
            for name, outcome in (
                ("no-op endpoint", noop),
                ("group commit", ours),
                ("two HTTP workers", two),
                ("one save per command", lib),
            ):
                commands.fail_on_errors(name, outcome)
            section = f"commands@{clients}"
            report.add(section, "raw INSERT+COMMIT (baseline)", f"{raw:,.0f}/s")
            report.add(section, "no-op endpoint (baseline)", figure(noop))
            one, both = ours.rate / noop.rate, two.rate / noop.rate
            report.add(
                section,
                "raise_finding, group commit (default)",
                figure(ours),
                f"{noop.rate:,.0f}/s no-op",
                f"{one:.2f}",
                against("commands@32 one worker", one) if clients == 32 else "",
            )
            report.add(
                section,
                "raise_finding, group commit, 2 HTTP workers",
                figure(two),
                f"{noop.rate:,.0f}/s no-op",
                f"{both:.2f}",
                against("commands@32 two workers", both) if clients == 32 else "",
            )
            report.add(
                section,
                "raise_finding, one save per command",
                figure(lib),
                f"{ours.rate:,.0f}/s grouped",
                f"{lib.rate / ours.rate:.2f}",
            )
            report.add(section, "  ÷ raw INSERT+COMMIT", f"{ours.rate / raw:.2f}")


# -- lag under steady load ----------------------------------------------------------------------


async def steady(base_url: str, headers: dict[str, str], rate: float, seconds: float) -> Outcome:
    """Open loop: a request every 1/rate s whatever the answers do (32 connections)."""
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(32):
        connection = Connection(base_url, headers)
        await connection.open()
        free.put_nowait(connection)
    outcome, tasks = Outcome(), []
    start = time.perf_counter()

    async def one(n: int) -> None:
        connection = await free.get()
        try:
            await send(connection, commands.raise_request(n), outcome)
        finally:
            free.put_nowait(connection)

    n = 0
    while (now := time.perf_counter() - start) < seconds:
        due = n / rate
        if due > now:
            await asyncio.sleep(due - now)
        tasks.append(asyncio.create_task(one(n)))
        n += 1
    await asyncio.gather(*tasks)
    outcome.seconds = time.perf_counter() - start
    while not free.empty():
        free.get_nowait().close()
    return outcome


def lag_section(report: Report, opts: commands.Options, rate: float) -> None:
    with contextlib.ExitStack() as stack:
        target = commands.start_ours(stack, opts, "worker")
        commands.settle(target)
        lags: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            with httpx.Client(
                base_url=target.base_url, headers=commands.bearer(commands.ADMIN_TOKEN), timeout=10
            ) as admin:
                while not stop.is_set():
                    states = admin.get("/api/v1/projections").json()
                    lags.append(max(p["lag"] for p in states))
                    stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        outcome = asyncio.run(steady(target.base_url, target.headers, rate, opts.seconds))
        stop.set()
        sampler.join()
        commands.fail_on_errors("steady load", outcome)
    p50, p99 = percentile(lags, 50), percentile(lags, 99)
    report.add(
        "lag",
        f"projection lag at a steady {rate:.0f} commands/s",
        f"p50 {p50:.0f} p99 {p99:.0f} events",
        f"≈ p99 {p99 / rate * 1000:.0f} ms",
    )
    report.add("lag", "  commands answered meanwhile", figure(outcome))


# -- full scale ---------------------------------------------------------------------------------


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a process and of its descendants, summed (MiB)."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
    return total


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


@dataclass(frozen=True)
class Point:
    """What one scale costs: the curve's coordinates (bench/curve.py draws them)."""

    scale: float
    events: int
    rebuild_seconds: float
    verify_seconds: float
    list_p99_ms: float  # the slowest list endpoint's p99
    rss_mib: float  # the service's peak RSS (API + worker)


def full_scale_section(report: Report, args: argparse.Namespace) -> Point:
    scale = generate.Scale().times(args.scale)
    with service_database(args.database_url, args.keep, "bench_all") as (settings, new):
        url = str(settings.database_url)
        if new:
            events, seconds, sizes = generate.generate(
                settings,
                scale,
                200,
                lambda e, s: print(f"\r… generated {e:,}", end="", file=sys.stderr),
            )
            print(file=sys.stderr)
            state_bytes = generate.average_state_bytes(url)
            raw = generate.raw_baseline(url, sizes, state_bytes)
            report.add(
                "generate",
                f"{events:,} events through the application",
                f"{events / seconds:,.0f} events/s",
                f"{raw:,.0f}/s raw INSERT",
                f"{events / seconds / raw:.2f}",
                against("generate", events / seconds / raw),
            )
            sent = generate.sent_rows_baseline(url, sizes, state_bytes)
            report.add(
                "generate",
                "the same, beside the rows sent by a client",
                f"{events / seconds:,.0f} events/s",
                f"{sent:,.0f}/s INSERT of sent rows",
                f"{events / seconds / sent:.2f}",
            )
            work_events, work_seconds = generate.client_work_rate(settings, scale)
            report.add(
                "generate",
                "its Python alone, nothing written (the ceiling)",
                f"{work_events / work_seconds:,.0f} events/s",
                f"{raw:,.0f}/s raw INSERT",
                f"{work_events / work_seconds / raw:.2f}",
            )
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM supervision_events").fetchone()
            events = int(row[0]) if row else 0
            conn.execute("SELECT 1")
        env = service_env(settings, TOKEN)
        # Catch-up from zero: the read models of a kept log are rebuilt by a full rebuild
        # first, timed, with its peak RSS (that is the "full rebuild" figure).
        started = time.perf_counter()
        proc = subprocess.Popen(
            supervision("projections", "rebuild", "all", "--quiet"),
            env=env,
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"rebuild failed with status {status}")
        rebuild_seconds = time.perf_counter() - started
        decoded, decode_seconds = generate.decoded_read_rate(settings)

        def beside_the_read(aim: str, label: str, events: int, seconds: float) -> None:
            """A replay's rate beside the decoded log read, and its aim."""
            ratio = events / seconds / (decoded / decode_seconds)
            report.add(
                "scale",
                f"{label} ({events:,} events, {seconds:,.0f} s)",
                f"{events / seconds:,.0f} events/s",
                f"{decoded / decode_seconds:,.0f}/s decoded log read",
                f"{ratio:.2f}",
                against(aim, ratio),
            )

        beside_the_read("rebuild", "full rebuild of every read model", events, rebuild_seconds)
        report.add("scale", "peak RSS of the full rebuild", f"{usage.ru_maxrss / 1024:,.0f} MiB")
        beside_the_read(
            "catch-up", "runners' catch-up from zero", *generate.catch_up_rate(settings)
        )
        queries.settle(url)  # VACUUM ANALYZE: the steady state autovacuum keeps
        started_procs: list[subprocess.Popen[bytes]] = []
        with serving(env, started=started_procs) as base_url:
            queries.catch_up(base_url)
            with httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
            ) as client:
                started = time.perf_counter()
                verdict = client.get("/api/v1/audit/verification").json()
                verify_seconds = time.perf_counter() - started
                report.add(
                    "scale",
                    "chain verification (GET /audit/verification)",
                    f"{verdict['events_verified'] / verify_seconds:,.0f} events/s",
                    "ok" if verdict["ok"] else "FAILED",
                )
                units = [f"p{n:04d}" for n in range(scale.units)]
                loads = queries.workloads(
                    client, args.requests, random.Random(generate.SEED), units
                )
                timed = {name: queries.timings(client, paths) for name, paths in loads.items()}
                timed["stats/units?year (fresh)"] = queries.cold_scorecards(
                    client, args.requests, random.Random(generate.SEED)
                )
            base = timed.pop("healthz (baseline)")
            for name, values in timed.items():
                report.add(
                    "lists",
                    name,
                    f"p50 {percentile(values, 50):.1f} p99 {percentile(values, 99):.1f} ms",
                    f"healthz p99 {percentile(base, 99):.1f} ms",
                )
            rss = peak_rss_mib(started_procs[0].pid)
            report.add("scale", "peak RSS of the service (API + worker)", f"{rss:,.0f} MiB")
    slowest = max(percentile(values, 99) for values in timed.values())
    return Point(args.scale, events, rebuild_seconds, verify_seconds, slowest, rss)


def parse_args() -> argparse.Namespace:
    parser = bench_parser("bench/run_all.py", __doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="province scale factor of the log")
    parser.add_argument(
        "--keep", metavar="NAME", help="keep (and reuse) the generated log in database NAME"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="timed window of each load")
    parser.add_argument(
        "--requests", type=int, default=200, help="timed requests per list endpoint"
    )
    parser.add_argument("--rate", type=float, default=300.0, help="commands/s of the steady load")
    parser.add_argument(
        "--curve",
        metavar="PNG",
        type=Path,
        help="measure the full-scale figures at each of --curve-scales and draw how they grow "
        "into PNG (e.g. docs/performance-curve.png)",
    )
    parser.add_argument(
        "--curve-scales",
        type=lambda text: [float(v) for v in text.split(",")],
        default=[0.1, 0.3, 1.0],
        help="the province scales of --curve, comma-separated (default 0.1,0.3,1.0)",
    )
    parser.add_argument(
        "--only",
        choices=("commands", "lag", "scale"),
        action="append",
        help="run only these sections (repeatable)",
    )
    return parse_with_database_url(
        parser, "a PostgreSQL server where databases may be created and dropped"
    )


def main() -> int:
    args = parse_args()
    sections = args.only or ["commands", "lag", "scale"]
    opts = commands.Options(
        clients=32,
        requests=1_000_000,
        seconds=args.seconds,
        warmup=200,
        database_url=args.database_url,
        json_path=None,
        projection_runners=None,
    )
    report = Report()
    started = time.perf_counter()
    if args.curve is not None:
        points = [full_scale_section(report, replace_scale(args, s)) for s in args.curve_scales]
        curve.draw(points, args.curve)
        print(
            f"{len(points)} scales drawn into {args.curve} in {time.perf_counter() - started:,.0f}"
            f" s; PostgreSQL {server_version(args.database_url)}"
        )
        report.print()
        curve.print_table(points)
        return 0
    if "commands" in sections:
        command_section(report, opts)
    if "lag" in sections:
        lag_section(report, opts, args.rate)
    if "scale" in sections:
        full_scale_section(report, args)
    print(
        f"bench/run_all.py on {os.cpu_count()} CPUs, {time.perf_counter() - started:,.0f} s; "
        f"PostgreSQL {server_version(args.database_url)}"
    )
    report.print()
    return 0


def replace_scale(args: argparse.Namespace, scale: float) -> argparse.Namespace:
    """The arguments with another scale (a kept log is kept per scale)."""
    keep = f"{args.keep}_{str(scale).replace('.', '_')}" if args.keep else None
    return argparse.Namespace(**{**vars(args), "scale": scale, "keep": keep})


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


if __name__ == "__main__":
    sys.exit(main())
