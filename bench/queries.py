"""Read-side latency: p50/p99 of every list endpoint over a deterministic log of N events.

One run fills a fresh database (dropped at the end) through the application — units, findings
in every state, work items with ledgers and evaluations, rulings of both kinds; the random
choices come from a fixed seed, so two runs build the same log — then starts the service,
waits until every read model has caught up (printing the catch-up rate), and times
sequential requests to each list endpoint with varied filters and deep cursors. Baseline in
the same run: GET /healthz (the HTTP stack alone). The aim: p99 < 25 ms at ≥ 1,000,000 events.

    .venv/bin/python bench/queries.py [--events 1000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from uuid import UUID, uuid4

import harness
import httpx
import psycopg
from generate import TITLES as PROVINCE_TITLES

from api.runtime.bootstrap import build
from domain.actors import Actor
from domain.findings import Finding
from domain.rulings import AccountabilityRuling
from domain.vocabulary import Role
from domain.work_items import WorkItem
from infra.settings import Settings

SEED = 20181009
AIM_MS = 25.0
UNITS = 100
YEARS = (2022, 2023, 2024, 2025)
TOKEN = "bench-queries-admin"
ADMIN = Actor(id="a", name="管理员", role=Role.ADMIN)
INSPECTOR = Actor(id="i", name="督查员", role=Role.INSPECTOR).as_event_data()
TITLES = PROVINCE_TITLES[:6]  # the first six only: a seed builds the log it always built


def parse_args() -> argparse.Namespace:
    parser = harness.bench_parser("bench/queries.py", __doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="generate into database NAME and keep it; a later run with the same NAME "
        "reuses it instead of generating again",
    )
    return harness.parse_with_database_url(
        parser, "a PostgreSQL server where a database may be created and dropped"
    )


def finding(rng: random.Random, unit: str) -> Finding:
    """A finding carried a random way along its lifecycle (1–4 events)."""
    found = date(2022, 1, 1) + timedelta(days=rng.randrange(1400))
    f = Finding(
        id=UUID(int=rng.getrandbits(128)),
        unit_code=unit,
        title=rng.choice(TITLES),
        description="基准测试生成的问题说明：" + rng.choice(TITLES),
        category="other",
        severity=rng.choice(["minor", "major", "serious"]),
        source="other",
        found_on=found,
        work_item_id=None,
        evidence=[],
        actor=INSPECTOR,
        origin=None,
    )
    steps = rng.randrange(4)
    if steps >= 1:
        f.order_rectification(
            deadline=found + timedelta(days=30), requirements="整改", actor=INSPECTOR
        )
    if steps >= 2:
        f.report_rectification(summary="已整改", evidence=[], actor=INSPECTOR)
    if steps >= 3:
        f.verify(
            outcome="accepted", comment="", new_deadline=None, verified_on=found, actor=INSPECTOR
        )
    return f


def work_item(rng: random.Random, unit: str) -> WorkItem:
    year = rng.choice([2022, 2023, 2024, 2025])
    w = WorkItem(
        id=uuid4(),
        title=rng.choice(TITLES),
        year=year,
        lead_unit=unit,
        co_units=[],
        due_on=date(year, 12, 31),
        source_ref="两强三提高",
        description=None,
        actor=INSPECTOR,
    )
    w.log_progress(note="推进中", percent=50, actor=INSPECTOR)
    w.evaluate(score=rng.randrange(60, 100), grade="good", comment="", actor=INSPECTOR)
    return w


def generate(settings: Settings, events: int) -> None:
    """About `events` events, in saves of many aggregates each."""
    rng = random.Random(SEED)
    services = build(settings, runners="off")
    try:
        units = [f"u{n:03d}" for n in range(UNITS)]
        for code in units:
            services.app.register_unit(code=code, name=f"单位{code}", kind="township", actor=ADMIN)
        made, started = UNITS, time.perf_counter()
        while made < events:
            batch: list[object] = []
            for _ in range(300):
                unit = rng.choice(units)
                roll = rng.random()
                if roll < 0.85:
                    batch.append(finding(rng, unit))
                elif roll < 0.97:
                    batch.append(work_item(rng, unit))
                else:
                    batch.append(
                        AccountabilityRuling(
                            id=uuid4(),
                            subject={"unit_code": unit},
                            finding_ids=[],
                            form="written_inspection",
                            basis="规定",
                            facts="推进不力",
                            actor=INSPECTOR,
                        )
                    )
            recordings = services.app.save(*batch)  # type: ignore[arg-type]
            made += len(recordings)
            rate = made / (time.perf_counter() - started)
            print(f"\r… generated {made:,} events ({rate:,.0f}/s)", end="", file=sys.stderr)
        print(file=sys.stderr)
    finally:
        services.close()


def catch_up(base_url: str) -> float:
    """Seconds until every read model has processed the whole log."""
    started = time.perf_counter()
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    ) as client:
        while True:
            response = client.get("/api/v1/projections")
            if response.status_code != 200:
                raise SystemExit(f"GET /api/v1/projections: {response.status_code} {response.text}")
            states = response.json()
            lag = sum(p["lag"] for p in states)
            print(f"\r… read models catching up: lag {lag:,}   ", end="", file=sys.stderr)
            if lag == 0:
                print(file=sys.stderr)
                return time.perf_counter() - started
            time.sleep(1.0)


def settle(url: str) -> None:
    """VACUUM ANALYZE once the read models have caught up: a burst of a million updates
    leaves the visibility map unset and the statistics stale until autovacuum comes round,
    which on a service running all day it has; the timings are of that steady state."""
    print("… VACUUM ANALYZE", file=sys.stderr)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def timings(client: httpx.Client, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
    return out


def cold_scorecards(client: httpx.Client, n: int, rng: random.Random) -> list[float]:
    """Scorecards read afresh: each answer is kept until a read model it reads moves, so
    before each timed request a unit of the benchmark's own (one per run, read by no other
    workload) is renamed, moving the directory, and the read models are let catch up,
    untimed; the request then runs the whole query."""
    unit = f"bench-{uuid.uuid4().hex[:12]}"  # new on every run, also of a kept database
    body = {"code": unit, "name": "基准单位", "kind": "agency"}
    response = client.post("/api/v1/units", json=body)
    if response.status_code != 201:
        raise SystemExit(f"POST /api/v1/units: {response.status_code} {response.text[:200]}")
    out = []
    for k in range(n):
        body = {"name": f"基准单位{k}", "reason": "基准测试", "effective_on": "2026-01-01"}
        response = client.post(f"/api/v1/units/{unit}/renaming", json=body)
        if response.status_code != 200:
            raise SystemExit(f"renaming {unit}: {response.status_code} {response.text[:200]}")
        while sum(p["lag"] for p in client.get("/api/v1/projections").json()):
            time.sleep(0.01)
        out += timings(client, [f"/api/v1/stats/units?year={rng.choice(YEARS)}"])
    return out


def deep_cursor(client: httpx.Client, path: str, pages: int) -> str:
    cursor = None
    for _ in range(pages):
        page = client.get(path + (f"&cursor={cursor}" if cursor else "")).json()
        cursor = page["next_cursor"] or cursor
    return f"{path}&cursor={cursor}" if cursor else path


def workloads(
    client: httpx.Client, n: int, rng: random.Random, units: list[str] | None = None
) -> dict[str, list[str]]:
    codes = units or [f"u{k:03d}" for k in range(UNITS)]
    unit = lambda: rng.choice(codes)  # noqa: E731
    year = lambda: rng.choice(YEARS)  # noqa: E731
    return {
        "healthz (baseline)": ["/healthz"] * n,
        "findings": [f"/api/v1/findings?limit=50&year={year()}" for _ in range(n)],
        "findings?unit_code": [f"/api/v1/findings?unit_code={unit()}&limit=50" for _ in range(n)],
        "findings?overdue": ["/api/v1/findings?overdue=true&limit=50"] * n,
        "findings?q": [f"/api/v1/findings?q={rng.choice(TITLES)[:2]}&limit=50" for _ in range(n)],
        "findings (page 20)": [deep_cursor(client, "/api/v1/findings?limit=50", 20)] * n,
        "work-items?year": [f"/api/v1/work-items?year={year()}&limit=50" for _ in range(n)],
        "rulings?unit_code": [f"/api/v1/rulings?unit_code={unit()}" for _ in range(n)],
        "case-library?q": [f"/api/v1/case-library?q={rng.choice(TITLES)[:2]}" for _ in range(n)],
        "units/{code}/history": [f"/api/v1/units/{unit()}/history?limit=50" for _ in range(n)],
        "stats/units?year (kept)": [f"/api/v1/stats/units?year={year()}" for _ in range(n)],
        "events?after": [f"/api/v1/events?after={rng.randrange(1000)}&limit=50" for _ in range(n)],
        "units": ["/api/v1/units?limit=100"] * n,
    }


def main() -> int:
    args = parse_args()
    with harness.service_database(args.database_url, args.keep, "bench_queries") as (settings, new):
        if new:
            generate(settings, args.events)
        else:
            print(f"reusing database {args.keep!r}", file=sys.stderr)
        env = harness.service_env(settings, TOKEN)
        with harness.serving(env) as base_url:
            seconds = catch_up(base_url)
            settle(str(settings.database_url))
            with httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
            ) as client:
                rng = random.Random(SEED)
                rows = {
                    name: timings(client, paths)
                    for name, paths in workloads(client, args.requests, rng).items()
                }
                rows["stats/units?year (fresh)"] = cold_scorecards(client, args.requests, rng)
    print(
        f"{args.events:,} events; read models caught up in {seconds:,.0f} s "
        f"({args.events / max(seconds, 1e-9):,.0f} events/s); {os.cpu_count()} CPUs"
    )
    print(f"{'endpoint':<24} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    worst = 0.0
    for name, values in rows.items():
        p99 = harness.percentile(values, 99)
        if "baseline" not in name:
            worst = max(worst, p99)
        print(
            f"{name:<24} {len(values):>8} {harness.percentile(values, 50):>8.1f} {p99:>8.1f} "
            f"{statistics.mean(values):>8.1f}"
        )
    print(
        f"worst p99 {worst:.1f} ms (aim < {AIM_MS:.0f} ms): "
        f"{'MET' if worst < AIM_MS else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
