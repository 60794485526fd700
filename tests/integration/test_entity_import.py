"""The 检查对象名录库 imported from a department's Excel export (`supervision import
market-entities`): the header found under a title row by the names registration systems give
the columns; new entities listed, changed ones amended, the rest left; a file with a bad row
records nothing and names every problem; one that is not a 检查对象名录 is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stdnum.cn import uscc

from api.runtime.bootstrap import Services
from infra.settings import Settings
from tests.integration.test_excel import event_count, run_cli, titled_list

HEADER = ["序号", "企业名称", "信用代码", "企业类型", "所属行业", "经营场所"]


def code(n: int) -> str:
    body = f"91330624MA2EH{n:04d}"
    return body + uscc.calc_check_digit(body)


def directory_file(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    return titled_list(path, "新昌县市场监督管理局 检查对象名录", header, rows)


ROWS = [
    [
        1,
        "新昌县一号食品有限公司",
        code(1),
        "有限责任公司（自然人投资或控股）",
        "食品经营",
        "南明街道1号",
    ],
    [2, "新昌县二号面馆", code(2), "个体工商户", "食品经营", None],
    [3, "新昌县三号茶叶专业合作社", code(3), "农民专业合作社", "食品生产", "梅渚镇"],
]


def test_a_directory_imports_and_a_later_export_amends_it(
    services: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    first = run_cli(fresh_settings, "import", "market-entities",
                    str(directory_file(tmp_path / "名录.xlsx", ROWS)))  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "新列入 3 户，更新 0 户，未变 0 户" in first.output
    entities = [services.app.get_market_entity(code(n)) for n in (1, 2, 3)]
    assert [(e.name, e.entity_kind, e.industry, e.address) for e in entities] == [
        ("新昌县一号食品有限公司", "enterprise", "食品经营", "南明街道1号"),
        ("新昌县二号面馆", "individual", "食品经营", None),
        ("新昌县三号茶叶专业合作社", "cooperative", "食品生产", "梅渚镇"),
    ]
    later = [*ROWS[:2], [3, *ROWS[2][1:5], "梅渚镇新址"], [4, "新昌县四号超市", f" {code(4)} ",
             None, "食品经营", None]]  # fmt: skip
    second = run_cli(fresh_settings, "import", "market-entities",
                     str(directory_file(tmp_path / "名录2.xlsx", later)))  # fmt: skip
    assert second.exit_code == 0, second.output
    assert "新列入 1 户，更新 1 户，未变 2 户" in second.output
    moved = services.app.get_market_entity(code(3))
    assert moved.address == "梅渚镇新址" and moved.version == 2
    assert services.app.get_market_entity(code(4)).entity_kind == "enterprise"


def test_a_file_with_a_bad_row_records_nothing_and_names_every_problem(
    services: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    wrong = code(11)[:-1] + ("0" if code(11)[-1] != "0" else "1")
    rows = [
        [1, "好的一户", code(10), None, "食品经营", None],
        [2, "校验码错误", wrong, None, "食品经营", None],
        [3, "", code(12), None, "", None],
        [4, '=HYPERLINK("http://x","y")', code(13), None, "食品经营", None],
    ]
    before = event_count(services)
    refused = run_cli(fresh_settings, "import", "market-entities",
                      str(directory_file(tmp_path / "有误.xlsx", rows)))  # fmt: skip
    assert refused.exit_code == 1, refused.output
    for row, column in [(4, "统一社会信用代码"), (5, "主体名称"), (5, "行业"), (6, "主体名称")]:
        assert f"第 {row} 行 (row {row}) [{column}]" in refused.output
    assert "第 3 行" not in refused.output and "nothing recorded" in refused.output
    assert event_count(services) == before

    twice = directory_file(
        tmp_path / "重复.xlsx", [rows[0], [2, "又一户", code(10), None, "食品经营", None]]
    )
    repeated = run_cli(fresh_settings, "import", "market-entities", str(twice))
    assert repeated.exit_code == 2 and "appears twice" in repeated.output
    assert event_count(services) == before

    ledger = directory_file(
        tmp_path / "清单.xlsx", [[1, "x"]], header=["序号", "工作任务", "牵头单位"]
    )
    wrong_file = run_cli(fresh_settings, "import", "market-entities", str(ledger))
    assert wrong_file.exit_code == 2
    assert "找不到含“统一社会信用代码”“主体名称”的表头" in wrong_file.output
