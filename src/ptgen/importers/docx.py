"""Read published tables of the Tianjin layout from a .docx file.

Walks the body in order: a paragraph that carries a ``w:bookmarkStart`` and reads
``N.…绩效目标表`` starts a table; the cells of the following table(s) (each ``w:tc`` once,
so a horizontally merged cell counts once, a vertically merged continuation reads as empty)
are its cells.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from . import ImportedSource, ImportedUnit, ImportProblem
from .text import HEADING_RE
from .tianjin import Cell, Table, guess_region, guess_year, parse_table

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def _para_text(p) -> str:
    parts = []
    for node in p.iter(f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr"):
        if node.tag == f"{{{W}}}t":
            parts.append(node.text or "")
        elif node.tag == f"{{{W}}}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    vmerge = tc.find("w:tcPr/w:vMerge", NS)
    if vmerge is not None and vmerge.get(f"{{{W}}}val", "continue") == "continue":
        return ""
    return "\n".join(_para_text(p) for p in tc.findall("w:p", NS))


def read_docx(path: Path) -> ImportedSource:
    source = str(path)
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        raise ImportProblem(source, None, "不是有效的 Word (.docx) 文件。") from None
    try:
        body = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, huge_tree=False)).find("w:body", NS)
    except etree.XMLSyntaxError:
        raise ImportProblem(source, None, "Word 文件内容已损坏（document.xml 无法解析）。") from None
    tables: list[Table] = []
    current: Table | None = None
    texts: list[str] = []
    for index, el in enumerate(body, 1):
        if el.tag == f"{{{W}}}p":
            text = _para_text(el)
            marks = [b.get(f"{{{W}}}name") for b in el.iter(f"{{{W}}}bookmarkStart")]
            if HEADING_RE.match(text):
                current = Table(title=text.strip(), bookmarks=marks, cells=[], line=index)
                tables.append(current)
        elif el.tag == f"{{{W}}}tbl" and current is not None:
            for tr in el.findall("w:tr", NS):
                for tc in tr.findall("w:tc", NS):
                    text = _cell_text(tc)
                    texts.append(text)
                    current.cells.append(Cell(text, index))
    if not tables:
        raise ImportProblem(source, None, "没有找到“N.项目名称绩效目标表”形式的表格标题。")
    units: dict[str, ImportedUnit] = {}
    numbers: list[int] = []
    money_units: set[str] = set()
    for table in tables:
        number, code, name, money_unit, project = parse_table(table, source)
        numbers.append(number)
        money_units.add(money_unit)
        units.setdefault(code, ImportedUnit(code, name, code[:3], None)).projects.append(project)
    if len(money_units) > 1:
        raise ImportProblem(source, None, f"同一文件中的表格用了不同的金额单位：{'、'.join(sorted(money_units))}。")
    return ImportedSource(path=source, layout="tianjin", money_unit=money_units.pop(), framework="mof2015",
                          year=guess_year(texts), region=guess_region([u.unit_name for u in units.values()]),
                          units=list(units.values()), numbers=numbers)
