"""激励 (commendations): 通报表扬, 评优评先推荐 and 容错后正常使用, recorded beside accountability
(domain/commendations.py); a unit account reads its own units' only."""

from __future__ import annotations

from typing import Any

from api.http.command_routes import mount
from api.http.presentation import record_out
from api.http.routing import Router
from api.http.schemas import CommendationCreate
from domain.commendations import Commendation
from domain.registry import RecordCommendation

router = Router(prefix="/api/v1/commendations", tags=["commendations"])

mount(router, {RecordCommendation: CommendationCreate})


def commendation_out(commendation: Commendation) -> dict[str, Any]:
    return record_out(
        commendation,
        {
            "kind": commendation.kind.value,
            "kind_label": commendation.kind.label,
            "unit_code": commendation.unit_code,
            "year": commendation.year,
            "reason": commendation.reason,
            "decided_on": commendation.decided_on,
            "work_item_ids": commendation.work_item_ids,
            "ruling_id": commendation.ruling_id,
            "withdrawn": commendation.withdrawn,
        },
    )
