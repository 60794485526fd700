"""Excel in and out: a county office's 重点工作清单 read into listings, the 执行台账 written.

Both sides use the list's own layout (序号, 工作任务, 牵头单位, 配合单位, 完成时限, 来源), so an
exported ledger imports again as the same items. Text goes both ways as text, never as a
formula (ADR 016), and a file is read as a stream under the limits below.
"""

from __future__ import annotations

import calendar
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID
from xml.etree import ElementTree
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils import get_column_letter, range_boundaries

from api.runtime.bootstrap import Services
from domain.errors import InvalidValue
from domain.registry import Listing
from domain.spot_checks import credit_code
from domain.vocabulary import DeadlineColour, EntityKind, Grade, UnitStatus, WorkItemStatus
from domain.work_items import WorkItem
from projections.directory import DirectoryView
from projections.paging import MAX_LIMIT, Page
from projections.work_ledger import LedgerFilter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """A list's columns: those it must have, those it may have, other names offices give
    them (the list's own name wins when both appear), and the two its header row is found
    by."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    aliases: dict[str, str]
    found_by: tuple[str, str]

    @property
    def known(self) -> tuple[str, ...]:
        return ("序号", *self.required, *self.optional)


WORK_ITEMS = Layout(
    "重点工作清单",
    required=("工作任务", "牵头单位", "完成时限"),
    optional=("配合单位", "来源", "年度"),
    aliases={"重点工作": "工作任务", "责任单位": "牵头单位", "牵头部门": "牵头单位"}
    | {"配合部门": "配合单位", "协办单位": "配合单位", "任务来源": "来源"}
    | {"完成时间": "完成时限", "完成期限": "完成时限"},
    found_by=("工作任务", "牵头单位"),
)
CODE = "统一社会信用代码"
# 检查对象名录库 as a department keeps it (市场主体名录 exported from its registration system).
MARKET_ENTITIES = Layout(
    "检查对象名录",
    required=("统一社会信用代码", "主体名称", "行业"),
    optional=("主体类型", "住所"),
    aliases={"信用代码": "统一社会信用代码", "社会信用代码": "统一社会信用代码"}
    | {"企业名称": "主体名称", "名称": "主体名称", "市场主体名称": "主体名称"}
    | {"所属行业": "行业", "行业类别": "行业", "类型": "主体类型", "企业类型": "主体类型"}
    | {"地址": "住所", "经营场所": "住所", "住所（经营场所）": "住所"},
    found_by=("统一社会信用代码", "主体名称"),
)
HEADER_SEARCH_ROWS = 10  # a title row or two may stand above the header
MAX_TEXT = 200  # the API's limit for a title or a source reference
SEPARATORS = re.compile(r"[、,;\s]+")  # after NFKC, full-width ，； are , and ;

# The built-in number formats of East Asian Excel and WPS (ECMA-376 Part 1, 18.8.30): a date
# typed in a Chinese sheet is stored as a serial number styled, say, 31 (yyyy年m月d日) with no
# format code written out. openpyxl knows only the Western built-ins, so it would read such a
# date as a number; it reads these as dates once they are known.
EAST_ASIAN_DATE_FORMATS = {
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy",
    31: 'yyyy"年"m"月"d"日"', 36: 'yyyy"年"m"月"', 50: 'yyyy"年"m"月"', 51: 'm"月"d"日"',
    52: 'yyyy"年"m"月"', 53: 'm"月"d"日"', 54: 'm"月"d"日"', 57: 'yyyy"年"m"月"',
    58: 'm"月"d"日"',
}  # fmt: skip
BUILTIN_FORMATS.update(
    {i: code for i, code in EAST_ASIAN_DATE_FORMATS.items() if i not in BUILTIN_FORMATS}
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class ImportLimits:
    """The import's limits (issue 21; SUPERVISION_IMPORT_* settings). A county's list has
    dozens to hundreds of rows and a dozen columns, so each default is far above what a
    real list needs and far below what hurts a small server: past them a file is refused
    before anything its size is built."""

    file_bytes: int = 10 * 2**20
    # All the zip's parts together, as their headers declare. A list of 5,000 rows with a
    # dozen columns of long text unpacks to about 5 MB; at 20 MB a crafted file of tiny
    # shared strings, which openpyxl reads whole, still takes seconds and some 150 MB.
    unpacked_bytes: int = 20 * 2**20
    packing_ratio: int = 100  # a sheet's XML packs about 15 to 1; a zip bomb about 1000 to 1
    rows: int = 5_000  # rows under the header
    columns: int = 50
    merged_cells: int = 100_000  # the cells all of a sheet's merged ranges cover together


class ExcelError(Exception):
    """The file as a whole cannot be read (not a workbook, no header row, past a limit)."""


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: what it shows is computed, so it is never imported as text."""

    text: str


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it, so a person can find it
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 (row {self.row}) [{self.column}]: {self.reason}"


@dataclass
class ImportResult:
    listings: list[Listing] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # each listing's row, as Excel numbers it
    # Each row's task, where it can be told (its year and the ids it may have: one for each
    # unit the lead's name names), whether the row is good or not: a row of a task already
    # listed is answered so, whatever else it says (a unit since merged, or one whose name a
    # unit made since has taken).
    tasks: dict[int, tuple[int, tuple[UUID, ...]]] = field(default_factory=dict)


# A data row under the header: its Excel row number and {column: cell value}.
Row = tuple[int, dict[str, Any]]


class Rows(list[Row]):
    """A list's data rows, and the numbers of those it passed over for being hidden."""

    def __init__(self, rows: Iterable[Row] = (), hidden: Iterable[int] = ()) -> None:
        super().__init__(rows)
        self.hidden = sorted(hidden)


# A row of the sheet as the stream gives it: its Excel row number and its cells' values.
Numbered = tuple[int, tuple[Any, ...]]
# A merged range as openpyxl bounds it: min_col, min_row, max_col, max_row, from 1.
Bounds = tuple[int, int, int, int]


# -- reading -----------------------------------------------------------------------------------


def clean(value: Any) -> str:
    """A cell's text, trimmed; kept as typed (a title's full-width （） are its own).

    Every column's reader starts here, so a formula is refused in whichever column it is:
    `=HYPERLINK(…)` shows one text and links somewhere else (issue 14)."""
    if isinstance(value, Formula):
        raise ValueError("是公式，请填写内容本身 (a formula: type the text or date itself)")
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column comes back as 2024.0
    return str(value).strip()


def blank(value: Any) -> bool:
    """Nothing in the cell; a formula is something, to be refused when the row is read."""
    return not isinstance(value, Formula) and not clean(value)


def fold(value: Any) -> str:
    """Text to match on: full-width forms (２０２４，：（）) folded to ASCII by NFKC."""
    return unicodedata.normalize("NFKC", clean(value))


def header_key(value: Any, layout: Layout = WORK_ITEMS) -> tuple[str, bool] | None:
    """The column a header cell names, and whether by the list's own name; spaces, `*`
    marks, `:` and a note in brackets (完成时限（年月日）) do not count."""
    if isinstance(value, Formula):
        return None
    text = re.sub(r"\(.*\)$", "", re.sub(r"[\s*:]", "", fold(value)))
    if text in layout.known:
        return text, True
    return (layout.aliases[text], False) if text in layout.aliases else None


def load_sheet(
    source: Path | BinaryIO, limits: ImportLimits = ImportLimits(), layout: Layout = WORK_ITEMS
) -> Rows:
    """The first worksheet with the layout's header row (by default 工作任务 + 牵头单位) in
    its first rows."""
    content = read_limited(source, limits)
    with open_archive(content, limits) as archive:
        try:
            # read_only streams the rows; data_only=False keeps formulas visible as formulas.
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        except Exception as error:  # openpyxl raises many kinds for a file that is not xlsx
            raise unreadable(error) from None
        try:
            return first_list(workbook, archive, limits, layout)
        except ExcelError:
            raise
        except Exception as error:  # a broken part shows only when the stream reaches it
            raise unreadable(error) from None
        finally:
            workbook.close()


def unreadable(error: Exception) -> ExcelError:
    return ExcelError(f"无法读取 Excel 文件 (not a readable .xlsx file): {error}")


def read_limited(source: Path | BinaryIO, limits: ImportLimits) -> bytes:
    """The file's bytes, refused past limits.file_bytes without reading any further."""
    if isinstance(source, Path):
        with source.open("rb") as file:
            return read_limited(file, limits)
    content = source.read(limits.file_bytes + 1)
    if len(content) > limits.file_bytes:
        mb = limits.file_bytes // 2**20
        raise ExcelError(f"文件超过 {mb} MB (the file is larger than {mb} MB)")
    return content


def open_archive(content: bytes, limits: ImportLimits) -> ZipFile:
    """The workbook's zip, refused when its parts would unpack to more than the limits.

    The sizes come from the zip's own headers, and they bind: Python's zipfile stops
    inflating a part at its declared size (and then fails its CRC), so a part cannot
    unpack to more than it claims. Only the two methods xlsx uses are let through."""
    try:
        archive = ZipFile(io.BytesIO(content))
    except Exception as error:
        raise unreadable(error) from None
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    if any(member.compress_type not in (ZIP_STORED, ZIP_DEFLATED) for member in members):
        problem = "压缩方式不是 xlsx 所用 (a part is packed with a method xlsx does not use)"
    elif unpacked > limits.unpacked_bytes:
        mb = limits.unpacked_bytes // 2**20
        problem = f"文件解压后超过 {mb} MB (the workbook unpacks to more than {mb} MB)"
    elif unpacked > limits.packing_ratio * len(content):
        problem = (
            f"文件解压后超过原大小的 {limits.packing_ratio} 倍 "
            f"(the workbook unpacks to more than {limits.packing_ratio} times its size)"
        )
    else:
        return archive
    archive.close()
    raise ExcelError(problem)


def first_list(workbook: Any, archive: ZipFile, limits: ImportLimits, layout: Layout) -> Rows:
    """The rows of the first visible sheet that holds the list: a hidden sheet (a draft,
    a lookup table) is not what the office sees, and is not imported."""
    for worksheet in workbook.worksheets:
        if worksheet.sheet_state != "visible":
            log.info("hidden sheet passed over", extra={"sheet": worksheet.title})
            continue
        sheet = sheet_rows(worksheet, archive, limits, layout)
        if sheet is not None:
            return sheet
    first, second = layout.found_by
    raise ExcelError(
        f"前 {HEADER_SEARCH_ROWS} 行中找不到含“{first}”“{second}”的表头 "
        f"(no header row with {first} and {second})"
    )


def sheet_rows(
    worksheet: Any, archive: ZipFile, limits: ImportLimits, layout: Layout
) -> Rows | None:
    with closing(limited_rows(worksheet, limits)) as rows:
        header_row, columns = find_header(rows, layout)
        if header_row is None:
            return None
        missing = [k for k in layout.required if k not in columns.values()]
        if missing:
            raise ExcelError(f"表头缺少列 (header lacks columns): {'、'.join(missing)}")
        # The stream gives no merged ranges, so they are read from the sheet's part (whose
        # name openpyxl keeps), and bounded before the stream reaches them: at the end of
        # the sheet openpyxl builds an object for each range it finds.
        ranges, hidden = merged_ranges(archive, worksheet._worksheet_path, limits)
        cells = data_cells(rows, header_row, limits)
    fill_merged(cells, ranges, header_row, limits)
    listed = Rows()
    for number in sorted(cells):
        row = {key: cells[number].get(i) for i, key in columns.items()}
        if any(not blank(v) for k, v in row.items() if k != "序号"):  # blank or only numbered
            if number in hidden:
                listed.hidden.append(number)
            else:
                listed.append((number, row))
    if listed.hidden:
        log.info("hidden rows not imported", extra={"rows": listed.hidden})
    return listed


def limited_rows(worksheet: Any, limits: ImportLimits) -> Generator[Numbered, None, None]:
    """The sheet's rows as (Excel row number, values), refused at a cell past limits.columns."""
    # The file's own <dimension> may claim A1:XFD1048576: each row is only as wide as it is.
    worksheet.reset_dimensions()
    for number, row in enumerate(worksheet.iter_rows(), 1):
        values = tuple(value_of(cell) for cell in row)
        if any(value is not None for value in values[limits.columns :]):
            raise ExcelError(
                f"第 {number} 行超过 {limits.columns} 列 "
                f"(row {number} has cells past column {limits.columns})"
            )
        yield number, values


def value_of(cell: Any) -> Any:
    """A cell's value; a formula as a Formula, never as the result it was last saved with."""
    return Formula(str(cell.value)) if cell.data_type == "f" else cell.value


def find_header(
    rows: Iterator[Numbered], layout: Layout = WORK_ITEMS
) -> tuple[int | None, dict[int, str]]:
    for number, values in islice(rows, HEADER_SEARCH_ROWS):
        found = [(i, header_key(v, layout)) for i, v in enumerate(values)]
        columns: dict[int, str] = {}
        for own_name in (True, False):  # the list's own names first, then the aliases
            for i, hit in found:
                if hit and hit[1] is own_name and hit[0] not in columns.values():
                    columns[i] = hit[0]
        if set(layout.found_by) <= set(columns.values()):
            return number, columns
    return None, {}


def data_cells(
    rows: Iterator[Numbered], header_row: int, limits: ImportLimits
) -> dict[int, dict[int, Any]]:
    """The rows under the header as {row number: {column index: value}}, filled cells only.

    Blank rows past the limit are let be: a person may have drawn borders further down."""
    cells: dict[int, dict[int, Any]] = {}
    for number, values in rows:
        filled = {i: value for i, value in enumerate(values) if value is not None}
        if filled and number > header_row + limits.rows:
            raise ExcelError(
                f"表头下超过 {limits.rows} 行 (more than {limits.rows} rows under the header)"
            )
        if filled:
            cells[number] = filled
    return cells


def merged_ranges(
    archive: ZipFile, part: str, limits: ImportLimits
) -> tuple[list[Bounds], set[int]]:
    """The sheet's merged ranges, refused when together they cover more than the limit, and
    the rows hidden in it (not what the office sees: they are not imported)."""
    ranges: list[Bounds] = []
    hidden: set[int] = set()
    area = 0
    for kind, ref in sheet_marks(archive, part):
        if kind == "hidden":
            hidden.add(int(ref))
            continue
        bounds: Bounds = range_boundaries(ref)  # a whole column (C:C) fails as unreadable
        area += (bounds[2] - bounds[0] + 1) * (bounds[3] - bounds[1] + 1)
        if area > limits.merged_cells:
            raise ExcelError(
                f"合并单元格共超过 {limits.merged_cells} 格 "
                f"(merged ranges cover more than {limits.merged_cells} cells)"
            )
        ranges.append(bounds)
    return ranges, hidden


def sheet_marks(archive: ZipFile, part: str) -> Iterator[tuple[str, str]]:
    """Each <mergeCell ref> ("merge", ref) and each hidden <row> ("hidden", its number) of a
    sheet's XML, read as a stream that keeps no rows."""
    sheet_data = None
    with archive.open(part) as xml:
        for event, element in ElementTree.iterparse(xml, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start" and tag == "sheetData":
                sheet_data = element
            elif event == "end" and tag == "row" and sheet_data is not None:
                if element.get("hidden") in ("1", "true") and (row := element.get("r")):
                    yield "hidden", row
                sheet_data.clear()  # so a long sheet's rows are dropped as they are read
            elif event == "end" and tag == "mergeCell":
                yield "merge", element.get("ref", "")


def fill_merged(
    cells: dict[int, dict[int, Any]], ranges: list[Bounds], header_row: int, limits: ImportLimits
) -> None:
    """People merge a unit's cell over the rows of its tasks: give every row that value."""
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > header_row:
            value = cells.get(min_row, {}).get(min_col - 1)
            for row in range(min_row, min(max_row, header_row + limits.rows) + 1):
                for column in range(min_col - 1, min(max_col, limits.columns)):
                    cells.setdefault(row, {})[column] = value


class UnitIndex:
    """Units by Chinese name or code, as the directory read model lists them, and by the
    names they bore before (更名: a list written before a rename names the unit as it was)."""

    def __init__(self, units: Iterable[dict[str, Any]]) -> None:
        self.by_key: dict[str, list[dict[str, Any]]] = {}
        self.by_former_name: dict[str, list[dict[str, Any]]] = {}
        names_of: dict[str, set[str]] = {}
        for unit in units:
            name, code = name_key(unit["name"]), str(unit["code"])
            for key in {fold(code), name}:
                self.by_key.setdefault(key, []).append(unit)
            former = {name_key(n) for n in unit.get("former_names") or ()} - {name}
            for key in former:
                self.by_former_name.setdefault(key, []).append(unit)
            names_of[code] = {name, *former}
        holders: dict[str, set[str]] = {}
        for code, names in names_of.items():
            for name in names:
                holders.setdefault(name, set()).add(code)
        # Each code with the codes of every unit that bears or bore one of its names (itself
        # among them).
        self.named_alike = {
            code: sorted({c for name in names for c in holders[name]})
            for code, names in names_of.items()
        }

    @classmethod
    def load(cls, directory: DirectoryView) -> UnitIndex:
        return cls(every(directory.named_units))

    def knows(self, text: str) -> bool:
        """Whether `text` is a unit's code or name, now or before."""
        return bool(self.by_key.get(text) or self.by_former_name.get(text))

    def resolve(self, text: str) -> str:
        """The code of the active unit `text` names; ValueError with the reason otherwise.

        A name is first what it names now; only a name no unit bears now is looked for among
        the names units bore before, so a name given up in a rename and taken since is the
        unit that bears it."""
        if found := self.by_key.get(text, []):
            return self.one_active(text, found, ("对应多个单位", "ambiguous unit name"))
        if found := self.by_former_name.get(text, []):
            return self.one_active(
                text, found, ("曾是多个单位的名称", "a former name of several units")
            )
        raise ValueError(f"未知单位“{text}” (unknown unit)")

    @staticmethod
    def one_active(text: str, found: list[dict[str, Any]], ambiguous: tuple[str, str]) -> str:
        """The code of the one active unit of those `text` names; ValueError naming the
        codes to choose from (`ambiguous`: why, in Chinese and English), or the status."""
        active = [u for u in found if u["status"] == UnitStatus.ACTIVE.value]
        if len(active) == 1:
            return str(active[0]["code"])
        if len(active) > 1:
            codes = "、".join(sorted(str(u["code"]) for u in active))
            zh, en = ambiguous
            raise ValueError(f"“{text}”{zh}（{codes}），请填单位代码 ({en}: give the unit's code)")
        status = UnitStatus(found[0]["status"])
        raise ValueError(f"单位“{text}”{status.label}，不能列入新工作 (unit is {status.value})")

    def named(self, text: str) -> list[str]:
        """The codes of the units `text` names or named, whatever their status (a unit
        renamed, merged, split or dissolved since, and one made since under its name)."""
        found = [*self.by_key.get(text, []), *self.by_former_name.get(text, [])]
        return sorted({str(u["code"]) for u in found})

    def alike(self, code: str) -> list[str]:
        """The unit's code and those of the other units that bear or bore one of its names
        (any status)."""
        return self.named_alike.get(code, [code])


def every(fetch: Callable[[int, str | None], Page]) -> Iterator[dict[str, Any]]:
    """All items of a paged read, page after page."""
    page = fetch(MAX_LIMIT, None)
    yield from page.items
    while page.next_cursor is not None:
        page = fetch(MAX_LIMIT, page.next_cursor)
        yield from page.items


class RowCheck:
    """Reads a row's columns, keeping each one's problem (a ValueError, or a domain rule
    broken) as the row's error: one pass reports all of a row's problems."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.errors: list[RowError] = []

    def __call__(self, column: str, read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except ValueError as error:
            self.errors.append(RowError(self.number, column, str(error)))
        except InvalidValue as error:
            self.errors.append(RowError(self.number, column, error.message))
        return None


def parse_rows(rows: Iterable[Row], units: UnitIndex, year: int | None = None) -> ImportResult:
    """Every row checked; the good ones as listings, each problem of the bad ones reported.
    A row that lists a task an earlier row listed (the same year, lead unit and title) is a
    bad row: the list would hold it twice."""
    result = ImportResult()
    first_rows: dict[UUID | None, int] = {}
    for number, cells in rows:
        listing, errors = parse_row(number, cells, units, year)
        # A good row's listing tells its task; only a bad row's is read again, leniently.
        if listing is not None and listing.item_id is not None:
            ids = task_ids(listing.year, [listing.lead_unit], listing.title, units)
            result.tasks[number] = (listing.year, ids)
        elif (task := task_of(cells, units, year)) is not None:
            result.tasks[number] = task
        if listing is not None and (first := first_rows.get(listing.item_id)) is not None:
            same = f"与第 {first} 行是同一项工作，年度、牵头单位、工作任务均相同 (as row {first})"
            errors.append(RowError(number, "工作任务", same))
        result.errors.extend(errors)
        if listing is not None and not errors:
            first_rows[listing.item_id] = number
            result.listings.append(listing)
            result.rows.append(number)
    return result


def task_of(
    cells: dict[str, Any], units: UnitIndex, year: int | None
) -> tuple[int, tuple[UUID, ...]] | None:
    """The row's task (its year and the ids it may have) where the row names it plainly: a
    title, one lead unit by a name or code (of any status: each unit of that name), and a
    year; None where it cannot be told."""
    try:  # (a formula, a date that cannot be read: no task to tell)
        title = clean(cells.get("工作任务"))
        lead = unit_names(cells.get("牵头单位"), units)
        year = year or year_of(cells.get("年度")) or due_date(cells.get("完成时限")).year
    except ValueError:
        return None
    codes = units.named(lead[0]) if len(lead) == 1 else []
    if not title or not codes or year is None:
        return None
    return year, task_ids(year, codes, title, units)


def task_ids(year: int, codes: Iterable[str], title: str, units: UnitIndex) -> tuple[UUID, ...]:
    """The ids a task of the year and title may have: one for each of the lead `codes`, and
    for each unit of their names (a unit made since under an old unit's name)."""
    alike = dict.fromkeys(c for code in codes for c in units.alike(code))
    return tuple(WorkItem.imported_id(year, code, fold(title)) for code in alike)


def ledger_items(services: Services, years: Iterable[int]) -> Iterator[dict[str, Any]]:
    """Every item the ledger lists in these years."""
    for where in (LedgerFilter(year) for year in sorted(set(years))):
        yield from every(partial(services.ledger.page, where))


def leave_out_listed(result: ImportResult, ledger: Iterable[dict[str, Any]]) -> list[RowError]:
    """Take out of the result the rows whose task the ledger already lists (the same year,
    lead unit and title), good rows or bad, so a list imported again, or an exported ledger
    imported back (naming a unit merged or split since), lists nothing twice and is not
    refused. Each such row is answered: already listed, and which of its columns differ from
    the ledger (left as the ledger has them; a change is made on the item)."""
    listed: dict[UUID, dict[str, Any]] = {}
    for item in ledger:  # by its key now, and by its id (an import's key when it was listed)
        # The title as an export writes it (without the characters a sheet cannot hold).
        title = fold(ILLEGAL_CHARACTERS_RE.sub("", item["title"]))
        listed[WorkItem.imported_id(item["year"], item["lead_unit"], title)] = item
        listed[UUID(str(item["id"]))] = item
    taken: dict[int, dict[str, Any]] = {}
    for row, (_, tasks) in result.tasks.items():
        if found := [listed[task] for task in tasks if task in listed]:
            taken[row] = found[0]
    listings = dict(zip(result.rows, result.listings, strict=True))
    notes: list[RowError] = []
    for number in sorted(taken):
        item, listing = taken[number], listings.get(number)
        differ = [
            column
            for column, ours, theirs in (
                ("配合单位", set(listing.co_units), set(item["co_units"])),
                ("完成时限", listing.due_on, item["due_on"]),
                ("来源", listing.source_ref, item["source_ref"]),
            )
            if ours != theirs
        ] if listing is not None else []  # fmt: skip
        reason = "已在清单中，未重复导入 (already listed)"
        if differ:
            reason += f"；{'、'.join(differ)}与清单不同，未更改 (differs; left as listed)"
        notes.append(RowError(number, "工作任务", reason))
    result.errors[:] = [error for error in result.errors if error.row not in taken]
    kept = [(number, listing) for number, listing in listings.items() if number not in taken]
    result.rows[:] = [number for number, _ in kept]
    result.listings[:] = [listing for _, listing in kept]
    return notes


def parse_row(
    number: int, cells: dict[str, Any], units: UnitIndex, year: int | None
) -> tuple[Listing | None, list[RowError]]:
    """Every column is checked, so one pass reports all of a row's problems."""
    check = RowCheck(number)
    errors = check.errors

    title = check("工作任务", text_of, cells.get("工作任务"), True)
    source = check("来源", text_of, cells.get("来源"), False)
    lead = check("牵头单位", lead_unit, cells.get("牵头单位"), units)
    co = check("配合单位", co_units, cells.get("配合单位"), units, lead)
    due = check("完成时限", due_date, cells.get("完成时限"))
    # An exported ledger carries 年度, so an item due early next year keeps its own year.
    year = year or check("年度", year_of, cells.get("年度")) or (due and due.year)
    if due is not None and year is not None:
        check("完成时限", due_in, due, year)
    if errors or None in (title, lead, co, due, year):
        return None, errors
    item_id = WorkItem.imported_id(year, lead, fold(title))
    return Listing(title, year, lead, due, tuple(co), source or None, item_id=item_id), []


def due_in(due: date, year: int) -> None:
    """The list's own rules, checked here so the all-or-nothing save never trips on them."""
    if not 2000 <= year <= 2100:
        raise ValueError(f"年度 {year} 超出范围 (the year must lie in 2000–2100)")
    if due.year < year:
        raise ValueError(f"早于年度 {year} (due before the year {year})")


def text_of(value: Any, required: bool) -> str:
    text = clean(value)
    if required and not text:
        raise ValueError("不能为空 (required)")
    if len(text) > MAX_TEXT:
        raise ValueError(f"超过 {MAX_TEXT} 字 ({len(text)} characters, at most {MAX_TEXT})")
    if "\x00" in text:
        raise ValueError("含有非法字符 (contains NUL)")
    return text


def unit_names(value: Any, units: UnitIndex) -> list[str]:
    """The units a cell names: the whole cell when it is one unit's name (a name may hold a
    space or a 、: 县委办 县府办), else each name between the separators."""
    whole = name_key(value)
    if whole and units.knows(whole):
        return [whole]
    return [n for n in SEPARATORS.split(fold(value)) if n]


def name_key(value: Any) -> str:
    """A unit's name as the index keeps it: folded, without white space."""
    return re.sub(r"\s", "", fold(value))


def lead_unit(value: Any, units: UnitIndex) -> str:
    names = unit_names(value, units)
    if not names:
        raise ValueError("不能为空 (required)")
    if len(names) > 1:
        raise ValueError("只能填一个牵头单位 (one lead unit only)")
    return units.resolve(names[0])


def co_units(value: Any, units: UnitIndex, lead: str | None) -> list[str]:
    codes: list[str] = []
    for name in unit_names(value, units):
        code = units.resolve(name)
        if code == lead:
            raise ValueError(f"“{name}”已是牵头单位 (the lead unit is not also a co-unit)")
        if code in codes:
            raise ValueError(f"“{name}”重复 (named twice)")
        codes.append(code)
    return codes


# A date may end "前" or "以前" (2027年6月底前: by then, as the list says it).
BY = r"\s*(?:以前|之前|前)?"
YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+[\d:]+)?" + BY)
YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*[底末]?" + BY)
YEAR_END = re.compile(r"(\d{4})\s*年\s*(?:年\s*)?[底末]" + BY)


def due_date(value: Any) -> date:
    """A date cell, or the ways people write one: 2024-12-31, 2024年12月底, 2024年底 …"""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(  # "2027.10" typed in a General cell is kept as the number 2027.1
            f"数字“{value}”不能作日期：如 2027.10 会存成 2027.1，请写成“2027年10月”或设为日期格式 "
            "(a number is no date; type it as text or as a date)"
        )
    text = fold(value)
    if not text:
        raise ValueError("不能为空 (required)")
    try:
        if m := YMD.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := YM.fullmatch(text):  # "by June" means by its last day
            y, month = int(m[1]), int(m[2])
            return date(y, month, calendar.monthrange(y, month)[1])
        if m := YEAR_END.fullmatch(text):
            return date(int(m[1]), 12, 31)
    except ValueError:  # a month 13 or a 30 February
        raise ValueError(f"日期不存在“{text}” (no such date)") from None
    raise ValueError(f"无法识别的日期“{text}” (unreadable date; e.g. 2024-12-31, 2024年6月底)")


def year_of(value: Any) -> int | None:
    text = fold(value).removesuffix("年")
    if not text:
        return None
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise ValueError(f"年度“{text}”无效 (year must lie in 2000–2100)")
    return int(text)


# -- writing -----------------------------------------------------------------------------------

# Column: width. The first six are the list's own layout, so the ledger imports again.
LEDGER_HEADERS = {"序号": 6, "工作任务": 40, "年度": 8, "牵头单位": 18, "配合单位": 28}
LEDGER_HEADERS |= {"完成时限": 12, "来源": 24, "状态": 12, "进度(%)": 9, "考评得分": 9}
LEDGER_HEADERS |= {"考评等次": 9, "考评意见": 30, "责任领导": 20, "督办提示": 14, "工作节点": 50}
PROGRESS_HEADERS = {"工作任务": 40, "序号": 6, "进展情况": 50, "进度(%)": 9, "登记人": 14}
PROGRESS_HEADERS |= {"登记时间": 17}


@dataclass
class EntityRows:
    """The rows of a 检查对象名录 as the import records them, and each bad row's problems."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_entities(rows: Iterable[Row]) -> EntityRows:
    """Every row checked (one pass reports all of a row's problems); the good ones as the
    fields of MarketEntity.fields_of."""
    result = EntityRows()
    for number, cells in rows:
        check = RowCheck(number)
        entity = {
            "credit_code_text": check("统一社会信用代码", checked_code, cells.get(CODE)),
            "name": check("主体名称", text_of, cells.get("主体名称"), True),
            "industry": check("行业", text_of, cells.get("行业"), True),
            "entity_kind": check("主体类型", entity_kind_of, cells.get("主体类型")),
            "address": check("住所", text_of, cells.get("住所"), False) or None,
        }
        result.errors.extend(check.errors)
        if not check.errors:
            result.entities.append(entity)
    return result


def checked_code(value: Any) -> str:
    """A 统一社会信用代码 as typed (spaces allowed), its check character verified."""
    return credit_code(fold(value))


def entity_kind_of(value: Any) -> str | None:
    """主体类型 as registration systems write it: 个体工商户, 农民专业合作社, or one of the
    many kinds of company (有限责任公司（自然人投资或控股）…), which are 企业; blank: not
    stated (a new entity is then an enterprise, a listed one keeps its kind)."""
    text = clean(value)
    if not text:
        return None
    if "个体" in text:
        return EntityKind.INDIVIDUAL.value
    if "合作社" in text:
        return EntityKind.COOPERATIVE.value
    return EntityKind.ENTERPRISE.value


@dataclass(frozen=True)
class Ledger:
    items: list[dict[str, Any]]
    progress: dict[Any, list[dict[str, Any]]]
    unit_names: dict[str, str]


def collect_ledger(services: Services, year: int, unit_codes: tuple[str, ...] = ()) -> Ledger:
    """A year's items (of these units; () = all) with their progress entries."""
    where = LedgerFilter(year, unit_codes)
    items = list(every(lambda limit, cursor: services.ledger.page(where, limit, cursor)))
    progress: dict[Any, list[dict[str, Any]]] = {}
    for start in range(0, len(items), MAX_LIMIT):
        progress.update(
            services.ledger.progress_of([i["id"] for i in items[start : start + MAX_LIMIT]])
        )
    names = {str(u["code"]): str(u["name"]) for u in every(services.directory.units)}
    return Ledger(items, progress, names)


def write_ledger(ledger: Ledger) -> bytes:
    workbook = Workbook()
    items = workbook.active
    items.title = "执行台账"
    entries = workbook.create_sheet("进展记录")
    start(items, LEDGER_HEADERS)
    start(entries, PROGRESS_HEADERS)
    for number, item in enumerate(ledger.items, 1):
        append(items, ledger_row(number, item, ledger.unit_names), DATE_FORMAT)
        for entry in ledger.progress.get(item["id"], []):
            row = [item["title"], number, entry["note"], entry["percent"], entry["actor_name"]]
            append(entries, [*row, local_minute(entry["recorded_at"])], "yyyy-mm-dd hh:mm")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return keep_carriage_returns(buffer.getvalue())


def start(worksheet: Any, headers: dict[str, int]) -> None:
    """Bold header, set widths, header frozen so it stays in view while scrolling."""
    worksheet.append(list(headers))
    for i, width in enumerate(headers.values(), 1):
        worksheet.cell(1, i).font = Font(bold=True)
        worksheet.column_dimensions[get_column_letter(i)].width = width
    worksheet.freeze_panes = "A2"


def append(worksheet: Any, values: list[Any], time_format: str) -> None:
    """A row whose sixth column is a date or time, formatted so people read it as one.

    Text loses the control characters the API accepts but XML cannot hold: one such
    character must not break the whole file."""
    worksheet.append(
        [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
    )
    for cell in worksheet[worksheet.max_row]:
        if isinstance(cell.value, str):
            # openpyxl makes text that starts with `=` a live formula; what a user typed
            # is shown as typed, never run (ADR 016).
            cell.data_type = "s"
    worksheet.cell(worksheet.max_row, 6).number_format = time_format


def keep_carriage_returns(content: bytes) -> bytes:
    """The workbook with each CR in its XML written `&#13;`.

    An XML reader turns a raw CR into a line feed, so a title the user typed with one would
    come back changed; as a character reference it stays. In UTF-8 the byte 0x0D is never
    part of another character, so the swap touches nothing else."""
    buffer = io.BytesIO()
    with ZipFile(io.BytesIO(content)) as source, ZipFile(buffer, "w", ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member, data.replace(b"\r", b"&#13;"))
    return buffer.getvalue()


def local_minute(moment: datetime) -> datetime:
    """Excel has no time zones: the county's wall-clock time, to the minute."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None, second=0, microsecond=0)


def ledger_row(number: int, item: dict[str, Any], names: dict[str, str]) -> list[Any]:
    evaluation = item.get("evaluation") or {}
    grade = evaluation.get("grade")
    return [
        number,
        item["title"],
        item["year"],
        names.get(item["lead_unit"], item["lead_unit"]),
        "、".join(names.get(code, code) for code in item["co_units"]),
        item["due_on"],
        item["source_ref"] or "",
        WorkItemStatus(item["status"]).label,
        item["percent"],
        evaluation.get("score"),
        Grade(grade).label if grade else None,
        evaluation.get("comment"),
        item.get("leader"),
        DeadlineColour(colour).label if (colour := item.get("deadline_colour")) else None,
        "；".join(milestone_text(m) for m in item.get("milestones", [])) or None,
    ]


def milestone_text(milestone: dict[str, Any]) -> str:
    """One milestone in a cell: number, title, date, leader, and whether it was reached."""
    reached = milestone["reached_on"]
    done = f"{reached}完成" if reached else "未完成"
    leader = f"，{milestone['leader']}" if milestone["leader"] else ""
    return f"{milestone['number']}. {milestone['title']}（{milestone['due_on']}前{leader}，{done}）"
