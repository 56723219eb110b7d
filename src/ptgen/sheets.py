"""The spreadsheet shape of a publication: a sheet of projects and a sheet of indicators.

One module says which columns there are, in which order, with which titles, and how a project
becomes rows: the xlsx and CSV outputs (``render/xlsx.py``, ``render/csv.py``), the workbook
import (``importers/xlsx.py``) and ``ptgen new workbook`` all use it, so what is written is what
is read.  The columns come from the layout definition: every field its cells print (in the
form's order), the fields it declares (extras), then the indicator grid's fields; the indicator
value is also split, by :func:`ptgen.values.parse`, into 指标性质 (≥ ≤ = 定性), number and 度量单位
as budget systems store them.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator

from . import layouts, values
from .layouts import Layout, field_title, field_value
from .model import Project

PROJECTS_SHEET = "项目"
INDICATORS_SHEET = "指标"
SETTINGS_SHEET = "出版物"

# The publication's settings a workbook carries (key → title), enough to import it into a new folder.
SETTINGS_ROWS = (("title", "标题"), ("year", "预算年度"), ("region", "地区"), ("layout", "版式"),
                 ("money_unit", "金额单位"), ("framework", "指标体系"))

_BUDGET_PARTS = ("budget.total", "budget.fiscal", "budget.carryover", "budget.other")


@dataclass(frozen=True)
class Column:
    """One column: ``key`` (a field path of the project or indicator, or ``department.code`` …),
    its heading, its kind (``text``, ``money``, ``code``, ``date``, ``derived``: computed, never
    read back) and width in characters."""

    key: str
    title: str
    kind: str = "text"
    width: int = 14
    required: bool = False


def identity_fields() -> list[str]:
    """The project's identity (``id:``, which follows a project across years): the last column
    of both sheets, out of the clerk's way — ptgen sets it, nobody types it."""
    return ["id"]


def _money_title(path: str, layout: Layout) -> str:
    head, _, part = path.partition(".")
    for f in layout.fields:  # a part of a declared group: 项目资金·财政资金 (budget.fiscal is 财政资金)
        if f.key == head and part:
            return f"{f.title}·{field_title(path, layout)}"
    return field_title(path, layout)


def form_fields(layout: Layout) -> list[str]:
    """The project fields the form prints, in the order its cells print them."""
    seen: list[str] = []
    for t in layout.tables:
        for row in t.rows:
            for c in row.cells:
                path = c.value or c.amount
                if path and path not in seen:
                    seen.append(path)
    return seen


def _field_kind(path: str, layout: Layout) -> str:
    head = path.partition(".")[0]
    if head == "budget":
        return "money"
    f = next((f for f in layout.fields if f.key == head), None)
    return {"money": "money", "date": "date"}.get(f.kind, "text") if f else "text"


def project_columns(layout: Layout, projects: list[Project] = ()) -> list[Column]:
    """The columns of the projects sheet: who (department, unit), the project's name, title and
    bookmark (and identity, when the model has one), every field the form prints, the fields it
    declares but does not print, and the common fields it does not print where a project of
    ``projects`` has them (a form without 资金用途 gets no empty 资金用途 column)."""
    cols = [Column("department.code", "部门编码", "code", 10), Column("department.name", "部门名称", "text", 24),
            Column("unit.code", "单位编码", "code", 10), Column("unit.name", "单位名称", "text", 24)]
    cols += [Column("name", "项目名称", "text", 30, True), Column("title", "表格标题", "text", 16),
             Column("bookmark", "书签", "code", 22)]
    paths = [p for p in form_fields(layout) if p not in ("name", "title", "bookmark")]
    for f in layout.fields:
        for path in ([f"{f.key}.{p}" for p in f.parts] if f.parts else [f.key]):
            if path not in paths:
                paths.append(path)
    for path in (*_BUDGET_PARTS, "purpose", "goals"):
        if path not in paths and any(field_value(p, path) not in (None, "") for p in projects):
            paths.append(path)
    required = {"budget.total", "goals", *layout.required}
    for path in paths:
        kind = _field_kind(path, layout)
        width = {"money": 16, "date": 14}.get(kind, 40 if path in ("goals", "purpose", "long_term_goal") else 18)
        cols.append(Column(path, _money_title(path, layout), kind, width, path in required))
    cols += [Column(k, Project.model_fields[k].title or k, "code", 12) for k in identity_fields()]
    return cols


def indicator_columns(layout: Layout) -> list[Column]:
    """The columns of the indicators sheet: whose row it is, the grid's fields (一级 … 指标值 and a
    form's own, such as 绩效标准), then the value split into 指标性质, number and 度量单位."""
    cols = [Column("department.name", "部门", "text", 20), Column("unit.name", "单位", "text", 20),
            Column("project.name", "项目", "text", 26), Column("project.bookmark", "书签", "code", 22)]
    grid = layouts.grid_fields(layout)
    fields = [f for f in ("level1", "level2", "name", "description") if f in grid or f != "description"]
    fields += [f.key for f in layout.indicator_fields]
    fields.append("value")
    titles = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "description": "绩效指标描述", "value": "指标值"}
    titles.update({f.key: f.title for f in layout.indicator_fields})
    widths = {"level1": 12, "level2": 14, "name": 28, "description": 36, "value": 18}
    cols += [Column(f, titles[f], "text", widths.get(f, 16), f in ("level1", "level2", "name", "value")) for f in fields]
    cols += [Column("value.kind", "指标性质", "derived", 8), Column("value.number", "指标值数值", "derived", 12),
             Column("value.unit", "度量单位", "derived", 12)]
    cols += [Column(f"project.{k}", Project.model_fields[k].title or k, "code", 12) for k in identity_fields()]
    return cols


def split_value(text: str) -> tuple[str, Decimal | None, str]:
    """指标性质, number and 度量单位 of a value, by the one value parser (:func:`ptgen.values.parse`):
    ``≥160个`` → (≥, 160, 个); a number without a comparator is ``=``; text and dates are 定性."""
    v = values.parse(text)
    if v.kind != "quantity" or v.number is None:
        return "定性", None, ""
    return v.op or "=", v.number, v.unit


def _who(d, u) -> dict[str, Any]:
    return {"department.code": d.department.code, "department.name": d.department.name,
            "unit.code": u.unit.code, "unit.name": u.unit.name}


def project_row(d, u, p: Project, columns: list[Column]) -> list[Any]:
    """A project's cells, in ``columns`` order: text as written, money as ``Decimal`` (None: empty)."""
    who = _who(d, u)
    out = []
    for c in columns:
        out.append(who[c.key] if c.key in who else field_value(p, c.key))
    return out


def indicator_rows(d, u, p: Project, columns: list[Column]) -> Iterator[list[Any]]:
    """A project's indicator rows, in ``columns`` order."""
    fixed = {"department.name": d.department.name, "unit.name": u.unit.name}
    for c in columns:
        if c.key.startswith("project."):
            fixed[c.key] = field_value(p, c.key.removeprefix("project."))
    derived = ("value.kind", "value.number", "value.unit")
    # where each cell comes from, worked out once: the row's own fields read from the model's dict
    plan = [(0, fixed[c.key]) if c.key in fixed else (1, derived.index(c.key)) if c.key in derived
            else (2, c.key) for c in columns]
    for ind in p.indicators:
        split = split_value(ind.value)
        own = ind.__dict__
        extras = own["extras"]
        yield [arg if how == 0 else split[arg] if how == 1 else own[arg] if arg in own else extras.get(arg)
               for how, arg in plan]


def settings_rows(s) -> list[tuple[str, str]]:
    """(title, value) of the settings (``ptgen.yaml``) a workbook carries."""
    framework = s.framework or layouts.of(s).framework
    got = {"title": s.title, "year": str(s.year), "region": s.region, "layout": s.layout,
           "money_unit": s.money_unit, "framework": framework}
    return [(title, got[key]) for key, title in SETTINGS_ROWS]


def scale(amount: Decimal) -> int:
    """How many decimals an amount was written with (``154.00`` → 2)."""
    exp = amount.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def exact_float(amount: Decimal) -> float | None:
    """``amount`` as a float when that float reads back as exactly the same number (``154.00`` →
    154.0, ``0.10`` → 0.1); None when a float would round it (more than ~15 significant digits):
    such an amount is stored as text."""
    f = float(amount)
    return f if Decimal(repr(f)) == amount else None
