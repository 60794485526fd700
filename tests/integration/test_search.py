"""Chinese substring search: for any query, the findings list's `q` answers exactly the
findings whose title or description contains it (case folded) — the bigram index narrows,
it never drops a true match nor lets a false one through — including after amendments."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.runtime.bootstrap import Services, build
from domain.clock import today
from infra.settings import Settings
from projections.finding_board import FindingFilter
from projections.registry import PROJECTIONS
from projections.replay import replay
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding

# A small alphabet, so that queries often match and often almost match; with ASCII of both
# cases and the characters ILIKE treats specially.
ALPHABET = "整改台账督查问责容错免责Ab%_ "
UNIT = "ss01"


@pytest.fixture(scope="module")
def corpus(
    new_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, dict[str, tuple[str, str]]]]:
    """Sixty findings of random text in one unit, a third amended, all projected."""
    from api.runtime.bootstrap import migrate_database
    from tests.conftest import settings_for

    settings: Settings = settings_for(new_database(), tmp_path_factory.mktemp("search"))
    migrate_database(settings)
    services = build(settings, runners="off")
    rng = random.Random(1949)

    def text(n: int) -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(n)).strip() or "问责"

    services.app.register_unit(code=UNIT, name="搜索镇", kind="township", actor=ADMIN)
    texts: dict[str, tuple[str, str]] = {}
    for n in range(60):
        title, description = text(rng.randint(2, 12)), text(rng.randint(2, 30))
        finding = raise_finding(services, UNIT, title=title)
        services.app.amend_finding(
            finding, changes={"description": description}, reason="补充", actor=INSPECTOR
        )
        if n % 3 == 0:
            title = text(rng.randint(2, 12))
            services.app.amend_finding(
                finding, changes={"title": title}, reason="更正标题", actor=INSPECTOR
            )
        texts[str(finding)] = (title, description)
    spec = next(s for s in PROJECTIONS if s.name == "finding_board")
    replay(services.app, services.board, spec, services.head())
    yield services, texts
    services.close()


def search(services: Services, q: str) -> set[str]:
    page = services.board.list(FindingFilter(unit_codes=(UNIT,), q=q), today(), 500, None)
    return {str(item["id"]) for item in page.items}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_q_answers_exactly_the_findings_containing_it(
    corpus: tuple[Services, dict[str, tuple[str, str]]], data: st.DataObject
) -> None:
    services, texts = corpus
    source = data.draw(st.sampled_from(sorted(v for pair in texts.values() for v in pair)))
    start = data.draw(st.integers(0, max(len(source) - 2, 0)))
    length = data.draw(st.integers(1, 5))
    q = data.draw(
        st.one_of(
            st.just(source[start : start + length]),  # a piece of a real text
            st.text(alphabet=ALPHABET, min_size=1, max_size=4),  # anything at all
        ).filter(lambda s: s.strip() != "")
    )
    expected = {
        fid
        for fid, (title, description) in texts.items()
        if q.lower() in title.lower() or q.lower() in description.lower()
    }
    assert search(services, q) == expected


def test_a_two_character_chinese_query_in_the_middle_of_a_word_is_found(
    corpus: tuple[Services, dict[str, tuple[str, str]]],
) -> None:
    services, _ = corpus
    finding = raise_finding(services, UNIT, title="不动产登记窗口超时办理")
    spec = next(s for s in PROJECTIONS if s.name == "finding_board")
    replay(services.app, services.board, spec, services.head(), after=services.board.position())
    assert str(finding) in search(services, "登记")
    assert str(finding) in search(services, "窗口超时")
    assert str(finding) not in search(services, "登窗")  # characters present, not adjacent


def test_the_search_uses_the_bigram_index_at_scale(
    corpus: tuple[Services, dict[str, tuple[str, str]]],
) -> None:
    """With many rows and a rare query, PostgreSQL reads the GIN index, not the table."""
    services, _ = corpus
    from psycopg.sql import SQL

    table = services.board.table("finding_board")
    with services.database.connect(autocommit=False) as conn:
        conn.execute(
            SQL(
                "INSERT INTO {} (id, unit_code, title, description, category, severity, source, "
                "status, found_on, version, raised_position, raised_at, updated_at, grams) "
                "SELECT gen_random_uuid(), 'bulk', '台账资料缺失' || n, '说明', 'work_style', "
                "'minor', 'petition', 'raised', %s, 1, -n, now(), now(), "
                "ARRAY['台账', '账资', '资料', '料缺', '缺失', '说明'] "
                "FROM generate_series(1, 50000) n"
            ).format(table),
            (date(2024, 1, 1),),
        )
        conn.execute(SQL("ANALYZE {}").format(table))
        params: dict[str, Any] = {}
        from projections.paging import text_search

        q = "窗口超时"
        condition = text_search(
            [SQL("title"), SQL("description")], q, services.board.grams(q), params
        )
        plan = conn.execute(
            SQL("EXPLAIN SELECT id FROM {} WHERE {} ORDER BY raised_position DESC LIMIT 50").format(
                table, condition
            ),
            params,
        ).fetchall()
        conn.rollback()
    text = "\n".join(str(row[0]) for row in plan)
    assert "finding_board_grams_idx" in text, text
