"""Read one-form-per-project 财政项目支出绩效目标申报表 from text extracted from their PDF.

PDF extraction loses cell borders and wraps or shifts cells, so rows are rebuilt from what the
cells say (known labels, the fixed indicator vocabulary, the value shape), never from column
positions alone.
"""
from __future__ import annotations

import re

from ..layouts import Layout
from ..model import Project
from . import ImportedSource, ImportedUnit, ImportProblem, project_from_data

FORM_TITLE = "财政项目支出绩效目标申报表"
COVER_RE = re.compile(r"^\s*(?P<unit>\S.*?)\s*(?P<year>\d{4})\s*年度项目绩效目标汇总表\s*$")
LEVEL1 = {"成本指标", "产出指标", "效益指标", "满意度指标"}
LEVEL2 = {"经济成本指标", "社会成本指标", "生态环境成本指标", "数量指标", "质量指标", "时效指标",
          "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "服务对象满意度指标"}
GRID_LABEL = "绩效指标"
SCALAR_LABELS = {"项目名称": "name", "项目性质": "nature", "项目类别": "category", "主管部门": "department",
                 "实施单位": "unit", "计划开始日期": "start", "计划完成日期": "end"}
MONEY_LABELS_LEFT = {"项目资金总额:": "total", "其中: 财政资金": "fiscal"}
MONEY_LABELS_RIGHT = {"年度资金申请总额:": "total", "其中: 当年财政拨款": "fiscal", "上年结转资金": "carryover"}


def _squash(s: str) -> str:
    """Labels come out of the PDF with spaces inside (``经济成本 指标``, ``项目 绩效 目标``)."""
    return re.sub(r"\s+", "", s)


def _money(raw: str) -> str:
    return raw.replace(",", "").strip()


def _split_forms(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    forms: list[list[tuple[int, str]]] = []
    for lineno, line in lines:
        if line.split("\t", 1)[0].strip() == FORM_TITLE:
            forms.append([])
        if forms:
            forms[-1].append((lineno, line))
    return forms


def _parse_form(form: list[tuple[int, str]], source: str, layout: Layout) -> tuple[dict, Project]:
    fields: dict[str, str] = {}
    funds_left: dict[str, str] = {}
    funds_right: dict[str, str] = {}
    goal_cols: dict[int, str] = {}
    goals: dict[str, str] = {}
    indicators: list[dict] = []
    state = "header"
    l1 = l2 = ""
    start_line = form[0][0]
    for lineno, line in form[2:]:  # skip the title and "(2025 年度)" lines
        cells = line.split("\t")
        nonempty = [c.strip() for c in cells if c.strip()]
        if not nonempty:
            continue
        first = _squash(nonempty[0])
        if state == "header" and first in SCALAR_LABELS:
            i = 0
            while i < len(nonempty):
                label = _squash(nonempty[i])
                key = SCALAR_LABELS.get(label)
                if key is None:
                    raise ImportProblem(source, lineno, f"无法识别的表头“{nonempty[i]}”。")
                value = nonempty[i + 1] if i + 1 < len(nonempty) and _squash(nonempty[i + 1]) not in SCALAR_LABELS else ""
                fields[key] = value
                i += 2 if value else 1
            continue
        if state == "header" and first.startswith("项目资金"):
            state = "funds"
            nonempty = nonempty[1:]
        if state == "funds" and first.startswith("项目绩效目标"):
            state = "goals"
            for col, c in enumerate(cells):
                if _squash(c) in ("项目总目标", "年度总体目标"):
                    goal_cols[col] = _squash(c)
            continue
        if state == "funds":
            _funds_row(nonempty, funds_left, funds_right, source, lineno)
            continue
        if state == "goals":
            if _squash(nonempty[0]) == "一级指标":
                state = "grid"
                continue
            for col, c in enumerate(cells):
                if c.strip():
                    key = goal_cols[max((k for k in goal_cols if k <= col), default=min(goal_cols))]
                    goals[key] = (goals.get(key, "") + "\n" + c.strip()).strip("\n")
            continue
        if state == "grid":
            rest = []
            for c in nonempty:
                s = _squash(c)
                if s == GRID_LABEL:
                    continue
                if s in LEVEL1 and not rest:
                    l1, l2 = s, ""
                elif s in LEVEL2 and not rest:
                    l2 = s
                else:
                    rest.append(c)
            if len(rest) != 2 or not l1 or not l2:
                raise ImportProblem(source, lineno, f"无法把这一行拆成“三级指标 | 指标值”：{' | '.join(nonempty)}")
            indicators.append({"level1": l1, "level2": l2, "name": rest[0], "value": rest[1]})
    if state != "grid":
        raise ImportProblem(source, start_line, "申报表不完整：没有找到指标部分。")
    data = {"name": fields.get("name", ""), "bookmark": "", "nature": fields.get("nature") or None,
            "category": fields.get("category") or None, "start": fields.get("start") or None,
            "end": fields.get("end") or None, "project_funds": funds_left, "budget": funds_right,
            "long_term_goal": goals.get("项目总目标", ""), "goals": goals.get("年度总体目标", ""),
            "indicators": indicators}
    project = project_from_data({k: v for k, v in data.items() if v is not None}, source, start_line, "申报表", layout)
    return fields, project


def _funds_row(cells: list[str], left: dict, right: dict, source: str, lineno: int) -> None:
    """One row of the 项目资金 block: labels each followed by an amount or by nothing."""
    seen_other = False
    i = 0
    while i < len(cells):
        label = cells[i].strip()
        nxt = cells[i + 1].strip() if i + 1 < len(cells) else None
        has_value = nxt is not None and re.match(r"^-?[\d,]+(\.\d+)?$", nxt) is not None
        value = _money(nxt) if has_value else ""
        if label in MONEY_LABELS_LEFT:
            left[MONEY_LABELS_LEFT[label]] = value
        elif label in MONEY_LABELS_RIGHT:
            right[MONEY_LABELS_RIGHT[label]] = value
        elif label == "其他资金":
            # The left column's 其他资金 comes first when both are on the row.
            both = cells.count("其他资金") == 2
            (left if both and not seen_other else right)["other"] = value
            seen_other = True
        else:
            raise ImportProblem(source, lineno, f"项目资金部分有无法识别的单元格“{label}”。")
        i += 2 if has_value else 1


def read_pdf_lines(text: str, source: str, layout: Layout) -> ImportedSource:
    lines = list(enumerate(text.split("\n"), 1))
    cover = next((COVER_RE.match(l) for _, l in lines if COVER_RE.match(l)), None)
    forms = _split_forms(lines)
    if not forms:
        raise ImportProblem(source, None, f"没有找到“{FORM_TITLE}”。")
    units: dict[str, ImportedUnit] = {}
    for form in forms:
        fields, project = _parse_form(form, source, layout)
        unit_name = fields.get("unit") or (cover["unit"] if cover else "")
        unit = units.setdefault(unit_name, ImportedUnit(None, unit_name, None, fields.get("department")))
        unit.projects.append(project)
    year = int(cover["year"]) if cover else None
    region = next((m[1] for u in units.values() if (m := re.match(r"^(.{2,3}?市)", u.unit_name))), None)
    return ImportedSource(path=source, layout=layout.name, money_unit=layout.defaults.money_unit or "元",
                          framework=layout.framework, year=year,
                          region=region, units=list(units.values()), numbers=[])
