"""Compilation → an .xlsx workbook (openpyxl): a sheet of projects, a sheet of indicators, the
framework's names (the lists 一级 and 二级 cells are validated against) and the publication's settings.

The columns are :mod:`ptgen.sheets`' (the import reads the same).  Header rows are frozen, every
sheet has a filter, columns have widths for their content.  Money is a number cell whose float
is exactly the amount written (``154.00`` → 154 with the format ``0.00``: the decimals as written
are the cell's number format); an amount a float would round (more than ~15 significant digits)
is a text cell instead, so no amount is ever changed.  The same content gives the same bytes: the
document's dates are the budget year's first day and the zip entries carry a fixed date, in
openpyxl's fixed order.
"""
from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal
from typing import Any, Iterable

from .. import layouts, sheets
from ..model import Publication
from .formats import FormatRenderer, RenderContext, Rendered

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FRAMEWORK_SHEET = "指标体系"
LAST_ROW = 1048576  # Excel's last row: validation covers rows a clerk adds


class _FixedZip(zipfile.ZipFile):
    """A zip whose entries (written by name, as openpyxl does) carry a fixed date."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # a write-only sheet is written to a temporary file first: its bytes, with the fixed date
        with open(filename, "rb") as f:
            self.writestr(arcname or str(filename), f.read())


def money_format(amount: Decimal, thousands: bool) -> str:
    digits = sheets.scale(amount)
    base = "#,##0" if thousands else "0"
    return base + ("." + "0" * digits if digits else "")


class _Cells:
    """Makes write-only cells with a few shared styles (a style per cell would cost more than the data)."""

    def __init__(self, ws, thousands: bool):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        self.ws, self.thousands, self.Cell = ws, thousands, WriteOnlyCell
        self.bold, self.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        self.wrap = Alignment(wrap_text=True, vertical="top")

    def head(self, text: str):
        c = self.Cell(self.ws, value=text)
        c.font, c.fill = self.bold, self.fill
        return c

    def money(self, amount: Decimal | None):
        if amount is None:
            return None
        f = sheets.exact_float(amount)
        c = self.Cell(self.ws, value=f if f is not None else str(amount))
        c.number_format = money_format(amount, self.thousands) if f is not None else "@"
        return c

    def text(self, value: Any):
        if value is None or value == "":
            return None
        if isinstance(value, Decimal):  # a number split off an indicator value
            f = sheets.exact_float(value)
            return f if f is not None else str(value)
        text = str(value)
        if "\n" in text or text.startswith("="):
            c = self.Cell(self.ws, value=text)
            if "\n" in text:
                c.alignment = self.wrap
            c.data_type = "s"  # "=100%" is a value as written, not a formula
            return c
        return text


def _sheet(wb, title: str, columns: list[sheets.Column], rows: Iterable[list[Any]], thousands: bool,
           validations: dict[str, str] | None = None) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    ws = wb.create_sheet(title)
    cells = _Cells(ws, thousands)
    for i, c in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = c.width
    ws.freeze_panes = "A2"
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    for key, source in (validations or {}).items():
        col = next((i for i, c in enumerate(columns) if c.key == key), None)
        if col is None:
            continue
        dv = DataValidation(type="list", formula1=source, allow_blank=True, errorStyle="warning",
                            showErrorMessage=True, error="不是所选指标体系里的名称，确定要这样写吗？",
                            errorTitle="指标名称", prompt="从指标体系的名称中选择", showInputMessage=False)
        dv.add(f"{letters[col]}2:{letters[col]}{LAST_ROW}")
        ws.data_validations.append(dv)
    ws.append([cells.head(c.title) for c in columns])
    n = 1
    kinds = [c.kind for c in columns]
    for row in rows:
        ws.append([cells.money(v) if k == "money" else cells.text(v) for k, v in zip(kinds, row)])
        n += 1
    ws.auto_filter.ref = f"A1:{letters[-1]}{n}"


def workbook(settings, units: list, entries: Iterable[tuple], projects: list) -> bytes:
    """The workbook of ``entries`` ((department, unit, project) docs, in order); ``units`` (the
    (department, unit) docs in scope) give the lists a new workbook's 部门/单位 cells choose from."""
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
    _sheet(wb, sheets.PROJECTS_SHEET, pcols, (sheets.project_row(d, u, p.project, pcols) for d, u, p in entries),
           thousands, _unit_lists(units, pcols))
    _sheet(wb, sheets.INDICATORS_SHEET, icols,
           (row for d, u, p in entries for row in sheets.indicator_rows(d, u, p.project, icols)), thousands, lists)
    tree = [[groups[i].level1 if i < len(groups) else None, level2[i] if i < len(level2) else None]
            for i in range(max(len(groups), len(level2)))]
    _sheet(wb, FRAMEWORK_SHEET, [sheets.Column("level1", "一级指标", width=16), sheets.Column("level2", "二级指标", width=24)],
           tree, thousands)
    _sheet(wb, sheets.SETTINGS_SHEET, [sheets.Column("key", "项", width=12), sheets.Column("value", "内容", width=60)],
           [list(r) for r in sheets.settings_rows(settings)], thousands)
    day = datetime.datetime(settings.year, 1, 1)
    wb.properties.created = wb.properties.modified = day
    wb.properties.creator = wb.properties.lastModifiedBy = "ptgen"
    buf = io.BytesIO()
    with _FixedZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: that stamps the time of day
    return buf.getvalue()


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


def publication_workbook(pub: Publication, departments=None) -> bytes:
    """The workbook of ``departments`` (default: all) of ``pub``."""
    depts = pub.departments if departments is None else departments
    entries = [(d, u, p) for d in depts for u in d.units for p in u.projects]
    return workbook(pub.settings, [(d, u) for d in depts for u in d.units], entries, [p.project for _, _, p in entries])


class XlsxRenderer(FormatRenderer):
    """A workbook per department, then one for the whole publication."""

    name = "xlsx"

    def render(self, pub: Publication, comps, ctx: RenderContext) -> list[Rendered]:
        out = []
        by_folder = {d.folder: d for d in pub.departments}
        for stem, comp in comps:
            dept = by_folder.get(stem)
            ctx.step(stem)
            data = publication_workbook(pub, [dept] if dept is not None and stem != pub.name else None)
            out.append(Rendered(f"{stem}.xlsx", data, comp))
        return out
