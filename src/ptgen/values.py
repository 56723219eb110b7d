"""Parse indicator values for checks only; the value itself is always kept exactly as written."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

COMPARATORS = {"≥": "≥", ">=": "≥", "=>": "≥", "≧": "≥", "≤": "≤", "<=": "≤", "=<": "≤", "≦": "≤",
               "=": "=", "＝": "=", ">": ">", "＞": ">", "<": "<", "＜": "<"}
_OP = r"(?P<op>>=|<=|=>|=<|[≥≤=＝><＞＜≧≦])"
# At most 30 digits each side: a longer number is not a quantity (Decimal arithmetic on a number of
# a million digits overflows; no real target value has more than a dozen).
QUANT_RE = re.compile(rf"^\s*{_OP}?\s*(?P<num>\d{{1,30}}(?:\.\d{{1,30}})?)(?!\d)\s*(?P<unit>.*?)\s*$", re.S)
OP_ONLY_RE = re.compile(rf"^\s*{_OP}")
MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000), "千元": Decimal(1000)}
DATE_RE = re.compile(r"\d{4}\s*(?:年|-\d{1,2}|全年)|\d{1,2}\s*月")
YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?=\s*年|-\d{1,2}-\d{1,2}|\s*全年)")


@dataclass(frozen=True)
class Value:
    """What a value says, for checks: comparator, number, unit; or ``number is None`` for text."""

    text: str
    kind: str = "text"  # "quantity" | "time" | "text"
    op: str | None = None
    number: Decimal | None = None
    unit: str = ""

    @property
    def is_percent(self) -> bool:
        return self.unit in ("%", "％")

    @property
    def money_unit(self) -> str | None:
        """The money unit of an absolute amount (``万元``), None for text, counts and rates like ``元/人``."""
        return self.unit if self.unit in MONEY_UNITS else None

    @property
    def money_rate(self) -> bool:
        """A unit standard such as ``元/人`` or ``万元/个``: money per something."""
        return "/" in self.unit and self.unit.split("/")[0] in MONEY_UNITS


@lru_cache(maxsize=16384)  # a dozen rules ask about the same value; Value is immutable
def parse(text: str) -> Value:
    """Split ``≥10套`` into (``≥``, 10, ``套``); ``≤112.00(万元/项目)`` gives unit ``万元/项目``."""
    op = OP_ONLY_RE.match(text)
    op_norm = COMPARATORS[op["op"]] if op else None
    if DATE_RE.search(text):
        return Value(text, "time", op_norm)
    m = QUANT_RE.match(text)
    if not m:
        return Value(text, "text", op_norm)
    unit = m["unit"]
    if len(unit) >= 2 and unit[0] in "(（" and unit[-1] in ")）":
        unit = unit[1:-1].strip()
    return Value(text, "quantity", op_norm, Decimal(m["num"]), unit)


def to_money(value: Value, unit: str) -> Decimal | None:
    """The amount of an absolute money value expressed in ``unit``, or None."""
    if value.number is None or value.money_unit is None or unit not in MONEY_UNITS:
        return None
    return value.number * MONEY_UNITS[value.money_unit] / MONEY_UNITS[unit]


def years(text: str) -> list[int]:
    """Calendar years written in ``text`` (``2025年12月31日前``, ``2025-12-31``, ``2025全年``)."""
    return [int(y) for y in YEAR_RE.findall(text)]
