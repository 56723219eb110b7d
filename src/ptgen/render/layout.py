"""The publication laid out as blocks — headings, tables, spacers — that every renderer draws.

This is the one place that knows the published forms: which cells a table has, which are
labels, what spans what, which first-level cells merge.  Row spans are worked out here once, so
the DOCX (``w:vMerge``) and the HTML (``rowspan``) cannot disagree (docxtpl's ``{% vm %}`` merges
across a whole loop, so it is not used).  The renderers only draw what they are given.
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, NamedTuple

from .. import layouts
from ..layouts import CellDef, GridDef, Layout, TableDef, field_value
from ..model import CONTROL_RE, DepartmentDoc, Indicator, Project, ProjectDoc, Publication, Settings, UnitDoc, has_control
from .measure import fit_widths, lines_em, title_lines, title_phrases
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
    borderless: bool = False  # a line without borders (the agency line above a header block)
    can_split: bool = False   # only free-text rows (goals) may break across pages: they can outgrow one
    change: str | None = None  # "ins" / "del": a row inserted or deleted (ptgen diff --format docx)


@dataclass(frozen=True)
class Table:
    kind: str                    # the definition's table kind: the renderers' style hook
    widths: tuple[int, ...]      # relative column widths (they are scaled to the text width)
    rows: tuple[Row, ...]
    caption: str = ""            # what the table is, for HTML captions and screen readers
    font_size: float = 10.5      # pt: the definition's, which the widths were measured for

    @property
    def min_em(self) -> float:
        """The width its columns were measured for, in em of its text: narrower, labels wrap."""
        return TABLE_WIDTH_PT / self.font_size


@dataclass(frozen=True)
class Heading:
    level: int        # 1 department, 2 budget unit, 3 one project's table
    text: str
    anchor: str       # the bookmark name (DOCX) = element id (HTML) = named destination (PDF)
    code: str = ""    # the department's or unit's code ("" for a table, or none given)


@dataclass(frozen=True)
class Spacer:
    """An empty paragraph between two tables of a form (a definition's ``spacer: true``)."""


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


def layout_of(settings: Settings) -> Layout:
    """The definition of the publication's form."""
    return layouts.of(settings)


def money(amount: Decimal | None, settings: Settings) -> str:
    """An amount as the form prints it: as written (154.00), or with thousands separators; an
    empty one as the form writes it (nothing, "—", "0" …)."""
    if amount is None:
        return layout_of(settings).money.empty
    if layout_of(settings).money.thousands:
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
    """Which first-level cells merge: runs of a group named in ``merge_level1`` (e.g. 产出指标 only)."""
    merge = set(settings.merge_level1)
    return [i.level1 if i.level1 in merge else None for i in project.indicators]


# --- a form, from its definition --------------------------------------------------------------------

def _fill(text: str, objects: dict) -> str:
    """``text`` with its ``{object.field}`` placeholders filled in (an unset field is empty)."""
    if "{" not in text:
        return text

    def one(m):
        value = field_value(objects[m.group(1)], m.group(2))
        return "" if value is None else str(value)
    return layouts.PLACEHOLDER_RE.sub(one, text)


def _cell(c: CellDef, project: Project, objects: dict, settings: Settings) -> Cell:
    role = c.default_role
    kind = c.kind
    if kind == "merged":
        return _cont(role, c.span)
    if kind == "value":
        text, rich = field_value(project, c.value), c.value in settings.markdown
    elif kind == "amount":
        text, rich = money(field_value(project, c.amount), settings), False
    else:
        text, rich = _fill(c.label if kind == "label" else c.text, objects), False
    cell = Cell(markdown(text) if rich else plain(text), role, c.span)
    return cell._replace(rows=c.rows) if c.rows > 1 else cell


def _grid_rows(grid: GridDef, project: Project, settings: Settings) -> list[Row]:
    inds = project.indicators
    l1_keys = level1_keys(project, settings)
    keys = {"level1": l1_keys,
            "level2": [f"{k}\0{i.level2}" if k is not None else None for k, i in zip(l1_keys, inds)]}
    columns = []
    for col in grid.columns:
        role = "level" if col.field in ("level1", "level2") else "value"
        get = _indicator_getter(col.field)
        cells = [Cell(plain(get(i)), role, col.span) for i in inds]
        columns.append(_merge_column(cells, keys[col.merge]) if col.merge else cells)
    head = tuple(_c(col.head, "head", col.span) for col in grid.columns)
    if grid.side_label is not None:
        head = (Cell(plain(grid.side_label), "label", rows=len(inds) + 1),) + head
    rows = [Row(head, header=grid.header_repeats)]
    if grid.side_label is not None:
        side = _cont()
        rows += [Row((side, *cells)) for cells in zip(*columns)]
    else:
        rows += [Row(cells) for cells in zip(*columns)]
    return rows


@functools.cache
def _indicator_getter(field: str):
    """How a grid column reads its field from an indicator row: a common field directly, a field
    the form declares from ``extras`` (the grid has a cell per indicator per column: this is hot)."""
    if field in Indicator.model_fields and field != "extras":
        return operator.attrgetter(field)
    return lambda ind: ind.extras.get(field)


def form_tables(dept: DepartmentDoc, unit: UnitDoc, project: Project, settings: Settings,
                grid: bool = True) -> list[Table | Spacer]:
    """One project's tables, as its form's definition lays them out (without the indicator grid's
    rows when ``grid`` is false: the header block alone, as ``ptgen diff --format docx`` shows it)."""
    objects = {"project": project, "unit": unit.unit, "department": dept.department, "settings": settings}
    form = layout_of(settings)
    made: list[tuple[TableDef, list[Row]] | None] = []
    # tables on the same columns (equal widths) keep them equal: what their labels need, what their values want
    needs: dict[tuple[int, ...], tuple[list, list, list]] = {}
    for t in form.tables:
        if t.spacer:
            made.append(None)
            continue
        rows = [Row(tuple(_cell(c, project, objects, settings) for c in r.cells), header=r.header,
                    borderless=r.borderless, can_split=r.can_split) for r in t.rows]
        need, want, levels = needs.setdefault(tuple(t.widths), ([], [], []))
        label_needs(rows, t.grid, need, want)
        if t.grid is not None:
            levels += _level_wants(settings.framework or form.framework, t.grid.side_label is not None,
                                   tuple((c.field, c.span) for c in t.grid.columns))
        if t.grid is not None and grid:
            rows += _grid_rows(t.grid, project, settings)
        made.append((t, rows))
    out: list[Table | Spacer] = []
    for m in made:
        if m is None:
            out.append(Spacer())
        elif m[1]:
            t, rows = m
            need, want, levels = needs[tuple(t.widths)]
            widths = _fitted(tuple(t.widths), tuple(need), tuple(want), form.font_size, tuple(levels))
            out.append(Table(t.kind, widths, tuple(rows), caption=_fill(t.caption, objects), font_size=form.font_size))
    return out


# The narrowest table ptgen draws: the Word templates' text width (A4 less 2.2 cm margins each side:
# 166 mm, 470 pt; the PDF's is 174 mm), and what a cell's padding and borders take (Word's 0.15 cm
# margins each side).  A label gets a little more than it measures, for the fonts' rounding.
TABLE_WIDTH_PT = 470
CELL_PAD_PT = 8.5
LABEL_SLACK_EM = 0.25


def label_needs(rows: list[Row], grid: GridDef | None, needs: list, wants: list) -> None:
    """Adds to ``needs`` what each label of the header ``rows`` and each header of the ``grid`` needs
    to print on one line, and to ``wants`` the same for the values of rows that never split (short
    ones: 项目性质, amounts): ``(first column, columns spanned, em)``."""
    for row in rows:
        col = 0
        for c in row.cells:
            if not c.merged:
                if c.role in ("label", "head"):
                    needs.append((col, c.span, lines_em(c.text) + LABEL_SLACK_EM))
                elif c.role in ("value", "amount") and not row.can_split and not row.borderless and c.paras:
                    wants.append((col, c.span, lines_em(c.text) + LABEL_SLACK_EM))
            col += c.span
    if grid is not None:
        col = 0
        if grid.side_label is not None:
            needs.append((0, 1, lines_em(grid.side_label) + LABEL_SLACK_EM))
            col = 1
        for c in grid.columns:
            needs.append((col, c.span, lines_em(c.head) + LABEL_SLACK_EM))
            col += c.span


# A level column (一级, 二级) also wants its framework's names on one line (社会效益指标 wrapped as
# 社会效益指/标 in Tianjin's 13% 二级 column): shortest first, after the header block's values (see
# label_needs), as long as no other column gives up more than this share of the width it had
# without them, so that the indicators' own text (三级, 描述) keeps its room.  A name too long for
# that (服务对象满意度指标: a fifth of the Tianjin table) wraps as before.
LEVEL_GIVE = 0.12


@functools.cache
def _level_wants(framework: str, side_label: bool, columns: tuple[tuple[str, int], ...]) -> tuple:
    """``(first column, columns spanned, em)`` of each name of ``framework`` that a level column
    of a grid (its ``columns``' field and span) prints: a ``level1`` column its 一级 names, a
    ``level2`` column its 二级 names."""
    tree = layouts.framework(framework).tree
    names = {"level1": list(tree), "level2": [n for level2 in tree.values() for n in level2]}
    out, col = [], 1 if side_label else 0
    for name, span in columns:
        out += [(col, span, lines_em(n) + LABEL_SLACK_EM) for n in names.get(name, ())]
        col += span
    return tuple(sorted(set(out), key=lambda x: x[2]))


@functools.lru_cache(maxsize=1024)
def _fitted(widths: tuple[int, ...], needs: tuple, wants: tuple, font_size: float, levels: tuple = ()) -> tuple[int, ...]:
    """The definition's ``widths``, widened where a label would not fit on one line at ``font_size``
    (see :func:`measure.fit_widths`), then where a level column's names would not (:data:`LEVEL_GIVE`)."""
    table_em, pad_em = TABLE_WIDTH_PT / font_size, CELL_PAD_PT / font_size
    best = fit_widths(widths, list(needs), table_em, pad_em, list(wants))
    base = [w / sum(best) for w in best]
    own = {c for a, s, _ in levels for c in range(a, a + s)}
    taken: list = []
    refused: set[tuple[int, int]] = set()
    for level in sorted(set(levels), key=lambda x: x[2]):
        a, s, em = level
        if (a, s) in refused or sum(best[a:a + s]) / sum(best) * table_em >= em + pad_em:
            continue  # a shorter name of that column did not fit; or this one fits already
        trial = fit_widths(widths, list(needs), table_em, pad_em, list(wants), taken + [level])
        if all(w / sum(trial) >= base[c] * (1 - LEVEL_GIVE) for c, w in enumerate(trial) if c not in own):
            best, taken = trial, taken + [level]
        else:
            refused.add((a, s))
    return best


def grid_columns(settings: Settings) -> list[tuple[str, str, int]]:
    """The indicator grid's columns without merges or side label: (header, field, relative width)."""
    t = layouts.grid_of(layout_of(settings))
    if t is None:
        return []
    widths = list(t.widths[1:] if t.grid.side_label is not None else t.widths)
    out = []
    for col in t.grid.columns:
        out.append((col.head, col.field, sum(widths[:col.span])))
        del widths[:col.span]
    return out


# --- the cover -----------------------------------------------------------------------------------

# A cover title's line: the Word cover's 22 pt (二号) on its 166 mm fits 21 characters (the PDF's
# 174 mm, 22); 20 keeps it clear of the edge in both.
COVER_TITLE_EM = 20


def cover_lines(settings: Settings) -> list[tuple[str, ...]]:
    """The cover title's lines, each cut into its phrases (spaces are phrases too): the
    publication's own lines (``title_lines``), else the title broken between phrases."""
    lines = settings.title_lines or title_lines(settings.title, COVER_TITLE_EM)
    return [title_phrases(line) for line in lines]


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
    return f"{number}.{project.title or project.name + layout_of(settings).heading.suffix}"


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
    nums = numbers(pub)
    parts = [compile_department(pub, di, d, nums) for di, d in enumerate(pub.departments, 1)]
    return parts + [whole_book(pub, parts)]


def compile_department(pub: Publication, di: int, d: DepartmentDoc, nums: dict[int, int]) -> Compilation:
    """Department ``d`` (the ``di``-th, from 1) as its own compilation; ``nums`` from :func:`numbers`.
    ``ptgen serve`` lays out again only the department of a project that changed."""
    s = pub.settings
    part = Compilation(s.title, d.department.name, d.folder)
    dkey = d.department.code or f"d{di}"
    part.blocks.append(Heading(1, f"{d.department.code or ''}{d.department.name}", _anchor(dkey),
                               d.department.code or ""))
    for ui, u in enumerate(d.units, 1):
        ukey = u.unit.code or f"{dkey}_u{ui}"
        part.blocks.append(Heading(2, f"{u.unit.code or ''}{u.unit.name}", _anchor(ukey), u.unit.code or ""))
        for doc in u.projects:
            p = doc.project
            n = nums[id(doc)]
            heading = Heading(3, title_text(n, p, s), p.bookmark)
            tables = form_tables(d, u, p, s)
            part.blocks.append(heading)
            part.blocks.extend(tables)
            part.entries.append(ProjectEntry(n, d, u, p, heading, tables))
    return part


def whole_book(pub: Publication, parts: list[Compilation]) -> Compilation:
    """The whole publication from its departments' compilations (sharing their blocks)."""
    whole = Compilation(pub.settings.title, "", pub.name)
    for part in parts:
        whole.blocks.extend(part.blocks)
        whole.entries.extend(part.entries)
    return whole
