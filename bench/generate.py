"""Province-scale data: 1,000 units, 200k findings in every state, 50k work items, 20k rulings.

Deterministic (one seed drives every choice, ids included; only the recorded timestamps
differ between runs) and written through the application layer: aggregates are built with
their own domain methods and saved many per `Application.save()` (each save is one
transaction: events, hash chain and all). The same run then inserts the same number of rows,
of the same sizes and in the same batches, with plain batched INSERTs into a bare table: the
ratio of the two rates is what the application layer, the mapper and the hash chain cost.

    .venv/bin/python bench/generate.py [--scale 1.0] [--keep NAME]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import psycopg
from harness import bench_parser, parse_with_database_url, service_database

from api.runtime.bootstrap import build
from domain.actors import Actor
from domain.findings import Finding
from domain.rulings import AccountabilityRuling, ToleranceRuling
from domain.units import Unit
from domain.vocabulary import FindingCategory, FindingSource, Role
from domain.work_items import WorkItem
from infra.migrations import schema_datastore
from infra.settings import Settings
from projections.registry import PROJECTIONS
from projections.replay import scratch_schema
from projections.runner import catch_up

SEED = 20181009
INSPECTOR = Actor(id="gen-i", name="督查员", role=Role.INSPECTOR).as_event_data()
AUTHORITY = Actor(id="gen-au", name="县纪委监委", role=Role.AUTHORITY).as_event_data()
UNIT = Actor(id="gen-u", name="单位联络员", role=Role.UNIT).as_event_data()
TITLES = [
    "重点工作推进缓慢",
    "整改不到位",
    "服务窗口超时",
    "台账资料缺失",
    "程序不规范",
    "廉政风险",
    "项目建设滞后",
    "群众反映强烈",
]
CATEGORIES = [category.value for category in FindingCategory]
SOURCES = [source.value for source in FindingSource if source is not FindingSource.OTHER]
FORMS = [
    "written_inspection",
    "circulated_criticism",
    "admonishment",
    "organisational_adjustment",
    "disciplinary_sanction",
]
CRITERIA = [
    "pilot_inexperience",
    "exploration_without_clear_rules",
    "unintended_for_public_good",
    "due_procedure",
    "no_personal_gain",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


@dataclass(frozen=True)
class Scale:
    units: int = 1_000
    findings: int = 200_000
    work_items: int = 50_000
    rulings: int = 20_000

    def times(self, factor: float) -> Scale:
        return Scale(
            *(
                max(1, round(n * factor))
                for n in (self.units, self.findings, self.work_items, self.rulings)
            )
        )


class Generator:
    """Builds the province's aggregates from one seeded random source."""

    def __init__(self, scale: Scale, seed: int = SEED) -> None:
        self.scale, self.rng = scale, random.Random(seed)
        self.unit_codes = [f"p{n:04d}" for n in range(scale.units)]
        self.findings_of: dict[str, list[UUID]] = {}

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def units(self) -> Iterator[Unit]:
        kinds = ["township", "subdistrict", "department", "agency"]
        for n, code in enumerate(self.unit_codes):
            yield Unit(code=code, name=f"第{n + 1}单位", kind=kinds[n % 4], actor=INSPECTOR)

    def finding(self) -> Finding:
        """A finding carried along its lifecycle to one of every state, with detours
        (rejections, extensions, escalations, amendments, reopenings) on the way."""
        rng = self.rng
        unit = rng.choice(self.unit_codes)
        found = date(2022, 1, 1) + timedelta(days=rng.randrange(1700))
        f = Finding(
            id=self.uuid(),
            unit_code=unit,
            title=rng.choice(TITLES) + f"（{rng.randrange(10_000)}号）",
            description="经督查发现：" + "，".join(rng.sample(TITLES, 3)) + "。",
            category=rng.choice(CATEGORIES),
            severity=rng.choice(["minor", "major", "serious"]),
            source=rng.choice(SOURCES),
            found_on=found,
            work_item_id=None,
            evidence=[],
            actor=INSPECTOR,
            origin=None,
        )
        self.findings_of.setdefault(unit, []).append(f.id)
        roll = rng.random()
        if roll < 0.08:  # raised
            return f
        if roll < 0.12:  # withdrawn
            f.withdraw(reason="重复登记", actor=INSPECTOR)
            return f
        if rng.random() < 0.5:
            f.amend(changes={"severity": "major"}, reason="更正", actor=INSPECTOR)
        deadline = found + timedelta(days=rng.choice([15, 30, 60, 90]))
        f.order_rectification(deadline=deadline, requirements="限期整改", actor=INSPECTOR)
        if rng.random() < 0.5:
            deadline += timedelta(days=30)
            f.extend_deadline(new_deadline=deadline, reason="客观原因", actor=INSPECTOR)
        if roll < 0.30:  # rectifying (many overdue)
            if rng.random() < 0.6:
                f.escalate(reason="逾期未整改", actor=INSPECTOR)
            return f
        f.report_rectification(summary="已完成整改", evidence=[], actor=UNIT)
        # The inspector verifies on the deadline day, without setting a new one.
        verify = partial(f.verify, new_deadline=None, verified_on=deadline, actor=INSPECTOR)
        if rng.random() < 0.4:  # rejected once, reported again
            verify(outcome="rejected", comment="整改不彻底")
            f.report_rectification(summary="再次整改完成", evidence=[], actor=UNIT)
        if roll < 0.45:  # reported
            return f
        verify(outcome="accepted", comment="同意销号")
        if rng.random() < 0.05:  # reopened
            f.reopen(reason="问题反弹", new_deadline=deadline + timedelta(days=60), actor=INSPECTOR)
        return f

    def work_item(self) -> WorkItem:
        rng = self.rng
        year = rng.choice([2022, 2023, 2024, 2025, 2026])
        lead = rng.choice(self.unit_codes)
        w = WorkItem(
            id=self.uuid(),
            title=rng.choice(TITLES).replace("问题", "") + "专项工作",
            year=year,
            lead_unit=lead,
            co_units=rng.sample(self.unit_codes, rng.randrange(3)),
            due_on=date(year, 12, 31),
            source_ref="两强三提高",
            description=None,
            actor=INSPECTOR,
        )
        percent = 0
        for _ in range(rng.randrange(4, 13)):  # monthly progress reports
            percent = min(100, percent + rng.randrange(5, 20))
            w.log_progress(note=f"完成{percent}%", percent=percent, actor=UNIT)
        if year < 2026:
            score = rng.randrange(55, 100)
            grade = "excellent" if score >= 90 else "good" if score >= 80 else "pass"
            w.evaluate(
                score=score, grade=grade if score >= 60 else "fail", comment="", actor=INSPECTOR
            )
            if rng.random() < 0.7:
                w.close(reason="年度考评完成", actor=INSPECTOR)
        return w

    def ruling(self) -> AccountabilityRuling | ToleranceRuling:
        rng = self.rng
        unit = rng.choice([u for u in self.unit_codes if u in self.findings_of] or self.unit_codes)
        linked = rng.sample(
            self.findings_of.get(unit, []), min(1, len(self.findings_of.get(unit, [])))
        )
        person = {
            "name": rng.choice(SURNAMES) + rng.choice("建国军华明丽芳强伟"),
            "position": "科长",
        }
        subject = {"unit_code": unit, "person": person}
        decided_on = date(2022, 1, 1) + timedelta(days=rng.randrange(1700))
        r: AccountabilityRuling | ToleranceRuling
        if rng.random() < 0.5:
            r = AccountabilityRuling(
                id=self.uuid(),
                subject=subject,
                finding_ids=linked,
                form=rng.choice(FORMS),
                basis="《问责条例》",
                facts="履职不力，造成不良影响",
                actor=INSPECTOR,
            )
            if rng.random() < 0.8:
                r.verify(comment="核实属实", actor=INSPECTOR)
            if rng.random() < 0.7:
                r.decide(
                    form=rng.choice(FORMS),
                    reasoning="依规问责",
                    decided_on=decided_on,
                    actor=AUTHORITY,
                )
        else:
            r = ToleranceRuling(
                id=self.uuid(),
                subject=subject,
                finding_ids=linked,
                grounds="改革探索中出现失误",
                criteria_claimed=CRITERIA[:3],
                actor=UNIT,
            )
            if rng.random() < 0.8:
                r.verify(comment="核实属实", actor=INSPECTOR)
            if rng.random() < 0.7:
                outcome = rng.choice(["exempted", "mitigated", "denied"])
                met = [] if outcome == "denied" else rng.sample(CRITERIA, 2)
                r.decide(
                    outcome=outcome,
                    criteria_met=met,
                    reasoning="符合容错情形" if met else "不符合容错情形",
                    decided_on=decided_on,
                    actor=AUTHORITY,
                )
        if r.decision is not None and rng.random() < 0.5:
            r.publish(
                summary=f"{rng.choice(TITLES)}典型案例",
                tags=[rng.choice(TITLES)[:4]],
                actor=AUTHORITY,
            )
        return r

    def aggregates(self) -> Iterator[Any]:
        """Units first, then findings, work items and rulings interleaved (as a year runs)."""
        yield from self.units()
        s = self.scale
        plan = ["f"] * s.findings + ["w"] * s.work_items + ["r"] * s.rulings
        self.rng.shuffle(plan)
        # A ruling links findings of its unit raised before it: keep the first rulings
        # behind some findings.
        for kind in plan:
            if kind == "f":
                yield self.finding()
            elif kind == "w":
                yield self.work_item()
            else:
                yield self.ruling()


def generate(
    settings: Settings, scale: Scale, batch: int, report: Callable[[int, float], None]
) -> tuple[int, float, list[int]]:
    """Save the province's aggregates `batch` at a time; events, seconds and the sizes of
    every saved event's state (for the baseline)."""
    services = build(settings.model_copy(update={"group_commit": False}), runners="off")
    sizes: list[int] = []
    try:
        events, started = 0, time.perf_counter()
        pending: list[Any] = []
        for aggregate in Generator(scale).aggregates():
            pending.append(aggregate)
            if len(pending) == batch:
                events += save(services.app, pending, sizes)
                pending = []
                report(events, time.perf_counter() - started)
        if pending:
            events += save(services.app, pending, sizes)
        return events, time.perf_counter() - started, sizes
    finally:
        services.close()


def save(app: Any, aggregates: list[Any], sizes: list[int]) -> int:
    recordings = app.save(*aggregates)
    sizes.append(len(recordings))
    return len(recordings)


# The baselines' bare table: the log's columns and key, nothing else (no chain, no trigger).
BARE_TABLE = (
    "CREATE TEMP TABLE {name} (notification_id bigserial PRIMARY KEY, "
    "originator_id uuid NOT NULL, originator_version int NOT NULL, topic text NOT NULL, "
    "state bytea NOT NULL, UNIQUE (originator_id, originator_version))"
)


def raw_baseline(url: str, batch_events: list[int], state_bytes: int) -> float:
    """Events/s of plain batched INSERTs: the same number of rows per transaction as our
    saves, rows of the same average size, into a table with the same kind of key."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BARE_TABLE.format(name="raw_events"))
        payload = os.urandom(state_bytes)
        topic = "domain.findings:Finding.RectificationOrdered"
        started = time.perf_counter()
        for n in batch_events:
            with conn.transaction():
                conn.execute(
                    "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
                    "SELECT gen_random_uuid(), 1, %s, %s FROM generate_series(1, %s)",
                    (topic, payload, n),
                )
        return sum(batch_events) / (time.perf_counter() - started)


def sent_rows_baseline(url: str, batch_events: list[int], state_bytes: int) -> float:
    """Events/s of plain batched INSERTs whose rows are sent by the client, as the
    application's are: the same batches as our saves, each row with an id and a state of
    its own (made before the clock starts), one statement a batch (arrays unnested). Beside
    raw_baseline, which sends one state and has the server repeat it, this is what writing
    the same rows costs the database and the wire before any application work."""
    topic = "domain.findings:Finding.RectificationOrdered"
    batches = [
        ([uuid4() for _ in range(n)], [os.urandom(state_bytes) for _ in range(n)])
        for n in batch_events
    ]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BARE_TABLE.format(name="sent_events"))
        started = time.perf_counter()
        for ids, states in batches:
            with conn.transaction():
                conn.execute(
                    "INSERT INTO sent_events (originator_id, originator_version, topic, state) "
                    "SELECT i, 1, %s, s FROM unnest(%s::uuid[], %s::bytea[]) AS r(i, s)",
                    (topic, ids, states),
                )
        return sum(batch_events) / (time.perf_counter() - started)


def client_work_rate(settings: Settings, scale: Scale) -> tuple[int, float]:
    """Events and seconds of the application's own Python for the same aggregates, with
    nothing written: building them with their domain methods and mapping every event to a
    stored one (encoding, sealing personal data). No way of writing them can be quicker than
    this in one process, so its ratio to the raw INSERT is generation's ceiling on one core
    (twice that on two, were the work split perfectly and the server's own work free)."""
    services = build(settings, runners="off", one_shot=True)
    try:
        mapper, events = services.app.mapper, 0
        started = time.perf_counter()
        for aggregate in Generator(scale).aggregates():
            for event in aggregate.collect_events():
                mapper.to_stored_event(event)
                events += 1
        return events, time.perf_counter() - started
    finally:
        services.close()


def decoded_read_rate(settings: Settings, batch: int = 500) -> tuple[int, float]:
    """Events and seconds of reading the whole log and decoding every event, in batches as
    a rebuild reads it (the rebuild's baseline: what it would do with nothing to write)."""
    services = build(settings, runners="off", one_shot=True)
    try:
        app, after, events = services.app, 0, 0
        started = time.perf_counter()
        while notifications := app.recorder.select_notifications(
            start=after, limit=batch, inclusive_of_start=False
        ):
            for notification in notifications:
                app.mapper.to_domain_event(notification)
            events += len(notifications)
            after = notifications[-1].id
        return events, time.perf_counter() - started
    finally:
        services.close()


def catch_up_rate(settings: Settings) -> tuple[int, float]:
    """Events and seconds of the projection runners catching up every read model from zero
    (a worker down since the first event, starting again): each into a scratch copy kept as
    a live one is (its indexes in place, nothing finished afterwards), by the one-shot
    catch-up, which reads and applies the log as a runner does behind it."""
    services = build(settings, runners="off", one_shot=True)
    try:
        database = services.database
        with (
            scratch_schema(database, "bench_catch_up") as schema,
            schema_datastore(database, schema) as store,
        ):
            for spec in PROJECTIONS:
                spec.view_class(store).create_table()
            started = time.perf_counter()
            catch_up(services.app, store, PROJECTIONS)
            return services.head(), time.perf_counter() - started
    finally:
        services.close()


def average_state_bytes(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT avg(octet_length(state))::int FROM supervision_events"
        ).fetchone()
    return int(row[0]) if row and row[0] else 200


def parse_args() -> argparse.Namespace:
    parser = bench_parser("bench/generate.py", __doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count by this")
    parser.add_argument("--batch", type=int, default=200, help="aggregates per save")
    parser.add_argument("--keep", metavar="NAME", help="generate into database NAME and keep it")
    return parse_with_database_url(parser, "a PostgreSQL server where a database may be created")


def main() -> int:
    args = parse_args()
    scale = Scale().times(args.scale)
    with service_database(args.database_url, args.keep, "bench_generate") as (settings, new):
        if not new:
            raise SystemExit(f"database {args.keep!r} exists; drop it or choose another name")
        url = str(settings.database_url)

        def report(events: int, seconds: float) -> None:
            print(f"\r… {events:,} events ({events / seconds:,.0f}/s)", end="", file=sys.stderr)

        events, seconds, sizes = generate(settings, scale, args.batch, report)
        print(file=sys.stderr)
        state_bytes = average_state_bytes(url)
        raw = raw_baseline(url, sizes, state_bytes)
        sent = sent_rows_baseline(url, sizes, state_bytes)
        work_events, work_seconds = client_work_rate(settings, scale)
    ours, work = events / seconds, work_events / work_seconds
    print(
        f"{scale.units:,} units, {scale.findings:,} findings, {scale.work_items:,} work items, "
        f"{scale.rulings:,} rulings: {events:,} events in {seconds:,.0f} s; {os.cpu_count()} CPUs"
    )
    print(f"{'writer':<40} {'events/s':>10} {'× raw':>6}")
    print(f"{'raw batched INSERT (baseline)':<40} {raw:>10,.0f} {1.0:>6.2f}")
    print(f"{'batched INSERT of rows sent':<40} {sent:>10,.0f} {sent / raw:>6.2f}")
    print(f"{'application layer, hash-chained':<40} {ours:>10,.0f} {ours / raw:>6.2f}")
    print(f"{'its Python alone, nothing written':<40} {work:>10,.0f} {work / raw:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
