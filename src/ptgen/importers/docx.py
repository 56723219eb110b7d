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

from . import ImportedSource, ImportProblem
from .text import HEADING_RE
from .tianjin import Cell, Table, collect

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


def _is_toc_entry(p) -> bool:
    """A line of a table of contents (it repeats every title): a TOC style, or a PAGEREF field."""
    style = p.find("w:pPr/w:pStyle", NS)
    if style is not None and style.get(f"{{{W}}}val", "").lower().startswith("toc"):
        return True
    return any("PAGEREF" in (i.text or "") or (i.text or "").strip().startswith("TOC ")
               for i in p.iter(f"{{{W}}}instrText"))


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
            if HEADING_RE.match(text) and not _is_toc_entry(el):
                current = Table(title=text.strip(), bookmarks=marks, cells=[], line=index)
                tables.append(current)
        elif el.tag == f"{{{W}}}tbl" and current is not None:
            for tr in el.findall("w:tr", NS):
                for tc in tr.findall("w:tc", NS):
                    text = _cell_text(tc)
                    texts.append(text)
                    current.cells.append(Cell(text, index))
    return collect(tables, source, texts)
