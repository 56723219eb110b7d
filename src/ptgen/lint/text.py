"""Rules about text in any cell: whitespace, quotes, markup, characters Word cannot hold."""
from __future__ import annotations

import re
from pathlib import Path

from ..model import CONTROL_RE, has_control
from ..report import Severity, excerpt
from . import Finding, Rule, register, unfilled

MARKUP_RE = re.compile(r"</?(p|br|span|div|b|i|strong|em|font)\b[^>]*>|&nbsp;|&lt;|&gt;", re.I)


def texts(doc):
    """Every free-text cell of a project with its key path (listed once per project: several rules read it)."""
    cached = doc.__dict__.get("_texts")
    if cached is not None:
        return cached
    p = doc.project
    out = [((key,), v) for key in ("name", "title", "purpose", "goals") if (v := getattr(p, key))]
    out += [((key,), v) for key, v in p.extras.items() if isinstance(v, str) and v]  # a form's own text fields
    for i, ind in enumerate(p.indicators):
        out += [(("indicators", i, key), v) for key in ("level1", "level2", "name", "description", "value")
                if (v := getattr(ind, key))]
        out += [(("indicators", i, key), v) for key, v in ind.extras.items() if isinstance(v, str) and v]
    doc.__dict__["_texts"] = out
    return out


@register
class StrayWhitespace(Rule):
    code = "X01"
    severity = Severity.WARNING
    title = "单元格开头或结尾不要有空格、制表符或空行，它们会让排版错位、比对出错。"

    def check_project(self, doc, unit, dept, settings):
        for path, v in texts(doc):
            if v != v.strip():
                side = "开头" if v != v.lstrip() else "结尾"
                if v != v.lstrip() and v != v.rstrip():
                    side = "开头和结尾"
                edge = (v[: len(v) - len(v.lstrip())] + v[len(v.rstrip()):])
                what = "空行" if "\n" in edge else "空格"
                quoted = excerpt(v.strip(), 30, len(v) if side == "结尾" else 0)  # quote the side that is wrong
                yield Finding(path, f"“{quoted}”的{side}有多余的{what}。", v)


@register
class UnbalancedQuotes(Rule):
    code = "X03"
    severity = Severity.ERROR
    title = "中文引号“”要成对出现。"

    def check_project(self, doc, unit, dept, settings):
        for path, v in texts(doc):
            if v.count("“") != v.count("”") or v.count("《") != v.count("》"):
                yield Finding(path, f"“{v[:30]}”里的引号或书名号不成对。", v)


@register
class RawMarkup(Rule):
    code = "X07"
    severity = Severity.ERROR
    title = "文字里不能有从系统里带出来的网页标记（<p>、&nbsp; 等），它们会原样印出来。"

    def check_project(self, doc, unit, dept, settings):
        for path, v in texts(doc):
            m = MARKUP_RE.search(v)
            if m:
                yield Finding(path, f"文字里有网页标记“{m.group(0)}”：请删除标记，只保留文字（分段请直接换行）。", m.group(0))


# The escapes of a double-quoted YAML scalar; the others stand for themselves (or are line folds).
_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "v": "\v", "f": "\f", "e": "\x1b", "N": "\x85"}


def _unescape(body: str) -> str:
    if body[0] in "xuU":
        return chr(int(body[1:], 16))
    return _ESCAPES.get(body, body)


def control_characters(path: Path) -> list[tuple[int, int, str, str]]:
    """(line, column, character, the text it is in) of every control character in a YAML file:
    typed as such, or written as an escape (``"\\x0b"``) in a double-quoted value.  The column is
    the character's own (of the escape's backslash), on its own line of a multi-line value."""
    import yaml

    from ..yamlio import _Loader, decode
    text = decode(path.read_bytes())
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset)
        return line + 1, offset - starts[line] + 1

    found = []
    for m in CONTROL_RE.finditer(text):  # typed as such: the line they are on is the text shown
        line, col = where(m.start())
        found.append((line, col, m.group(), text[starts[line - 1]:].split("\n", 1)[0]))
    try:  # a typed one stops the YAML reader: read the rest with a visible stand-in (same length)
        events = list(yaml.parse(CONTROL_RE.sub("\ufffd", text), Loader=_Loader))
    except yaml.YAMLError:
        events = []
    for event in events:
        if not isinstance(event, yaml.ScalarEvent) or event.style != '"':
            continue
        begin = starts[event.start_mark.line] + event.start_mark.column
        raw = text[begin:starts[event.end_mark.line] + event.end_mark.column]
        for m in _ESCAPE_RE.finditer(raw):
            ch = _unescape(m.group(1))
            if CONTROL_RE.fullmatch(ch):
                found.append((*where(begin + m.start()), ch, event.value))
    return sorted(found)


@register
class IllegalCharacter(Rule):
    code = "X08"
    severity = Severity.ERROR
    title = "文字里不能有不可见的控制字符（多从其他软件粘贴而来），Word 文件无法容纳它们。"
    scope = "publication"  # the settings, department and unit files; each project in check_project

    def check_publication(self, pub):
        docs = [(None, pub.settings)]
        for d in pub.departments:
            docs.append((d, d.department))
            docs += [(u, u.unit) for u in d.units]
        yield from self._files(pub, docs)

    def check_project(self, doc, unit, dept, settings):
        yield from self._files(None, [(doc, doc.project)])

    def _files(self, pub, docs):
        for doc, model in docs:
            if not has_control(model):
                continue  # the file is read again only where the model holds one
            source = doc.source if doc is not None else pub.source
            for line, col, ch, within in control_characters(source.path):
                yield Finding((), f"这里有不可见的控制字符 U+{ord(ch):04X}（多从其他软件粘贴而来），请删除。",
                              within, doc=doc, at=(line, col))  # shown with the character visible


@register
class DescriptionRepeatsName(Rule):
    code = "D01"
    severity = Severity.INFO
    title = "绩效指标描述应说明指标的含义或计算方法，不要只重复指标名称。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind in enumerate(doc.project.indicators):
            if ind.description is not None and ind.description.strip() == ind.name.strip() and not unfilled(ind.name):
                yield Finding(("indicators", i, "description"), f"描述只是重复了指标名称“{ind.name}”。", ind.description)


TYPOS = {"海河英寸": "海河英才"}


@register
class KnownTypo(Rule):
    code = "X05"
    severity = Severity.WARNING
    title = "常见错别字（例如“海河英寸”应为“海河英才”）。"

    def check_project(self, doc, unit, dept, settings):
        for path, v in texts(doc):
            for wrong, right in TYPOS.items():
                if wrong in v:
                    yield Finding(path, f"“{wrong}”应为“{right}”。", wrong)
