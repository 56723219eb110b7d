"""Model objects → the canonical content files (the one documented YAML shape)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .model import Department, Project, Settings, Unit
from .yamlio import dump

PROJECT_HEADER = "项目支出绩效目标表（一个项目一个文件）。字段说明见 README 的“内容格式”一节。"
MONEY_KEYS = frozenset({"total", "fiscal", "carryover", "other"})
_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


def _money(d) -> str:
    return "" if d is None else str(d)


def project_data(p: Project) -> dict[str, Any]:
    """The project as plain data in the canonical shape: common keys in their order, the form's own
    fields (``extras``, in the order its layout declares them) after the bookmark."""
    data: dict[str, Any] = {"name": p.name}
    if p.title is not None:
        data["title"] = p.title
    data["bookmark"] = p.bookmark
    if p.id is not None:
        data["id"] = p.id
    for key, value in p.extras.items():
        data[key] = _extra(value)
    budget = {"total": _money(p.budget.total), "fiscal": _money(p.budget.fiscal)}
    if p.budget.carryover is not None:
        budget["carryover"] = _money(p.budget.carryover)
    budget["other"] = _money(p.budget.other)
    data["budget"] = budget
    if p.purpose is not None:
        data["purpose"] = p.purpose
    data["goals"] = p.goals
    rows = []
    for i in p.indicators:
        row = {"level1": i.level1, "level2": i.level2, "name": i.name}
        if i.description is not None:
            row["description"] = i.description
        row["value"] = i.value
        row.update((k, _extra(v)) for k, v in i.extras.items())
        rows.append(row)
    data["indicators"] = rows
    return data


def _extra(value: Any) -> Any:
    """A form's own field as written: text as is, an amount (or a group of amounts) as money text."""
    if isinstance(value, dict):
        return {k: _money(v) for k, v in value.items()}
    if value is None or isinstance(value, Decimal):
        return _money(value)
    return value


def project_yaml(p: Project) -> str:
    return dump(project_data(p), header=PROJECT_HEADER, quote_keys=MONEY_KEYS)


def unit_yaml(u: Unit) -> str:
    data: dict[str, Any] = {}
    if u.code is not None:
        data["code"] = u.code
    data["name"] = u.name
    data["projects"] = list(u.projects)
    return dump(data, header="预算单位。projects 按发布顺序列出本单位的项目文件。", quote_keys=frozenset({"code"}))


def department_yaml(d: Department) -> str:
    data: dict[str, Any] = {}
    if d.code is not None:
        data["code"] = d.code
    data["name"] = d.name
    data["units"] = list(d.units)
    return dump(data, header="主管部门。units 按发布顺序列出预算单位文件夹。", quote_keys=frozenset({"code"}))


def settings_yaml(s: Settings) -> str:
    data: dict[str, Any] = {"title": s.title}
    for key in ("title_lines", "issuer", "date"):  # the cover's: written when set
        if getattr(s, key) is not None:
            data[key] = getattr(s, key)
    data.update({
        "year": str(s.year), "region": s.region, "money_unit": s.money_unit,
        "layout": s.layout, "numbering": s.numbering,
        "bookmarks": {"prefix": s.bookmarks.prefix, "digits": str(s.bookmarks.digits)},
    })
    if s.framework is not None:  # unset: the form's own framework
        data["framework"] = s.framework
    data["merge_level1"] = list(s.merge_level1)
    data["departments"] = list(s.departments)
    if s.templates:
        data["templates"] = s.templates
    if s.pdf_font != Settings.model_fields["pdf_font"].default:
        data["pdf_font"] = s.pdf_font
    if s.markdown:
        data["markdown"] = list(s.markdown)
    if s.rules:
        data["rules"] = {k: (v if isinstance(v, str) else v.model_dump(exclude_none=True)) for k, v in s.rules.items()}
    return dump(data, header="ptgen 出版物设置。字段说明见 README。")


def file_name(name: str, taken: set[str]) -> str:
    """A file name for a project, from its name: readable, safe on every OS, unique in ``taken``."""
    stem = _BAD_FILE_CHARS.sub("_", name).strip("._") or "项目"
    stem = stem[:60]
    candidate, n = f"{stem}.yaml", 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}.yaml", n + 1
    return candidate
