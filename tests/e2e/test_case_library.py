"""Case library (容错免责案例库): published rulings, anonymised, searchable in Chinese."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response

from domain import clock
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import Api, account_fixture, unit_fixture

CASES = "/api/v1/case-library"
RULINGS = "/api/v1/rulings"
NAME = "李建国"
PERSON = {"name": NAME, "position": "科长"}


inspector = account_fixture("inspector", "督查员 陈静")
authority = account_fixture("authority", "县委组织部")
unit = unit_fixture("县行政审批服务局")


@pytest.fixture
def rulings(api: Api, inspector: dict[str, str], authority: dict[str, str]) -> Rulings:
    return Rulings(api, inspector, authority)


@dataclass
class Rulings:
    """Rulings on a unit that `inspector` claims and `authority` decides."""

    api: Api
    inspector: dict[str, str]
    authority: dict[str, str]

    def tolerance(
        self,
        unit: str,
        *,
        grounds: str = "在一窗通办改革中先行先试，因缺乏经验导致审批超时。",
        reasoning: str = "符合先行先试容错情形，且未谋取私利。",
        finding_ids: list[str] | None = None,
        decided_on: str = "2026-05-20",
        person: dict[str, str] | None = None,
    ) -> str:
        """A fault-tolerance ruling carried to `decided` (exempted)."""
        subject = {"unit_code": unit, "person": person or PERSON}
        criteria = ["pilot_inexperience", "no_personal_gain"]
        claim = {"subject": subject, "grounds": grounds, "criteria_claimed": criteria}
        ruling = self.api.ruling(
            "fault-tolerance", self.inspector, unit, finding_ids or [], **claim
        )
        decision = {
            "outcome": "exempted",
            "criteria_met": criteria,
            "reasoning": reasoning,
            "decided_on": decided_on,
        }
        return self.decided(ruling["id"], decision)

    def accountability(
        self,
        unit: str,
        *,
        facts: str = "对群众反映的审批难问题长期不予回应。",
        reasoning: str = "情节较轻，予以通报批评。",
        decided_on: str = "2026-05-21",
    ) -> str:
        """An accountability ruling carried to `decided` (circulated criticism)."""
        subject = {"unit_code": unit, "person": PERSON}
        form = "circulated_criticism"
        basis = "《中国共产党问责条例》"
        ruling = self.api.accountability(
            self.inspector, unit, [], subject=subject, form=form, basis=basis, facts=facts
        )
        decision = {"form": form, "reasoning": reasoning, "decided_on": decided_on}
        return self.decided(ruling["id"], decision)

    def decided(self, rid: str, decision: dict[str, Any]) -> str:
        self.api.decided(self.authority, rid, decision)
        return rid


SUMMARY = "某审批局改革创新容错免责案例"


def publish(
    api: Api,
    authority: dict[str, str],
    rid: str,
    summary: str = SUMMARY,
    tags: list[str] | None = None,
) -> Response:
    body = {"summary": summary, "tags": ["改革创新"] if tags is None else tags}
    return api.post(f"{RULINGS}/{rid}/publication", body, authority)


def published(api: Api, authority: dict[str, str], rid: str, **kw: Any) -> int:
    position: int = ok(publish(api, authority, rid, **kw))["position"]
    return position


def library(api: Api, who: dict[str, str], position: int, **filters: Any) -> list[dict[str, Any]]:
    return all_items(api, CASES, who, min_position=position, **filters)


def status_of(api: Api, who: dict[str, str], rid: str) -> str:
    return str(ok(api.get(f"{RULINGS}/{rid}", who))["status"])


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


def whole_text(response: Response) -> str:
    """The answer's raw text and its decoded form (in case the JSON escapes non-ASCII)."""
    return response.text + json.dumps(response.json(), ensure_ascii=False)


def shown_without_the_name(
    api: Api, who: dict[str, str], position: int, **filters: Any
) -> list[dict[str, Any]]:
    """One page of the library as of `position`, with `filters`, once its whole answer is
    checked not to name the person."""
    response = api.get(CASES, who, min_position=position, **filters)
    items: list[dict[str, Any]] = ok(response)["items"]
    assert NAME not in whole_text(response)
    return items


# -- publication ---------------------------------------------------------------------------------


def test_published_fault_tolerance_case_appears_in_the_library(
    api: Api, authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit)
    position = published(api, authority, rid, tags=["改革创新", "审批制度"])
    (case,) = library(api, api.account("supervisor"), position, unit_code=unit)
    assert case["id"] == rid
    assert case["kind"] == "fault_tolerance"
    assert case["unit_code"] == unit
    assert case["outcome"] == "exempted"
    assert case["criteria"] == ["pilot_inexperience", "no_personal_gain"]
    assert case["tags"] == ["改革创新", "审批制度"]
    assert case["summary"] == "某审批局改革创新容错免责案例"
    assert case["year"] == 2026


def test_published_accountability_case_appears_in_the_library(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.accountability(unit)
    position = published(api, authority, rid, summary="某局审批难问题问责案例")
    (case,) = library(api, inspector, position, unit_code=unit)
    assert case["id"] == rid
    assert case["kind"] == "accountability" and case["form"] == "circulated_criticism"
    assert case["summary"] == "某局审批难问题问责案例"


def test_a_case_published_before_its_appeal_follows_the_appeal(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    """Publication does not take away the right of appeal (申诉), nor service; the case stays
    in the library while the appeal is heard (申诉期间不停止执行) and shows the form decided
    on appeal, and the ruling stays published. Once decided on appeal, it is past both."""
    rid = rulings.accountability(unit)
    published(api, authority, rid, summary="某局审批难问题问责案例")
    served = {"served_on": clock.today().isoformat(), "served_to": "本人"}
    ok(api.post(f"{RULINGS}/{rid}/service", served, authority))
    appealed = ok(api.post(f"{RULINGS}/{rid}/appeal", {"grounds": "处理过重"}, inspector))
    assert status_of(api, inspector, rid) == "appealed"
    (case,) = library(api, inspector, appealed["position"], unit_code=unit)
    assert case["form"] == "circulated_criticism"

    lighter = {"result": "modified", "reasoning": "经复核从轻", "form": "written_inspection"}
    decided = ok(api.post(f"{RULINGS}/{rid}/appeal-decision", lighter, authority))
    assert status_of(api, inspector, rid) == "published"
    (case,) = library(api, inspector, decided["position"], unit_code=unit)
    assert case["id"] == rid and case["form"] == "written_inspection"
    rows = all_items(api, RULINGS, inspector, min_position=decided["position"], unit_code=unit)
    assert [(r["id"], r["status"], r["form"]) for r in rows] == [
        (rid, "published", "written_inspection")
    ]
    again = api.post(f"{RULINGS}/{rid}/appeal", {"grounds": "再次申诉"}, inspector)
    assert_error(again, 409, "invalid_transition")
    republished = publish(api, authority, rid)
    assert_error(republished, 409, "invalid_transition")


def test_a_case_whose_decision_is_revoked_on_appeal_leaves_the_library(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit)
    kept = rulings.tolerance(unit)
    published(api, authority, rid)
    published(api, authority, kept)
    ok(api.post(f"{RULINGS}/{rid}/appeal", {"grounds": "认定有误"}, inspector))
    revoked = {"result": "revoked", "reasoning": "经复核撤销"}
    decided = ok(api.post(f"{RULINGS}/{rid}/appeal-decision", revoked, authority))
    assert status_of(api, inspector, rid) == "revoked"
    assert ids(library(api, inspector, decided["position"], unit_code=unit)) == {kept}
    rows = all_items(api, RULINGS, inspector, min_position=decided["position"], unit_code=unit)
    assert {r["id"]: r["status"] for r in rows} == {rid: "revoked", kept: "published"}


def test_decided_but_unpublished_ruling_is_not_in_the_library(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    unpublished = rulings.tolerance(unit)
    shown = rulings.tolerance(unit)
    position = published(api, authority, shown)
    items = library(api, inspector, position, unit_code=unit)
    assert ids(items) == {shown} and unpublished not in ids(items)


def test_library_never_shows_the_persons_name_even_when_the_case_text_mentions_it(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    fid = api.finding(inspector, unit, title=f"{NAME}负责的一窗通办改革审批超时")["id"]
    rid = rulings.tolerance(
        unit,
        grounds=f"{NAME}同志在一窗通办改革中先行先试，因缺乏经验导致审批超时。",
        reasoning=f"经查，{NAME}未谋取私利，符合先行先试容错情形。",
        finding_ids=[fid],
    )
    position = published(api, authority, rid)
    (case,) = shown_without_the_name(api, inspector, position, unit_code=unit)
    assert case["id"] == rid
    assert "一窗通办改革" in case["facts"] and "未谋取私利" in case["reasoning"]
    assert "审批超时" in case["finding_titles"]


def test_library_never_shows_the_persons_name_in_an_accountability_case(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.accountability(
        unit,
        facts=f"科长{NAME}对群众反映的审批难问题长期不予回应。",
        reasoning=f"{NAME}情节较轻，予以通报批评。",
    )
    position = published(api, authority, rid, summary="某局审批难问题问责案例")
    assert ids(shown_without_the_name(api, inspector, position, unit_code=unit)) == {rid}


def test_unfiltered_library_page_never_shows_the_persons_name(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit, grounds=f"{NAME}在试点中探索，出现失误。")
    position = published(api, authority, rid)
    assert rid in ids(shown_without_the_name(api, inspector, position, limit=500))


def test_search_text_answer_never_shows_the_persons_name(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit, reasoning=f"{NAME}主动挽回损失，消除影响。")
    position = published(api, authority, rid)
    found = shown_without_the_name(api, inspector, position, q="挽回损失", unit_code=unit)
    assert ids(found) == {rid}


def test_searching_the_library_by_the_persons_name_finds_nothing(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit, grounds=f"{NAME}在试点中出现失误。")
    position = published(api, authority, rid)
    assert ids(library(api, inspector, position, unit_code=unit)) == {rid}
    assert library(api, inspector, position, unit_code=unit, q=NAME) == []


def test_a_tag_naming_the_person_never_shows_the_name(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit)
    response = publish(api, authority, rid, tags=["改革创新", NAME])
    if response.status_code != 200:
        assert_error(response, 422)
        return
    position = ok(response)["position"]
    assert ids(shown_without_the_name(api, inspector, position, unit_code=unit)) == {rid}


def test_a_finding_linked_to_two_rulings_names_neither_person_in_either_case(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    """Two officials held to account for one finding whose title names both: each case
    shows the title without either name, whichever ruling was proposed or published first."""
    other = "王海涛"
    title = f"{NAME}、{other}负责的窗口审批超时"
    fid = api.finding(inspector, unit, title=title)["id"]
    first = rulings.tolerance(unit, finding_ids=[fid])
    position = published(api, authority, first)
    # The second ruling is proposed only after the first case is published.
    subject = {"unit_code": unit, "person": {"name": other, "position": "副科长"}}
    second = api.accountability(inspector, unit, [fid], subject=subject)["id"]
    decision = {
        "form": "circulated_criticism",
        "reasoning": "情节较轻。",
        "decided_on": "2026-05-22",
    }
    api.decided(authority, second, decision)
    position = published(api, authority, second, summary="窗口审批超时问责案例")

    response = api.get(CASES, inspector, min_position=position, unit_code=unit)
    cases = {c["id"]: c for c in ok(response)["items"]}
    assert set(cases) == {first, second}
    for case in cases.values():
        assert case["finding_titles"] == "某同志、某同志负责的窗口审批超时"
    assert NAME not in whole_text(response) and other not in whole_text(response)
    assert library(api, inspector, position, unit_code=unit, q=other) == []
    assert ids(library(api, inspector, position, unit_code=unit, q="窗口审批")) == {first, second}


@pytest.mark.parametrize(
    "spelled",
    [f"{NAME[0]} {NAME[1:]}", f"{NAME[0]}\u200b{NAME[1:]}", f"{NAME[:2]}\u3000{NAME[2:]}"],
)
def test_a_name_typed_with_spacing_in_a_findings_title_is_not_shown_either(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings,
    spelled: str,
) -> None:  # fmt: skip
    """A title that spells the person's name with a space or an invisible character between its
    characters names them all the same, to a reader: the case shows it as 某同志."""
    fid = api.finding(inspector, unit, title=f"（{spelled}）负责的窗口审批超时")["id"]
    position = published(api, authority, rulings.tolerance(unit, finding_ids=[fid]))
    (case,) = library(api, inspector, position, unit_code=unit)
    assert case["finding_titles"] == "（某同志）负责的窗口审批超时"
    assert spelled not in json.dumps(case, ensure_ascii=False)


def test_publication_whose_summary_names_the_person_is_refused_with_422(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit)
    response = publish(api, authority, rid, summary=f"{NAME}同志改革创新容错免责案例")
    assert_error(response, 422)
    got = ok(api.get(f"{RULINGS}/{rid}", inspector))
    assert got["status"] == "decided" and got["publication"] is None
    other = rulings.tolerance(unit)
    position = published(api, authority, other)
    assert ids(library(api, inspector, position, unit_code=unit)) == {other}


# -- search and filters --------------------------------------------------------------------------


def searched(
    rulings: Rulings,
    unit: str,
    match: str,
    q: str,
    summaries: tuple[str, str] = (SUMMARY, SUMMARY),
) -> set[str]:
    """The library's cases of `unit` that `q` finds, once `match` and another (default) case
    are published with `summaries`."""
    api, inspector, authority = rulings.api, rulings.inspector, rulings.authority
    other = rulings.tolerance(unit)
    published(api, authority, match, summary=summaries[0])
    position = published(api, authority, other, summary=summaries[1])
    return ids(library(api, inspector, position, unit_code=unit, q=q))


def test_q_matches_a_chinese_substring_of_the_summary(unit: str, rulings: Rulings) -> None:
    match = rulings.tolerance(unit)
    summaries = ("某镇推进乡村振兴产业园建设容错案例", "某局政务服务改革容错案例")
    found = searched(rulings, unit, match, "产业园", summaries)
    assert found == {match}


def test_q_matches_a_chinese_substring_of_the_reasoning(unit: str, rulings: Rulings) -> None:
    match = rulings.tolerance(unit, reasoning="因上级政策调整致项目延期，属无意过失。")
    assert searched(rulings, unit, match, "政策调整") == {match}


def test_q_matches_a_chinese_substring_of_a_linked_findings_title(
    api: Api, inspector: dict[str, str], unit: str, rulings: Rulings
) -> None:
    fid = api.finding(inspector, unit, title="不动产登记窗口排长队")["id"]
    match = rulings.tolerance(unit, finding_ids=[fid])
    assert searched(rulings, unit, match, "不动产登记") == {match}


def test_q_that_matches_nothing_finds_nothing(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit)
    position = published(api, authority, rid)
    assert ids(library(api, inspector, position, unit_code=unit)) == {rid}
    assert library(api, inspector, position, unit_code=unit, q="航空航天") == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("accountability", "accountability"),
        ("fault_tolerance", "fault_tolerance"),
        ("fault-tolerance", "fault_tolerance"),
    ],
)
def test_library_filters_by_kind(
    api: Api,
    inspector: dict[str, str],
    authority: dict[str, str],
    unit: str,
    kind: str,
    expected: str,
    rulings: Rulings,
) -> None:
    made = {
        "accountability": rulings.accountability(unit),
        "fault_tolerance": rulings.tolerance(unit),
    }
    published(api, authority, made["accountability"], summary="某局问责案例")
    position = published(api, authority, made["fault_tolerance"])
    items = library(api, inspector, position, unit_code=unit, kind=kind)
    assert ids(items) == {made[expected]}


def test_library_filters_by_unit(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    other = api.unit("县医疗保障局", "department")
    mine = rulings.tolerance(unit)
    theirs = rulings.tolerance(other)
    published(api, authority, mine)
    position = published(api, authority, theirs)
    assert ids(library(api, inspector, position, unit_code=unit)) == {mine}
    assert ids(library(api, inspector, position, unit_code=other)) == {theirs}


def test_library_filters_by_year_of_the_decision(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    earlier = rulings.tolerance(unit, decided_on="2024-11-03")
    later = rulings.tolerance(unit, decided_on="2026-05-20")
    published(api, authority, earlier)
    position = published(api, authority, later)
    assert ids(library(api, inspector, position, unit_code=unit, year=2024)) == {earlier}
    assert ids(library(api, inspector, position, unit_code=unit, year=2026)) == {later}
    assert library(api, inspector, position, unit_code=unit, year=2025) == []


def test_library_filters_by_tag(
    api: Api, inspector: dict[str, str], authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    tagged = rulings.tolerance(unit)
    untagged = rulings.tolerance(unit)
    published(api, authority, tagged, tags=["乡村振兴", "改革创新"])
    position = published(api, authority, untagged, tags=["营商环境"])
    assert ids(library(api, inspector, position, unit_code=unit, tag="乡村振兴")) == {tagged}
    assert ids(library(api, inspector, position, unit_code=unit, tag="营商环境")) == {untagged}


def test_library_is_open_to_a_unit_account(
    api: Api, authority: dict[str, str], unit: str, rulings: Rulings
) -> None:
    rid = rulings.tolerance(unit)
    position = published(api, authority, rid)
    reader = api.account("unit", api.unit("另一乡镇"))
    assert ids(library(api, reader, position, unit_code=unit)) == {rid}


def test_unknown_kind_filter_is_refused_with_422(api: Api, inspector: dict[str, str]) -> None:
    assert_error(api.get(CASES, inspector, kind="praise"), 422)
