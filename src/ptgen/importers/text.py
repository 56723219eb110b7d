"""Read published tables from extracted text (the form of ``shared/seeds``).

The text form: a line starting with a tab is one table cell; other lines continue the cell
above (a further paragraph of it, possibly empty); a blank line ends a table row;
``[bookmark: X]`` marks a Word bookmark.  Row boundaries are therefore ambiguous when a cell
ends with empty paragraphs; the tab-cells reader resolves that with the layout's known row
shapes (2, 2, 7, 2, 2 cells, then rows of 5).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..layouts import Layout
from . import ImportedSource, ImportProblem, form_labels, known_layouts, most_specific, squash
from .tab_cells import HEADER_CELLS, Cell, Table, collect

# A source is a few KB (a 1,000-table book a few MB); parsing takes ~8 times its size in memory.
MAX_TEXT_BYTES = 16 * 1024 * 1024

BOOKMARK_RE = re.compile(r"\[bookmark: ([^\]]+)\]")
HEADING_RE = re.compile(r"^\s*(?:\[bookmark: [^\]]+\])*\s*\d+\..*绩效目标表\s*$")
# Cell positions (within a table of the tab-cells form) that end a row, and how many blank lines follow a row
# there before any trailing empty paragraphs of the cell are counted.
_HEADER_ROW_ENDS = {1: 1, 3: 1, 10: 1, 12: 1, 14: 3}


def detect(text: str, candidates: list[Layout] | None = None, source: str = "") -> Layout | None:
    """The layout an extracted text is in: of the known layouts (or ``candidates``), the one whose
    labels (:func:`form_labels`) all appear in it, the most specific if several do (a tie is an
    :class:`ImportProblem`); or None.  Forms read only from .docx are detected too, so that their
    text is refused by name."""
    flat = squash(text)
    fits = [layout for layout in (known_layouts() if candidates is None else candidates)
            if (labels := form_labels(layout)) and all(label in flat for label in labels)]
    return most_specific(fits, source, None) if fits else None


def _tables(text: str) -> list[tuple[Table, list[int], list[list[str]]]]:
    """Split into tables; each cell gets its paragraphs and the count of blank lines after it."""
    tables: list[tuple[Table, list[int], list[list[str]]]] = []
    current: Table | None = None
    blanks: list[int] = []
    paras: list[list[str]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if HEADING_RE.match(line) and not line.startswith("\t"):
            current = Table(title=BOOKMARK_RE.sub("", line).strip(), bookmarks=BOOKMARK_RE.findall(line),
                            cells=[], line=lineno)
            blanks, paras = [], []
            tables.append((current, blanks, paras))
        elif current is None:
            if line.strip():
                raise ImportProblem("", lineno, f"第一个表格标题之前有无法识别的文字“{line.strip()[:30]}”。")
        elif line.startswith("\t"):
            current.cells.append(Cell("", lineno))
            paras.append([line[1:]])
            blanks.append(0)
        elif not current.cells:
            if line.strip():
                raise ImportProblem("", lineno, f"标题和表格之间有无法识别的文字“{line.strip()[:30]}”。")
        elif line == "":
            blanks[-1] += 1
        else:
            # A non-empty continuation line: the blank lines before it were empty paragraphs.
            paras[-1].extend([""] * blanks[-1])
            blanks[-1] = 0
            paras[-1].append(line)
    return tables


def _cell_texts(table: Table, blanks: list[int], paras: list[list[str]]) -> None:
    n = len(table.cells)
    for i, cell in enumerate(table.cells):
        if i < HEADER_CELLS:
            row_sep = _HEADER_ROW_ENDS.get(i, 0)
        elif i == n - 1:
            row_sep = blanks[i]  # the table's end: what follows belongs to the page, not the cell
        else:
            row_sep = 1 if (i - HEADER_CELLS) % 5 == 4 else 0
        extra = max(blanks[i] - row_sep, 0)
        cell.text = "\n".join(paras[i] + [""] * extra)


def read_tab_cells(text: str, source: str, layout: Layout) -> ImportedSource:
    """Word's extracted text of the heading-and-cells tables (a cell a line, after a tab)."""
    tables = _tables(text)
    for table, blanks, paras in tables:
        _cell_texts(table, blanks, paras)
    return collect([t for t, _, _ in tables], source, [text], layout)


def _read_pdf_lines(text: str, source: str, layout: Layout) -> ImportedSource:
    from .pdf_lines import read_pdf_lines
    return read_pdf_lines(text, source, layout)


# How a layout's ``recognise.text_reader`` is read.
TEXT_READERS = {"tab-cells": read_tab_cells, "pdf-lines": _read_pdf_lines}


def read_text(path: Path, own: list[Layout] = ()) -> ImportedSource:
    """Read one extracted-text source of any layout that can be read from text."""
    source = str(path)
    with open(path, "rb") as f:  # the size is checked before anything is read
        size = os.fstat(f.fileno()).st_size
        data = f.read(MAX_TEXT_BYTES + 1) if size <= MAX_TEXT_BYTES else b""
    if size > MAX_TEXT_BYTES or len(data) > MAX_TEXT_BYTES:
        raise ImportProblem(source, None, f"文件太大（{max(size, len(data)) / 1048576:.1f} MB），上限是 "
                                          f"{MAX_TEXT_BYTES >> 20} MB：已发布的表格导出的文字只有几 KB 到几 MB，请确认选对了文件。")
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ImportProblem(source, None, "文件不是 UTF-8 编码的文本。") from None
    layout = detect(text, known_layouts(own), source=source)
    readable = "、".join(f"{l.name}（{l.title}）" for l in known_layouts(own) if l.recognise.text_reader)
    if layout is None:
        raise ImportProblem(source, None, f"无法识别的文件：不是已知版式的表格（可以从文本导入的版式：{readable}）。")
    if layout.recognise.text_reader is None:
        raise ImportProblem(source, None, f"这是{layout.title}（{layout.name}）的表格，这个版式只能从 Word 文件（.docx）"
                                          f"导入，不能从抽取的文字导入：请导入发布的 .docx 文件（可以从文本导入的版式：{readable}）。")
    return TEXT_READERS[layout.recognise.text_reader](text, source, layout)
