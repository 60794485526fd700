"""Hash-chain verification speed: events per second from the database and from a bundle.

One run: a fresh database (dropped at the end) is filled, through the application and its
hash-chained recorder, with N events (default 1,000,000: findings raised in batches of many
aggregates per save), then:

  checkpoint       the signer's first checkpoint (version 2): the Merkle root of every row
  read_db          the same rows streamed from the database without verifying (baseline)
  verify_db        `infra.audit.verify_chain`: the links alone
  verify_signed    `infra.bundle.verify_checkpoints` with the pinned key (what `supervision
                   audit verify --public-key` does): the links, the checkpoint, its root,
                   on every core as the command does (stretches side by side, ADR 028)
  signed_1p        the same in one process (`--workers 1`)
  export           writing the bundle (`supervision audit export`)
  read_bundle      the bundle's lines read and JSON-decoded without verifying (baseline)
  verify_bundle    `infra.bundle.verify_bundle_file` (`supervision audit verify --bundle`),
                   on every core
  bundle_1p        the same in one process
  verify_tool      tools/verify_bundle.py, the standalone verifier, in a subprocess (every
                   core, its default)
  tool_1p          the same with --workers 1

then the Merkle proofs (`GET /api/v1/audit/proofs/…`): the stored subtrees made once, and
the time of PROOFS inclusion and consistency proofs at random sizes (p50, p99), beside the
time of reading one chain row (baseline).

The aims are ≥ 100,000 events/s verified and proofs under 50 ms.

    .venv/bin/python bench/verify.py [--events 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

from harness import bench_parser, parse_with_database_url, service_database

from api.runtime.bootstrap import build
from domain.actors import Actor
from domain.findings import Finding
from domain.vocabulary import Role
from infra.audit import verify_chain, walk
from infra.bundle import Export, verify_bundle_file, verify_checkpoints
from infra.merkle_store import extend, prove_consistency, prove_inclusion
from infra.settings import Settings
from infra.signing import public_key_raw
from infra.stretch import workers_available

REPO = Path(__file__).resolve().parents[1]
AIM = 100_000
CORES = workers_available()  # what `supervision audit verify` and the tool use by default
BATCH = 2_000
ACTOR = Actor(id="bench", name="基准测试", role=Role.INSPECTOR).as_event_data()


def parse_args() -> argparse.Namespace:
    parser = bench_parser("bench/verify.py", __doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    return parse_with_database_url(
        parser, "a PostgreSQL server where a database may be created and dropped"
    )


def generate(settings: Settings, events: int) -> None:
    """`events` findings raised (one event each), BATCH aggregates per save."""
    services = build(settings, runners="off")
    try:
        services.app.register_unit(
            code="bench",
            name="基准单位",
            kind="township",
            actor=Actor(id="a", name="管理员", role=Role.ADMIN),
        )
        made, started = 1, time.perf_counter()
        while made < events:
            n = min(BATCH, events - made)
            findings = [
                Finding(
                    id=uuid4(),
                    unit_code="bench",
                    title=f"问题{made + i}",
                    description="基准测试生成的问题说明",
                    category="other",
                    severity="minor",
                    source="other",
                    found_on=date(2024, 1, 1),
                    work_item_id=None,
                    evidence=[],
                    actor=ACTOR,
                    origin=None,
                )
                for i in range(n)
            ]
            services.app.save(*findings)
            made += n
            rate = made / (time.perf_counter() - started)
            print(f"\r… generated {made:,} events ({rate:,.0f}/s)", end="", file=sys.stderr)
        print(file=sys.stderr)
    finally:
        services.close()


PROOFS = 200


def time_proofs(database: Any, events: int) -> dict[str, list[float]]:
    """Seconds of each proof at random sizes and indexes, after the subtrees are made (the
    first extension, timed alone), beside reading one chain row."""
    picks = random.Random(7)
    times: dict[str, list[float]] = {"extend_once": [], "row_read": [], "inclusion": []}
    times["consistency"] = []
    with database.connect() as conn:
        started = time.perf_counter()
        extend(conn, "sha256", events)
        times["extend_once"].append(time.perf_counter() - started)
        for _ in range(PROOFS):
            size = picks.randint(events // 2, events)
            index = picks.randint(1, size)
            for label, run, args in (
                ("row_read", chain_length_row, (conn, index)),
                ("inclusion", prove_inclusion, (conn, "sha256", index, size)),
                ("consistency", prove_consistency, (conn, "sha256", index, size)),
            ):
                started = time.perf_counter()
                run(*args)
                times[label].append(time.perf_counter() - started)
    return times


def chain_length_row(conn: Any, index: int) -> Any:
    return conn.execute(
        "SELECT hash FROM supervision_chain WHERE ledger_index = %s", (index,)
    ).fetchone()


def timed(label: str, count: Callable[[], int]) -> tuple[str, int, float]:
    print(f"… {label}", file=sys.stderr)
    started = time.perf_counter()
    n = count()
    return label, n, time.perf_counter() - started


def main() -> int:
    args = parse_args()
    with service_database(args.database_url, None, "bench_verify") as (settings, _):
        generate(settings, args.events)
        services = build(settings, runners="off")
        bundle = settings.data_dir / "bundle.jsonl"
        try:
            database = services.database

            def read_db() -> int:
                with database.connect() as conn, conn.transaction():
                    return sum(1 for _ in walk(conn))

            def verify_db() -> int:
                result = verify_chain(database, "sha256")
                assert result.ok, result
                return result.events_verified

            def checkpoint() -> int:
                return int(services.checkpoint()["index"])

            def verify_signed(workers: int = CORES) -> int:
                key = public_key_raw(services.key())
                result = verify_checkpoints(database, key, workers=workers)
                assert result.ok and result.checkpoints_verified == 1, result
                return result.events_verified

            def export() -> int:
                with Export(database) as writer:
                    writer.write(bundle)
                return args.events

            def read_bundle() -> int:
                with bundle.open("rb") as file:
                    return sum(1 for line in file if json.loads(line).get("type") == "event")

            def verify_file(workers: int = CORES) -> int:
                result = verify_bundle_file(bundle, workers=workers)
                assert result.ok, result
                return result.events_verified

            def verify_tool(*options: str) -> int:
                tool = REPO / "tools" / "verify_bundle.py"
                done = subprocess.run(
                    [sys.executable, str(tool), str(bundle), *options],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                return int(json.loads(done.stdout)["events_verified"])

            proof_times = time_proofs(database, args.events)
            rows = [
                timed("checkpoint", checkpoint),
                timed("read_db", read_db),
                timed("verify_db", verify_db),
                timed("verify_signed", verify_signed),
                timed("signed_1p", lambda: verify_signed(1)),
                timed("export", export),
                timed("read_bundle", read_bundle),
                timed("verify_bundle", verify_file),
                timed("bundle_1p", lambda: verify_file(1)),
                timed("verify_tool", verify_tool),
                timed("tool_1p", lambda: verify_tool("--workers", "1")),
            ]
        finally:
            services.close()
        size = bundle.stat().st_size
    print(f"{args.events:,} events; bundle {size / 2**20:,.1f} MiB; {CORES} cores")
    print(f"{'step':<15} {'events':>10} {'seconds':>8} {'events/s':>10} {'× baseline':>10}")
    rates = {label: n / s for label, n, s in rows}
    base = {"verify_db": "read_db", "verify_signed": "read_db", "signed_1p": "read_db"}
    base |= {step: "read_bundle" for step in ("verify_bundle", "bundle_1p")}
    base |= {"verify_tool": "read_bundle", "tool_1p": "read_bundle"}
    for label, n, seconds in rows:
        ratio = f"{rates[label] / rates[base[label]]:.2f}" if label in base else ""
        print(f"{label:<15} {n:>10,} {seconds:>8.2f} {rates[label]:>10,.0f} {ratio:>10}")
    print(f"{'proofs':<15} {'p50 ms':>10} {'p99 ms':>8}")
    for label, samples in proof_times.items():
        ordered = sorted(samples)
        p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]
        print(f"{label:<15} {p50 * 1000:>10.2f} {p99 * 1000:>8.2f}")
    worst = min(rates[step] for step in ("verify_signed", "verify_bundle", "verify_tool"))
    print(
        f"slowest verification on {CORES} cores {worst:,.0f} events/s (aim {AIM:,}): "
        f"{'MET' if worst >= AIM else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
