"""How wide text prints, and where it may break: column widths that keep every label on one
line, and cover titles broken only between phrases.

Text is measured in em, without a font: a CJK character (and any East Asian wide, full-width or
ambiguous one: ``：``, ``（``, ``≥``) is 1 em, a Latin letter or digit 0.6 em (Noto Serif CJK's
digits are 0.47–0.56 em, Times New Roman's 0.5, DejaVu Serif's, LibreOffice's stand-in for it on
Linux, 0.64), a space or ASCII punctuation 0.4 em (0.25–0.39 in those fonts), and Word and
LibreOffice put a quarter em between CJK and Latin text (``autoSpaceDE``): the measure errs on
the wide side.
Every renderer draws from the same numbers, so the DOCX, HTML and PDF break alike.
"""
from __future__ import annotations

import functools
import re
import unicodedata

NARROW_EM = 0.6
THIN_EM = 0.4
AUTOSPACE_EM = 0.25
KEEP_SHARE = 0.3


@functools.lru_cache(maxsize=4096)
def text_em(text: str) -> float:
    """The width of one line of ``text``, in em."""
    em, wide_before = 0.0, None
    for c in text:
        if unicodedata.combining(c):
            continue
        wide = unicodedata.east_asian_width(c) in "WFA"
        em += 1.0 if wide else THIN_EM if unicodedata.category(c)[0] in "PZ" else NARROW_EM
        if wide_before is not None and wide != wide_before and not c.isspace():
            em += AUTOSPACE_EM
        wide_before = None if c.isspace() else wide
    return em


@functools.lru_cache(maxsize=4096)
def lines_em(text: str) -> float:
    """The width of the widest line of ``text`` (a label written with a line break breaks there)."""
    return max(text_em(line) for line in text.split("\n"))


# --- column widths -----------------------------------------------------------------------------------

def fit_widths(widths: tuple[int, ...], needs: list[tuple[int, int, float]], table_em: float,
               pad_em: float, wants: list[tuple[int, int, float]] = (),
               later: list[tuple[int, int, float]] = ()) -> tuple[int, ...]:
    """Column widths (relative, as a definition writes them) that give every label its one line.

    ``needs`` holds ``(first column, columns spanned, em)`` for each label cell, ``wants`` the same
    for short values that should stay on one line if there is room (项目性质 经常性专项业务费);
    ``table_em`` is the table's width in em of its text and ``pad_em`` what each cell's padding and
    border take.  When the definition's ``widths`` already give every label and value its room they
    are returned as they are.  Otherwise each column gets at least what its labels need (a spanning
    label's shortfall is shared by its columns in the definition's proportions) and, where that
    leaves room, a part of its share of the definition, then what the wanted values need,
    shortest first, as long as they fit; the rest of the width goes to the columns in the
    definition's proportions ("water filling"): label columns widen at the expense of value columns.
    ``later`` are wants too, taken (shortest first, as far as they fit) after all of ``wants``.
    If the labels cannot all fit, every column gets its share of the labels' minimum (they wrap as
    little as the width allows).  The result is in thousandths.
    """
    scale = table_em / sum(widths)
    if all(sum(widths[a:a + s]) * scale >= em + pad_em for a, s, em in (*needs, *wants, *later)):
        return tuple(widths)
    # A column holding cells of its own keeps part of its share, if the labels leave room for that
    # (one that only lies under spanning cells needs none).
    own = {a for a, s, _ in (*needs, *wants, *later) if s == 1}
    for keep in (KEEP_SHARE, 0.0):
        floor = [w * scale * keep if c in own else 0.0 for c, w in enumerate(widths)]
        low = _raised(floor, needs, widths, pad_em, own)
        if sum(low) <= table_em:
            break
    taken = list(needs)
    for want in [*sorted(wants, key=lambda x: x[2]), *sorted(later, key=lambda x: x[2])]:
        more = _raised(floor, taken + [want], widths, pad_em, own)
        if sum(more) <= table_em:
            low, taken = more, taken + [want]
    return _thousandths(_filled(widths, low, table_em))


def _raised(low: list[float], needs, widths: tuple[int, ...], pad_em: float, own: set[int]) -> list[float]:
    """``low`` raised until each of ``needs`` has its room: single columns first, then spans, whose
    shortfall goes to the columns under them that hold no cells of their own (else to all of them)."""
    low = list(low)
    for a, s, em in sorted(needs, key=lambda x: x[1]):
        cols = range(a, a + s)
        short = em + pad_em - sum(low[c] for c in cols)
        if short > 0:
            cols = [c for c in cols if c not in own] or cols
            share = sum(widths[c] for c in cols) or 1
            for c in cols:
                low[c] += short * widths[c] / share
    return low


def _filled(widths: tuple[int, ...], low: list[float], table_em: float) -> list[float]:
    """Every column at least its ``low``, the rest shared in the proportions of ``widths``."""
    if sum(low) >= table_em:
        return [lo * table_em / sum(low) for lo in low]
    n = len(widths)
    fixed: set[int] = set()
    while True:  # water filling: columns whose minimum exceeds their share keep their minimum
        free = [c for c in range(n) if c not in fixed]
        if not free:
            return [lo * table_em / sum(low) for lo in low]
        s = (table_em - sum(low[c] for c in fixed)) / sum(widths[c] for c in free)
        more = {c for c in free if low[c] > widths[c] * s}
        if not more:
            return [low[c] if c in fixed else widths[c] * s for c in range(n)]
        fixed |= more


def _thousandths(cols: list[float]) -> tuple[int, ...]:
    """``cols`` as whole thousandths of their sum, rounded so that no column loses to rounding
    more than the largest one gives up."""
    total = sum(cols)
    out = [int(c * 1000 / total + 0.5) for c in cols]
    out[out.index(max(out))] += 1000 - sum(out)
    return tuple(out)


# --- cover titles ------------------------------------------------------------------------------------

# The words budget titles are built from.  A phrase is never broken; a line may break between two
# phrases (and at a space, which the break then swallows).  Tried in this order at each place:
# the year (2025年, 2025年度, 2025 年度: it stays with the phrase after it), the fixed phrases of the titles (longest first), then a
# name of an office, up to the last office word before a digit or space (…局, …委员会, …人民政府,
# …中心); what none of them matches stays together up to the next match.
TITLE_WORDS = (
    "财政项目支出绩效目标申报表", "项目支出预算绩效目标表", "项目支出绩效目标申报表", "项目支出绩效目标审批表",
    "项目支出绩效目标表", "项目绩效目标汇总表", "项目绩效目标表", "绩效目标汇总表", "绩效目标申报表", "绩效目标审批表",
    "绩效目标表", "部门预算", "部门决算", "项目支出", "预算绩效", "汇总表", "自治区本级", "本级",
)
OFFICE_ENDS = (
    "委员会", "人民政府", "办公室", "办公厅", "管理处", "管理局", "中心", "政府", "学校", "大学", "学院", "集团", "公司",
    "协会", "联合会", "研究院", "研究所", "医院", "中学", "小学", "幼儿园", "局", "厅", "委", "院", "所", "处", "站",
    "馆", "部(?!门)", "乡", "镇", "街道",
)
_PHRASE_RE = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<year>\d{4}\s*年度?)"
    r"|(?P<word>" + "|".join(map(re.escape, sorted(TITLE_WORDS, key=len, reverse=True))) + ")"
    r"|(?P<office>[^\s\d]+(?:" + "|".join(OFFICE_ENDS) + "))")


_YEAR_RE = re.compile(r"\d{4}\s*年度?")


@functools.lru_cache(maxsize=256)
def title_phrases(title: str) -> tuple[str, ...]:
    """``title`` cut into phrases (spaces are phrases of their own): ``"".join`` gives it back."""
    out: list[str] = []
    rest = ""  # text no pattern matched, kept together up to the next match
    i = 0
    while i < len(title):
        m = _PHRASE_RE.match(title, i)
        if m is None or (m.lastgroup == "office" and _starts_word(m.group())):
            rest += title[i]
            i += 1
            continue
        if m.lastgroup == "office":  # an office name stops where a title word starts inside it
            text = m.group()
            cut = min((k for k in range(1, len(text)) if _starts_word(text[k:])), default=len(text))
            m_text = text[:cut]
        else:
            m_text = m.group()
        if rest:
            out.append(rest)
            rest = ""
        out.append(m_text)
        i += len(m_text)
    if rest:
        out.append(rest)
    # The year belongs to what it dates: 2025年 stays with 部门预算, 2025年度 with 项目绩效目标汇总表.
    for k in range(len(out) - 2, -1, -1):
        if _YEAR_RE.fullmatch(out[k]) and not out[k + 1].isspace():
            out[k:k + 2] = [out[k] + out[k + 1]]
    return tuple(out)


def _starts_word(text: str) -> bool:
    m = _PHRASE_RE.match(text)
    return m is not None and m.lastgroup in ("year", "word")


def title_lines(title: str, max_em: float) -> list[str]:
    """``title`` broken into the fewest lines of at most ``max_em``, only between phrases, as even as
    can be (the longest line as short as possible); a phrase longer than a line is a line of its own
    (it wraps where it must).  A space at a break is dropped; every other character is kept."""
    words = [p for p in title_phrases(title.strip())]
    if not words:
        return []
    n = len(words)

    def width(i: int, j: int) -> float:  # words[i:j] as one line, without spaces at its ends
        seg = words[i:j]
        while seg and seg[0].isspace():
            seg = seg[1:]
        while seg and seg[-1].isspace():
            seg = seg[:-1]
        return text_em("".join(seg))

    # best[i] = (lines, longest line) for words[i:], and where its first line ends
    best: list[tuple[int, float, int]] = [(0, 0.0, n)] * (n + 1)
    for i in range(n - 1, -1, -1):
        choice = None
        for j in range(i + 1, n + 1):
            w = width(i, j)
            if w > max_em and j > i + 1:
                break
            lines, longest, _ = best[j]
            cand = (lines + 1, max(w, longest), j)
            if choice is None or cand[:2] < choice[:2]:
                choice = cand
        best[i] = choice
    out, i = [], 0
    while i < n:
        j = best[i][2]
        line = "".join(words[i:j]).strip()
        if line:
            out.append(line)
        i = j
    return out
