"""A workbook of the shape ``ptgen build --format xlsx`` writes (:mod:`ptgen.sheets`) → the model.

A workbook ptgen wrote reads back to the same projects, so the same YAML byte for byte: money is a
number cell whose number format holds the decimals written (or a text cell), text is text.  A
workbook a clerk edited in Excel or WPS is read too, and every cell that had to be interpreted is
a finding naming its sheet and cell (``项目!H5``): an amount Excel turned into a plain number
(``154`` for ``154.00``: read with the decimals the other amounts have), a code or text Excel
made a number, a date Excel made a date, rows of one project that are no longer together.  A
cell that cannot be read (an empty required cell, an amount that is not a number, an indicator
row of no project) is an error naming its sheet and cell; the import then writes nothing.
Columns are found by their headings, so reordered columns are fine; rows are read in the order
they stand (the order the YAML lists them).
"""
from __future__ import annotations

import datetime
import re
import warnings
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

from .. import layouts, sheets
from ..errors import UserError
from ..model import _check_code, _parse_money
from ..output import describe_os_error
from . import ImportedSource, ImportedUnit, ImportProblem, known_layouts, project_from_data
from .docx import _check_directory

_DECIMALS_RE = re.compile(r"0\.(0+)")
_DOCTYPE = re.compile(rb"<!doctype|<!entity", re.I)
_CHUNK = 1024 * 1024
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file
MAX_ERRORS = 50


def _safe_zip(path: Path) -> bool:
    """The .docx limits on the zip directory, and no DOCTYPE (entity declarations) in any member;
    whether a worksheet holds a formula (``<f>``)."""
    source = str(path)
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        with open(path, "rb") as f:
            compound = f.read(8) == _OLE_SIGNATURE
        if compound:  # what Excel writes for a workbook with an opening password, and for an old .xls
            raise ImportProblem(source, None, "是设了打开密码的工作簿，或旧的 .xls 文件：请在 Excel 或 WPS 里打开它，"
                                              "去掉密码（文件 → 信息 → 保护工作簿），另存为 .xlsx 再导入。") from None
        raise ImportProblem(source, None, "不是 zip 压缩包，所以不是有效的 Excel (.xlsx) 文件"
                                          "（旧的 .xls 请先在 Excel 或 WPS 里另存为 .xlsx）。") from None
    except OSError as exc:
        raise ImportProblem(source, None, f"无法读取：{describe_os_error(exc)}") from None
    formulas = False
    with z:
        _check_directory(z.infolist(), source)
        for info in z.infolist():
            if not info.filename.endswith((".xml", ".rels")):
                continue
            sheet = info.filename.startswith("xl/worksheets/")
            tail = b""
            with z.open(info) as f:
                while chunk := f.read(_CHUNK):
                    if _DOCTYPE.search(tail + chunk):
                        raise ImportProblem(source, None, f"{info.filename} 里有 DOCTYPE（实体声明），已拒绝。")
                    formulas = formulas or (sheet and _FORMULA.search(tail + chunk) is not None)
                    tail = chunk[-16:]
    return formulas


def _formula_cells(path: Path) -> dict[tuple[str, str], str]:
    """(sheet, cell) → formula of every formula cell of the sheets ptgen reads (read once more,
    without the computed results, only for a workbook that has formulas)."""
    import openpyxl
    found = {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for name in (sheets.PROJECTS_SHEET, sheets.INDICATORS_SHEET):
            if name in wb.sheetnames:
                for row in wb[name].iter_rows():
                    for c in row:
                        if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=")):
                            found[(name, c.coordinate)] = str(c.value)
    finally:
        wb.close()
    return found


class _Reader:
    """Reads one workbook; collects findings (``notes``) and errors, each naming its cell."""

    def __init__(self, path: Path):
        self.path, self.notes, self.errors = path, [], []
        self.stopped = ""
        self.formulas: dict[tuple[str, str], str] = {}  # (sheet, cell) → formula
        self.name = path.name

    def note(self, sheet: str, ref: str, message: str) -> None:
        self.notes.append(f"{self.name} {sheet}!{ref}：{message}")

    def error(self, sheet: str, ref: str, message: str) -> None:
        self.errors.append(f"{self.name} {sheet}!{ref}：{message}")

    def full(self, sheet: str, line: int) -> bool:
        """Whether enough errors are listed to stop reading (a sheet full to its last row of
        something else would otherwise be read whole, and each of its rows listed)."""
        if len(self.errors) < MAX_ERRORS:
            return False
        self.stopped = f"已列出 {MAX_ERRORS} 处，读到“{sheet}”第 {line} 行为止，后面的行没有再读"
        return True


def _blank(row) -> bool:
    """A row with nothing but empty cells or cells of spaces (cleared with the space bar)."""
    return all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in row)


def _decimals(fmt: str | None) -> int | None:
    """The decimals a number format shows (``0.00`` → 2, ``0`` → 0), None for General."""
    if not fmt or fmt == "General":
        return None
    m = _DECIMALS_RE.search(fmt)
    return len(m.group(1)) if m else 0 if "0" in fmt else None


def _number_text(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def _header(rows, sheet: str, r: _Reader, columns: list[sheets.Column]) -> dict[str, int] | None:
    """Column key → index, by the headings of the first row (whitespace ignored)."""
    try:
        head = next(rows)
    except StopIteration:
        r.error(sheet, "A1", f"工作表“{sheet}”是空的，没有标题行。")
        return None
    by_title = {re.sub(r"\s+", "", c.title): c for c in columns}
    found: dict[str, int] = {}
    from openpyxl.utils import get_column_letter
    for i, cell in enumerate(head):
        title = re.sub(r"\s+", "", str(cell.value)) if cell.value is not None else ""
        if not title:
            continue
        col = by_title.get(title)
        if col is None:
            r.note(sheet, f"{get_column_letter(i + 1)}1", f"不认识的列“{cell.value}”，这一列没有导入。")
        elif col.key in found:
            r.error(sheet, f"{get_column_letter(i + 1)}1", f"“{cell.value}”这一列出现了两次。")
        else:
            found[col.key] = i
    return found


class _Money:
    """The decimals amounts are written with here: those of the amounts whose format shows them."""

    def __init__(self):
        self.scales: Counter = Counter()

    def usual(self) -> int:
        return self.scales.most_common(1)[0][0] if self.scales else 2


def _cell_value(cell, col: sheets.Column, sheet: str, r: _Reader, money: _Money, dates: str):
    """The text (or money text) a cell holds, as the YAML writes it; None for an empty cell."""
    v = cell.value
    formula = r.formulas.get((sheet, cell.coordinate)) if r.formulas and hasattr(cell, "coordinate") else None
    if formula is not None and v is None:
        r.error(sheet, cell.coordinate, f"这一格是公式 {formula}，文件里没有存它的计算结果：请在 Excel 或 WPS 里打开、"
                                        "保存一次，或把公式换成它的值。")
        return None
    if v is None or (isinstance(v, str) and v == "" and col.kind != "text"):
        return None
    ref = cell.coordinate
    if formula is not None:
        r.note(sheet, ref, f"这一格是公式 {formula}，按 Excel 存的计算结果“{_number_text(v)}”读入。")
    if col.kind == "money":
        if isinstance(v, str):
            text = v.strip().replace(",", "") if re.fullmatch(r"\s*-?[0-9,]+(\.[0-9]+)?\s*", v) else v
            if text != v:
                r.note(sheet, ref, f"金额“{v}”去掉了千分位逗号或空格，读作 {text}。")
            try:
                amount = _parse_money(text)
            except ValueError as exc:
                r.error(sheet, ref, f"{col.title}：{exc}")
                return None
            return None if amount is None else str(amount)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            exact = Decimal(repr(float(v))) if isinstance(v, float) else Decimal(v)
            shown = _decimals(cell.number_format)
            if shown is None or sheets.scale(exact.normalize()) > shown:
                want = max(money.usual(), sheets.scale(exact.normalize()))
                amount = exact.quantize(Decimal(1).scaleb(-want))
                r.note(sheet, ref, f"{col.title}是 Excel 的数字 {_number_text(v)}（没有固定小数位），按 {amount} 读入"
                                   f"（{want} 位小数，与其他金额一致）。")
                return str(amount)
            money.scales[shown] += 1
            return str(exact.quantize(Decimal(1).scaleb(-shown)))
        r.error(sheet, ref, f"{col.title}应是金额，这里是“{v}”。")
        return None
    if isinstance(v, (datetime.datetime, datetime.date)):
        timed = isinstance(v, datetime.datetime) and (v.hour, v.minute, v.second) != (0, 0, 0)
        text = v.isoformat(sep=" ") if timed else _DATE_STYLES[dates][1](v)
        r.note(sheet, ref, f"{col.title}被 Excel 存成了日期，按 {text} 读入（与本列其他日期的写法一致）。")
        return text
    if isinstance(v, (int, float)):
        text = _number_text(v)
        pct = isinstance(v, float | int) and "%" in (cell.number_format or "")
        if pct:
            text = _number_text(float(Decimal(repr(float(v))) * 100)) + "%"
        what = "编码" if col.kind == "code" else col.title
        r.note(sheet, ref, f"{what}被 Excel 存成了数字，按文字“{text}”读入"
               + ("（编码开头的 0 会被 Excel 去掉，请核对）" if col.kind == "code" else "") + "。")
        return text
    return str(v)


_DATE_STYLES = {  # how a column's text dates are written → how a date Excel made is written back
    "iso": (re.compile(r"\d{4}-\d{2}-\d{2}"), lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    "zh": (re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"), lambda d: f"{d.year}年{d.month}月{d.day}日"),
    "dot": (re.compile(r"\d{4}\.\d{2}\.\d{2}"), lambda d: f"{d.year:04d}.{d.month:02d}.{d.day:02d}"),
    "slash": (re.compile(r"\d{4}/\d{2}/\d{2}"), lambda d: f"{d.year:04d}/{d.month:02d}/{d.day:02d}"),
}


def _date_style(ws_rows: list, keys: dict[str, int], columns: list[sheets.Column]) -> str:
    """How the dates in text cells are written (2025-01-01, 2025年1月1日, 2025.01.01), for cells
    Excel turned into dates; ISO where no text date shows it."""
    for col in columns:
        if col.kind != "date" or col.key not in keys:
            continue
        for row in ws_rows:
            v = row[keys[col.key]].value if keys[col.key] < len(row) else None
            if isinstance(v, str):
                for name, (pattern, _) in _DATE_STYLES.items():
                    if pattern.fullmatch(v):
                        return name
    return "iso"


def _settings(wb, r: _Reader) -> dict[str, str]:
    """The 出版物 sheet's settings, each checked (an error names its cell)."""
    if sheets.SETTINGS_SHEET not in wb.sheetnames:
        r.error(sheets.SETTINGS_SHEET, "A1", f"找不到工作表“{sheets.SETTINGS_SHEET}”（标题、预算年度、版式、金额单位）："
                                              "它说明表格属于哪个版式，请从 ptgen 生成的工作簿里复制过来。")
        return {}
    titles = {title: key for key, title in sheets.SETTINGS_ROWS}
    out, refs = {}, {}
    for n, row in enumerate(wb[sheets.SETTINGS_SHEET].iter_rows(min_row=2), 2):
        if len(row) >= 2 and row[0].value in titles and row[1].value is not None:
            out[titles[row[0].value]] = _number_text(row[1].value).strip()
            refs[titles[row[0].value]] = f"B{n}"
    sheet = sheets.SETTINGS_SHEET
    year = out.get("year")
    if year is not None and not (re.fullmatch(r"\d{4}", year) and 1990 <= int(year) <= 2100):
        r.error(sheet, refs["year"], f"预算年度“{year}”不是 1990 到 2100 之间的四位数年份。")
    unit = out.get("money_unit")
    if unit is not None and unit not in ("万元", "元"):
        r.error(sheet, refs["money_unit"], f"金额单位“{unit}”只能是 万元 或 元。")
    framework = out.get("framework")
    if framework and layouts.framework_problem(framework):
        r.error(sheet, refs["framework"], f"{layouts.framework_problem(framework)}。")
    return out


def read_xlsx(path: Path, own=()) -> ImportedSource:
    """Read a workbook of ptgen's shape; :class:`UserError` listing every cell that cannot be read."""
    import openpyxl
    path = Path(path)
    formulas = _safe_zip(path)
    r = _Reader(path)
    # openpyxl warns in English about parts of Excel's files it does not read (extensions, slicers):
    # nothing ptgen reads, so not worth a word to a clerk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r.formulas = _formula_cells(path) if formulas else {}
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportProblem(str(path), None, f"无法读取 Excel 文件（{type(exc).__name__}）：文件可能已损坏或已加密。") from None
        try:
            return _read(wb, r, path, own)
        finally:
            wb.close()


def _read(wb, r: _Reader, path: Path, own) -> ImportedSource:
    st = _settings(wb, r)
    forms = {layout.name: layout for layout in known_layouts(list(own))}
    layout = forms.get(st.get("layout", ""))
    if layout is None and st:
        r.error(sheets.SETTINGS_SHEET, "B5", f"版式“{st.get('layout', '')}”不认识；可用的有 {'、'.join(forms)}。")
    missing = [name for name in (sheets.PROJECTS_SHEET, sheets.INDICATORS_SHEET) if name not in wb.sheetnames]
    for name in missing:
        r.error(name, "A1", f"找不到工作表“{name}”。")
    if layout is None or missing:  # nothing more can be read; a cell of the settings alone does not stop the rest
        raise UserError("无法导入：\n" + "\n".join(f"  - {e}" for e in r.errors))
    money = _Money()
    pcols = sheets.project_columns(layout, [])
    # Every field a project can have, whether the workbook shows it or not (the common ones a form
    # does not print appear only when used).
    for path_ in ("budget.total", "budget.fiscal", "budget.carryover", "budget.other", "purpose", "goals"):
        if all(c.key != path_ for c in pcols):
            pcols.append(sheets.Column(path_, layouts.field_title(path_, layout),
                                       "money" if path_.startswith("budget.") else "text"))
    shown = set(sheets.form_fields(layout))
    rows = wb[sheets.PROJECTS_SHEET].iter_rows()  # read row by row: only rows with something in them are kept
    keys = _header(rows, sheets.PROJECTS_SHEET, r, pcols) or {}
    if "name" not in keys:
        r.error(sheets.PROJECTS_SHEET, "A1", "找不到“项目名称”这一列。")
    prows, nameless = [], 0
    for n, row in enumerate(rows, 2):
        if _blank(row):
            continue
        i = keys.get("name")
        nameless += i is None or i >= len(row) or row[i].value in (None, "")
        if nameless > MAX_ERRORS:  # each is an error below: enough to list (and keep in memory)
            r.stopped = f"“{sheets.PROJECTS_SHEET}”第 {n} 行以后没有再读"
            break
        prows.append((n, row))
    dates = _date_style([row for _, row in prows], keys, pcols)
    # First pass over formatted amounts: the usual decimals, for amounts Excel left without a format.
    for _, row in prows:
        for c in pcols:
            if c.kind == "money" and c.key in keys and keys[c.key] < len(row):
                cell = row[keys[c.key]]
                d = _decimals(cell.number_format)
                if isinstance(cell.value, (int, float)) and d is not None:
                    money.scales[d] += 1
                elif isinstance(cell.value, str) and re.fullmatch(r"-?\d+(\.\d+)?", cell.value.strip()):
                    money.scales[sheets.scale(Decimal(cell.value.strip()))] += 1
    ucols = {c.key: c for c in pcols}
    units: dict[tuple, ImportedUnit] = {}
    projects: list[tuple[dict, ImportedUnit, int]] = []
    by_bookmark: dict[str, int] = {}
    by_name: dict[tuple, int] = {}
    for line, row in prows:
        if r.full(sheets.PROJECTS_SHEET, line):
            break
        got = {}
        for key, i in keys.items():
            cell = row[i] if i < len(row) else None
            got[key] = None if cell is None else _cell_value(cell, ucols[key], sheets.PROJECTS_SHEET, r, money, dates)
        if not got.get("name"):
            r.error(sheets.PROJECTS_SHEET, _ref(keys.get("name"), line), "项目名称是空的：每一行要写项目名称。")
            continue
        if not got.get("unit.name"):
            r.error(sheets.PROJECTS_SHEET, _ref(keys.get("unit.name"), line), "单位名称是空的：要写这个项目属于哪个预算单位。")
            continue
        bad = False
        for key in ("department.code", "unit.code"):
            try:
                _check_code(got.get(key))
            except ValueError as exc:
                r.error(sheets.PROJECTS_SHEET, _ref(keys.get(key), line), str(exc))
                bad = True
        if bad:
            continue
        ukey = (got.get("department.code"), got.get("department.name"), got.get("unit.code"), got.get("unit.name"))
        unit = units.get(ukey)
        if unit is None:
            unit = units[ukey] = ImportedUnit(ukey[2], ukey[3], ukey[0], ukey[1])
        data = _project_data(got, layout, shown)
        for key in sheets.identity_fields():
            if got.get(key):
                data[key] = got[key]
        idx = len(projects)
        projects.append((data, unit, line))
        if data["bookmark"]:
            if data["bookmark"] in by_bookmark:
                r.error(sheets.PROJECTS_SHEET, _ref(keys.get("bookmark"), line),
                        f"书签 {data['bookmark']} 在第 {projects[by_bookmark[data['bookmark']]][2]} 行已经用过。")
            by_bookmark[data["bookmark"]] = idx
        by_name.setdefault((ukey[3], data["name"]), idx)
    _indicators(wb, r, layout, projects, by_bookmark, by_name, money, dates)
    if not projects and not r.errors:  # the workbook of `ptgen new workbook`, not filled in yet
        r.error(sheets.PROJECTS_SHEET, "A2", "这个工作簿里没有项目：“项目”工作表从第 2 行起每行写一个项目。")
    if r.errors:
        shown_errors = r.errors[:MAX_ERRORS]
        more = f"\n  ……另有 {len(r.errors) - MAX_ERRORS} 处" if len(r.errors) > MAX_ERRORS else ""
        more += f"\n  ……{r.stopped}。" if r.stopped else ""
        raise UserError("无法导入，以下单元格读不出来（没有写入任何文件）：\n"
                        + "\n".join(f"  - {e}" for e in shown_errors) + more,
                        hint="在 Excel 或 WPS 里改好这些单元格，再导入。")
    for data, unit, line in projects:
        try:
            unit.projects.append(project_from_data(data, f"{path.name} {sheets.PROJECTS_SHEET}", line,
                                                   f"项目“{data['name']}”", layout))
        except ImportProblem as exc:
            raise UserError(f"无法导入 {exc}") from None
    try:
        year = int(st.get("year", ""))
    except ValueError:
        year = None
    return ImportedSource(str(path), layout.name, st.get("money_unit") or layout.defaults.money_unit,
                          st.get("framework"), year, st.get("region"), list(units.values()),
                          title=st.get("title"), notes=r.notes)


def _ref(col: int | None, row: int) -> str:
    from openpyxl.utils import get_column_letter
    return f"{get_column_letter((col or 0) + 1)}{row}"


def _project_data(got: dict, layout, shown: set[str]) -> dict:
    """The project in the file's shape (text and money text) from a row's values."""
    data: dict = {"name": got["name"], "title": got.get("title") or None, "bookmark": got.get("bookmark") or ""}
    budget = {}
    for part in ("total", "fiscal", "carryover", "other"):
        v = got.get(f"budget.{part}")
        if v is not None:
            budget[part] = v
    data["budget"] = budget
    purpose = got.get("purpose")
    data["purpose"] = purpose if purpose is not None else ("" if "purpose" in shown and "purpose" in got else None)
    data["goals"] = got.get("goals") or ""
    for f in layout.fields:
        if f.parts:
            parts = {p: got.get(f"{f.key}.{p}") or "" for p in f.parts if f"{f.key}.{p}" in got}
            if parts:
                data[f.key] = parts
        elif f.key in got:
            data[f.key] = got[f.key] or ""
    return data


def _indicators(wb, r: _Reader, layout, projects, by_bookmark, by_name, money, dates) -> None:
    sheet = sheets.INDICATORS_SHEET
    icols = sheets.indicator_columns(layout)
    rows = wb[sheet].iter_rows()  # row by row: a sheet can run to 1,048,576 rows
    keys = _header(rows, sheet, r, icols) or {}
    cols = {c.key: c for c in icols}
    grid = layouts.grid_fields(layout)
    last: int | None = None
    done: set[int] = set()
    for line, row in enumerate(rows, 2):
        if _blank(row):
            continue
        if r.full(sheet, line):
            break
        got = {}
        for key, i in keys.items():
            if cols[key].kind == "derived":
                continue
            cell = row[i] if i < len(row) else None
            got[key] = None if cell is None else _cell_value(cell, cols[key], sheet, r, money, dates)
        idx = by_bookmark.get(got.get("project.bookmark") or "")
        if idx is None:
            idx = by_name.get((got.get("unit.name"), got.get("project.name")))
        if idx is None:
            r.error(sheet, _ref(keys.get("project.name"), line),
                    f"这一行的项目“{got.get('project.name') or ''}”（单位“{got.get('unit.name') or ''}”）在“项目”工作表里找不到："
                    "书签、单位和项目名称要与“项目”工作表的一行对上。")
            continue
        if idx != last and idx in done:
            r.note(sheet, f"A{line}", f"项目“{projects[idx][0]['name']}”的指标行不在一起，按表中先后顺序读入。")
        last = idx
        done.add(idx)
        ind = {}
        for key in ("level1", "level2", "name", "value"):
            v = got.get(key)
            if not v:
                title = cols[key].title
                r.error(sheet, _ref(keys.get(key), line), f"{title}是空的：每个指标行都要写{title}。"
                        if key in keys else f"找不到“{title}”这一列。")
            ind[key] = v or ""
        _derived_agree(row, keys, ind["value"], sheet, line, r)
        if "description" in grid or got.get("description"):
            ind["description"] = got.get("description") or ""
        for f in layout.indicator_fields:
            if f.key in got:
                ind[f.key] = got[f.key] or ""
        projects[idx][0].setdefault("indicators", []).append(ind)


def _derived_agree(row, keys: dict[str, int], value: str, sheet: str, line: int, r: _Reader) -> None:
    """指标性质, 指标值数值 and 度量单位 are made from 指标值 and never read: where a clerk changed
    them and not 指标值, say that 指标值 counts."""
    kind, number, unit = sheets.split_value(value)
    want = {"value.kind": kind, "value.number": number, "value.unit": unit}
    for key, expected in want.items():
        i = keys.get(key)
        if i is None or i >= len(row):
            continue
        got = row[i].value
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            same = expected is not None and Decimal(repr(float(got))) == expected
        else:
            same = (got or "") == ("" if expected is None else str(expected))  # a long number is text
        if not same:
            r.note(sheet, _ref(i, line), f"“{got if got is not None else ''}”与指标值“{value}”不一致："
                                         "指标性质、指标值数值和度量单位由指标值得出，导入时以指标值为准，这一格没有读入。")
