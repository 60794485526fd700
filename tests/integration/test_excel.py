"""Excel: a 重点工作清单 made by a person imports; bad rows are refused; the ledger round-trips."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner, Result

from api import excel
from api.bootstrap import Services, build, migrate_database
from api.cli import cli
from api.main import create_app
from domain.accounts import hash_token
from domain.vocabulary import Role
from domain.work_item_commands import Listing
from infra.settings import Settings
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.integration.conftest import ADMIN, INSPECTOR

UNITS = {"fgj": "县发改局", "czj": "县财政局", "jyj": "县教育局", "zjj": "县住建局"}
HEADER = ["序号", " 工作任务 ", "牵头单位", "配合单位", "完成时限：", "来源（依据）"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_units(services: Services) -> None:
    for code, name in UNITS.items():
        services.app.register_unit(code=code, name=name, kind="department", actor=ADMIN)


def county_list(path: Path, rows: list[list[Any]]) -> Path:
    """A list laid out as a county office makes one: a merged title row, then the header."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2024年重点工作清单"])
    sheet.merge_cells("A1:F1")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
        if isinstance(row[4], date):  # as a Chinese Excel shows a date
            sheet.cell(sheet.max_row, 5).number_format = 'yyyy"年"m"月"d"日"'
    workbook.save(path)
    return path


def run_cli(settings: Settings, *args: str) -> Result:
    env = {
        "SUPERVISION_DATABASE_URL": settings.database_url or "",
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def event_count(services: Services) -> int:
    with services.database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM supervision_events").fetchone()
    return int(row[0]) if row else 0


def ledger_items(services: Services, year: int = 2024) -> set[tuple[Any, ...]]:
    """The items as the ledger read model has them, once it has caught up."""
    if not services.runners:
        services.start_runners(["work_ledger"])
    services.ledger.wait_for(services.head(), 20)
    collected = excel.collect_ledger(services, year)
    return {
        (i["title"], i["year"], i["lead_unit"], tuple(i["co_units"]), i["due_on"], i["source_ref"])
        for i in collected.items
    }


@pytest.fixture
def units(services: Services) -> Services:
    register_units(services)
    return services


def test_a_county_list_made_by_a_person_imports(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    path = county_list(
        tmp_path / "清单.xlsx",
        [
            [
                1,
                "推进县城有机更新（一期）",
                "县发改局",
                "县财政局、县住建局",
                "2024年12月底",
                "县委经济工作会议",
            ],
            [None, None, None, None, None, None],  # a blank row between sections
            [2, " 新建中小学3所 ", "县教育局", "县财政局；zjj", date(2024, 9, 30), None],
            [3, "优化营商环境", "czj", "", "2024年6月", "政府工作报告"],
            [4, None, None, None, None, None],  # numbered in advance, never filled
        ],
    )
    result = run_cli(fresh_settings, "import", "work-items", str(path))
    assert result.exit_code == 0, result.output
    assert "已导入 3 项" in result.output
    assert ledger_items(units) == {
        (
            "推进县城有机更新（一期）",
            2024,
            "fgj",
            ("czj", "zjj"),
            date(2024, 12, 31),
            "县委经济工作会议",
        ),
        ("新建中小学3所", 2024, "jyj", ("czj", "zjj"), date(2024, 9, 30), None),
        ("优化营商环境", 2024, "czj", (), date(2024, 6, 30), "政府工作报告"),
    }


def test_a_file_with_broken_rows_records_nothing_unless_told_to_skip_them(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    path = county_list(
        tmp_path / "有误.xlsx",
        [
            [1, "好的一行", "县发改局", "", "2024-12-31", None],
            [2, "单位不存在", "县不存在局", "", "2024-12-31", None],
            [3, None, "县发改局", "", "2024-12-31", None],
            [4, "时限看不懂", "县发改局", "", "年内尽快", None],
            [5, "长" * 201, "县发改局", "", "2024-12-31", None],
            [6, "另一好行", "县教育局", "县发改局", "2024年底", None],
        ],
    )
    before = event_count(units)
    refused = run_cli(fresh_settings, "import", "work-items", str(path))
    assert refused.exit_code == 1, refused.output
    for row, column in [(4, "牵头单位"), (5, "工作任务"), (6, "完成时限"), (7, "工作任务")]:
        assert f"第 {row} 行 (row {row}) [{column}]" in refused.output
    assert "第 3 行" not in refused.output and "第 8 行" not in refused.output
    assert "nothing recorded" in refused.output
    assert event_count(units) == before

    taken = run_cli(fresh_settings, "import", "work-items", str(path), "--skip-invalid")
    assert taken.exit_code == 0, taken.output
    assert "已导入 2 项" in taken.output
    assert event_count(units) == before + 2
    assert {item[0] for item in ledger_items(units)} == {"好的一行", "另一好行"}


def test_a_file_without_the_list_header_is_refused(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    workbook = Workbook()
    workbook.active.append(["姓名", "电话"])
    workbook.save(tmp_path / "other.xlsx")
    result = run_cli(fresh_settings, "import", "work-items", str(tmp_path / "other.xlsx"))
    assert result.exit_code == 2 and "工作任务" in result.output


@pytest.fixture
def listed(fresh_settings: Settings) -> Iterator[Services]:
    """Database one, with runners: units, four 2024 items (progress, an evaluation), one 2025."""
    services = build(fresh_settings, runners="off")
    services.start_runners(["directory", "work_ledger"])
    register_units(services)
    ids = services.app.list_work_items(
        [
            Listing(
                "推进县城有机更新（一期）",
                2024,
                "fgj",
                date(2024, 12, 31),
                ("czj", "zjj"),
                "县委会议",
            ),
            Listing("新建中小学3所", 2024, "jyj", date(2024, 9, 30), ("czj",)),
            Listing("优化营商环境", 2024, "czj", date(2024, 6, 30), (), "政府工作报告"),
            Listing("跨年度项目", 2024, "zjj", date(2025, 3, 31), ("fgj", "jyj")),
            Listing("明年的事", 2025, "fgj", date(2025, 12, 31)),
        ],
        actor=ADMIN,
    )
    services.app.log_progress(ids[0], note="完成方案编制", percent=30, actor=INSPECTOR)
    services.app.evaluate_work_item(
        ids[1], score=95, grade="excellent", comment="好", actor=INSPECTOR
    )
    yield services
    services.close()


def export_over_http(services: Services, headers: dict[str, str]) -> Any:
    head = services.head()
    services.directory.wait_for(head, 20)
    with TestClient(create_app(services.settings, services=services)) as client:
        return client.get(
            "/api/v1/work-items/export.xlsx",
            params={"year": 2024, "min_position": head},
            headers=headers,
        )


def test_the_exported_ledger_imports_into_an_empty_database_as_the_same_items(
    listed: Services, new_database: Callable[[], str], tmp_path: Path
) -> None:
    response = export_over_http(listed, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    disposition = "attachment; filename*=UTF-8''" + quote("执行台账-2024.xlsx")
    assert response.headers["content-disposition"] == disposition
    check_workbook(response.content)

    second = settings_for(new_database(), tmp_path / "second")
    migrate_database(second)
    other = build(second, runners="off")
    try:
        register_units(other)
        path = tmp_path / "执行台账-2024.xlsx"
        path.write_bytes(response.content)
        result = run_cli(second, "import", "work-items", str(path))
        assert result.exit_code == 0, result.output
        assert ledger_items(other) == ledger_items(listed)
        assert len(ledger_items(other)) == 4
    finally:
        other.close()


def check_workbook(content: bytes) -> None:
    """What a spreadsheet program shows: two sheets, real dates, labels, frozen header."""
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["执行台账", "进展记录"]
    ledger, entries = workbook["执行台账"], workbook["进展记录"]
    assert [c.value for c in ledger[1]][:6] == [
        "序号",
        "工作任务",
        "年度",
        "牵头单位",
        "配合单位",
        "完成时限",
    ]
    assert ledger.freeze_panes == "A2" and ledger["A1"].font.b
    rows = {r[1]: r for r in ledger.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"推进县城有机更新（一期）", "新建中小学3所", "优化营商环境", "跨年度项目"}
    assert rows["推进县城有机更新（一期）"][3:5] == ("县发改局", "县财政局、县住建局")
    assert rows["推进县城有机更新（一期）"][7:9] == ("推进中", 30)
    assert rows["新建中小学3所"][7:] == ("已考评", 0, 95, "优秀", "好")
    assert ledger["F2"].is_date and ledger["F2"].number_format == "yyyy-mm-dd"
    entry = [c.value for c in entries[2]]
    assert entry[:5] == ["推进县城有机更新（一期）", 1, "完成方案编制", 30, "督查员 赵"]
    assert entries["F2"].is_date and entries["F2"].number_format == "yyyy-mm-dd hh:mm"


def test_a_unit_account_exports_only_its_units_items_and_the_year_is_required(
    listed: Services,
) -> None:
    token = "unit-jyj-token"
    listed.app.create_account(
        token_hash=hash_token(token),
        name="教育局联络员",
        role=Role.UNIT,
        unit_code="jyj",
        actor=ADMIN,
    )
    response = export_over_http(listed, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content))["执行台账"]
    titles = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {"新建中小学3所", "跨年度项目"}
    with TestClient(create_app(listed.settings, services=listed)) as client:
        missing = client.get(
            "/api/v1/work-items/export.xlsx", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    assert missing.status_code == 422


def test_the_cli_writes_the_ledger_file(listed: Services, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    result = run_cli(listed.settings, "export", "ledger", "--year", "2024", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "exported 4 items" in result.output
    assert load_workbook(out)["执行台账"].max_row == 5


def test_a_unit_cell_merged_over_several_tasks_leads_each_of_them(tmp_path: Path) -> None:
    path = county_list(
        tmp_path / "合并.xlsx",
        [
            [1, "任务甲", "县发改局", None, "2024年底", None],
            [2, "任务乙", None, None, "2024年底", None],
            [3, "任务丙", "县教育局", None, "2024年底", None],
        ],
    )
    workbook = load_workbook(path)
    workbook.active.merge_cells("C3:C4")
    workbook.save(path)
    units = excel.UnitIndex(
        {"code": code, "name": name, "status": "active"} for code, name in UNITS.items()
    )
    result = excel.parse_rows(excel.load_sheet(path), units)
    assert result.errors == []
    assert [(x.title, x.lead_unit) for x in result.listings] == [
        ("任务甲", "fgj"),
        ("任务乙", "fgj"),
        ("任务丙", "jyj"),
    ]


def test_an_inactive_unit_is_a_bad_row() -> None:
    units = excel.UnitIndex([{"code": "old", "name": "县老局", "status": "merged"}])
    listing, errors = excel.parse_row(
        9, {"工作任务": "t", "牵头单位": "县老局", "完成时限": "2024年底"}, units, None
    )
    assert listing is None
    assert [(e.row, e.column) for e in errors] == [(9, "牵头单位")]
    assert "已合并" in errors[0].reason


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2024-12-31", date(2024, 12, 31)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024年12月31日", date(2024, 12, 31)),
        ("２０２４年１２月底", date(2024, 12, 31)),
        ("2024年2月", date(2024, 2, 29)),
        ("2024年底", date(2024, 12, 31)),
        ("2024年年底", date(2024, 12, 31)),
    ],
)
def test_the_ways_people_write_a_due_date(text: str, due: date) -> None:
    assert excel.due_date(text) == due


@pytest.mark.parametrize("text", ["年内", "2024-02-30", "2024年13月", "45657"])
def test_dates_that_cannot_be_read_are_reported(text: str) -> None:
    with pytest.raises(ValueError):
        excel.due_date(text)


def test_a_control_character_in_a_title_does_not_break_the_export() -> None:
    item = {"id": 1, "title": "响铃\x07标题", "year": 2024, "lead_unit": "fgj", "co_units": []}
    item |= {"due_on": date(2024, 12, 31), "source_ref": None, "status": "listed", "percent": 0}
    content = excel.write_ledger(excel.Ledger([item], {}, {}))
    assert load_workbook(io.BytesIO(content))["执行台账"]["B2"].value == "响铃标题"
