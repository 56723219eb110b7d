"""Importers: published tables (extracted text, .docx) → model objects, and writing them as content."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pydantic import ValidationError

from .. import layouts
from ..layouts import Layout
from ..model import Project


class ImportProblem(Exception):
    """A source that does not have the shape of a published table; says where and why."""

    def __init__(self, source: str, line: int | None, message: str):
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.message = source, line, message


@dataclass
class ImportedUnit:
    """One budget unit's projects as read from a source, in published order."""

    unit_code: str | None
    unit_name: str
    department_code: str | None
    department_name: str | None
    projects: list[Project] = field(default_factory=list)


@dataclass
class ImportedSource:
    """What one source file holds, plus what it reveals about its publication."""

    path: str
    layout: str  # the name of the layout definition the tables were read by
    money_unit: str
    framework: str | None
    year: int | None
    region: str | None
    units: list[ImportedUnit] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # the visible table numbers, for the numbering guess
    title: str | None = None  # the publication's title, where the source carries it (a workbook)
    notes: list[str] = field(default_factory=list)  # what had to be interpreted on the way (a workbook's cells)


def project_from_data(data: dict, source: str, line: int | None, what: str, layout: Layout | None = None) -> Project:
    """The one place an imported project becomes a :class:`Project`: ``data`` is plain data in the
    shape of a project file (top-level keys, ``budget: {...}``, ``indicators: [{...}]``); the keys
    ``layout`` declares as its own fields become ``extras``, checked as ``ptgen check`` checks them."""
    from ..load import _zh_error, with_extras  # load imports the model only; imported here to keep importers light
    if layout is not None:
        data, problems = with_extras(data, layout)
        if problems:
            raise ImportProblem(source, line, f"{what}：{problems[0]}")
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        raise ImportProblem(source, line, f"{what}：{_zh_error(exc.errors()[0], Project)}") from None


def squash(text: str) -> str:
    """Text with all whitespace removed: how labels are compared (``其中：财政    资金`` = ``其中：财政资金``)."""
    return re.sub(r"\s+", "", text)


def known_layouts(own: list[Layout] = ()) -> list[Layout]:
    """Every layout definition an import can recognise: the publication's ``own`` (its
    ``layouts/`` folder, which may replace a built-in of the same name), then the built-in ones."""
    mine = {layout.name for layout in own}
    return list(own) + [layouts.get(name) for name in layouts.builtin_names() if name not in mine]


def form_labels(layout: Layout) -> list[str]:
    """The fixed texts a layout's tables print (labels, texts without fields, the grid's headings),
    plus its ``recognise.labels``: what must appear in a source of that layout, whitespace removed."""
    texts = list(layout.recognise.labels)
    for t in layout.tables:
        for row in t.rows:
            texts += [c.label if c.label is not None else c.text for c in row.cells if c.kind in ("label", "text")]
        if t.grid is not None:
            texts += [c.head for c in t.grid.columns] + ([t.grid.side_label] if t.grid.side_label else [])
    out: list[str] = []
    for text in texts:
        s = squash(text)
        if s and "{" not in text and s not in out:
            out.append(s)
    return out


def most_specific(fits: list[Layout], source: str, line: int | None) -> Layout:
    """Of the layouts a source fits, the one whose labels (:func:`form_labels`) include every other
    one's: a form whose labels are a subset of another's never wins over it.  Two forms the source
    fits equally well (neither's labels include the other's) are an :class:`ImportProblem`."""
    labels = {layout.name: set(form_labels(layout)) for layout in fits}
    widest = [layout for layout in fits if all(labels[o.name] <= labels[layout.name] for o in fits)]
    if len(widest) == 1:
        return widest[0]
    best = [layout for layout in fits if not any(labels[layout.name] < labels[o.name] for o in fits)]
    shown = "、".join(f"{layout.title}（{layout.name}）" for layout in best)
    raise ImportProblem(source, line, f"无法确定版式：表格同样符合 {shown}。请在版式定义的 recognise.labels 里"
                                      "加上能区分它们的文字。")


def guess_year(texts: list[str]) -> int | None:
    """The budget year: the year most often written in the tables' text."""
    years = Counter(int(y) for t in texts for y in re.findall(r"(20\d\d)年", t))
    return years.most_common(1)[0][0] if years else None


def guess_region(names: list[str]) -> str | None:
    regions = Counter(m[1] for n in names if (m := re.match(r"^(.{2,3}?[市省])", n)))
    return regions.most_common(1)[0][0] if regions else None
