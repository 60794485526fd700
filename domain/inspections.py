"""Inspection (督查活动): launched, a random round's seed committed and drawn (双随机), or its
targets assigned; findings linked; concluded with a summary that is made public (一公开).

The seed plan's task 14: "全面推行'双随机、一公开'监管". The draw itself is `domain.draw`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain import draw as random_draw
from domain.aggregate import Aggregate
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue
from domain.findings import parse
from domain.vocabulary import InspectionKind, InspectionStatus

S = InspectionStatus
K = InspectionKind
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MIN_TEAM_SIZE = 2  # "at least two inspectors per target"
# Rounds whose targets are drawn (双随机): of units, or of market entities (一单两库一细则).
DRAWN_KINDS = (K.RANDOM, K.MARKET_RANDOM)


class Inspection(Aggregate):
    """One round of supervision (日常、专项、双随机、回头看) over a recorded set of units."""

    class Launched(Aggregate.Created):
        title: str
        kind: str
        scope: str
        period_start: date
        period_end: date
        population: list[str]
        inspectors: list[dict[str, Any]]
        rules: dict[str, Any]
        actor: dict[str, Any]

    class SeedCommitted(Aggregate.Event):
        commitment: str
        actor: dict[str, Any]

    class CoSeedCommitted(Aggregate.Event):
        """A second party (a supervising leader, the discipline commission) commits a seed."""

        commitment: str
        actor: dict[str, Any]

    class CoSeedRevealed(Aggregate.Event):
        """The second party reveals its seed once the beacon — the first checkpoint signed
        after both commitments — is fixed; the beacon is recorded with it."""

        seed: str
        beacon: dict[str, Any]
        actor: dict[str, Any]

    class Drawn(Aggregate.Event):
        seed: str
        chain_head: dict[str, Any]
        algorithm: str
        targets: list[dict[str, Any]]
        actor: dict[str, Any]

    class Assigned(Aggregate.Event):
        targets: list[dict[str, Any]]
        actor: dict[str, Any]

    class FindingLinked(Aggregate.Event):
        finding_id: UUID
        unit_code: str
        actor: dict[str, Any]

    class Concluded(Aggregate.Event):
        summary: str
        concluded_on: date
        results: list[dict[str, Any]]
        actor: dict[str, Any]

    @event(Launched)
    def __init__(
        self,
        *,
        id: UUID,
        title: str,
        kind: str,
        scope: str,
        period_start: date,
        period_end: date,
        population: list[str],
        inspectors: list[dict[str, Any]],
        rules: dict[str, Any],
        actor: dict[str, Any],
    ) -> None:
        self.title = title
        self.kind = InspectionKind(kind)
        self.scope = scope
        self.period_start = period_start
        self.period_end = period_end
        self.population = list(population)
        self.inspectors = [dict(i) for i in inspectors]
        self.rules = dict(rules)
        self.status = S.LAUNCHED
        self.commitment: str | None = None
        self.committed_by: str | None = None
        self.co_commitment: str | None = None
        self.co_committed_by: str | None = None
        self.co_seed: str | None = None
        self.beacon: dict[str, Any] | None = None
        self.seed: str | None = None
        self.chain_head: dict[str, Any] | None = None
        self.algorithm: str | None = None
        self.targets: list[dict[str, Any]] = []
        self.finding_ids: list[UUID] = []
        self.summary: str | None = None
        self.concluded_on: date | None = None
        self.results: list[dict[str, Any]] = []

    # -- rules of a launch (checked before the aggregate exists) ----------------------------

    @staticmethod
    def check_launch(
        kind: str,
        period_start: date,
        period_end: date,
        population: list[str],
        inspectors: list[dict[str, Any]],
        rules: dict[str, Any],
    ) -> None:
        """The period runs forward; units and inspectors are named once; every unit can be
        inspected by a full team of inspectors who do not belong to it (回避)."""
        parse(InspectionKind, kind, "kind")
        clock.check_not_before(
            period_end, period_start, "period_end", "the period ends before it starts"
        )
        if not population:
            raise InvalidValue("a round names at least one unit")
        if len(set(population)) != len(population):
            raise InvalidValue("a unit is named twice")
        names = [str(i["name"]) for i in inspectors]
        if len(set(names)) != len(names):
            raise InvalidValue("an inspector is named twice in the pool")
        team_size = int(rules["team_size"])
        if team_size < MIN_TEAM_SIZE:
            raise InvalidValue(f"a team has at least {MIN_TEAM_SIZE} inspectors")
        if not 1 <= int(rules["share_percent"]) <= 100:
            raise InvalidValue("share_percent lies between 1 and 100")
        pool = [(str(i["name"]), i.get("unit_code")) for i in inspectors]
        for unit in population:
            if len(random_draw.eligible(pool, unit)) < team_size:
                raise InvalidValue(
                    f"unit {unit!r} cannot get a team of {team_size} inspectors who do not "
                    "belong to it (回避)",
                    details={"unit_code": unit},
                )

    # -- guards -----------------------------------------------------------------------------

    def check_status(self, action: str, *allowed: InspectionStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value)

    def check_random(self, action: str, random: bool) -> None:
        if (self.kind in DRAWN_KINDS) != random:
            kind = "a random round" if random else "a round that is not random"
            raise InvalidValue(f"only {kind} can {action}", details={"kind": self.kind.value})

    @property
    def pool(self) -> tuple[tuple[str, str | None], ...]:
        return tuple((str(i["name"]), i.get("unit_code")) for i in self.inspectors)

    @property
    def target_units(self) -> list[str]:
        return [t["unit_code"] for t in self.targets]

    def draw_input(
        self, seed: str, head_index: int, head_hash: str, co_seed: str | None = None
    ) -> random_draw.DrawInput:
        """The draw's inputs, as recorded in this round's events."""
        return random_draw.DrawInput(
            inspection_id=str(self.id),
            seed=seed,
            head_index=head_index,
            head_hash=head_hash,
            population=tuple(self.population),
            inspectors=self.pool,
            team_size=int(self.rules["team_size"]),
            count=random_draw.units_to_draw(len(self.population), int(self.rules["share_percent"])),
            co_seed=co_seed,
        )

    # -- commands ---------------------------------------------------------------------------

    def commit_seed(self, *, commitment: str, actor: dict[str, Any]) -> None:
        """提交种子承诺: H(seed) first, the seed only at the draw."""
        self.check_random("commit a seed", random=True)
        self.check_status("commit a seed", S.LAUNCHED)
        if not HEX64.match(commitment):
            raise InvalidValue("the commitment is a lowercase hex SHA-256 (64 characters)")
        self._seed_committed(commitment=commitment, actor=actor)

    @event(SeedCommitted)
    def _seed_committed(self, commitment: str, actor: dict[str, Any]) -> None:
        self.status = S.SEED_COMMITTED
        self.commitment = commitment
        self.committed_by = str(actor.get("id"))

    def commit_co_seed(self, *, commitment: str, actor: dict[str, Any]) -> None:
        """第二方种子承诺: another party than the inspector commits H(seed), after them."""
        self.check_random("take a second seed", random=True)
        self.check_status("take a second seed", S.SEED_COMMITTED)
        if self.co_commitment is not None:
            raise InvalidTransition("commit a second seed again", self.status.value)
        if str(actor.get("id")) == self.committed_by:
            raise InvalidValue("the second seed comes from another party than the first")
        if not HEX64.match(commitment):
            raise InvalidValue("the commitment is a lowercase hex SHA-256 (64 characters)")
        self._co_seed_committed(commitment=commitment, actor=actor)

    @event(CoSeedCommitted)
    def _co_seed_committed(self, commitment: str, actor: dict[str, Any]) -> None:
        self.co_commitment = commitment
        self.co_committed_by = str(actor.get("id"))

    def reveal_co_seed(
        self, *, seed: str, beacon: random_draw.ChainHead, actor: dict[str, Any]
    ) -> None:
        """The second party reveals its seed, once the beacon (the first checkpoint signed
        after the commitments, found by the caller) exists: from then on the draw is fixed,
        and neither party could compute it before."""
        self.check_status("reveal the second seed", S.SEED_COMMITTED)
        if self.co_commitment is None or self.co_seed is not None:
            raise InvalidTransition("reveal the second seed", self.status.value)
        if str(actor.get("id")) != self.co_committed_by:
            raise InvalidValue("only the party that committed the second seed reveals it")
        if random_draw.commitment_of(seed) != self.co_commitment:
            raise InvalidValue("the seed does not match the second commitment recorded before")
        self._co_seed_revealed(seed=seed, beacon=beacon.as_event_data(), actor=actor)

    @event(CoSeedRevealed)
    def _co_seed_revealed(self, seed: str, beacon: dict[str, Any], actor: dict[str, Any]) -> None:
        self.co_seed = seed
        self.beacon = dict(beacon)

    def draw(self, *, seed: str, actor: dict[str, Any]) -> None:
        """双随机抽取: reveal the seed; it is mixed with the second party's seed and the
        beacon (domain/draw.py, v2): the units and teams are drawn."""
        self.check_random("draw", random=True)
        self.check_status("draw", S.SEED_COMMITTED)
        if self.co_seed is None or self.beacon is None:
            raise InvalidTransition("draw before the second seed is revealed", "seed_committed")
        if random_draw.commitment_of(seed) != self.commitment:
            raise InvalidValue("the seed does not match the commitment recorded before")
        beacon = self.beacon
        targets = random_draw.draw(
            self.draw_input(seed, int(beacon["index"]), str(beacon["hash"]), self.co_seed)
        )
        self._drawn(
            seed=seed,
            chain_head=dict(beacon),
            algorithm=random_draw.ALGORITHM,
            targets=targets,
            actor=actor,
        )

    @event(Drawn)
    def _drawn(
        self,
        seed: str,
        chain_head: dict[str, Any],
        algorithm: str,
        targets: list[dict[str, Any]],
        actor: dict[str, Any],
    ) -> None:
        self.status = S.DRAWN
        self.seed = seed
        self.chain_head = dict(chain_head)
        self.algorithm = algorithm
        self.targets = [dict(t) for t in targets]

    def assign(self, *, targets: list[dict[str, Any]], actor: dict[str, Any]) -> None:
        """指派: a round that is not random names its units and teams itself."""
        self.check_random("be assigned its targets", random=False)
        self.check_status("assign targets", S.LAUNCHED)
        self.check_targets(targets)
        self._assigned(targets=targets, actor=actor)

    def check_targets(self, targets: list[dict[str, Any]]) -> None:
        if not targets:
            raise InvalidValue("name at least one unit to inspect")
        units = [t["unit_code"] for t in targets]
        if len(set(units)) != len(units):
            raise InvalidValue("a unit is named twice")
        # A pool launched before names were kept without the spaces around them may hold
        # "王敏 ": a team names the inspector as the pool does, but for those spaces.
        homes = {name.strip(): home for name, home in self.pool}
        for target in targets:
            unit, team = target["unit_code"], [str(name).strip() for name in target["team"]]
            if unit not in self.population:
                raise InvalidValue(f"unit {unit!r} is not in this round's scope")
            if len(set(team)) != len(team) or len(team) < int(self.rules["team_size"]):
                raise InvalidValue(f"the team for {unit!r} needs {self.rules['team_size']} names")
            for name in team:
                if name not in homes:
                    raise InvalidValue(f"{name!r} is not in this round's inspector pool")
                if homes[name] == unit:
                    raise InvalidValue(f"{name!r} belongs to {unit!r} and must stand aside (回避)")

    @event(Assigned)
    def _assigned(self, targets: list[dict[str, Any]], actor: dict[str, Any]) -> None:
        self.status = S.DRAWN
        self.targets = [{"unit_code": t["unit_code"], "team": list(t["team"])} for t in targets]

    def link_finding(
        self, *, finding_id: UUID, unit_code: str, found_on: date, actor: dict[str, Any]
    ) -> None:
        """关联发现问题: a finding raised in this round — against one of its units, on a day of
        its period — once. The day is checked here, not recorded: links stored before the
        check replay as they were."""
        self.check_status("link a finding", S.DRAWN)
        if unit_code not in self.target_units:
            raise InvalidValue(
                f"the finding's unit {unit_code!r} is not inspected in this round",
                details={"unit_code": unit_code},
            )
        if not self.period_start <= found_on <= self.period_end:
            raise InvalidValue(
                f"the finding was raised on {found_on}, outside this round's period "
                f"({self.period_start} to {self.period_end})",
                details={
                    "found_on": found_on.isoformat(),
                    "period_start": self.period_start.isoformat(),
                    "period_end": self.period_end.isoformat(),
                },
            )
        if finding_id in self.finding_ids:
            raise AlreadyExists(f"finding {finding_id} is already linked to this round")
        self._finding_linked(finding_id=finding_id, unit_code=unit_code, actor=actor)

    @event(FindingLinked)
    def _finding_linked(self, finding_id: UUID, unit_code: str, actor: dict[str, Any]) -> None:
        self.finding_ids.append(finding_id)

    def conclude(
        self,
        *,
        summary: str,
        concluded_on: date,
        results: list[dict[str, Any]],
        actor: dict[str, Any],
    ) -> None:
        """结束: a summary and, per inspected unit, its result (published: 一公开)."""
        self.check_status("conclude", S.DRAWN)
        clock.check_done_by_today(concluded_on, "concluded_on")
        clock.check_not_before(
            concluded_on,
            self.period_start,
            "concluded_on",
            "a round cannot conclude before its period starts",
        )
        units = [r["unit_code"] for r in results]
        if len(set(units)) != len(units) or not set(units) <= set(self.target_units):
            raise InvalidValue("results name each inspected unit at most once, and no other")
        self._concluded(summary=summary, concluded_on=concluded_on, results=results, actor=actor)

    @event(Concluded)
    def _concluded(
        self,
        summary: str,
        concluded_on: date,
        results: list[dict[str, Any]],
        actor: dict[str, Any],
    ) -> None:
        self.status = S.CONCLUDED
        self.summary = summary
        self.concluded_on = concluded_on
        self.results = [dict(r) for r in results]
