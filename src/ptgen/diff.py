"""What changed in a publication between two revisions, or between two publications (last
year's and this year's), at the level of the model.

Between revisions projects are matched by bookmark name (the one thing that never changes within a
publication); between publications by their identity (``id``, kept by ``rollover``; a project
without one by its bookmark), since a new publication may name its bookmarks anew.  So a renamed
file, a renamed project or a project moved to another unit is shown as such, not as one removed
and one added.  Indicators are matched by (一级, 二级, 三级指标); money deltas are Decimal.

Anchor stability: a bookmark published in BASE must still exist in HEAD and still name the same
project — links into last year's documents depend on it.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Callable, NamedTuple

from . import layouts
from .layouts import field_title
from .model import BudgetTotals, DepartmentDoc, Indicator, Project, Publication, UnitDoc

STATUS_ZH = {"added": "新增", "removed": "删除", "changed": "修改"}
BUDGET_FIELDS = (("total", "预算数"), ("fiscal", "财政资金"), ("carryover", "上年结转资金"), ("other", "其他资金"))
TEXT_FIELDS = (("title", "表格标题"), ("purpose", "资金用途"), ("goals", "绩效目标"))
IND_FIELDS = (("description", "绩效指标描述"), ("value", "指标值"))


def _s(v) -> str:
    return "" if v is None else str(v)


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str
    delta: str | None = None  # money only


@dataclass
class IndicatorChange:
    status: str  # added | removed | changed
    level1: str
    level2: str
    name: str
    changes: list[FieldChange] = field(default_factory=list)
    old: dict | None = None
    new: dict | None = None


@dataclass
class ProjectChange:
    status: str  # added | removed | changed
    bookmark: str
    name: str
    old_name: str | None = None
    location: str = ""        # 主管部门/预算单位 (HEAD, or BASE if removed)
    old_location: str | None = None
    file: str = ""
    old_file: str | None = None
    budget: list[FieldChange] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)
    indicators: list[IndicatorChange] = field(default_factory=list)
    id: str | None = None      # the project's identity (HEAD, or BASE if removed)

    @property
    def tags(self) -> list[str]:
        t = []
        if self.old_name is not None:
            t.append("改名")
        if self.old_location is not None:
            t.append("移动")
        if self.old_file is not None:
            t.append("文件改名")
        return t

    @property
    def empty(self) -> bool:
        return self.status == "changed" and not (self.tags or self.budget or self.fields or self.indicators)


@dataclass
class Totals:
    level: str  # department | unit
    name: str
    old: dict[str, str]
    new: dict[str, str]
    delta: dict[str, str]


class AnchorKind(str, Enum):
    REMOVED = "removed"        # the bookmark is gone (``--allow-removed`` accepts it)
    REASSIGNED = "reassigned"  # it names another project now


@dataclass
class AnchorProblem:
    bookmark: str
    message: str
    kind: AnchorKind


@dataclass
class PublicationDiff:
    name: str
    projects: list[ProjectChange] = field(default_factory=list)
    totals: list[Totals] = field(default_factory=list)
    anchors: list[AnchorProblem] = field(default_factory=list)


@dataclass
class Diff:
    base: str
    head: str
    publications: list[PublicationDiff] = field(default_factory=list)

    @property
    def anchors(self) -> list[AnchorProblem]:
        return [a for p in self.publications for a in p.anchors]

    def count(self, status: str) -> int:
        return sum(1 for p in self.publications for c in p.projects if c.status == status)

    def allow(self, kind: AnchorKind) -> None:
        """Drop the anchor problems of ``kind`` (``--allow-removed``: the projects really were removed)."""
        for p in self.publications:
            p.anchors = [a for a in p.anchors if a.kind is not kind]

    def to_json(self) -> str:
        data = asdict(self)
        data["summary"] = {s: self.count(s) for s in ("added", "removed", "changed")}
        data["anchor_problems"] = [asdict(a) for a in self.anchors]
        return json.dumps(data, ensure_ascii=False, indent=2)


class Entry(NamedTuple):
    """A project where it stands in its publication."""
    project: Project
    location: str  # 主管部门/预算单位
    file: str      # relative to the publication folder
    department: DepartmentDoc
    unit: UnitDoc


def identity(p: Project) -> str:
    """What matches a project across publications: its ``id``, else its bookmark."""
    return p.id or f"书签 {p.bookmark}"


def project_index(pub: Publication, by_identity: bool = False) -> dict[str, Entry]:
    """Every project of ``pub`` by its bookmark (or, ``by_identity``, by :func:`identity`)."""
    out = {}
    for d, u, doc in pub.projects():
        loc = f"{d.department.name}/{u.unit.name}"
        key = identity(doc.project) if by_identity else doc.project.bookmark
        out[key] = Entry(doc.project, loc, doc.source.rel.split("/", 1)[-1], d, u)
    return out


def _key(i: Indicator) -> tuple[str, str, str]:
    return (i.level1, i.level2, i.name)


def _differ(a, b, shift: Callable[[str], str] | None) -> bool:
    """Whether ``a`` and ``b`` differ, counting a text only moved to the next year (``shift``) as the same."""
    return a != b and not (shift is not None and isinstance(a, str) and isinstance(b, str) and shift(a) == b)


def diff_indicators(old: list[Indicator], new: list[Indicator],
                    shift: Callable[[str], str] | None = None) -> list[IndicatorChange]:
    """Match rows by (一级, 二级, 三级) — the n-th row with a key matches the n-th row with it.
    With ``shift`` (publications of two years), a text moved to the next year is not a change."""
    def keyed(rows):
        seen: Counter = Counter()
        out = {}
        for r in rows:
            k = _key(r)
            out[(k, seen[k])] = r
            seen[k] += 1
        return out
    o, n = keyed(old), keyed(new)
    changes = []
    for k, row in n.items():
        if k not in o:
            changes.append(IndicatorChange("added", *k[0], new=row.model_dump()))
            continue
        fc = [FieldChange(f, label, _s(getattr(o[k], f)), _s(getattr(row, f))) for f, label in IND_FIELDS
              if _differ(getattr(o[k], f), getattr(row, f), shift)]
        fc += [FieldChange(f, f, _s(o[k].extras.get(f)), _s(row.extras.get(f)))  # a form's own columns (分值 …)
               for f in list(row.extras) + [x for x in o[k].extras if x not in row.extras]
               if _differ(o[k].extras.get(f), row.extras.get(f), shift)]
        if fc:
            changes.append(IndicatorChange("changed", *k[0], changes=fc, old=o[k].model_dump(), new=row.model_dump()))
    for k, row in o.items():
        if k not in n:
            changes.append(IndicatorChange("removed", *k[0], old=row.model_dump()))
    return changes


def _money_delta(old, new) -> str:
    d = (new or Decimal(0)) - (old or Decimal(0))
    return f"+{d}" if d > 0 else str(d)


def diff_projects(old: Project, new: Project, layout=None, shift: Callable[[str], str] | None = None
                  ) -> tuple[list[FieldChange], list[FieldChange], list[IndicatorChange]]:
    budget = [FieldChange(f, label, _s(getattr(old.budget, f)), _s(getattr(new.budget, f)),
                          _money_delta(getattr(old.budget, f), getattr(new.budget, f)))
              for f, label in BUDGET_FIELDS if getattr(old.budget, f) != getattr(new.budget, f)]
    fields = [FieldChange(f, label, _s(getattr(old, f)), _s(getattr(new, f))) for f, label in TEXT_FIELDS
              if _differ(getattr(old, f), getattr(new, f), shift)]
    # The form's own fields (上海: 项目性质, 项目资金 …): text as text, amounts with their change.
    for key in list(new.extras) + [k for k in old.extras if k not in new.extras]:
        a, b = old.extras.get(key), new.extras.get(key)
        if not _differ(a, b, shift):
            continue
        if isinstance(a, dict) or isinstance(b, dict):
            for part in list(b or {}) + [p for p in (a or {}) if p not in (b or {})]:
                x, y = (a or {}).get(part), (b or {}).get(part)
                if x != y:
                    budget.append(FieldChange(f"{key}.{part}", field_title(f"{key}.{part}", layout), _s(x), _s(y),
                                              _money_delta(x, y)))
        elif isinstance(a, Decimal) or isinstance(b, Decimal):
            budget.append(FieldChange(key, field_title(key, layout), _s(a), _s(b), _money_delta(a, b)))
        else:
            fields.append(FieldChange(key, field_title(key, layout), _s(a), _s(b)))
    return budget, fields, diff_indicators(old.indicators, new.indicators, shift)


def _totals(pub: Publication | None) -> dict[tuple[str, str], dict[str, Decimal]]:
    sums: dict[tuple[str, str], BudgetTotals] = {}
    if pub is not None:
        for d, u, doc in pub.projects():
            for key in (("department", d.department.name), ("unit", f"{d.department.name}/{u.unit.name}")):
                sums.setdefault(key, BudgetTotals()).add(doc.project.budget)
    return {key: {"total": t.total, "fiscal": t.fiscal, "other": t.other} for key, t in sums.items()}


def diff_publication(name: str, base: Publication | None, head: Publication | None,
                     by_identity: bool = False) -> PublicationDiff:
    """The changes from ``base`` to ``head``: two revisions of one publication (projects matched by
    bookmark, anchors checked), or ``by_identity`` two publications (matched by identity; bookmarks
    of different publications are not anchors of each other)."""
    result = PublicationDiff(name)
    shift = None
    if by_identity and base and head and head.settings.year != base.settings.year:
        from .rollover import shift_text
        y, delta = base.settings.year, head.settings.year - base.settings.year
        shift = lambda text: shift_text(text, y, delta)  # noqa: E731  (the year moved on is no change)
    old = project_index(base, by_identity) if base else {}
    new = project_index(head, by_identity) if head else {}
    order = list(new) + [b for b in old if b not in new]
    head_names = {v.project.name: v.project.bookmark for v in new.values()}
    for b in order:
        if b not in old:
            p = new[b].project
            result.projects.append(ProjectChange("added", p.bookmark, p.name, location=new[b].location, file=new[b].file,
                                                 id=p.id))
            continue
        op, oloc, ofile = old[b].project, old[b].location, old[b].file
        if b not in new:
            result.projects.append(ProjectChange("removed", op.bookmark, op.name, location=oloc, file=ofile, id=op.id))
            if by_identity:
                continue
            moved_to = head_names.get(op.name)
            hint = f"（同名项目现在用书签 {moved_to}）" if moved_to else ""
            result.anchors.append(AnchorProblem(b, f"书签 {b}（{op.name}）在新版本里不见了{hint}：去年文件里指向它的链接会失效。",
                                                AnchorKind.REMOVED))
            continue
        p, loc, file = new[b].project, new[b].location, new[b].file
        budget, fields, inds = diff_projects(op, p, layouts.of(head.settings), shift)
        change = ProjectChange("changed", p.bookmark, p.name, old_name=op.name if op.name != p.name else None,
                               location=loc, old_location=oloc if oloc != loc else None, file=file,
                               old_file=ofile if ofile.rsplit("/", 1)[-1] != file.rsplit("/", 1)[-1] else None,
                               budget=budget, fields=fields, indicators=inds, id=p.id)
        if not by_identity and op.name != p.name and op.name in head_names and head_names[op.name] != b:
            result.anchors.append(AnchorProblem(b, f"书签 {b} 原来属于“{op.name}”，现在指向了另一个项目“{p.name}”"
                                                   f"（“{op.name}”改用了 {head_names[op.name]}）：旧链接会打开错误的表。",
                                                AnchorKind.REASSIGNED))
        if not change.empty:
            result.projects.append(change)
    before, after = _totals(base), _totals(head)
    for key in list(after) + [k for k in before if k not in after]:
        zero = {"total": Decimal(0), "fiscal": Decimal(0), "other": Decimal(0)}
        o, n = before.get(key, zero), after.get(key, zero)
        if o != n:
            result.totals.append(Totals(key[0], key[1], {k: str(v) for k, v in o.items()},
                                        {k: str(v) for k, v in n.items()},
                                        {k: _money_delta(o[k], n[k]) for k in o}))
    return result


def diff(base_pubs: list[Publication], head_pubs: list[Publication], base: str, head: str) -> Diff:
    result = Diff(base, head)
    old = {p.root.name: p for p in base_pubs}
    new = {p.root.name: p for p in head_pubs}
    for name in list(new) + [n for n in old if n not in new]:
        pd = diff_publication(name, old.get(name), new.get(name))
        if pd.projects or pd.anchors or pd.totals:
            result.publications.append(pd)
    return result


def diff_publications(base: Publication, head: Publication, base_label: str, head_label: str) -> Diff:
    """Two publications (say 2025 and 2026), projects matched by their identity."""
    result = Diff(base_label, head_label)
    name = f"{base.name}（{base.settings.year}）→ {head.name}（{head.settings.year}）"
    result.publications.append(diff_publication(name, base, head, by_identity=True))
    return result
