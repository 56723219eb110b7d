"""Compilation → an .xlsx workbook (openpyxl): a sheet of projects, a sheet of indicators, the
framework's names (the lists 一级 and 二级 cells are validated against) and the publication's settings.

The columns are :mod:`ptgen.sheets`' (the import reads the same).  Header rows are frozen, every
sheet has a filter, columns have widths for their content.  Money is a number cell holding the
amount as written (``<v>154.00</v>``, format ``0.00``: the decimals written are the cell's number
format), used only where a float (what Excel reads it into) is exactly that amount; an amount a
float would round (more than ~15 significant digits) is a text cell instead, so no amount is ever
changed.  openpyxl makes the workbook (styles, panes, validation, filter); the rows are written
as XML here, since openpyxl's cell objects cost more than the rest of a 1,000-table build.  The same content gives the same bytes: the
document's dates are the budget year's first day and the zip entries carry a fixed date, in
openpyxl's fixed order.
"""
from __future__ import annotations

import datetime
import functools
import io
import zipfile
from decimal import Decimal
from typing import Any, Iterable

from .. import layouts, sheets
from ..errors import UserError
from ..model import MONEY_FRAC_DIGITS, Publication
from .formats import FormatRenderer, RenderContext, Rendered

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FRAMEWORK_SHEET = "指标体系"
LAST_ROW = 1048576  # Excel's last row: validation covers rows a clerk adds
MAX_CELL_CHARS = 32767  # what an Excel cell holds; Excel calls a file with more "damaged"


class _FixedZip(zipfile.ZipFile):
    """A zip whose entries (written by name, as openpyxl does) carry a fixed date; ``rows`` (sheet
    part → its rows' XML) fill the empty ``<sheetData>`` openpyxl wrote for each sheet."""

    def __init__(self, *args, rows: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows or {}

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type,
                         self.compresslevel if compresslevel is None else compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # a write-only sheet is written to a temporary file first: its bytes, with the fixed date
        with open(filename, "rb") as f:
            data = f.read()
        rows = self.rows.get(arcname)
        if rows is not None:
            if data.count(b"<sheetData></sheetData>") != 1:  # pragma: no cover - openpyxl changed its output
                raise RuntimeError(f"{arcname}: no empty <sheetData> to fill")
            data = data.replace(b"<sheetData></sheetData>", b"<sheetData>" + rows.encode("utf-8") + b"</sheetData>")
        self.writestr(arcname or str(filename), data)


def money_format(amount: Decimal, thousands: bool) -> str:
    digits = sheets.scale(amount)
    base = "#,##0" if thousands else "0"
    return base + ("." + "0" * digits if digits else "")


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class _Styles:
    """The workbook's few cell styles, registered through openpyxl (which writes styles.xml) in
    a fixed order, so that every workbook of a publication numbers them alike; the rows themselves
    are written as XML here: openpyxl's cell objects would cost more than everything else of a
    1,000-table build."""

    def __init__(self, ws, thousands: bool):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        head = WriteOnlyCell(ws)
        head.font, head.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        wrap = WriteOnlyCell(ws)
        wrap.alignment = Alignment(wrap_text=True, vertical="top")
        text = WriteOnlyCell(ws)
        text.number_format = "@"
        self.head, self.wrap, self.text = head.style_id, wrap.style_id, text.style_id
        self.thousands = thousands
        self.formats: dict[str, int] = {}
        for sep in (thousands, not thousands):  # every scale an amount may have; numbers of values: plain
            for digits in range(MONEY_FRAC_DIGITS + 1):
                fmt = money_format(Decimal(1).scaleb(-digits), sep)
                c = WriteOnlyCell(ws)
                c.number_format = fmt
                self.formats[fmt] = c.style_id


@functools.lru_cache(maxsize=65536)  # names, codes and 一级/二级 repeat on every indicator row
def _text_cell(text: str, style: int | None = None) -> str:
    """A text cell after its reference: ``<c r="A1"`` + this."""
    if len(text) > MAX_CELL_CHARS:
        raise _TooLong(len(text))
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'{s} t="inlineStr"><is><t{space}>{text.translate(_XML_ESCAPES)}</t></is></c>'


@functools.lru_cache(maxsize=65536)
def _str_cell(text: str, wrap: int) -> str:
    """A text value's cell after its reference (wrapped when it has several lines)."""
    return _text_cell(text, wrap if "\n" in text else None)


class _TooLong(Exception):
    """A text longer than an Excel cell holds."""


_ROW = "\x00"  # stands for the row number in a row's cells until the row is placed (no text holds it)


def _cell(ref: str, value: Any, kind: str, st: _Styles) -> str:
    """A cell; ``ref`` is its reference ``<c r="A\x00"`` (the row number put in when the row is placed)."""
    if type(value) is str:  # most cells
        return ref + _str_cell(value, st.wrap) if value else ""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if sheets.exact_float(value) is None:  # a float would round it: the amount as text
            return ref + _text_cell(str(value), st.text)
        style = st.formats.get(money_format(value, st.thousands and kind == "money"))  # 100.00 shows 100.00
        s = f' s="{style}"' if style else ""
        return f'{ref}{s}><v>{value}</v></c>'  # the amount as written: 154.00
    text = str(value)
    return ref + _str_cell(text, st.wrap) if text else ""


def _sheet(wb, title: str, columns: list[sheets.Column], rows: Iterable[tuple[Any, list[Any]]], thousands: bool,
           validations: dict[str, str] | None = None, cache: dict | None = None) -> str:
    """Make the sheet (widths, frozen header, validation, filter) and return its rows as XML.
    ``rows`` are (key, values): a row's XML is kept in ``cache`` under its key (not None), for
    the next workbook of the same publication (a department's rows are in the whole one too)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    ws = wb.create_sheet(title)
    st = _Styles(ws, thousands)
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    for letter, c in zip(letters, columns):
        ws.column_dimensions[letter].width = c.width
    ws.freeze_panes = "A2"
    for key, source in (validations or {}).items():
        col = next((i for i, c in enumerate(columns) if c.key == key), None)
        if col is None:
            continue
        dv = DataValidation(type="list", formula1=source, allow_blank=True, errorStyle="warning",
                            showErrorMessage=True, error="不是所选指标体系里的名称，确定要这样写吗？",
                            errorTitle="指标名称", prompt="从指标体系的名称中选择", showInputMessage=False)
        dv.add(f"{letters[col]}2:{letters[col]}{LAST_ROW}")
        ws.data_validations.append(dv)
    out = ['<row r="1">' + "".join(f'<c r="{L}1"' + _text_cell(c.title, st.head) for L, c in zip(letters, columns))
           + "</row>"]
    n = 1
    kinds = [c.kind for c in columns]
    refs = [f'<c r="{L}{_ROW}"' for L in letters]
    cache = {} if cache is None else cache
    for n, (key, row) in enumerate(rows, 2):
        cells = cache.get(key) if key is not None else None
        if cells is None:
            try:
                cells = "".join([_cell(r, v, k, st) for r, k, v in zip(refs, kinds, row)])
            except _TooLong as exc:
                col = next(i for i, v in enumerate(row) if isinstance(v, str) and len(v) == exc.args[0])
                raise UserError(f"无法生成 xlsx：{title}!{letters[col]}{n}（{columns[col].title}）有 {exc.args[0]} 个字符，"
                                f"Excel 的一个单元格最多 {MAX_CELL_CHARS} 个字符。",
                                hint="把这段文字分开写，或不生成 xlsx（--format 里去掉 xlsx）。") from None
            if key is not None:
                cache[key] = cells
        out.append(f'<row r="{n}">{cells.replace(_ROW, str(n))}</row>')
    ws.auto_filter.ref = f"A1:{letters[-1]}{n}"
    return "".join(out)


def workbook(settings, units: list, entries: Iterable[tuple], projects: list, cache: dict | None = None) -> bytes:
    """The workbook of ``entries`` ((department, unit, project) docs, in order); ``projects`` decide
    which optional columns there are; ``units`` (the (department, unit) docs in scope) give the
    lists a new workbook's 部门/单位 cells choose from; ``cache`` keeps rows for the next workbook
    of the same publication (the same columns)."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter
    entries = list(entries)
    layout = layouts.of(settings)
    framework = layouts.framework_of(settings)
    thousands = layout.money.thousands
    wb = Workbook(write_only=True)
    pcols = sheets.project_columns(layout, projects)
    icols = sheets.indicator_columns(layout)
    groups = framework.groups
    level2 = list(dict.fromkeys(n for g in groups for n in g.level2))
    lists = {"level1": f"{FRAMEWORK_SHEET}!$A$2:$A${len(groups) + 1}",
             "level2": f"{FRAMEWORK_SHEET}!$B$2:$B${len(level2) + 1}"}
    xml = {}
    cache = {} if cache is None else cache
    xml[1] = _sheet(wb, sheets.PROJECTS_SHEET, pcols,
                    (((id(p), "p"), sheets.project_row(d, u, p.project, pcols)) for d, u, p in entries),
                    thousands, _unit_lists(units, pcols), cache)
    xml[2] = _sheet(wb, sheets.INDICATORS_SHEET, icols, _indicator_rows(entries, icols, cache), thousands, lists, cache)
    tree = [[groups[i].level1 if i < len(groups) else None, level2[i] if i < len(level2) else None]
            for i in range(max(len(groups), len(level2)))]
    xml[3] = _sheet(wb, FRAMEWORK_SHEET, [sheets.Column("level1", "一级指标", width=16), sheets.Column("level2", "二级指标", width=24)],
                    ((None, r) for r in tree), thousands)
    xml[4] = _sheet(wb, sheets.SETTINGS_SHEET, [sheets.Column("key", "项", width=12), sheets.Column("value", "内容", width=60)],
                    ((None, list(r)) for r in sheets.settings_rows(settings)), thousands)
    day = datetime.datetime(settings.year, 1, 1)
    wb.properties.created = wb.properties.modified = day
    wb.properties.creator = wb.properties.lastModifiedBy = "ptgen"
    buf = io.BytesIO()
    rows = {f"xl/worksheets/sheet{i}.xml": x for i, x in xml.items()}
    # level 1: a fifth larger than the default level 6, and 0.15 s less for a 1,000-table build
    with _FixedZip(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1, rows=rows) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: that stamps the time of day
    return buf.getvalue()


def _indicator_rows(entries, icols, cache: dict):
    """(key, values) of every indicator row; a project whose rows are cached is not computed again."""
    for d, u, p in entries:
        if (id(p), "i", 0) in cache or not p.project.indicators:
            yield from (((id(p), "i", i), None) for i in range(len(p.project.indicators)))
            continue
        for i, row in enumerate(sheets.indicator_rows(d, u, p.project, icols)):
            yield (id(p), "i", i), row


def _unit_lists(units: list, columns: list[sheets.Column]) -> dict[str, str]:
    """Inline lists for the 部门/单位 columns of a workbook for one unit (``ptgen new workbook``)."""
    out = {}
    if len(units) == 1:
        d, u = units[0]
        for key, value in (("department.code", d.department.code), ("department.name", d.department.name),
                           ("unit.code", u.unit.code), ("unit.name", u.unit.name)):
            if value and '"' not in value and "," not in value and len(value) < 250:
                out[key] = f'"{value}"'
    return out


def publication_workbook(pub: Publication, departments=None, cache: dict | None = None) -> bytes:
    """The workbook of ``departments`` (default: all) of ``pub``."""
    depts = pub.departments if departments is None else departments
    entries = [(d, u, p) for d in depts for u in d.units for p in u.projects]
    every = [p.project for _, _, p in pub.projects()]  # the same columns in every workbook of the publication
    return workbook(pub.settings, [(d, u) for d in depts for u in d.units], entries, every, cache)


class XlsxRenderer(FormatRenderer):
    """A workbook per department, then one for the whole publication."""

    name = "xlsx"
    needs_layout = False

    def render(self, pub: Publication, comps, ctx: RenderContext) -> list[Rendered]:
        out = []
        by_folder = {d.folder: d for d in pub.departments}
        cache: dict = {}  # each project's rows, made for its department's workbook, reused in the whole one
        for stem, comp in comps:
            if not ctx.wanted(stem):  # another part's share (--shard)
                continue
            dept = by_folder.get(stem)
            ctx.step(stem)
            data = publication_workbook(pub, [dept] if dept is not None and stem != pub.name else None, cache)
            out.append(Rendered(f"{stem}.xlsx", data, comp))
        return out
