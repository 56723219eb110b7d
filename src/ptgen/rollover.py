"""``ptgen rollover``: next year's publication from this year's.

Every file of the publication is carried over, in the same tree and order.  Content files are
edited in place, character by character, so comments, quoting and layout stay exactly as they were
(a value is never re-written, only the characters that change): the budget year where it means the
budget year (``2025年度``, ``2025年12月31日前``, ``2025.07-2026.01``, ``2025-12-31``, the title,
``year:``), amounts emptied (``--empty-amounts``), bookmarks renamed (``--bookmarks new``) and each
project's identity added where it has none (rollover keeps the ones it has: next year's project is
the same project).  Every edit is verified by reading the file again; every change is reported with
its file and line, and every year-like text that may not mean the budget year (a document number
``〔2019〕``, another year, a year in a name, a phase ``（四期）``) is left alone and listed for a person.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import ids, layouts, output, yamlio
from .errors import UsageError, UserError
from .layouts import field_title
from .load import DEPARTMENT_FILE, SETTINGS_FILE, UNIT_FILE, load
from .model import Publication

YEAR_TOKEN = re.compile(r"(?<![0-9０-９])(?:19|20)[0-9]{2}(?![0-9０-９])")
# after the year: 年 (年度, 年底, 年12月 …), 全年, or a month after a date separator (2025.07, 2025-12-31)
_YEARISH_AFTER = re.compile(r"\s*(?:年|全年)|[-./／][0-9]{1,2}(?![0-9])")
_DOC_NUMBER = re.compile(r"[〔\[［【(（]$")
_DOC_NUMBER_END = re.compile(r"^[〕\]］】)）]")
# a range from the budget year into the next: 2025.07-2026.01, 2025年7月至2026年1月
_RANGE_GAP = re.compile(r"^[^，。；;、\n]{0,12}?(?:-|—|–|~|～|至|到)\s*$")
# a year that is a number: ≥2000.00(人次), 2000元, =2019个
_NUMBER_BEFORE = re.compile(r"[≥≤=<>＞＜±]\s*$")
_NUMBER_AFTER = re.compile(r"\.(?!(?:0?[1-9]|1[0-2])(?![0-9]))[0-9]|\s*[万元个人次台套件项户名%％]")
# a span of years: 2019-2021, 2025至2027年
_SPAN_AFTER = re.compile(r"\s*(?:-|—|–|~|～|至|到)\s*(?:19|20)[0-9]{2}(?![0-9])")
# a phase of a project that may go on next year: （四期）, 二期系统
PHASE_RE = re.compile(r"[（(]([一二三四五六七八九十]+|[0-9]+)期[）)]|(?<![周时定逾长短初末预学各两])"
                      r"([一二三四五六七八九十]+|[0-9]+)期(?=项目|系统|工程|建设|服务)")

# Fields whose text is a name: a year there is never changed (the file name and identity follow the
# name), only listed.
NAME_FIELDS = {("name",), ("title",)}
LISTED_FILES = {SETTINGS_FILE: "settings", DEPARTMENT_FILE: "department", UNIT_FILE: "unit"}

SHIFT, LEAVE = "shift", "leave"
REASON_OTHER_YEAR = "不是预算年度的年份（可能是历史、政策或规划年份）"
REASON_DOC_NUMBER = "文件编号里的年份"
REASON_NOT_DATE = "年份后面不是“年”或日期（可能是活动、届次或名称的一部分）"
REASON_NAME = "名称里的年份：名称不自动改（文件名、书签和项目标识都不变），需要改名请手工修改"
REASON_NEXT_YEAR = "预算年度的下一年（不在从本年度开始的期间里）"
REASON_DOC_TITLE = "文件名称（《》）里的年份"
REASON_SPAN = "跨年度的期间（多年项目的起止年份）"
REASON_PHASE = "项目期次：下一年度可能是下一期"


@dataclass
class Change:
    file: str   # relative to the new publication's parent folder (as check names files)
    line: int
    field: str
    old: str
    new: str


@dataclass
class Left:
    file: str
    line: int
    field: str
    text: str
    reason: str


@dataclass
class RolloverResult:
    source: Path
    dest: Path
    year_from: int
    year_to: int
    changes: list[Change] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    files: int = 0          # content files written
    copied: list[str] = field(default_factory=list)   # other files carried over as they are
    notes: list[str] = field(default_factory=list)


def classify(text: str, year: int, delta: int) -> list[tuple[int, int, str, str]]:
    """The year-like tokens of ``text``: ``(start, end, SHIFT, new)`` for a budget year to change
    (shifted by ``delta``), ``(start, end, LEAVE, reason)`` for one a person should look at."""
    out: list[tuple[int, int, str, str]] = []
    last_shift_end = None
    span_end = -1
    for m in YEAR_TOKEN.finditer(text):
        v, a, b = int(m.group()), m.start(), m.end()
        before, after = text[:a], text[b:]
        if a < span_end:
            continue  # the end of a span already listed
        if _NUMBER_BEFORE.search(before) or _NUMBER_AFTER.match(after):
            last_shift_end = None
            continue  # a number, not a year
        yearish = _YEARISH_AFTER.match(after) is not None
        in_range = (last_shift_end is not None and _RANGE_GAP.match(text[last_shift_end:a]) is not None
                    and (yearish or not after.strip()[:1].isalnum()))
        if _DOC_NUMBER.search(before) and _DOC_NUMBER_END.match(after):
            out.append((a, b, LEAVE, REASON_DOC_NUMBER))
        elif before.rfind("《") > before.rfind("》"):
            out.append((a, b, LEAVE, REASON_DOC_TITLE))
        elif not in_range and (span := _SPAN_AFTER.match(after)):
            out.append((a, b + span.end(), LEAVE, REASON_SPAN))
            span_end = b + span.end()
        elif v == year and yearish:
            out.append((a, b, SHIFT, str(v + delta)))
            last_shift_end = b
            continue
        elif v == year + 1 and in_range:
            out.append((a, b, SHIFT, str(v + delta)))
            last_shift_end = b
            continue
        elif v == year:
            out.append((a, b, LEAVE, REASON_NOT_DATE))
        elif v == year + 1:
            out.append((a, b, LEAVE, REASON_NEXT_YEAR))
        else:
            out.append((a, b, LEAVE, REASON_OTHER_YEAR))
        last_shift_end = None
    return out


def shift_text(text: str, year: int, delta: int) -> str:
    """``text`` with the budget year (where it means it) moved by ``delta`` years, as rollover moves it."""
    for a, b, what, new in classify(text, year, delta):
        if what == SHIFT:
            text = text[:a] + new + text[b:]  # four digits for four: the offsets stay
    return text


def _excerpt(text: str, start: int, end: int, before: int = 8, after: int = 12) -> str:
    """The part of ``text`` around ``start``–``end``, on its line, with … where it is cut."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    a, b = max(line_start, start - before), min(line_end, end + after)
    return ("…" if a > line_start else "") + text[a:b] + ("…" if b < line_end else "")


# --- reading a file's nodes with their places in the text ---------------------------------------

def _nodes(node: yaml.Node, path: tuple = ()):
    """``(path, key node or None, value node)`` of every scalar in ``node``."""
    if isinstance(node, yaml.ScalarNode):
        yield path, node
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _nodes(item, path + (i,))
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield from _nodes(v, path + (k.value,))


def _key_node(root: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in root.value if k.value == key), None)


def _set(data: Any, path: tuple, value: str) -> None:
    for p in path[:-1]:
        data = data[p]
    data[path[-1]] = value


@dataclass
class _File:
    rel: str                # relative to the publication folder
    kind: str               # settings | department | unit | project
    text: str
    bom: bool
    edits: list[tuple[int, int, str]] = field(default_factory=list)    # (start, end, replacement) in text
    expected: Any = None    # the values after the edits, to verify against
    insert: tuple[int, str] | None = None   # (offset, text) a line added (the identity)
    changes: list[tuple[int, str, str, str]] = field(default_factory=list)  # (offset, field, old, new)
    left: list[tuple[int, str, str, str]] = field(default_factory=list)     # (offset, field, text, reason)


def _label(kind: str, path: tuple, layout) -> str:
    """A field's Chinese name in the report."""
    if kind == "settings":
        return {"title": "出版物标题", "year": "预算年度"}.get(path[0], str(path[0]))
    if kind in ("department", "unit"):
        return ("部门" if kind == "department" else "单位") + {"name": "名称", "code": "编码"}.get(path[0], str(path[0]))
    if path[0] == "indicators" and len(path) >= 3:
        col = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "description": "绩效指标描述",
               "value": "指标值"}.get(path[2]) or field_title(str(path[2]), layout)
        return f"第 {path[1] + 1} 行指标的{col}"
    return field_title(".".join(map(str, path)), layout)


def _scan_value(f: _File, path: tuple, node: yaml.ScalarNode, value: str, year: int, delta: int, label: str,
                names_only: bool) -> str:
    """Record the year edits and listings of one scalar; returns its new value."""
    tokens = classify(value, year, delta)
    if not tokens and not PHASE_RE.search(value):
        return value
    span = f.text[node.start_mark.index:node.end_mark.index]
    in_source = [m.start() + node.start_mark.index for m in YEAR_TOKEN.finditer(span)]
    seen = 0
    for m in PHASE_RE.finditer(value):
        at = span.find(m.group(), seen)  # the phase as typed (a block's line, a plain scalar's text)
        seen = at + 1 if at >= 0 else seen
        where = node.start_mark.index + at if at >= 0 else node.start_mark.index
        f.left.append((where, label, _excerpt(value, m.start(), m.end()), REASON_PHASE))
    new = value
    in_value = [m.start() for m in YEAR_TOKEN.finditer(value)]  # the same tokens, in the value
    shifted = [t for t in tokens if t[2] == SHIFT and not names_only]
    if shifted and len(in_source) != len(in_value):
        line = node.start_mark.line + 1
        raise UserError(f"{f.rel}:{line} 的文字写法特殊（引号里有转义字符），rollover 无法只改其中的年份而不动别的字符。",
                        hint="把这段文字里以“\\”开头的转义写成字符本身，再转入下一年度；没有写入任何文件。")
    groups: list[list[tuple[int, int, str, str, int]]] = []
    for a, b, what, new_or_reason in tokens:
        where = in_source[in_value.index(a)] if len(in_source) == len(in_value) else node.start_mark.index
        if what == SHIFT and not names_only:
            f.edits.append((where, where + (b - a), new_or_reason))
            if groups and a - groups[-1][-1][1] <= 12 and "\n" not in value[groups[-1][-1][1]:a]:
                groups[-1].append((a, b, what, new_or_reason, where))
            else:
                groups.append([(a, b, what, new_or_reason, where)])
        else:
            reason = REASON_NAME if names_only else new_or_reason
            f.left.append((where, label, _excerpt(value, a, b), reason))
    for a, b, what, n in tokens:
        if what == SHIFT and not names_only:
            new = new[:a] + n + new[b:]  # four digits for four: every offset stays
    for g in groups:
        a, b = g[0][0], g[-1][1]
        f.changes.append((g[0][4], label, _excerpt(value, a, b), _excerpt(new, a, b)))
    return new


class _Plan:
    def __init__(self, pub: Publication, year_to: int, empty_amounts: bool, new_bookmarks: bool):
        self.pub = pub
        self.year = pub.settings.year
        self.delta = year_to - self.year
        self.year_to = year_to
        self.empty_amounts = empty_amounts
        self.new_bookmarks = new_bookmarks
        self.layout = layouts.of(pub.settings)
        self.money_extras = {f.key for f in self.layout.fields if f.kind == "money"}
        self.files: list[_File] = []
        taken = [d.project.id for _, _, d in pub.projects() if d.project.id]
        self.taken_ids = set(taken)
        self.bookmark_no = 0

    def read(self, path: Path, rel: str, kind: str) -> tuple[_File, yaml.Node, Any]:
        raw = yamlio.read_bytes(path)
        text = yamlio.decode(raw)
        yamlio.check_depth(text)  # load read it already; the nodes are what yamlio.parse builds its data from
        node = yaml.compose(text, Loader=yamlio._Loader)  # marks count characters (every edit is read back)
        data = yamlio._build(node, (), {})
        f = _File(rel, kind, text, raw.startswith(b"\xef\xbb\xbf"), expected=data)
        self.files.append(f)
        return f, node, data

    def settings(self) -> None:
        f, node, data = self.read(self.pub.source.path, SETTINGS_FILE, "settings")
        for path, n in _nodes(node):
            if path == ("year",):
                span = f.text[n.start_mark.index:n.end_mark.index]
                at = span.find(str(self.year))
                if at >= 0:
                    start = n.start_mark.index + at
                    f.edits.append((start, start + 4, str(self.year_to)))
                    f.changes.append((start, "预算年度", str(self.year), str(self.year_to)))
                    _set(f.expected, path, str(self.year_to))
            elif path == ("title",):
                _set(f.expected, path, _scan_value(f, path, n, n.value, self.year, self.delta, "出版物标题", False))

    def agency(self, path: Path, rel: str, kind: str) -> None:
        f, node, data = self.read(path, rel, kind)
        for p, n in _nodes(node):
            if p == ("name",):
                _scan_value(f, p, n, n.value, self.year, self.delta, _label(kind, p, None), True)

    def project(self, doc, dept_folder: str, unit_folder: str) -> None:
        f, node, data = self.read(doc.source.path, doc.source.rel.split("/", 1)[-1], "project")
        p = doc.project
        for path, n in _nodes(node):
            value = n.value
            if n.style == "|" and value.endswith("\n"):
                value = value[:-1]  # as yamlio reads a block (its closing break is not text)
            if path == ("bookmark",):
                if self.new_bookmarks:
                    self.bookmark_no += 1
                    s = self.pub.settings.bookmarks
                    name = f"{s.prefix}{self.bookmark_no:0{s.digits}d}"
                    if name != value:
                        f.edits.append((n.start_mark.index, n.end_mark.index, _plain(name)))
                        f.changes.append((n.start_mark.index, "书签名", value, name))
                        _set(f.expected, path, name)
                continue
            if path == ("id",):
                continue
            money = path[0] == "budget" or (path[0] in self.money_extras)
            if money:
                if self.empty_amounts and value != "":
                    f.edits.append((n.start_mark.index, n.end_mark.index, '""'))
                    f.changes.append((n.start_mark.index, _label("project", path, self.layout), value, "（空）"))
                    _set(f.expected, path, "")
                continue
            if not (YEAR_TOKEN.search(value) or PHASE_RE.search(value)):
                continue
            label = _label("project", path, self.layout)
            new = _scan_value(f, path, n, value, self.year, self.delta, label, path in NAME_FIELDS)
            if new != value:
                _set(f.expected, path, new)
        if not p.id:
            ident = ids.make(self.pub.settings.year, dept_folder, unit_folder, p.bookmark, self.taken_ids)
            self.taken_ids.add(ident)
            kv = _key_node(node, "bookmark")
            if kv is None or node.flow_style:
                raise UserError(f"{f.rel} 的写法特殊（不是一行一个字段），rollover 无法加入项目标识。",
                                hint="先运行 ptgen fmt 整理这个文件；没有写入任何文件。")
            key, value_node = kv
            end = f.text.find("\n", value_node.end_mark.index)
            end = len(f.text) if end < 0 else end
            newline = "\n"
            if f.text[end - 1:end] == "\r":  # the file's own line breaks (Windows: CR LF)
                end, newline = end - 1, "\r\n"
            f.insert = (end, newline + " " * key.start_mark.column + f"id: {ident}")
            f.changes.append((end, "项目标识", "（无）", ident))
            f.expected["id"] = ident

    def new_text(self, f: _File) -> str:
        text = f.text
        if not f.edits and not f.insert:
            return text
        edits = sorted(f.edits + ([(f.insert[0], f.insert[0], f.insert[1])] if f.insert else []), reverse=True)
        for a, b, new in edits:
            text = text[:a] + new + text[b:]
        try:
            data, _ = yamlio.parse(text)
        except yamlio.YamlProblem:
            data = None
        if data != f.expected:  # pragma: no cover - a bug: never write what was not meant
            raise UserError(f"{f.rel}：修改后的文件与预期不一致，没有写入任何文件（请报告这个问题）。")
        return text

    def line(self, f: _File, offset: int) -> int:
        line = f.text.count("\n", 0, offset) + 1
        if f.insert and offset > f.insert[0]:
            line += 1
        elif f.insert and offset == f.insert[0]:
            line += 1  # the identity's own line
        return line


def _plain(name: str) -> str:
    scalar = yamlio._scalar(name)
    return f'"{scalar}"' if type(scalar) is not str else scalar


def plan(source: Path, year_to: int | None, *, empty_amounts: bool = False, new_bookmarks: bool = False,
         dest_name: str = "") -> tuple[RolloverResult, dict[str, bytes]]:
    """What rolling ``source`` over to ``year_to`` gives: the report and every file's bytes (by path
    relative to the new publication).  Nothing is written."""
    source = Path(source)
    if not (source / SETTINGS_FILE).is_file():
        raise UsageError(f"{source} 不是出版物文件夹（里面没有 {SETTINGS_FILE}）。")
    pub, report = load(source)
    reading = [i for i in report.issues if i.code.startswith(("Y", "F"))]
    if pub is None or reading:
        lines = "\n".join(f"  {i.file}:{i.line}:{i.column}  {i.code}  {i.message}" for i in reading[:20])
        raise UserError(f"{source} 有无法读取的内容，不能转入下一年度：\n{lines}",
                        hint=f"先运行 ptgen check {source} 并修正这些问题；没有写入任何文件。")
    year_from = pub.settings.year
    year_to = year_to if year_to is not None else year_from + 1
    if year_to <= year_from:
        raise UsageError(f"--year {year_to} 不晚于 {source} 的预算年度 {year_from}：rollover 生成的是以后年度的出版物。")
    if not 1990 <= year_to <= 2100:
        raise UsageError(f"--year {year_to} 不是预算年度：要写 1990 到 2100 之间的四位数年份。")
    p = _Plan(pub, year_to, empty_amounts, new_bookmarks)
    p.settings()
    for d in pub.departments:
        p.agency(d.source.path, d.source.rel.split("/", 1)[-1], "department")
        for u in d.units:
            p.agency(u.source.path, u.source.rel.split("/", 1)[-1], "unit")
            for doc in u.projects:
                p.project(doc, d.folder, u.folder)
    result = RolloverResult(source, Path(dest_name), year_from, year_to)
    files: dict[str, bytes] = {}
    prefix = dest_name + "/" if dest_name else ""
    for f in p.files:
        text = p.new_text(f)
        files[f.rel] = (b"\xef\xbb\xbf" if f.bom else b"") + text.encode("utf-8")
        result.changes += [Change(prefix + f.rel, p.line(f, o), label, old, new) for o, label, old, new in f.changes]
        result.left += [Left(prefix + f.rel, p.line(f, o), label, text_, why) for o, label, text_, why in f.left]
    order = {prefix + f.rel: i for i, f in enumerate(p.files)}  # published order, then line
    result.changes.sort(key=lambda c: (order[c.file], c.line))
    result.left.sort(key=lambda c: (order[c.file], c.line))
    result.files = len(files)
    for rel, data, why in _other_files(source, set(files)):
        if data is None:
            result.notes.append(f"{rel} {why}，没有复制。")
            continue
        files[rel] = data
        result.copied.append(rel)
    return result, files


def _other_files(root: Path, content: set[str]):
    """``(rel, bytes or None, why)`` of every other file in the publication folder: templates, the
    publication's own layouts, anything else, copied as it is (links and ptgen's own hidden files are not)."""
    for dirpath, dirnames, filenames in os.walk(root):  # symlinked folders are not followed
        folder = Path(dirpath)
        for d in sorted(dirnames):
            if (folder / d).is_symlink():
                yield (folder / d).relative_to(root).as_posix(), None, "是符号链接"
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (folder / d).is_symlink())
        for name in sorted(filenames):
            path = folder / name
            rel = path.relative_to(root).as_posix()
            if name.startswith(".") or rel in content:
                continue
            if path.is_symlink() or not path.is_file():
                yield rel, None, "是符号链接或特殊文件"
                continue
            yield rel, path.read_bytes(), ""


def rollover(source: Path, dest: Path, year_to: int | None = None, *, empty_amounts: bool = False,
             new_bookmarks: bool = False, force: bool = False) -> RolloverResult:
    """Write next year's publication into ``dest`` (see the module docstring).  ``dest`` must not
    exist (or, with ``force``, its files of the same names are replaced); written as one change."""
    from .importers.merge import _write_new_tree
    source, dest = Path(source), Path(dest)
    if dest.resolve() == source.resolve() or dest.resolve().is_relative_to(source.resolve()) \
            or source.resolve().is_relative_to(dest.resolve()):
        raise UsageError(f"新出版物的文件夹 {dest} 不能是 {source} 本身，也不能在它里面或包含它。",
                         hint=f"例如 ptgen rollover {source} {source.resolve().parent / 'NAME-2026'}。")
    if dest.exists() and not dest.is_dir():
        raise UserError(f"{dest} 是一个文件，不是文件夹；没有写入任何文件。")
    existing = dest.is_dir() and any(dest.iterdir())
    if existing and not force:
        raise UserError(f"{dest} 已经存在且不是空的；没有写入任何文件。", hint="换一个文件夹，或加 --force 覆盖其中同名的文件。")
    result, files = plan(source, year_to, empty_amounts=empty_amounts, new_bookmarks=new_bookmarks,
                         dest_name=dest.resolve().name)
    result.dest = dest
    try:
        if dest.is_dir():
            output.commit(dest, {dest / rel: data for rel, data in files.items()})
            if existing:
                for rel, _, _ in _other_files(dest, set(files)):
                    result.notes.append(f"{dest.name}/{rel} 是 {dest} 里原有的文件，没有改动。")
        else:
            _write_new_tree(dest, {dest / rel: data for rel, data in files.items()})
    except OSError as exc:
        raise UserError(f"写入失败：{output.describe_os_error(exc)}没有写入任何文件。",
                        hint="请检查磁盘空间和文件夹权限，再重新运行。") from None
    return result


# --- the report -----------------------------------------------------------------------------------

def _md(text: str) -> str:
    from .diffout import _md as cell
    return cell(text)


def markdown(r: RolloverResult) -> str:
    lines = [f"### ptgen rollover：{r.year_from} → {r.year_to}", "",
             f"`{r.source}` → `{r.dest}`：{r.files} 个内容文件，改动 {len(r.changes)} 处，"
             f"留给人工核对 {len(r.left)} 处" + (f"，另复制 {len(r.copied)} 个文件" if r.copied else "") + "。", ""]
    if r.changes:
        lines += ["#### 改动", "", "| 文件:行 | 字段 | 原来 | 现在 |", "|---|---|---|---|"]
        lines += [f"| `{c.file}:{c.line}` | {_md(c.field)} | {_md(c.old)} | {_md(c.new)} |" for c in r.changes]
        lines.append("")
    if r.left:
        lines += ["#### 请人工核对（没有改动）", "", "| 文件:行 | 字段 | 文字 | 原因 |", "|---|---|---|---|"]
        lines += [f"| `{c.file}:{c.line}` | {_md(c.field)} | {_md(c.text)} | {_md(c.reason)} |" for c in r.left]
        lines.append("")
    if r.notes:
        lines += ["#### 注意", ""] + [f"- {_md(n)}" for n in r.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"


def terminal_lines(r: RolloverResult) -> list[str]:
    out = [f"转入 {r.year_to} 年度：{r.source} → {r.dest}，{r.files} 个内容文件"
           + (f"，另复制 {len(r.copied)} 个文件" if r.copied else "") + "。"]
    out.append(f"改动 {len(r.changes)} 处：")
    out += [f"  {c.file}:{c.line}  {c.field}：{c.old} → {c.new}" for c in r.changes]
    out.append(f"留给人工核对 {len(r.left)} 处（没有改动）：")
    out += [f"  {c.file}:{c.line}  {c.field}：“{c.text}”——{c.reason}" for c in r.left]
    out += [f"注意：{n}" for n in r.notes]
    return out
