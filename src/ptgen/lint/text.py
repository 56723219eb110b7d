"""Rules about text in any cell: whitespace, quotes, markup, characters Word cannot hold."""
from __future__ import annotations

import re

from ..report import Severity, excerpt
from . import Finding, Rule, register

MARKUP_RE = re.compile(r"</?(p|br|span|div|b|i|strong|em|font)\b[^>]*>|&nbsp;|&lt;|&gt;", re.I)
# Characters XML 1.0 (and so a .docx) cannot contain: a pasted one makes Word refuse the file.
ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def texts(doc):
    """Every free-text cell of a project with its key path (listed once per project: several rules read it)."""
    cached = doc.__dict__.get("_texts")
    if cached is not None:
        return cached
    p = doc.project
    out = [((key,), v) for key in ("name", "title", "purpose", "goals", "long_term_goal", "nature", "category")
           if (v := getattr(p, key))]
    for i, ind in enumerate(p.indicators):
        out += [(("indicators", i, key), v) for key in ("level1", "level2", "name", "description", "value")
                if (v := getattr(ind, key))]
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


@register
class IllegalCharacter(Rule):
    code = "X08"
    severity = Severity.ERROR
    title = "文字里不能有不可见的控制字符（多从其他软件粘贴而来），Word 文件无法容纳它们。"

    def check_project(self, doc, unit, dept, settings):
        for path, v in texts(doc):
            m = ILLEGAL_XML_RE.search(v)
            if m:
                yield Finding(path, f"第 {m.start() + 1} 个字符是不可见的控制字符 U+{ord(m.group(0)):04X}，请删除。", v)


@register
class DescriptionRepeatsName(Rule):
    code = "D01"
    severity = Severity.INFO
    title = "绩效指标描述应说明指标的含义或计算方法，不要只重复指标名称。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind in enumerate(doc.project.indicators):
            if ind.description is not None and ind.description.strip() == ind.name.strip() and ind.name.strip():
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
