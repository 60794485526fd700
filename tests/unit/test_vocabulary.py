"""One vocabulary: every code has a Chinese label, and the contract's codes are all there."""

from __future__ import annotations

import re

from domain.vocabulary import ENUMERATIONS, vocabulary

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_enumeration_member_has_a_chinese_label() -> None:
    for name, enum in ENUMERATIONS.items():
        for member in enum:
            assert CJK.search(member.label), f"{name}.{member.value} has no Chinese label"


def test_the_contracts_finding_codes_are_in_the_vocabulary() -> None:
    codes = {name: {item["code"] for item in items} for name, items in vocabulary().items()}
    assert codes["finding_categories"] == {
        "policy_implementation",
        "work_style",
        "dereliction",
        "service_quality",
        "procedure_violation",
        "integrity_risk",
        "other",
    }
    assert codes["severities"] == {"minor", "major", "serious"}
    assert codes["finding_sources"] == {
        "routine_supervision",
        "special_supervision",
        "random_inspection",
        "petition",
        "audit_referral",
        "inspection_tour_referral",
        "other",
    }
    assert codes["roles"] == {"admin", "inspector", "authority", "supervisor", "auditor", "unit"}
    assert codes["unit_kinds"] == {"township", "subdistrict", "department", "agency", "other"}


def test_closed_is_labelled_as_xiaohao() -> None:
    labels = {i["code"]: i["label"] for i in vocabulary()["finding_statuses"]}
    assert labels["closed"] == "已销号"
