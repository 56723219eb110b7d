"""Tables of headings and cells (the 项目支出绩效目标表 of the tab-cells text reader): cells in published order → :class:`Project`.

Both the extracted-text reader and the .docx reader reduce a table to a flat list of cells (each
``w:tc`` once, in document order, its paragraphs joined with newlines); this module knows what
each position means and checks the labels so that a wrongly shaped table is refused, not guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..layouts import Layout
from ..model import Project
from . import ImportedSource, ImportedUnit, ImportProblem, guess_region, guess_year, project_from_data

HEADER_LABELS = {2: "项目名称", 4: "预算规模及资金用途", 5: "预算数",
                 7: "其中：财政    资金", 9: "其他资金", 13: "绩效目标"}
GRID_HEADER = ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值"]
HEADER_CELLS = 15  # rows of 2, 2, 7, 2, 2 cells
TITLE_RE = re.compile(r"^(?P<num>\d+)\.(?P<stem>.*)绩效目标表$", re.S)
AGENCY_RE = re.compile(r"^(?P<code>\d{3,})(?P<name>.*)$", re.S)


@dataclass
class Cell:
    text: str
    line: int | None = None  # where it starts in the source, for messages


@dataclass
class Table:
    """One published table: its heading paragraph and its cells."""

    title: str
    bookmarks: list[str]
    cells: list[Cell]
    line: int | None = None


def parse_table(table: Table, source: str) -> tuple[int, str, str, str, Project]:
    """``(number, unit_code, unit_name, money_unit, project)`` of one table; raises :class:`ImportProblem`."""
    m = TITLE_RE.match(table.title.strip())
    if not m:
        raise ImportProblem(source, table.line, f"标题“{table.title.strip()}”不是“N.项目名称绩效目标表”的形式。")
    cells = table.cells
    if len(cells) < HEADER_CELLS + 5 or (len(cells) - HEADER_CELLS) % 5:
        raise ImportProblem(source, table.line, f"表格“{m['stem']}”有 {len(cells)} 个单元格，不符合天津版式"
                            "（表头 15 个单元格，指标部分每行 5 个）。")
    unit_cell = cells[1].text.strip()
    if unit_cell not in ("单位：万元", "单位：元"):
        raise ImportProblem(source, cells[1].line or table.line,
                            f"表格“{m['stem']}”第 2 个单元格应为“单位：万元”或“单位：元”，实际是“{unit_cell}”。")
    for i, label in HEADER_LABELS.items():
        if cells[i].text.strip() != label:
            raise ImportProblem(source, cells[i].line or table.line,
                                f"表格“{m['stem']}”第 {i + 1} 个单元格应为“{label}”，实际是“{cells[i].text.strip()}”。")
    if [c.text.strip() for c in cells[15:20]] != GRID_HEADER:
        raise ImportProblem(source, cells[15].line or table.line,
                            f"表格“{m['stem']}”的指标表头应为 {' | '.join(GRID_HEADER)}。")
    if cells[11].text.strip():
        raise ImportProblem(source, cells[11].line, "“预算规模及资金用途”下面的合并单元格应为空。")
    agency = AGENCY_RE.match(cells[0].text.strip())
    if not agency:
        raise ImportProblem(source, cells[0].line, f"第一行应为“单位编码+单位名称”，实际是“{cells[0].text}”。")
    indicators: list[dict] = []
    level1 = ""
    for r in range(20, len(cells), 5):
        l1, l2, l3, desc, value = (c.text for c in cells[r:r + 5])
        if l1.strip():
            level1 = l1
        elif not level1:
            raise ImportProblem(source, cells[r].line, "第一行指标的一级指标为空。")
        indicators.append({"level1": level1, "level2": l2, "name": l3, "description": desc, "value": value})
    bookmark = next((b for b in table.bookmarks if b != "_GoBack"), "")
    stem = m["stem"]
    project = project_from_data(_project(cells, stem, bookmark, indicators), source, table.line, f"表格“{stem}”")
    return int(m["num"]), agency["code"], agency["name"], unit_cell.removeprefix("单位："), project


def _project(cells: list[Cell], stem: str, bookmark: str, indicators: list[dict]) -> dict:
    return {
        "name": cells[3].text,
        "title": None if stem == cells[3].text else f"{stem}绩效目标表",
        "bookmark": bookmark,
        "budget": {"total": cells[6].text, "fiscal": cells[8].text, "other": cells[10].text},
        "purpose": cells[12].text,
        "goals": cells[14].text,
        "indicators": indicators,
    }


def collect(tables: list[Table], source: str, texts: list[str], layout: Layout) -> ImportedSource:
    """Parse every table of one source and group the projects by budget unit, in published order."""
    if not tables:
        raise ImportProblem(source, None, "没有找到“N.项目名称绩效目标表”形式的表格标题。")
    units: dict[str, ImportedUnit] = {}
    numbers: list[int] = []
    money_units: set[str] = set()
    for table in tables:
        number, code, name, money_unit, project = parse_table(table, source)
        numbers.append(number)
        money_units.add(money_unit)
        unit = units.setdefault(code, ImportedUnit(code, name, code[:3], None))
        if unit.unit_name != name:
            raise ImportProblem(source, table.line, f"单位编码 {code} 对应了两个名称：“{unit.unit_name}”和“{name}”。")
        unit.projects.append(project)
    if len(money_units) > 1:
        raise ImportProblem(source, None, f"同一文件中的表格用了不同的金额单位：{'、'.join(sorted(money_units))}。")
    return ImportedSource(path=source, layout=layout.name, money_unit=money_units.pop(), framework=layout.framework,
                          year=guess_year(texts), region=guess_region([u.unit_name for u in units.values()]),
                          units=list(units.values()), numbers=numbers)
