"""Read published tables from a .docx file, by the layout definitions.

Walks the body in order: a numbered paragraph (``N.…``, not a line of the table of contents)
followed by one or more tables starts a project; its tables are matched against each known
layout definition's tables, row by row, by their labels (compared with all whitespace removed).
Each ``value`` / ``amount`` cell of the definition then names the field the cell under it holds,
a ``text`` cell with fields in it (``{unit.code}{unit.name}``, ``单位：{settings.money_unit}``)
gives the unit, department, money unit or year, and the grid's columns give the indicators (a
vertically merged continuation repeats the value above).  No code knows any form by its name.
"""
from __future__ import annotations

import functools
import re
import typing
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .. import layouts
from ..layouts import Layout, TableDef
from ..model import Settings
from ..output import describe_os_error
from . import (ImportedSource, ImportedUnit, ImportProblem, guess_region, guess_year, known_layouts, most_specific,
               project_from_data, squash)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
DOCUMENT = "word/document.xml"
# Limits, checked on the zip directory before anything is inflated (a real publication's
# document.xml is a few MB and compresses 5–20 times).
MAX_XML_BYTES = 64 * 1024 * 1024    # word/document.xml, uncompressed
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all members, uncompressed, as the directory declares them
MAX_RATIO = 100                      # uncompressed / compressed, for members over RATIO_FROM
RATIO_FROM = 1024 * 1024
MAX_MEMBERS = 10000
CHUNK = 1024 * 1024
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


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


def _cell_paras(tc) -> list[str]:
    """A cell's paragraphs, without the spacer a table can swallow: trailing empty paragraphs that
    end in one holding only spaces (an empty paragraph Word or a converter put after the table)."""
    paras = [_para_text(p) for p in tc.findall("w:p", NS)]
    if paras and paras[-1] and not paras[-1].strip():
        while paras and not paras[-1].strip():
            paras.pop()
    return paras


def _is_toc_entry(p) -> bool:
    """A line of a table of contents (it repeats every title): a TOC style, or a PAGEREF field."""
    style = p.find("w:pPr/w:pStyle", NS)
    if style is not None and style.get(f"{{{W}}}val", "").lower().startswith("toc"):
        return True
    return any("PAGEREF" in (i.text or "") or (i.text or "").strip().startswith("TOC ")
               for i in p.iter(f"{{{W}}}instrText"))


def _document_xml(path: Path) -> bytes:
    """``word/document.xml``, read only after the zip directory shows it is sane (see the limits),
    and in bounded chunks, so a zip bomb or a lying size header cannot inflate past the cap."""
    source = str(path)
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportProblem(source, None, "不是 zip 压缩包，所以不是有效的 Word (.docx) 文件。") from None
    except OSError as exc:
        raise ImportProblem(source, None, f"无法读取：{describe_os_error(exc)}") from None
    with z:
        _check_directory(z.infolist(), source)
        try:
            info = z.getinfo(DOCUMENT)
        except KeyError:
            raise ImportProblem(source, None, f"缺少 {DOCUMENT}：这个 zip 文件不是 Word (.docx) 文档。") from None
        if info.file_size > MAX_XML_BYTES:
            raise ImportProblem(source, None, f"{DOCUMENT} 解压后有 {_mb(info.file_size)}，超过上限 "
                                f"{_mb(MAX_XML_BYTES)}：可能是“压缩炸弹”，已拒绝。")
        chunks, size = [], 0
        try:
            with z.open(info) as f:
                while chunk := f.read(CHUNK):
                    size += len(chunk)
                    if size > MAX_XML_BYTES:
                        raise ImportProblem(source, None, f"{DOCUMENT} 解压后超过上限 {_mb(MAX_XML_BYTES)}"
                                            "（压缩包里记录的大小不实）：可能是“压缩炸弹”，已拒绝。")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
            raise ImportProblem(source, None, f"Word 文件已损坏或已加密（{DOCUMENT} 无法解压）。") from None
    return b"".join(chunks)


def _check_directory(infos: list[zipfile.ZipInfo], source: str) -> None:
    """The limits, from the sizes the zip directory declares (nothing inflated yet)."""
    if len(infos) > MAX_MEMBERS:
        raise ImportProblem(source, None, f"压缩包里有 {len(infos)} 个文件，超过上限 {MAX_MEMBERS}：不像 Word 文档，已拒绝。")
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_FROM and ratio > MAX_RATIO:
            raise ImportProblem(source, None, f"{i.filename} 压缩了 {ratio:.0f} 倍（{_mb(i.compress_size)} 解压成 "
                                f"{_mb(i.file_size)}），超过上限 {MAX_RATIO} 倍：可能是“压缩炸弹”，已拒绝。")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise ImportProblem(source, None, f"解压后共 {_mb(total)}，超过上限 {_mb(MAX_TOTAL_BYTES)}：可能是“压缩炸弹”，已拒绝。")


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.0f} KB"


@dataclass
class _Cell:
    cont: bool          # a vertically merged continuation (w:vMerge without restart)
    text: str

    @property
    def key(self) -> str:
        return squash(self.text)


@dataclass
class _Group:
    """A numbered heading paragraph and the tables under it."""

    title: str
    bookmarks: list[str]
    line: int
    tables: list[list[list[_Cell]]] = field(default_factory=list)
    headings: tuple[str, str] = ("", "")  # the department's and the unit's heading above it (ptgen writes both)


def _rows(tbl) -> list[list[_Cell]]:
    rows = []
    for tr in tbl.findall("w:tr", NS):
        row = []
        for tc in tr.findall("w:tc", NS):  # each w:tc once: a horizontally merged cell counts once
            vmerge = tc.find("w:tcPr/w:vMerge", NS)
            cont = vmerge is not None and vmerge.get(f"{{{W}}}val", "continue") == "continue"
            text = "\n".join(_cell_paras(tc))
            row.append(_Cell(cont, "" if cont or not text.strip() else text))
        rows.append(row)
    return rows


_NUMBERED = re.compile(r"^\s*(\d+)\.(.+?)\s*$", re.S)


_HEADING_STYLE = re.compile(r"^heading\s*([12])$", re.I)


def _heading_level(p) -> int | None:
    """1 or 2 for a department or unit heading (style Heading1 / Heading2, or outline level 1 / 2)."""
    style = p.find("w:pPr/w:pStyle", NS)
    m = _HEADING_STYLE.match(style.get(f"{{{W}}}val", "")) if style is not None else None
    if m:
        return int(m[1])
    outline = p.find("w:pPr/w:outlineLvl", NS)
    level = outline.get(f"{{{W}}}val", "") if outline is not None else ""
    return int(level) + 1 if level in ("0", "1") else None


def _groups(body) -> list[_Group]:
    groups: list[_Group] = []
    pending: _Group | None = None   # a numbered paragraph, waiting for its first table
    current: _Group | None = None   # the group tables are being added to
    loose: list[str] = []           # bookmarks Word put between paragraphs: they mark the next one
    headings = ["", ""]             # the last department and unit heading
    for index, el in enumerate(body, 1):
        if el.tag == f"{{{W}}}bookmarkStart":
            loose.append(el.get(f"{{{W}}}name"))
        elif el.tag == f"{{{W}}}p":
            text = _para_text(el)
            if not text.strip():
                continue  # an empty or spacer paragraph: not content
            current = None
            pending = None
            marks, loose = loose + [b.get(f"{{{W}}}name") for b in el.iter(f"{{{W}}}bookmarkStart")], []
            if _is_toc_entry(el):
                continue
            if _NUMBERED.match(text):
                pending = _Group(text.strip(), [m for m in marks if m and m != "_GoBack"], index,
                                 headings=(headings[0], headings[1]))
            elif (level := _heading_level(el)) is not None:
                headings[level - 1:] = [text.strip()] + [""] * (2 - level)
        elif el.tag == f"{{{W}}}tbl":
            loose = []
            if pending is not None:
                current, pending = pending, None
                groups.append(current)
            if current is not None:
                current.tables.append(_rows(el))
    return groups


# --- matching a definition --------------------------------------------------------------------------

_FIELD_PATTERNS = {"code": r"\d*", "year": r"\d{4}"}


@functools.cache
def _pattern(template: str, squashed: bool) -> tuple[re.Pattern, tuple[str, ...]]:
    """A label or text with ``{object.field}`` in it as a pattern that captures those fields (and
    the ``object.field`` names, in the order of the pattern's groups f0, f1, …)."""
    parts, names = [], []
    pos = 0
    for m in layouts.PLACEHOLDER_RE.finditer(template):
        parts.append(_literal(template[pos:m.start()], squashed))
        parts.append(f"(?P<f{len(names)}>{_FIELD_PATTERNS.get(m.group(2), '.*?')})")
        names.append(f"{m.group(1)}.{m.group(2)}")
        pos = m.end()
    parts.append(_literal(template[pos:], squashed))
    return re.compile(r"\s*" + "".join(parts) + r"\s*", re.S), tuple(names)


def _literal(text: str, squashed: bool) -> str:
    if squashed:
        return "".join(re.escape(ch) + r"\s*" for ch in squash(text))
    return r"\s*".join(re.escape(part) for part in re.split(r"\s+", text))


class _Misfit(Exception):
    def __init__(self, message: str, progress: int):
        super().__init__(message)
        self.message, self.progress = message, progress


def _set(data: dict, path: str, value) -> None:
    head, _, rest = path.partition(".")
    if rest:
        data.setdefault(head, {})[rest] = value
    else:
        data[head] = value


def _fit_row(rowdef, row: list[_Cell], layout: Layout, data: dict, found: dict) -> str | None:
    """Read one row into ``data`` / ``found``; or say why it does not fit (nothing is read then)."""
    if len(row) != len(rowdef.cells):
        return f"应有 {len(rowdef.cells)} 个单元格，实际有 {len(row)} 个"
    values, captured = {}, {}
    for i, (c, cell) in enumerate(zip(rowdef.cells, row), 1):
        kind = c.kind
        if kind in ("label", "text"):
            template = c.label if kind == "label" else c.text
            pat, names = _pattern(template, squashed=kind == "label")
            m = pat.fullmatch(cell.text)
            if not m:
                return f"第 {i} 个单元格应为“{template}”，实际是“{cell.text.strip()[:30]}”"
            for i, name in enumerate(names):
                captured[name] = m[f"f{i}"].strip()
        elif kind == "value":
            values[c.value] = cell.text
        elif kind == "amount":
            text = cell.text.strip()
            if layout.money.empty and text == layout.money.empty.strip():
                text = ""  # how the form prints an empty amount ("—", "0" …): empty, as it was written
            values[c.amount] = text.replace(",", "") if layout.money.thousands else text
    for path, value in values.items():
        _set(data, path, value)
    found.update(captured)
    return None


def _fit_rows(t: TableDef, rows: list[list[_Cell]], layout: Layout, data: dict, found: dict, done: int) -> int:
    """Read the definition's rows from the top of ``rows``; a definition row the table leaves out is
    skipped when the table's row fits a later one.  Returns how many table rows were read."""
    r = 0
    for j, rowdef in enumerate(t.rows):
        why = _fit_row(rowdef, rows[r], layout, data, found) if r < len(rows) else "表格在这里结束了"
        if why is None:
            r += 1
            continue
        if r < len(rows) and any(_fit_row(later, rows[r], layout, {}, {}) is None for later in t.rows[j + 1:]):
            continue  # an optional row left out
        raise _Misfit(f"第 {r + 1} 行{why}", done + r)
    return r


def _fit_grid(t: TableDef, rows: list[list[_Cell]], done: int) -> list[dict]:
    grid = t.grid
    heads = ([grid.side_label] if grid.side_label else []) + [c.head for c in grid.columns]
    if not rows:
        raise _Misfit("没有指标表", done)
    if [c.key for c in rows[0]] != [squash(h) for h in heads]:
        raise _Misfit(f"指标表的表头应为 {' | '.join(heads)}", done)
    skip = 1 if grid.side_label else 0  # the side label's column: merged down, holds nothing
    indicators: list[dict] = []
    above: dict[int, str] = {}
    for n, row in enumerate(rows[1:], 2):
        if [c.key for c in row] == [c.key for c in rows[0]]:
            continue  # the header row again (a continued table)
        if len(row) != len(heads):
            raise _Misfit(f"指标表第 {n} 行应有 {len(heads)} 个单元格，实际有 {len(row)} 个", done + n)
        item = {}
        for i, (c, cell) in enumerate(zip(grid.columns, row[skip:])):
            value = above.get(i, "") if cell.cont else cell.text
            above[i] = value
            item[c.field] = value
        indicators.append(item)
    return indicators


def _head_keys(grid) -> list[str]:
    return [squash(h) for h in ([grid.side_label] if grid.side_label else []) + [c.head for c in grid.columns]]


def _joined(tables: list[list[list[_Cell]]], defs: list[TableDef]) -> list[list[list[_Cell]]]:
    """The tables, with an indicator grid that a page break or a converter cut in two made whole
    again: a table that starts with a grid's header row, after the table that has that row, continues it;
    so does one that starts with the header of a grid that sits below its form's rows (ptgen's DOCX
    puts such a grid in a table of its own, so that its header row repeats on every page)."""
    heads = [_head_keys(t.grid) for t in defs if t.grid is not None]
    below = [_head_keys(t.grid) for t in defs if t.grid is not None and t.rows]
    out: list[list[list[_Cell]]] = []
    for rows in tables:
        first = [c.key for c in rows[0]] if rows else None
        if out and first in heads and (first in below or any([c.key for c in row] == first for row in out[-1])):
            out[-1] = out[-1] + rows
        else:
            out.append(rows)
    return out


def _fit(layout: Layout, group: _Group) -> tuple[dict, dict]:
    """``(project data, captured fields)`` of a group by ``layout``; :class:`_Misfit` if it is not that form."""
    defs = [t for t in layout.tables if not t.spacer]
    tables = _joined(group.tables, defs)
    if len(tables) != len(defs):
        raise _Misfit(f"应有 {len(defs)} 张表格，实际有 {len(tables)} 张", -1)
    data: dict = {}
    found: dict = {}
    done = 0
    for t, rows in zip(defs, tables):
        r = _fit_rows(t, rows, layout, data, found, done)
        if t.grid is not None:
            data["indicators"] = _fit_grid(t, rows[r:], done + r)
        elif r < len(rows):
            raise _Misfit(f"第 {r + 1} 行之后还有多余的行", done + r)
        done += len(rows)
    return data, found


def _read_group(group: _Group, candidates: list[Layout], source: str) -> tuple[Layout, dict, dict]:
    best: tuple[int, Layout, str] | None = None  # the form the tables came closest to, for the message
    fits: dict[str, tuple[Layout, dict, dict]] = {}
    for layout in candidates:
        try:
            data, found = _fit(layout, group)
        except _Misfit as exc:
            if best is None or exc.progress > best[0]:
                best = (exc.progress, layout, exc.message)
            continue
        fits[layout.name] = (layout, data, found)
    if fits:  # never whichever definition was tried first: the most specific, or a message
        return fits[most_specific([f[0] for f in fits.values()], source, group.line).name]
    assert best is not None
    _, layout, why = best
    raise ImportProblem(source, group.line, f"“{group.title}”下面的表格不是已知的版式"
                        f"（按{layout.title}：{why}）。")


def _code_before(heading: str, name: str) -> str | None:
    """The code a heading writes before ``name`` (``360013教育部留学服务中心``), or None."""
    code = heading.removesuffix(name).strip() if heading.endswith(name) else ""
    return code if code.isdigit() else None


def _code_and_name(heading: str, code: str | None) -> tuple[str | None, str]:
    """A department heading's code and name: ``360教育部`` → (360, 教育部); ``code`` if known."""
    if code and heading.startswith(code):
        return code, heading[len(code):].strip()
    m = re.match(r"^(\d*)\s*(.+)$", heading, re.S)
    return (code or m[1] or None), m[2]


def read_docx(path: Path, own: list[Layout] = ()) -> ImportedSource:
    source = str(path)
    body = _body(path)
    groups = _groups(body)
    if not groups:
        raise ImportProblem(source, None, "没有找到表格标题：每张表格上面应有“N.项目名称”形式的标题段落。")
    candidates = known_layouts(own)
    chosen: Layout | None = None
    units: dict[str, ImportedUnit] = {}
    numbers: list[int] = []
    found_all: dict[str, str] = {}
    texts: list[str] = []
    for group in groups:
        layout, data, found = _read_group(group, [chosen] if chosen else candidates, source)
        chosen = layout
        number, rest = _NUMBERED.match(group.title).groups()
        numbers.append(int(number))
        name = data.get("name", "")
        data["title"] = None if rest == name + layout.heading.suffix else rest
        data["bookmark"] = group.bookmarks[0] if group.bookmarks else ""
        data = {k: v for k, v in data.items() if v is not None}
        project = project_from_data(data, source, group.line, f"表格“{rest}”", layout)
        unit_name = found.get("unit.name", "")
        code = found.get("unit.code")
        if not unit_name and group.headings[1]:  # a form that prints no unit: its heading (ptgen writes one)
            code, unit_name = _code_and_name(group.headings[1], code)
        if not unit_name:
            raise ImportProblem(source, group.line, f"表格“{rest}”里没有单位名称，上面也没有单位标题。")
        code = code or _code_before(group.headings[1], unit_name)
        dept_code, dept_name = found.get("department.code"), found.get("department.name")
        if not dept_name and group.headings[0]:  # a form that prints no department: its heading
            dept_code, dept_name = _code_and_name(group.headings[0], dept_code)
        dept_code = dept_code or (code[:3] if code and len(code) > 3 else None)
        unit = units.setdefault(code or unit_name, ImportedUnit(code, unit_name, dept_code, dept_name))
        if unit.unit_name != unit_name:
            raise ImportProblem(source, group.line, f"单位编码 {code} 对应了两个名称：“{unit.unit_name}”和“{unit_name}”。")
        unit.projects.append(project)
        for key in ("settings.money_unit", "settings.year"):
            if found.get(key):
                if found_all.setdefault(key, found[key]) != found[key]:
                    raise ImportProblem(source, group.line, f"同一文件中的表格写法不一致：“{found_all[key]}”和“{found[key]}”。")
        texts += [c.text for rows in group.tables for row in rows for c in row]
    assert chosen is not None
    year = found_all.get("settings.year")
    money_unit = found_all.get("settings.money_unit") or chosen.defaults.money_unit or "万元"
    allowed = typing.get_args(Settings.model_fields["money_unit"].annotation)
    if money_unit not in allowed:
        raise ImportProblem(source, None, f"金额单位“{money_unit}”不是 {'或'.join(allowed)}。")
    return ImportedSource(path=source, layout=chosen.name, money_unit=money_unit, framework=chosen.framework,
                          year=int(year) if year else guess_year(texts),
                          region=guess_region([u.unit_name for u in units.values()]),
                          units=list(units.values()), numbers=numbers)


def _body(path: Path):
    source = str(path)
    xml = _document_xml(path)
    # No DTD, no entities, no network: Word never writes a DOCTYPE, and one is how XML bombs work.
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False)
    dtd = ImportProblem(source, None, f"{DOCUMENT} 含有 DTD（DOCTYPE、实体声明）：Word 从不写这种内容，"
                        "为安全起见拒绝导入。请在 Word 里另存为 .docx 后再导入。")
    first = _FIRST_ELEMENT.search(xml)
    if b"<!DOCTYPE" in xml[:first.start() if first else len(xml)]:
        raise dtd
    try:
        tree = etree.fromstring(xml, parser=parser).getroottree()
    except etree.XMLSyntaxError:
        raise ImportProblem(source, None, f"Word 文件内容已损坏（{DOCUMENT} 无法解析）。") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise dtd
    body = tree.getroot().find("w:body", NS)
    if body is None:
        raise ImportProblem(source, None, f"{DOCUMENT} 里没有正文（w:body）：不是 Word 文档。")
    return body
