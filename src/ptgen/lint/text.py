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


def forget(doc) -> None:
    """Drop what :func:`texts` and :func:`joined` kept on ``doc``: a tenth of the model's memory, only
    useful while the rules run (a build renders 10,000 projects after checking them)."""
    doc.__dict__.pop("_texts", None)
    doc.__dict__.pop("_joined", None)


def joined(doc) -> str:
    """Every text cell of a project in one string, one cell a line: a rule that rarely fires searches it
    once, and looks at the cells one by one only when it finds something."""
    cached = doc.__dict__.get("_joined")
    if cached is None:
        cached = doc.__dict__["_joined"] = "\n".join(v for _, v in texts(doc))
    return cached


@register
class StrayWhitespace(Rule):
    code = "X01"
    severity = Severity.WARNING
    title = "单元格开头或结尾不要有空格、制表符或空行，它们会让排版错位、比对出错。"

    def check_project(self, doc, unit, dept, settings):
        for path, v in texts(doc):
            if v != v.strip() and not v.strip():
                yield Finding(path, "这一格只有空格或空行，没有文字：要么填写，要么留空（写成 \"\"）。", v)
            elif v != v.strip():
                side = "开头" if v != v.lstrip() else "结尾"
                if v != v.lstrip() and v != v.rstrip():
                    side = "开头和结尾"
                edge = (v[: len(v) - len(v.lstrip())] + v[len(v.rstrip()):])
                what = "空行" if "\n" in edge else "空格"
                quoted = excerpt(v.strip(), 30, len(v) if side == "结尾" else 0)  # quote the side that is wrong
                yield Finding(path, f"“{quoted}”的{side}有多余的{what}。", v)


QUOTES_RE = re.compile(r"[“”《》]")


@register
class UnbalancedQuotes(Rule):
    code = "X03"
    severity = Severity.ERROR
    title = "中文引号“”要成对出现。"

    def check_project(self, doc, unit, dept, settings):
        if not QUOTES_RE.search(joined(doc)):
            return
        for path, v in texts(doc):
            if v.count("“") != v.count("”") or v.count("《") != v.count("》"):
                yield Finding(path, f"“{v[:30]}”里的引号或书名号不成对。", v)


@register
class RawMarkup(Rule):
    code = "X07"
    severity = Severity.ERROR
    title = "文字里不能有从系统里带出来的网页标记（<p>、&nbsp; 等），它们会原样印出来。"

    def check_project(self, doc, unit, dept, settings):
        if not MARKUP_RE.search(joined(doc)):
            return
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


def _plain_text_only(project) -> bool:
    """Whether every text of a project is one of ``texts``' cells (no form field holding a group)."""
    return all(isinstance(v, str) or v is None for v in project.extras.values()) and \
        all(isinstance(v, str) or v is None for ind in project.indicators for v in ind.extras.values())


def _may_hold_control(doc, model) -> bool:
    """``has_control`` for any file; for a project, a search of its text cells (the same answer,
    without writing the model out as JSON)."""
    if doc is not None and getattr(doc, "project", None) is model and _plain_text_only(model):
        return CONTROL_RE.search(joined(doc)) is not None or CONTROL_RE.search(model.bookmark or "") is not None
    return has_control(model)


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
            if not _may_hold_control(doc, model):
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
        text = joined(doc)
        if not any(wrong in text for wrong in TYPOS):
            return
        for path, v in texts(doc):
            for wrong, right in TYPOS.items():
                if wrong in v:
                    yield Finding(path, f"“{wrong}”应为“{right}”。", wrong)


_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60"  # CJK characters and full-width punctuation
CJK_SPACE_RE = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+(?=[{_CJK}])")


@register
class SpaceInsideChinese(Rule):
    code = "X02"
    severity = Severity.WARNING
    title = "汉字之间不要有空格（多是排版或复制留下的），需要分隔时用顿号、逗号。"

    def check_project(self, doc, unit, dept, settings):
        text = joined(doc)
        if not any(c in text for c in " \t\u00a0\u3000") or not CJK_SPACE_RE.search(text):
            return
        for path, v in texts(doc):
            for line in v.split("\n"):
                m = CJK_SPACE_RE.search(line.strip())
                if m:
                    s = line.strip()
                    around = s[max(0, m.start() - 8):m.end() + 8]
                    yield Finding(path, f"“{around}”里汉字之间有空格：请删除，或改用顿号“、”分隔。", v)
                    break


# A word of 2–4 characters written twice in a row (购置购置); one character doubled only where it is
# never a reduplication (的的, 和和).  常常, 人人, 研究研究 are Chinese: single characters are not looked at.
REPEAT_RES = (re.compile(r"([\u4e00-\u9fff]{2,4})\1"), re.compile(r"([的和与及或在对])\1"),
              re.compile(r"\b([A-Za-z]+)\s+\1\b"))  # three searches: one alternation of them is twice as slow
_LATIN_LETTER_RE = re.compile(r"[A-Za-z]")


def _repeat(text: str):
    found = [m for r in REPEAT_RES[:2] if (m := r.search(text))]
    if _LATIN_LETTER_RE.search(text) and (m := REPEAT_RES[2].search(text)):
        found.append(m)
    return min(found, key=lambda m: m.start()) if found else None


@register
class RepeatedWord(Rule):
    code = "X04"
    severity = Severity.WARNING
    title = "同一个词连写了两遍（如“购置购置”“的的”），多是编辑时留下的。"

    def check_project(self, doc, unit, dept, settings):
        if not _repeat(joined(doc)):
            return
        for path, v in texts(doc):
            m = _repeat(v)
            if m:
                yield Finding(path, f"“{m.group(1)}”连写了两遍（“{v[max(0, m.start() - 6):m.end() + 6]}”）：请删去一个。",
                              m.group(0))


LATIN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")


@register
class LatinSpelling(Rule):
    code = "X06"
    severity = Severity.WARNING
    title = "同一张表里的英文缩写和外文词写法要一致（如“OA”与“oa”、“WiFi”与“Wi-Fi”）。"

    def check_project(self, doc, unit, dept, settings):
        text = joined(doc)
        if not _LATIN_LETTER_RE.search(text):
            return
        words = set(LATIN_RE.findall(text))
        if len(words) == len({re.sub(r"[-.]", "", w).casefold() for w in words}):
            return  # every Latin word written one way
        first: dict[str, str] = {}
        for path, v in texts(doc):
            for m in LATIN_RE.finditer(v):
                word = m.group()
                key = re.sub(r"[-.]", "", word).casefold()
                if key not in first:
                    first[key] = word
                elif first[key] != word:
                    yield Finding(path, f"“{word}”与本表前面的“{first[key]}”写法不一致：请统一。", word)


_DESC_HEAD_RE = re.compile(r"^(?:用于|主要)?(?:反映|体现|考核|衡量|说明)")
_DESC_LEADS = ("用于", "主要", "反映", "体现", "考核", "衡量", "说明")


def description_core(text: str) -> str:
    """What a description says, without its lead (反映, 体现 …) and its full stop."""
    text = text.strip()
    if text.startswith(_DESC_LEADS):
        text = _DESC_HEAD_RE.sub("", text)
    return text.rstrip("。.；; ")


_STOP_BIGRAMS = {"反映", "情况", "指标", "相关", "工作", "完成", "项目"}
_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}")


def _shares_bigram(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` have two Chinese characters in a row in common (the common words aside)."""
    for run in _CJK_RUN_RE.findall(a):
        for k in range(len(run) - 1):
            pair = run[k:k + 2]
            if pair in b and pair not in _STOP_BIGRAMS:
                return True
    return False


@register
class DescriptionOfAnotherRow(Rule):
    code = "D02"
    severity = Severity.WARNING
    title = "绩效指标描述要说明本行指标；与指标名称毫无关系、却照抄了另一行指标的描述，多是复制粘贴错了行。"

    def check_project(self, doc, unit, dept, settings):
        inds = doc.project.indicators
        cores = [description_core(ind.description) if ind.description else "" for ind in inds]
        names = {ind.name.strip(): j for j, ind in enumerate(inds)}
        if names.keys().isdisjoint(cores) and len(set(cores)) == len(cores):
            return  # no description is another row's name, none is written twice
        for i, ind in enumerate(inds):
            core = cores[i]
            if not core or (core not in names and cores.count(core) < 2):
                continue  # neither another row's name nor a description written twice: nothing copied
            if unfilled(ind.description) or unfilled(ind.name) or _shares_bigram(ind.name, core):
                continue  # it speaks of its own indicator
            for j, other in enumerate(inds):
                if j == i or not other.name.strip():
                    continue
                if core == other.name.strip() or (core == cores[j] and _shares_bigram(other.name, core)):
                    yield Finding(("indicators", i, "description"), f"“{ind.name.strip()}”的描述“{ind.description.strip()}”"
                                  f"说的是另一行指标“{other.name.strip()}”：请写明本行指标的含义。", ind.description)
                    break
