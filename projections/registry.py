"""Every projection of the service, by name (the composition root starts their runners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.projection import Projection

from projections.base import ReadModelView
from projections.case_library import CaseLibrary, CaseLibraryView
from projections.decision_catalogue import DecisionCatalogue, DecisionCatalogueView
from projections.directory import Directory, DirectoryView
from projections.evidence import Evidence, EvidenceView
from projections.finding_board import FindingBoard, FindingBoardView
from projections.inspection_board import InspectionBoard, InspectionBoardView
from projections.notifications import Notifications, NotificationsView
from projections.rulings import Rulings, RulingsView
from projections.spot_checks import SpotChecks, SpotCheckView
from projections.unit_history import UnitHistory, UnitHistoryView
from projections.work_ledger import WorkLedger, WorkLedgerView


@dataclass(frozen=True)
class ProjectionSpec:
    name: str
    projection_class: type[Projection[Any]]
    view_class: type[ReadModelView]


PROJECTIONS: tuple[ProjectionSpec, ...] = (
    ProjectionSpec("finding_board", FindingBoard, FindingBoardView),
    ProjectionSpec("directory", Directory, DirectoryView),
    ProjectionSpec("work_ledger", WorkLedger, WorkLedgerView),
    ProjectionSpec("rulings", Rulings, RulingsView),
    ProjectionSpec("case_library", CaseLibrary, CaseLibraryView),
    ProjectionSpec("unit_history", UnitHistory, UnitHistoryView),
    ProjectionSpec("inspection_board", InspectionBoard, InspectionBoardView),
    ProjectionSpec("decision_catalogue", DecisionCatalogue, DecisionCatalogueView),
    ProjectionSpec("notifications", Notifications, NotificationsView),
    ProjectionSpec("spot_checks", SpotChecks, SpotCheckView),
    ProjectionSpec("evidence", Evidence, EvidenceView),
)
