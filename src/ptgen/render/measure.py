"""How wide text prints: column widths that keep every label on one line.

Text is measured in em, without a font: a CJK character (and any East Asian wide, full-width or
ambiguous one: ``：``, ``（``, ``≥``) is 1 em, anything else about half (0.55 em: Noto Serif CJK's
digits are 0.47–0.56 em, its space 0.26, SimSun's 0.5), and Word and LibreOffice put a quarter em
between CJK and Latin text (``autoSpaceDE``), so the measure errs on the wide side.
Every renderer draws from the same numbers, so the DOCX, HTML and PDF break alike.
"""
from __future__ import annotations

import functools
import unicodedata

NARROW_EM = 0.55
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
        em += 1.0 if wide else NARROW_EM
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
               pad_em: float, wants: list[tuple[int, int, float]] = ()) -> tuple[int, ...]:
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
    If the labels cannot all fit, every column gets its share of the labels' minimum (they wrap as
    little as the width allows).  The result is in thousandths.
    """
    scale = table_em / sum(widths)
    if all(sum(widths[a:a + s]) * scale >= em + pad_em for a, s, em in (*needs, *wants)):
        return tuple(widths)
    # A column holding cells of its own keeps part of its share, if the labels leave room for that
    # (one that only lies under spanning cells needs none).
    own = {a for a, s, _ in (*needs, *wants) if s == 1}
    for keep in (KEEP_SHARE, 0.0):
        floor = [w * scale * keep if c in own else 0.0 for c, w in enumerate(widths)]
        low = _raised(floor, needs, widths, pad_em, own)
        if sum(low) <= table_em:
            break
    taken = list(needs)
    for want in sorted(wants, key=lambda x: x[2]):
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
