"""一单两库一细则 (the seed plan's task 14, 双随机、一公开 of market entities): the 检查对象名录库
(MarketEntity: the market entities a department may inspect, imported from its Excel list),
the 执法检查人员名录库 (EnforcementOfficer: officers with their unit and 执法证), and the
随机抽查事项清单 (SpotCheckMatter: what a department checks, on what basis, with the share and
the yearly frequency its 细则 sets).

A round of a matter is an `Inspection` of kind `market_random`: its population is the
entities the matter covers (less those the matter's earlier rounds of the year drew: one
entity is checked once a year per matter), its pool the department's officers whose
certificate holds through the round, and its draw the verifiable one of `domain.draw`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from domain.aggregate import Aggregate
from domain.errors import FrequencyReached, InvalidTransition, InvalidValue
from domain.findings import parse
from domain.vocabulary import EntityKind

ENTITY_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/market-entities")
OFFICER_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/enforcement-officers")
LISTED, DELISTED, WITHDRAWN = "listed", "delisted", "withdrawn"
MAX_ROUNDS_PER_YEAR = 12


def credit_code(value: str) -> str:
    """A 统一社会信用代码 (GB 32100-2015: 18 characters, the last a check character), in
    its compact form; anything else is refused naming the rule."""
    try:
        code: str = uscc.validate(value)
    except ValidationError:
        raise InvalidValue(
            f"{value!r} is not a valid 统一社会信用代码 (18 characters with a valid check "
            "character, GB 32100-2015)",
            details={"credit_code": value},
        ) from None
    return code


class Listed:
    """A directory entry: listed, then perhaps delisted (注销, 吊销, 调离) with the reason;
    each aggregate below records its own `Delisted` event."""

    status: str
    _delisted: Callable[..., None]  # each aggregate's own, recording its `Delisted`

    def delist(self, *, reason: str, actor: dict[str, Any]) -> None:
        """移出名录库: no longer drawn; its record stays."""
        if self.status != LISTED:
            raise InvalidTransition("delist", self.status)
        self._delisted(reason=reason, actor=actor)


class MarketEntity(Listed, Aggregate):
    """A market entity of the 检查对象名录库, named by its 统一社会信用代码."""

    @staticmethod
    def create_id(credit_code: str) -> UUID:
        return uuid5(ENTITY_NAMESPACE, credit_code)

    class Registered(Aggregate.Created):
        credit_code: str
        name: str
        entity_kind: str
        industry: str
        address: str | None
        actor: dict[str, Any]

    class Amended(Aggregate.Event):
        """A re-import found the entity's name, kind, industry or address changed."""

        changes: dict[str, Any]
        actor: dict[str, Any]

    class Delisted(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Registered)
    def __init__(
        self,
        *,
        credit_code: str,
        name: str,
        entity_kind: str,
        industry: str,
        address: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.credit_code = credit_code
        self.name = name
        self.entity_kind = entity_kind
        self.industry = industry
        self.address = address
        self.status = LISTED

    @staticmethod
    def id_of(code: str) -> UUID:
        """The entity's id from its code as typed (spaces, lower case: the compact form's)."""
        return MarketEntity.create_id(credit_code(code))

    @staticmethod
    def fields_of(
        credit_code_text: str,
        name: str,
        entity_kind: str | None,
        industry: str,
        address: str | None,
    ) -> dict[str, Any]:
        """An entry's fields checked: a valid code, a kind of the vocabulary (none given: an
        enterprise), a name and an industry that say something."""
        if not name.strip() or not industry.strip():
            raise InvalidValue("an entity has a name and an industry (行业)")
        return {
            "credit_code": credit_code(credit_code_text),
            "name": name.strip(),
            "entity_kind": parse(
                EntityKind, entity_kind or EntityKind.ENTERPRISE, "entity_kind"
            ).value,
            "industry": industry.strip(),
            "address": (address or "").strip() or None,
        }

    def changes_from(self, fields: dict[str, Any]) -> dict[str, Any]:
        """What an import's row says differently of a listed entity."""
        return {k: v for k, v in fields.items() if k != "credit_code" and getattr(self, k) != v}

    def amend(self, *, changes: dict[str, Any], actor: dict[str, Any]) -> None:
        if self.status != LISTED:
            raise InvalidTransition("amend", self.status)
        self._amended(changes=changes, actor=actor)

    @event(Amended)
    def _amended(self, changes: dict[str, Any], actor: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    @event(Delisted)
    def _delisted(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = DELISTED


# Characters a certificate cannot hold: it names the officer in a path (…/{certificate}/…).
NOT_IN_A_PATH = frozenset("/\\?#%")


def certificate_number(text: str) -> str:
    """A 执法证号 as one: full-width forms folded (ＡＵＤ－００１ is AUD-001), letters upper
    case, the ends trimmed; refused when empty or holding what a path cannot carry."""
    number = unicodedata.normalize("NFKC", text).strip().upper()
    if not number:
        raise InvalidValue("the certificate number (执法证号) is required")
    if bad := sorted(set(number) & NOT_IN_A_PATH):
        raise InvalidValue(f"a certificate number (执法证号) holds no {' '.join(bad)}")
    return number


class EnforcementOfficer(Listed, Aggregate):
    """An officer of the 执法检查人员名录库, named by their 执法证 number."""

    @staticmethod
    def create_id(certificate: str) -> UUID:
        """The officer of a certificate however it is typed (case, full-width forms)."""
        return uuid5(OFFICER_NAMESPACE, certificate_number(certificate))

    @staticmethod
    def legacy_id(certificate: str) -> UUID:
        """The id of an officer listed before certificates were kept in one form (until
        2026-12-07): of the certificate as it was typed, its ends trimmed."""
        return uuid5(OFFICER_NAMESPACE, certificate.strip())

    class Registered(Aggregate.Created):
        name: str
        unit_code: str
        certificate: str
        valid_until: date
        actor: dict[str, Any]

    class Delisted(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Registered)
    def __init__(
        self,
        *,
        name: str,
        unit_code: str,
        certificate: str,
        valid_until: date,
        actor: dict[str, Any],
    ) -> None:
        self.name = name
        self.unit_code = unit_code
        self.certificate = certificate
        self.valid_until = valid_until
        self.status = LISTED

    @property
    def pool_name(self) -> str:
        """How the officer stands in a round's pool and its published teams: the name with
        the certificate, so two officers of one name are told apart (执法证号 is public)."""
        return f"{self.name}（{self.certificate}）"

    @event(Delisted)
    def _delisted(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = DELISTED


class SpotCheckMatter(Aggregate):
    """An item of a department's 随机抽查事项清单 with its 细则: which entities it covers (by
    kind and industry), the share drawn each round and how many rounds a year at most."""

    class Listed(Aggregate.Created):
        unit_code: str
        title: str
        legal_basis: str
        method: str
        entity_kinds: list[str]
        industries: list[str]
        share_percent: int
        rounds_per_year: int
        actor: dict[str, Any]

    class RoundLaunched(Aggregate.Event):
        inspection_id: UUID
        year: int
        actor: dict[str, Any]

    class Withdrawn(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Listed)
    def __init__(
        self,
        *,
        id: UUID,
        unit_code: str,
        title: str,
        legal_basis: str,
        method: str,
        entity_kinds: list[str],
        industries: list[str],
        share_percent: int,
        rounds_per_year: int,
        actor: dict[str, Any],
    ) -> None:
        self.unit_code = unit_code
        self.title = title
        self.legal_basis = legal_basis
        self.method = method
        self.entity_kinds = list(entity_kinds)
        self.industries = list(industries)
        self.share_percent = share_percent
        self.rounds_per_year = rounds_per_year
        self.rounds: list[dict[str, Any]] = []
        self.status = LISTED

    @staticmethod
    def check_rules(
        entity_kinds: Sequence[str], industries: Sequence[str], share: int, per_year: int
    ) -> dict[str, Any]:
        """The 细则's numbers hold: a share of 1–100 %, 1–12 rounds a year; the kinds are
        the vocabulary's, each named once (none: every kind), industries named once."""
        if not 1 <= share <= 100:
            raise InvalidValue("share_percent (抽查比例) lies between 1 and 100")
        if not 1 <= per_year <= MAX_ROUNDS_PER_YEAR:
            raise InvalidValue(
                f"rounds_per_year (抽查频次) lies between 1 and {MAX_ROUNDS_PER_YEAR}"
            )
        kinds = [parse(EntityKind, k, "entity_kind").value for k in entity_kinds]
        named = [i.strip() for i in industries]
        if len(set(kinds)) != len(kinds) or len(set(named)) != len(named) or "" in named:
            raise InvalidValue("a kind or an industry is named twice, or blank")
        return {"entity_kinds": kinds, "industries": named}

    def rounds_in(self, year: int) -> list[UUID]:
        return [r["inspection_id"] for r in self.rounds if r["year"] == year]

    def launch_round(self, *, inspection_id: UUID, year: int, actor: dict[str, Any]) -> None:
        """A round of this matter in `year`: at most `rounds_per_year` of them (抽查频次)."""
        self.check_room(year)
        self._round_launched(inspection_id=inspection_id, year=year, actor=actor)

    def check_room(self, year: int) -> None:
        """The matter is in force and its 细则 allows another round in `year`."""
        if self.status != LISTED:
            raise InvalidTransition("launch a round", self.status)
        held = len(self.rounds_in(year))
        if held >= self.rounds_per_year:
            raise FrequencyReached(
                f"the matter allows {self.rounds_per_year} round(s) a year and {year} has "
                f"{held} already (抽查频次)",
                details={"year": year, "rounds_per_year": self.rounds_per_year},
            )

    @event(RoundLaunched)
    def _round_launched(self, inspection_id: UUID, year: int, actor: dict[str, Any]) -> None:
        self.rounds.append({"inspection_id": inspection_id, "year": year})

    def withdraw(self, *, reason: str, actor: dict[str, Any]) -> None:
        """移出事项清单: no further rounds; the rounds held stay on record."""
        if self.status != LISTED:
            raise InvalidTransition("withdraw", self.status)
        self._withdrawn(reason=reason, actor=actor)

    @event(Withdrawn)
    def _withdrawn(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = WITHDRAWN


class SpotCheckDirectory(Protocol):
    """The two 名录库 as the service's read model holds them, current as of the call (the
    composition root gives the application one: api/runtime/bootstrap.py)."""

    def round_inputs(
        self, kinds: Sequence[str], industries: Sequence[str], unit_code: str, through: date
    ) -> tuple[list[str], list[UUID]]:
        """The listed entities of those kinds and industries (none named: any), by code, and
        the unit's listed officers whose certificate holds through the day."""
        ...

    def officer_of_number(self, number: str) -> UUID | None:
        """The officer listed with that certificate (in its one form), however it was typed
        when listed; None when there is none."""
        ...
