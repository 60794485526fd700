"""Excel: a 重点工作清单 made by a person imports; bad rows are refused; the ledger round-trips;
text goes out as text; formulas and files past the limits are refused (issues 14 and 21)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zipfile import ZIP_BZIP2, ZIP_DEFLATED, ZipFile

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from typer.testing import CliRunner, Result

from api.cli.main import cli
from api.documents import excel
from api.main import create_app
from api.runtime.bootstrap import Services, build, migrate_database
from domain.accounts import hash_token
from domain.errors import AlreadyExists
from domain.registry import Listing
from domain.vocabulary import Role
from infra.settings import Settings
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.integration.conftest import ADMIN, INSPECTOR

UNITS = {"fgj": "县发改局", "czj": "县财政局", "jyj": "县教育局", "zjj": "县住建局"}
HEADER = ["序号", " 工作任务 ", "牵头单位", "配合单位", "完成时限：", "来源（依据）"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_units(services: Services) -> None:
    for code, name in UNITS.items():
        services.app.register_unit(code=code, name=name, kind="department", actor=ADMIN)


def rename(services: Services, code: str, name: str) -> None:
    services.app.rename_unit(
        code, name=name, reason="机构改革", effective_on=date(2024, 6, 1), actor=ADMIN
    )


def titled_list(path: Path, title: str, header: list[str], rows: list[list[Any]]) -> Path:
    """A list laid out as a county office makes one: a merged title row, then the header, then
    the rows (a date in the fifth column shown as a Chinese Excel shows one)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells("A1:F1")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        if len(row) > 4 and isinstance(row[4], date):
            sheet.cell(sheet.max_row, 5).number_format = 'yyyy"年"m"月"d"日"'
    workbook.save(path)
    return path


def county_list(path: Path, rows: list[list[Any]]) -> Path:
    """A 重点工作清单 as a county office makes one."""
    return titled_list(path, "2024年重点工作清单", HEADER, rows)


def rewrite_sheet(path: Path, edit: Callable[[str], str]) -> Path:
    """The workbook with its first sheet's XML edited, as another program or an attacker
    would write it."""
    with ZipFile(path) as source:
        parts = [(member, source.read(member)) for member in source.infolist()]
    with ZipFile(path, "w", ZIP_DEFLATED) as target:
        for member, data in parts:
            if member.filename == "xl/worksheets/sheet1.xml":
                edited = edit(data.decode())
                assert edited != data.decode(), "the edit found nothing to change"
                data = edited.encode()
            target.writestr(member, data)
    return path


def pad(path: Path, megabytes: int, method: int = ZIP_DEFLATED) -> Path:
    """The workbook with a part of zeros added, written a megabyte at a time."""
    with ZipFile(path, "a", method) as archive, archive.open("xl/media/pad.bin", "w") as part:
        for _ in range(megabytes):
            part.write(bytes(2**20))
    return path


def unit_index() -> excel.UnitIndex:
    return excel.UnitIndex(
        {"code": code, "name": name, "status": "active"} for code, name in UNITS.items()
    )


def run_cli(settings: Settings, *args: str, **env: str) -> Result:
    env = {
        "SUPERVISION_DATABASE_URL": settings.database_url or "",
        "SUPERVISION_LOG_LEVEL": "WARNING",
        **env,
    }
    return CliRunner().invoke(cli, list(args), env=env)


def event_count(services: Services) -> int:
    with services.database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM supervision_events").fetchone()
    return int(row[0]) if row else 0


def ledger_items(services: Services, year: int = 2024) -> set[tuple[Any, ...]]:
    """The items as the ledger read model has them, once it has caught up."""
    if services.host is None:
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


def test_a_list_imported_again_lists_only_its_new_tasks_and_names_the_changed_rows(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    first = [
        [1, "推进县城有机更新（一期）", "县发改局", "县财政局", "2024年12月底", "县委会议"],
        [2, "新建中小学3所", "县教育局", None, "2024-09-30", None],
    ]
    path = county_list(tmp_path / "清单.xlsx", first)
    assert "已导入 2 项" in run_cli(fresh_settings, "import", "work-items", str(path)).output
    before = event_count(units)

    again = run_cli(fresh_settings, "import", "work-items", str(path))
    assert again.exit_code == 0, again.output
    assert "已导入 0 项重点工作 (imported 0 work items)，2 项已在清单中" in again.output
    assert "第 3 行 (row 3) [工作任务]: 已在清单中，未重复导入 (already listed)\n" in again.output
    assert event_count(units) == before

    # Typed again in full-width digits, one date moved, and one task added.
    revised = [
        [1, "推进县城有机更新（一期）", "县发改局", "县财政局", "2024年12月底", "县委会议"],
        [2, "新建中小学３所", "县教育局", None, "2024-10-31", None],
        [3, "优化营商环境", "县财政局", None, "2024年6月", None],
    ]
    path = county_list(tmp_path / "修订.xlsx", revised)
    result = run_cli(fresh_settings, "import", "work-items", str(path))
    assert result.exit_code == 0, result.output
    assert "已导入 1 项重点工作 (imported 1 work items)，2 项已在清单中" in result.output
    assert (
        "第 4 行 (row 4) [工作任务]: 已在清单中，未重复导入 (already listed)；完成时限与清单不同"
        in (result.output)
    )
    assert event_count(units) == before + 1
    assert ("新建中小学3所", date(2024, 9, 30)) in {(i[0], i[4]) for i in ledger_items(units)}
    assert len(ledger_items(units)) == 3


def test_the_exported_ledger_imported_back_lists_nothing_twice_even_after_a_merger(
    listed: Services, tmp_path: Path
) -> None:
    """And again once 县住建局 (lead of 跨年度项目, co-unit of two more) was merged into 县发改局:
    it can list nothing new, yet its rows are the items already listed, not bad rows."""
    response = export_over_http(listed, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    path = tmp_path / "执行台账-2024.xlsx"
    path.write_bytes(response.content)
    before = event_count(listed)
    for merged in (False, True):
        if merged:
            listed.app.merge_unit(
                "zjj", into="fgj", reason="机构改革", effective_on=date(2024, 12, 1), actor=ADMIN
            )
            before = event_count(listed)
        result = run_cli(listed.settings, "import", "work-items", str(path))
        assert result.exit_code == 0, result.output
        assert "已导入 0 项重点工作 (imported 0 work items)，4 项已在清单中" in result.output
        assert "与清单不同" not in result.output and "有误" not in result.output
        assert event_count(listed) == before


def test_the_exported_ledger_imported_back_after_a_rename_lists_nothing_twice(
    listed: Services, tmp_path: Path
) -> None:
    """县住建局 (lead of 跨年度项目, co-unit of 推进县城有机更新) is renamed after the export:
    the file names it as it was then, and its rows are still the items already listed. A
    file exported after the rename, naming it anew, imports the same."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    before_rename = tmp_path / "更名前.xlsx"
    before_rename.write_bytes(export_over_http(listed, admin).content)
    rename(listed, "zjj", "县住房和城乡建设局")
    after_rename = tmp_path / "更名后.xlsx"
    after_rename.write_bytes(export_over_http(listed, admin).content)
    before = event_count(listed)
    for path in (before_rename, after_rename):
        result = run_cli(listed.settings, "import", "work-items", str(path))
        assert result.exit_code == 0, result.output
        assert "已导入 0 项重点工作 (imported 0 work items)，4 项已在清单中" in result.output
        assert "与清单不同" not in result.output and "有误" not in result.output
        assert event_count(listed) == before


def test_a_list_naming_units_by_names_they_bore_before_lists_its_tasks_under_them(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """Each name a unit bore counts (县住建局 was renamed twice), for a lead as for a co-unit."""
    rename(units, "zjj", "县住房和城乡建设局")
    rename(units, "zjj", "县住房城乡建设局")
    rename(units, "czj", "县财政和税务局")
    rows = [[1, "任务丁", "县住建局", "县财政局", "2024年底", None],
            [2, "任务戊", "县住房和城乡建设局", None, "2024年底", None]]  # fmt: skip
    result = run_cli(
        fresh_settings, "import", "work-items", str(county_list(tmp_path / "清单.xlsx", rows))
    )
    assert result.exit_code == 0, result.output
    assert "已导入 2 项" in result.output
    assert {(i[0], i[2], i[3]) for i in ledger_items(units)} == {
        ("任务丁", "zjj", ("czj",)),
        ("任务戊", "zjj", ()),
    }


def test_a_name_two_units_bore_before_and_none_bears_now_is_a_bad_row_naming_both(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    rename(units, "fgj", "县发展和改革局")
    rename(units, "jyj", "县发改局")
    rename(units, "jyj", "县教育体育局")
    path = county_list(tmp_path / "清单.xlsx", [[1, "任务庚", "县发改局", None, "2024年底", None]])
    before = event_count(units)
    result = run_cli(fresh_settings, "import", "work-items", str(path))
    assert result.exit_code == 1, result.output
    assert (
        "第 3 行 (row 3) [牵头单位]: “县发改局”曾是多个单位的名称（fgj、jyj），请填单位代码"
        in result.output
    )
    assert event_count(units) == before


def test_a_name_given_up_in_a_rename_and_taken_since_names_the_unit_that_bears_it(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """县住建局 was renamed and a new unit made under its name: a new task of that name is
    the new unit's, while the task listed under the renamed unit is already listed."""
    path = county_list(tmp_path / "清单.xlsx", [[1, "任务乙", "县住建局", None, "2024年底", None]])
    assert "已导入 1 项" in run_cli(fresh_settings, "import", "work-items", str(path)).output
    rename(units, "zjj", "县住房和城乡建设局")
    units.app.register_unit(code="zjj2", name="县住建局", kind="department", actor=ADMIN)
    rows = [[1, "任务乙", "县住建局", None, "2024年底", None],
            [2, "任务辛", "县住建局", None, "2024年底", None]]  # fmt: skip
    again = run_cli(
        fresh_settings, "import", "work-items", str(county_list(tmp_path / "再.xlsx", rows))
    )
    assert again.exit_code == 0, again.output
    assert "已导入 1 项重点工作 (imported 1 work items)，1 项已在清单中" in again.output
    assert {(i[0], i[2]) for i in ledger_items(units)} == {("任务乙", "zjj"), ("任务辛", "zjj2")}


def test_a_list_imported_again_after_its_lead_unit_was_split_is_already_listed(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """分设 moved the task to a successor (its key is now another unit's), yet the item is
    the one the first import listed: found by the id that import gave it, not refused."""
    path = county_list(tmp_path / "清单.xlsx", [[1, "任务甲", "县住建局", None, "2024年底", None]])
    assert "已导入 1 项" in run_cli(fresh_settings, "import", "work-items", str(path)).output
    units.app.split_unit("zjj", into=["fgj", "czj"], reason="机构改革",
                         effective_on=date(2024, 6, 1), actor=ADMIN)  # fmt: skip
    before = event_count(units)
    again = run_cli(fresh_settings, "import", "work-items", str(path))
    assert again.exit_code == 0, again.output
    assert "已导入 0 项重点工作 (imported 0 work items)，1 项已在清单中" in again.output
    assert event_count(units) == before


def test_a_list_imported_again_after_a_new_unit_took_its_lead_units_name_is_already_listed(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """县住建局 was merged away and a new unit made under its name (机构改革): the row's name
    now means the new unit, yet the task is the one listed under the old one's code."""
    path = county_list(tmp_path / "清单.xlsx", [[1, "任务乙", "县住建局", None, "2024年底", None]])
    assert "已导入 1 项" in run_cli(fresh_settings, "import", "work-items", str(path)).output
    units.app.merge_unit("zjj", into="fgj", reason="机构改革", effective_on=date(2024, 6, 1),
                         actor=ADMIN)  # fmt: skip
    units.app.register_unit(code="zjj2", name="县住建局", kind="department", actor=ADMIN)
    before = event_count(units)
    again = run_cli(fresh_settings, "import", "work-items", str(path))
    assert again.exit_code == 0, again.output
    assert "已导入 0 项重点工作 (imported 0 work items)，1 项已在清单中" in again.output
    assert event_count(units) == before
    # A bad row of that task (a co-unit no one knows) is answered the same, not refused,
    # whether it names the lead by name or by the new unit's code.
    rows = [[n, "任务乙", lead, "县不存在局", "2024年底", None]
            for n, lead in ((1, "县住建局"), (2, "zjj2"))]  # fmt: skip
    bad = county_list(tmp_path / "有误.xlsx", rows)
    answered = run_cli(fresh_settings, "import", "work-items", str(bad))
    assert answered.exit_code == 0, answered.output
    assert "2 项已在清单中" in answered.output and "有误" not in answered.output
    assert event_count(units) == before


def test_a_date_in_the_built_in_chinese_date_format_is_read_as_that_date(tmp_path: Path) -> None:
    """Chinese Excel and WPS store 2027年6月30日 as a serial number in the built-in format 31,
    writing no format code: it is that date, not a number refused."""
    path = county_list(tmp_path / "清单.xlsx", [[1, "任务丙", "县发改局", None,
                                                 date(2027, 6, 30), None]])  # fmt: skip
    with ZipFile(path) as source:
        parts = [(member, source.read(member)) for member in source.infolist()]
    with ZipFile(path, "w", ZIP_DEFLATED) as target:
        for member, data in parts:
            if member.filename == "xl/styles.xml":
                styles = data.decode()
                custom = re.search(r'<numFmt numFmtId="(\d+)" formatCode="[^"]*年[^"]*"/>', styles)
                assert custom is not None, styles
                styles = styles.replace(custom[0], "")
                styles = styles.replace(f'numFmtId="{custom[1]}"', 'numFmtId="31"')
                data = styles.encode()
            target.writestr(member, data)
    result = excel.parse_rows(excel.load_sheet(path), unit_index(), year=2027)
    assert result.errors == [] and [row.due_on for row in result.listings] == [date(2027, 6, 30)]


def test_a_unit_whose_name_holds_a_space_or_a_separator_is_named_whole() -> None:
    units = excel.UnitIndex([{"code": "wb", "name": "县委办 县府办", "status": "active"},
                             {"code": "xc", "name": "宣传部、网信办", "status": "active"},
                             {"code": "cz", "name": "县财政局", "status": "active"}])  # fmt: skip
    rows = [(3, {"工作任务": "任务", "牵头单位": "县委办 县府办", "配合单位": "宣传部、网信办",
                 "完成时限": "2027-12-31"}),
            (4, {"工作任务": "任务二", "牵头单位": "县财政局", "配合单位": "县委办 县府办、宣传部",
                 "完成时限": "2027-12-31"})]  # fmt: skip
    result = excel.parse_rows(rows, units, year=2027)
    assert [(x.lead_unit, x.co_units) for x in result.listings] == [("wb", ("xc",))]
    assert [(e.row, e.column) for e in result.errors] == [(4, "配合单位")], "宣传部 is no unit"


def test_a_title_with_a_character_no_sheet_holds_is_found_listed_when_imported_back(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """The export leaves out what XML cannot hold (a bell, typed in over the API); the file
    imported back finds the task listed all the same."""
    listing = Listing(title="控制字符\x07任务", year=2024, lead_unit="fgj", co_units=(),
                      due_on=date(2024, 12, 31))  # fmt: skip
    units.app.list_work_item(listing, actor=ADMIN)
    units.start_runners(["work_ledger", "directory"])
    response = export_over_http(units, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    path = tmp_path / "执行台账.xlsx"
    path.write_bytes(response.content)
    before = event_count(units)
    again = run_cli(fresh_settings, "import", "work-items", str(path))
    assert again.exit_code == 0, again.output
    assert "已导入 0 项重点工作 (imported 0 work items)，1 项已在清单中" in again.output
    assert event_count(units) == before


def test_two_rows_of_the_same_task_make_the_second_a_bad_row(tmp_path: Path) -> None:
    path = county_list(
        tmp_path / "重复.xlsx",
        [
            [1, "任务甲", "县发改局", None, "2024年底", None],
            [2, "任务甲", "县教育局", None, "2024年底", None],
            [3, "任务甲", "fgj", None, "2024年6月", None],
        ],
    )
    result = excel.parse_rows(excel.load_sheet(path), unit_index())
    assert [(x.title, x.lead_unit) for x in result.listings] == [
        ("任务甲", "fgj"),
        ("任务甲", "jyj"),
    ]
    assert result.rows == [3, 4]
    assert [(e.row, e.column) for e in result.errors] == [(5, "工作任务")]
    assert "与第 3 行是同一项工作" in result.errors[0].reason


def test_the_same_list_saved_twice_at_once_is_refused_the_second_time(units: Services) -> None:
    cells = {"工作任务": "任务甲", "牵头单位": "县发改局", "完成时限": "2024年底"}
    listing, errors = excel.parse_row(3, cells, unit_index(), None)
    assert listing is not None and errors == []
    units.app.list_work_items([listing], actor=ADMIN)
    before = event_count(units)
    with pytest.raises(AlreadyExists, match="同一清单刚被导入"):
        units.app.list_work_items([listing], actor=ADMIN)
    assert event_count(units) == before


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
    services.app.assign_work_item_leader(ids[0], leader="常务副县长", actor=INSPECTOR)
    plan = {"title": "制定方案", "due_on": date(2024, 3, 31)}
    services.app.set_work_item_milestone(ids[0], **plan, actor=INSPECTOR)
    build_site = {"title": "开工建设", "due_on": date(2024, 12, 31), "leader": "县住建局局长"}
    services.app.set_work_item_milestone(ids[0], **build_site, actor=INSPECTOR)
    reached = {"number": 1, "reached_on": date(2024, 3, 20), "note": "方案印发"}
    services.app.reach_work_item_milestone(ids[0], **reached, actor=INSPECTOR)
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
    assert rows["新建中小学3所"][7:15] == ("已考评", 0, 95, "优秀", "好", None, None, None)
    first = rows["推进县城有机更新（一期）"]
    assert first[12:] == (
        "常务副县长",
        "红（已逾期）",
        "1. 制定方案（2024-03-31前，2024-03-20完成）；"
        "2. 开工建设（2024-12-31前，县住建局局长，未完成）",
    )
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
    result = excel.parse_rows(excel.load_sheet(path), unit_index())
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
        ("2027年6月底前", date(2027, 6, 30)),
        ("2027年12月31日前", date(2027, 12, 31)),
        ("2027年底以前", date(2027, 12, 31)),
    ],
)
def test_the_ways_people_write_a_due_date(text: str, due: date) -> None:
    assert excel.due_date(text) == due


@pytest.mark.parametrize("text", ["年内", "2024-02-30", "2024年13月", "45657"])
def test_dates_that_cannot_be_read_are_reported(text: str) -> None:
    with pytest.raises(ValueError):
        excel.due_date(text)


@pytest.mark.parametrize("number", [2027.1, 2027, 45657])
def test_a_due_date_given_as_a_number_is_refused_for_what_it_may_have_been(number: float) -> None:
    """ "2027.10" typed in a General cell is stored as the number 2027.1 (January, read as
    text): no number is taken for a date."""
    with pytest.raises(ValueError, match="不能作日期"):
        excel.due_date(number)


def test_a_row_hidden_in_excel_is_not_imported_and_the_import_says_so(
    units: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    """Not what the office sees, as a hidden sheet is not (ADR 016); the command names it."""
    path = county_list(
        tmp_path / "隐藏行.xlsx",
        [
            [1, "任务甲", "县发改局", None, "2024年底", None],
            [2, "隐藏任务", "县发改局", None, "2024年底", None],
            [3, "任务丙", "县教育局", None, "2024年底", None],
        ],
    )
    workbook = load_workbook(path)
    workbook.active.row_dimensions[4].hidden = True
    workbook.save(path)
    rows = excel.load_sheet(path)
    assert rows.hidden == [4]
    result = excel.parse_rows(rows, unit_index())
    assert [x.title for x in result.listings] == ["任务甲", "任务丙"] and result.errors == []
    told = run_cli(fresh_settings, "import", "work-items", str(path))
    assert "第 4 行 (row 4): 已隐藏，未导入" in told.output and "已导入 2 项" in told.output


def test_a_control_character_in_a_title_does_not_break_the_export() -> None:
    item = {"id": 1, "title": "响铃\x07标题", "year": 2024, "lead_unit": "fgj", "co_units": []}
    item |= {"due_on": date(2024, 12, 31), "source_ref": None, "status": "listed", "percent": 0}
    content = excel.write_ledger(excel.Ledger([item], {}, {}))
    assert load_workbook(io.BytesIO(content))["执行台账"]["B2"].value == "响铃标题"


# -- text as text (issue 14 item 7) ------------------------------------------------------------

# What spreadsheet programs take for the start of a formula, and a formula that links away.
HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1", "a\r\nb"]
HOSTILE += ['=HYPERLINK("http://x","点我")']


def ledger_of(text: str, lead_name: str = "县发改局") -> excel.Ledger:
    """One evaluated item whose every free-text field, and its lead unit's name, is `text`."""
    item = {"id": 1, "title": text, "year": 2024, "lead_unit": "fgj", "co_units": ["czj"]}
    item |= {"due_on": date(2024, 12, 31), "source_ref": text, "status": "evaluated"}
    item |= {"percent": 100, "evaluation": {"score": 90, "grade": "good", "comment": text}}
    item |= {"leader": text, "deadline_colour": None, "milestones": []}
    entry = {"note": text, "percent": 100, "actor_name": text}
    entry |= {"recorded_at": datetime(2024, 5, 1, tzinfo=UTC)}
    return excel.Ledger([item], {1: [entry]}, {"fgj": lead_name, "czj": "县财政局"})


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_user_typed_is_exported_as_a_text_cell_exactly_as_typed(text: str) -> None:
    workbook = load_workbook(io.BytesIO(excel.write_ledger(ledger_of(text, lead_name=text))))
    ledger, entries = workbook["执行台账"], workbook["进展记录"]
    cells = [ledger[name] for name in ("B2", "D2", "G2", "L2", "M2")]
    cells += [entries[name] for name in ("A2", "C2", "E2")]
    assert [(cell.value, cell.data_type) for cell in cells] == [(text, "s")] * 8


def test_an_exported_title_that_starts_with_an_equals_sign_imports_as_that_text() -> None:
    content = excel.write_ledger(ledger_of("=cmd|' /C calc'!A0"))
    result = excel.parse_rows(excel.load_sheet(io.BytesIO(content)), unit_index())
    assert result.errors == []
    assert [listing.title for listing in result.listings] == ["=cmd|' /C calc'!A0"]


def test_a_formula_typed_as_a_title_is_a_bad_row_whatever_it_last_showed(
    tmp_path: Path,
) -> None:
    path = county_list(
        tmp_path / "公式.xlsx",
        [[1, '=HYPERLINK("http://x","点我")', "县发改局", None, "2024年底", None]],
    )
    # As Excel saves it: the formula, and the text it showed when the file was saved.
    rewrite_sheet(
        path,
        lambda xml: xml.replace('<c r="B3"><f>', '<c r="B3" t="str"><f>').replace(
            "</f><v />", "</f><v>点我</v>"
        ),
    )
    result = excel.parse_rows(excel.load_sheet(path), unit_index())
    assert result.listings == []
    assert [(error.row, error.column) for error in result.errors] == [(3, "工作任务")]
    assert "公式" in result.errors[0].reason and "formula" in result.errors[0].reason


def test_a_numbering_formula_does_not_stop_its_row_because_the_import_never_reads_it(
    tmp_path: Path,
) -> None:
    path = county_list(
        tmp_path / "序号.xlsx", [["=ROW()-2", "任务甲", "县发改局", None, "2024年底", None]]
    )
    result = excel.parse_rows(excel.load_sheet(path), unit_index())
    assert result.errors == []
    assert [listing.title for listing in result.listings] == ["任务甲"]


# -- limits (issue 21 item 4) ------------------------------------------------------------------


def one_task(path: Path) -> Path:
    return county_list(path, [[1, "任务甲", "县发改局", None, "2024年底", None]])


def merge_bomb(path: Path, ref: str) -> Path:
    """A list of one task whose sheet merges `ref`: a file of a few KB."""
    merge = f'<mergeCell ref="{ref}" /></mergeCells>'
    return rewrite_sheet(one_task(path), lambda xml: xml.replace("</mergeCells>", merge))


def test_a_file_past_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(excel.ExcelError, match="larger than 10 MB"):
        excel.load_sheet(io.BytesIO(bytes(excel.ImportLimits().file_bytes + 1)))


def test_a_workbook_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = pad(one_task(tmp_path / "大.xlsx"), megabytes=21)
    with pytest.raises(excel.ExcelError, match="unpacks to more than 20 MB"):
        excel.load_sheet(path)


def test_a_workbook_that_unpacks_to_a_hundred_times_its_size_is_refused(tmp_path: Path) -> None:
    path = pad(one_task(tmp_path / "炸弹.xlsx"), megabytes=2)
    with pytest.raises(excel.ExcelError, match="more than 100 times its size"):
        excel.load_sheet(path)


def test_a_workbook_packed_with_a_method_xlsx_does_not_use_is_refused(tmp_path: Path) -> None:
    path = pad(one_task(tmp_path / "bz2.xlsx"), megabytes=1, method=ZIP_BZIP2)
    with pytest.raises(excel.ExcelError, match="method xlsx does not use"):
        excel.load_sheet(path)


@pytest.mark.parametrize("ref", ["A3:Z200000", "A3:XFD1048576", "C1:C1048576"])
def test_a_merge_over_more_cells_than_the_limit_is_refused_without_being_expanded(
    tmp_path: Path, ref: str
) -> None:
    with pytest.raises(excel.ExcelError, match="merged ranges cover more than 100000 cells"):
        excel.load_sheet(merge_bomb(tmp_path / "合并.xlsx", ref))


def test_many_small_merges_count_together_against_the_limit(tmp_path: Path) -> None:
    merges = "".join(f'<mergeCell ref="D{n}:E{n}" />' for n in range(3, 50_004))
    path = rewrite_sheet(
        one_task(tmp_path / "合并.xlsx"),
        lambda xml: xml.replace("</mergeCells>", merges + "</mergeCells>"),
    )
    with pytest.raises(excel.ExcelError, match="merged ranges cover more than 100000 cells"):
        excel.load_sheet(path)


def test_the_import_command_answers_a_file_past_a_limit_with_the_reason(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    path = merge_bomb(tmp_path / "合并.xlsx", "A3:XFD1048576")
    result = run_cli(fresh_settings, "import", "work-items", str(path))
    assert result.exit_code == 2, result.output
    assert "合并单元格共超过 100000 格" in result.output


def test_a_sheet_of_300_000_rows_is_refused_at_the_row_limit(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{n}"><c r="B{n}" t="str"><v>任务</v></c></row>' for n in range(3, 300_003)
    )
    path = rewrite_sheet(
        county_list(tmp_path / "长表.xlsx", []),
        lambda xml: xml.replace("</sheetData>", rows + "</sheetData>"),
    )
    with pytest.raises(excel.ExcelError, match="more than 5000 rows under the header"):
        excel.load_sheet(path)


def test_blank_rows_past_the_row_limit_do_not_count(tmp_path: Path) -> None:
    path = one_task(tmp_path / "边框.xlsx")
    workbook = load_workbook(path)
    workbook.active.cell(2 + excel.ImportLimits().rows + 100, 2).font = Font(
        bold=True
    )  # styled, empty
    workbook.save(path)
    assert [number for number, _ in excel.load_sheet(path)] == [3]


@pytest.mark.parametrize("column", [51, 16_384])
def test_a_cell_past_the_column_limit_is_refused(tmp_path: Path, column: int) -> None:
    path = one_task(tmp_path / "宽表.xlsx")
    workbook = load_workbook(path)
    workbook.active.cell(3, column, "备注")
    workbook.save(path)
    with pytest.raises(excel.ExcelError, match="row 3 has cells past column 50"):
        excel.load_sheet(path)


def test_the_import_limits_are_settings(fresh_settings: Settings, tmp_path: Path) -> None:
    rows = [[n, f"任务{n}", "县发改局", None, "2024年底", None] for n in range(1, 4)]
    path = county_list(tmp_path / "三行.xlsx", rows)
    refused = run_cli(
        fresh_settings, "import", "work-items", str(path), SUPERVISION_IMPORT_MAX_ROWS="2"
    )
    assert refused.exit_code == 2, refused.output
    assert "more than 2 rows under the header" in refused.output


def test_a_hidden_sheet_is_not_imported_and_the_visible_list_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = county_list(
        tmp_path / "隐藏.xlsx", [[1, "隐藏表任务", "县发改局", None, "2024年底", None]]
    )
    workbook = load_workbook(path)
    workbook.active.sheet_state = "hidden"
    workbook.active.title = "草稿"
    visible = county_list(
        tmp_path / "可见.xlsx", [[1, "可见表任务", "县教育局", None, "2024年底", None]]
    )
    shown = workbook.create_sheet("清单")
    for row in load_workbook(visible).active.iter_rows(values_only=True):
        shown.append(row)
    workbook.active = 1
    workbook.save(path)
    with caplog.at_level("INFO", logger="api.documents.excel"):
        result = excel.parse_rows(excel.load_sheet(path), unit_index())
    assert [(x.title, x.lead_unit) for x in result.listings] == [("可见表任务", "jyj")]
    assert any(r.getMessage() == "hidden sheet passed over" for r in caplog.records)
    del workbook["清单"]
    workbook.create_sheet("说明").append(["本表为草稿，清单见隐藏页。"])
    workbook.active = 1
    workbook.save(path)
    with pytest.raises(excel.ExcelError, match="找不到"):
        excel.load_sheet(path)
