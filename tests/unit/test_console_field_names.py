"""A refused console form names each field as the form labels it (api/console/messages.py):
every label a refusal can use is read against the templates' own, so the two cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import api.main  # noqa: F401  (every command route mounted)
from api.console.messages import FIELDS, FIELDS_OF_FORM, validation_message
from api.http.command_routes import MOUNTED
from domain.registry import (
    DrawInspection,
    Launch,
    LogProgress,
    RaiseFinding,
    ReviewExtension,
    ServeRuling,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "console" / "templates"
BLOCK = re.compile(r'action_form\([^,]+,\s*"([^"]+)"(.*?)\{% endcall %\}', re.S)
MACRO = re.compile(r'm\.\w+\("(\w+)",\s*"([^"]+)"')
# A form of one text field (_macros.html text_form): its action, the field and its label.
TEXT_FORM = re.compile(
    r'm\.text_form\([^,]+,\s*"([^"]+)",\s*"[^"]*",\s*"[^"]*",\s*"(\w+)",\s*"([^"]+)"'
)
LABEL = re.compile(
    r'<label[^>]*>\s*([^<{]+?)\s*(?:<[^>]*>\s*)*?<(?:input|select|textarea)[^>]*name="(\w+)"',
    re.S,
)
# Pages that make a record, by the path their form posts to (web.creation_routes).
CREATION = {"finding_new.html": "findings", "inspection_new.html": "inspections"}
# A ruling's and a major decision's forms share the action `decision`: the day reads 决定日期
# on both (the major decision's form calls it 决策日期).
SHARED = {("decision.html", "decision", "decided_on")}


def labelled(body: str) -> dict[str, str]:
    """Each field of a form's template source, by its name, with the label the user reads."""
    found = {name: label for name, label in MACRO.findall(body)}
    found.update({name: label.strip() for label, name in LABEL.findall(body)})
    return found


def forms() -> list[tuple[str, str, str, str]]:
    """(template, action, field, label) of every form field the console renders."""
    rows = []
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        blocks = BLOCK.findall(text)
        if path.name in CREATION:
            blocks.append((CREATION[path.name], text))
        for action, body in blocks:
            rows += [(path.name, action, f, label) for f, label in labelled(body).items()]
        rows += [(path.name, action, f, label) for action, f, label in TEXT_FORM.findall(text)]
    return rows


KNOWN = set(FIELDS).union(*FIELDS_OF_FORM.values())
# A form's own field that fills another is left out (a person's name fills `subject`).
NAMED = [row for row in forms() if row[2] in KNOWN and row[:3] not in SHARED]


@pytest.mark.parametrize(("template", "action", "field", "label"), NAMED)
def test_a_refusal_names_the_field_as_its_form_labels_it(
    template: str, action: str, field: str, label: str
) -> None:
    named = (FIELDS | FIELDS_OF_FORM.get(action, {}))[field]
    assert named in label, f"{template} {action}: {field} is labelled {label!r}, named {named!r}"


def test_the_forms_read_are_the_consoles() -> None:
    """The reading of the templates finds the forms (else the test above proves nothing)."""
    actions = {action for _, action, _, _ in NAMED}
    assert {"service", "interview", "progress", "inspections", "matter", "entity"} <= actions


def refusal(message: type, body: dict[str, object], action: str) -> str:
    try:
        MOUNTED[message].body.model_validate(body)
    except ValidationError as error:
        return validation_message(error, action)
    raise AssertionError("the body was accepted")


@pytest.mark.parametrize("pool", [[], [{"name": "王敏"}]], ids=["empty", "one-inspector"])
def test_a_pool_too_short_names_the_list_and_how_many_it_needs(pool: list[object]) -> None:
    body = {"title": "t", "kind": "routine", "scope": "s", "period_start": "2026-01-01",
            "period_end": "2026-01-31", "units": ["a"], "inspectors": pool}  # fmt: skip
    assert refusal(Launch, body, "inspections") == "“检查人员名录”至少填写2人。"


def test_a_list_of_one_needed_says_one_item() -> None:
    pool = [{"name": "甲"}, {"name": "乙"}]
    body = {"title": "t", "kind": "routine", "scope": "s", "period_start": "2026-01-01",
            "period_end": "2026-01-31", "units": [], "inspectors": pool}  # fmt: skip
    assert refusal(Launch, body, "inspections") == "“检查对象名录”至少填写一项。"


def test_a_service_without_a_day_names_the_day() -> None:
    assert refusal(ServeRuling, {"served_on": "明天", "served_to": "张三"}, "service") == (
        "“送达日期”请填写有效日期（年-月-日）。"
    )


FINDING = {"unit_code": "fgj", "title": "t", "description": "d", "category": "other",
           "severity": "minor", "found_on": "2026-03-05", "evidence": []}  # fmt: skip


@pytest.mark.parametrize(
    ("source", "origin", "named"),
    [
        ("meeting_decision", {"meeting": "县政府常务会议", "held_on": "2026-02-30"},
         "“会议日期”请填写有效日期（年-月-日）。"),
        ("leader_instruction", {"leader": "张三", "instructed_on": "2026-02-30"},
         "“批示日期”请填写有效日期（年-月-日）。"),
        ("leader_instruction", {"leader": "张" * 300, "instructed_on": "2026-02-03"},
         "“批示领导”内容过长，不能超过 100 个字符。"),
    ],
)  # fmt: skip
def test_a_findings_origin_is_named_as_its_own_fields_not_as_others_of_the_same_name(
    source: str, origin: dict[str, str], named: str
) -> None:
    body = {**FINDING, "source": source, "origin": origin}
    assert refusal(RaiseFinding, body, "findings") == named


@pytest.mark.parametrize(
    ("found_on", "named"),
    [("1899-12-31", "“发现日期”不能早于1900年。"), ("9999-12-31", "“发现日期”不能晚于2100年。")],
)
def test_a_day_out_of_range_is_explained_by_its_bound(found_on: str, named: str) -> None:
    body = {**FINDING, "source": "other", "found_on": found_on}
    assert refusal(RaiseFinding, body, "findings") == named


@pytest.mark.parametrize(
    ("message", "body", "action", "named"),
    [
        (DrawInspection, {"seed": "12345"}, "draw", "“随机种子”不能少于 16 个字符。"),
        (DrawInspection, {"seed": "s" * 201}, "draw", "“随机种子”内容过长，不能超过 200 个字符。"),
        (ServeRuling, {"served_on": "2026-03-05", "served_to": ""}, "service",
         "“受送达人”不能为空。"),
        (LogProgress, {"note": "过半", "percent": "150"}, "work-progress",
         "“完成比例”数值过大，不能大于 100。"),
        (LogProgress, {"note": "过半", "percent": "-1"}, "work-progress",
         "“完成比例”数值过小，不能小于 0。"),
        (ReviewExtension, {"outcome": "forwarded", "comment": "说" * 2001}, "extension-review",
         "“说明”内容过长，不能超过 2000 个字符。"),
    ],
)  # fmt: skip
def test_a_refusal_of_a_length_or_a_number_says_the_bound_to_keep_to(
    message: type, body: dict[str, object], action: str, named: str
) -> None:
    """「不能为空」 for a seed of five characters, 「内容过长」 or 「数值过大」 alone, do not
    say what to type: the bound the schema holds to is said."""
    assert refusal(message, body, action) == named
