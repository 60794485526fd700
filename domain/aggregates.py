"""Every kind of record the log holds: the domain's aggregates, one entry each (a ruling's
two kinds are one entry, `Ruling`). A read model about some of them ignores the others
(`projections.base.other_aggregates`); tests/unit/test_projection_topics.py holds this list
to every aggregate class in `domain`."""

from __future__ import annotations

from domain.accounts import Account
from domain.aggregate import Aggregate
from domain.commendations import Commendation
from domain.documents import DocumentSequence, IssuedDocument
from domain.evaluation_schemes import EvaluationScheme
from domain.findings import Finding
from domain.inspections import Inspection
from domain.major_decisions import MajorDecision
from domain.persons import Person
from domain.power_lists import PowerList
from domain.rulings import Ruling
from domain.spot_checks import EnforcementOfficer, MarketEntity, SpotCheckMatter
from domain.subjects import DataSubject
from domain.tolerance_policies import TolerancePolicy
from domain.units import Unit
from domain.work_items import WorkItem

AGGREGATES: tuple[type[Aggregate], ...] = (
    Unit,
    Account,
    DataSubject,
    Finding,
    WorkItem,
    EvaluationScheme,
    Ruling,
    TolerancePolicy,
    Inspection,
    MajorDecision,
    PowerList,
    Commendation,
    MarketEntity,
    EnforcementOfficer,
    SpotCheckMatter,
    Person,
    DocumentSequence,
    IssuedDocument,
)
