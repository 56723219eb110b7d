"""The publication laid out as blocks — headings, tables, spacers — that every renderer draws.

This is the one place that knows the published forms: which cells a table has, which are
labels, what spans what, which first-level cells merge.  Row spans are worked out here once, so
the DOCX (``w:vMerge``) and the HTML (``rowspan``) cannot disagree (docxtpl's ``{% vm %}`` merges
across a whole loop, so it is not used).  The renderers only draw what they are given.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, NamedTuple

from ..model import CONTROL_RE, DepartmentDoc, Project, ProjectDoc, Publication, Settings, UnitDoc, has_control
from .richtext import Paragraph, markdown, plain

Role = Literal["label", "value", "head", "amount", "agency", "unit", "form-title", "form-year", "level"]


class Cell(NamedTuple):  # NamedTuple: ~100 per table, created fast
    paras: tuple[Paragraph, ...]
    role: Role = "value"
    span: int = 1          # columns
    rows: int = 1          # rows, on the first cell of a vertical merge
    merged: bool = False   # a continuation of the cell above (drawn empty in DOCX, skipped in HTML)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paras)


class Row(NamedTuple):
    cells: tuple[Cell, ...]
    header: bool = False      # repeats on every page the table runs over
    borderless: bool = False  # the agency line above the Tianjin header block
    can_split: bool = False   # only free-text rows (goals) may break across pages: they can outgrow one
    change: str | None = None  # "ins" / "del": a row inserted or deleted (ptgen diff --format docx)


@dataclass(frozen=True)
class Table:
    kind: str                    # "tianjin-head", "tianjin-grid", "shanghai-form": the renderers' style hook
    widths: tuple[int, ...]      # relative column widths (they are scaled to the text width)
    rows: tuple[Row, ...]
    caption: str = ""            # what the table is, for HTML captions and screen readers


@dataclass(frozen=True)
class Heading:
    level: int        # 1 department, 2 budget unit, 3 one project's table
    text: str
    anchor: str       # the bookmark name (DOCX) = element id (HTML) = named destination (PDF)


@dataclass(frozen=True)
class Spacer:
    """The empty paragraph between the Tianjin header block and the indicator grid."""


Block = Heading | Table | Spacer


@dataclass
class ProjectEntry:
    """One project's table(s), with where it stands in the publication."""

    number: int
    department: DepartmentDoc
    unit: UnitDoc
    project: Project
    heading: Heading
    tables: list[Table | Spacer]


@dataclass
class Compilation:
    """One output document: the whole publication or one department's share of it."""

    title: str
    subtitle: str
    slug: str
    blocks: list[Block] = field(default_factory=list)
    entries: list[ProjectEntry] = field(default_factory=list)

    @property
    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]


# --- small helpers ---------------------------------------------------------------------------------

def _c(text: str | None, role: Role = "value", span: int = 1, rich: bool = False) -> Cell:
    return Cell(markdown(text) if rich else plain(text), role, span)


def _cont(role: Role = "label", span: int = 1) -> Cell:
    return Cell(plain(""), role, span, merged=True)


def money(amount: Decimal | None, settings: Settings) -> str:
    """An amount as the layout prints it: Tianjin as written (154.00), Shanghai with separators."""
    if amount is None:
        return ""
    if settings.layout == "shanghai":
        return format(amount, ",f")
    return str(amount)


def _merge_column(cells: list[Cell], keys: list[str | None]) -> list[Cell]:
    """Merge runs of equal, non-None keys vertically: the first cell spans the run, the rest continue it."""
    out = list(cells)
    i = 0
    while i < len(out):
        j = i + 1
        if keys[i] is not None:
            while j < len(out) and keys[j] == keys[i]:
                j += 1
        if j - i > 1:
            first = out[i]
            out[i] = Cell(first.paras, first.role, first.span, rows=j - i)
            for k in range(i + 1, j):
                out[k] = _cont(first.role, first.span)
        i = j
    return out


def level1_keys(project: Project, settings: Settings) -> list[str | None]:
    """Which first-level cells merge: runs of a group named in ``merge_level1`` (Tianjin: 产出指标 only)."""
    merge = set(settings.merge_level1)
    return [i.level1 if i.level1 in merge else None for i in project.indicators]


# --- the Tianjin table ----------------------------------------------------------------------------

TIANJIN_HEAD_WIDTHS = (15, 11, 13, 16, 13, 13, 13)
TIANJIN_GRID_WIDTHS = (12, 13, 25, 32, 18)
FISCAL_LABEL = "其中：财政    资金"  # as published: 财政, four spaces, 资金 (wraps in the narrow cell)


def tianjin_tables(unit: UnitDoc, project: Project, settings: Settings) -> list[Table | Spacer]:
    b = project.budget
    agency = f"{unit.unit.code or ''}{unit.unit.name}"
    head = (
        Row((_c(agency, "agency", 5), _c(f"单位：{settings.money_unit}", "unit", 2)), borderless=True),
        Row((_c("项目名称", "label"), _c(project.name, "value", 6))),
        Row((Cell(plain("预算规模及资金用途"), "label", rows=2), _c("预算数", "label"), _c(money(b.total, settings), "amount"),
             _c(FISCAL_LABEL, "label"), _c(money(b.fiscal, settings), "amount"),
             _c("其他资金", "label"), _c(money(b.other, settings), "amount"))),
        Row((_cont("label"), _c(project.purpose, "value", 6, rich="purpose" in settings.markdown)), can_split=True),
        Row((_c("绩效目标", "label"), _c(project.goals, "value", 6, rich="goals" in settings.markdown)), can_split=True),
    )
    inds = project.indicators
    level1 = _merge_column([_c(i.level1, "level") for i in inds], level1_keys(project, settings))
    rows = [Row(tuple(_c(h, "head") for h in ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值")), header=True)]
    for cell, ind in zip(level1, inds):
        rows.append(Row((cell, _c(ind.level2, "level"), _c(ind.name), _c(ind.description), _c(ind.value))))
    return [Table("tianjin-head", TIANJIN_HEAD_WIDTHS, head, caption=f"{project.name}：预算与绩效目标"),
            Spacer(),
            Table("tianjin-grid", TIANJIN_GRID_WIDTHS, tuple(rows), caption=f"{project.name}：绩效指标")]


# --- the Shanghai form ----------------------------------------------------------------------------

SHANGHAI_WIDTHS = (13, 13, 11, 12, 13, 12, 13, 13)


def shanghai_tables(dept: DepartmentDoc, unit: UnitDoc, project: Project, settings: Settings) -> list[Table | Spacer]:
    b, f = project.budget, project.project_funds
    m = lambda v: money(v, settings)  # noqa: E731
    fv = (lambda attr: m(getattr(f, attr))) if f is not None else (lambda attr: "")
    rows = [
        Row((_c("财政项目支出绩效目标申报表", "form-title", 8),), borderless=True),
        Row((_c(f"({settings.year} 年度)", "form-year", 8),), borderless=True),
        Row((_c("项目名称", "label"), _c(project.name, "value", 3), _c("项目性质", "label"), _c(project.nature),
             _c("项目类别", "label"), _c(project.category))),
        Row((_c("主管部门", "label"), _c(dept.department.name, "value", 3), _c("实施单位", "label"),
             _c(unit.unit.name, "value", 3))),
        Row((_c("计划开始日期", "label"), _c(project.start, "value", 3), _c("计划完成日期", "label"),
             _c(project.end, "value", 3))),
        Row((Cell(plain(f"项目资金 ({settings.money_unit})"), "label", rows=4), _c("项目资金总额:", "label"),
             _c(fv("total"), "amount"), _c("年度资金申请总额:", "label", 2), _c(m(b.total), "amount", 3))),
        Row((_cont(), _c("其中: 财政资金", "label"), _c(fv("fiscal"), "amount"), _c("其中: 当年财政拨款", "label", 2),
             _c(m(b.fiscal), "amount", 3))),
        Row((_cont(), _c("", "label"), _c("", "amount"), _c("上年结转资金", "label", 2), _c(m(b.carryover), "amount", 3))),
        Row((_cont(), _c("其他资金", "label"), _c(fv("other"), "amount"), _c("其他资金", "label", 2),
             _c(m(b.other), "amount", 3))),
        Row((Cell(plain("项目绩效目标"), "label", rows=2), _c("项目总目标", "label", 3), _c("年度总体目标", "label", 4))),
        Row((_cont(), _c(project.long_term_goal, "value", 3, rich="long_term_goal" in settings.markdown),
              _c(project.goals, "value", 4, rich="goals" in settings.markdown)),
            can_split=True),
    ]
    inds = project.indicators
    level1 = _merge_column([_c(i.level1, "level") for i in inds], level1_keys(project, settings))
    # The form also merges runs of the same second level inside one first-level group.
    l1_keys = level1_keys(project, settings)
    level2 = _merge_column([_c(i.level2, "level") for i in inds],
                           [f"{k}\0{i.level2}" if k is not None else None for k, i in zip(l1_keys, inds)])
    rows.append(Row((Cell(plain("绩效指标"), "label", rows=len(inds) + 1), _c("一级指标", "head"), _c("二级指标", "head"),
                     _c("三级指标", "head", 3), _c("年度(/项目)指标值", "head", 2))))
    for c1, c2, ind in zip(level1, level2, inds):
        rows.append(Row((_cont(), c1, c2, _c(ind.name, "value", 3), _c(ind.value, "value", 2))))
    return [Table("shanghai-form", SHANGHAI_WIDTHS, tuple(rows), caption=f"{project.name}：财政项目支出绩效目标申报表")]


# --- the whole document ---------------------------------------------------------------------------

def printable(pub: Publication) -> tuple[Publication, int]:
    """``pub`` without invisible control characters (no .docx can hold them, no font draws them),
    and how many were dropped; ``pub`` itself when there are none.  ``ptgen check`` reports each (X08)."""
    dropped = 0

    def clean(obj):
        nonlocal dropped
        if isinstance(obj, str):
            if not CONTROL_RE.search(obj):
                return obj
            text, n = CONTROL_RE.subn("", obj)
            dropped += n
            return text
        if isinstance(obj, list):
            new = [clean(v) for v in obj]
            return obj if all(a is b for a, b in zip(new, obj)) else new
        if isinstance(obj, dict):
            new = {clean(k): clean(v) for k, v in obj.items()}
            same = len(new) == len(obj) and all(nk is k and nv is v for (nk, nv), (k, v) in zip(new.items(), obj.items()))
            return obj if same else new
        if hasattr(type(obj), "model_fields"):
            changes = {k: c for k in type(obj).model_fields if (c := clean(v := getattr(obj, k))) is not v}
            return obj.model_copy(update=changes) if changes else obj
        return obj

    models = [pub.settings] + [m for d in pub.departments for m in (d.department, *(
        m for u in d.units for m in (u.unit, *(p.project for p in u.projects))))]
    if not any(has_control(m) for m in models):
        return pub, 0
    departments = [
        DepartmentDoc(d.folder, clean(d.department), d.source, [
            UnitDoc(u.folder, clean(u.unit), u.source, [ProjectDoc(clean(p.project), p.source) for p in u.projects])
            for u in d.units])
        for d in pub.departments]
    settings = clean(pub.settings)
    if not dropped:
        return pub, 0
    return Publication(pub.root, settings, pub.source, departments), dropped


def title_text(number: int, project: Project, settings: Settings) -> str:
    """The heading above a table: ``N.<项目名称>绩效目标表`` (or the published title, where it differs)."""
    if settings.layout == "shanghai":
        return f"{number}.{project.title or project.name}"
    return f"{number}.{project.title or project.name + '绩效目标表'}"


def _anchor(*parts: str) -> str:
    # Hidden Word bookmarks start with "_"; a code is short, so the name stays well under 40 characters.
    from ..bookmarks import RESERVED_PREFIX
    return RESERVED_PREFIX + "_".join(parts)


def numbers(pub: Publication) -> dict[int, int]:
    """Each project's visible table number (keyed by ``id``): per budget unit or through the publication."""
    out, n = {}, 0
    for d in pub.departments:
        for u in d.units:
            if pub.settings.numbering == "per_unit":
                n = 0
            for p in u.projects:
                n += 1
                out[id(p)] = n
    return out


def compile_publication(pub: Publication) -> list[Compilation]:
    """Lay the publication out once: one compilation per department, then the whole book.

    The department compilations share their block objects with the whole book, so a renderer can
    draw each table once and reuse it (and table numbers are those of the whole book).
    """
    s = pub.settings
    nums = numbers(pub)
    whole = Compilation(s.title, "", pub.name)
    parts: list[Compilation] = []
    for di, d in enumerate(pub.departments, 1):
        part = Compilation(s.title, d.department.name, d.folder)
        dkey = d.department.code or f"d{di}"
        part.blocks.append(Heading(1, f"{d.department.code or ''}{d.department.name}", _anchor(dkey)))
        for ui, u in enumerate(d.units, 1):
            ukey = u.unit.code or f"{dkey}_u{ui}"
            part.blocks.append(Heading(2, f"{u.unit.code or ''}{u.unit.name}", _anchor(ukey)))
            for doc in u.projects:
                p = doc.project
                n = nums[id(doc)]
                heading = Heading(3, title_text(n, p, s), p.bookmark)
                tables = shanghai_tables(d, u, p, s) if s.layout == "shanghai" else tianjin_tables(u, p, s)
                part.blocks.append(heading)
                part.blocks.extend(tables)
                part.entries.append(ProjectEntry(n, d, u, p, heading, tables))
        parts.append(part)
        whole.blocks.extend(part.blocks)
        whole.entries.extend(part.entries)
    return parts + [whole]
