"""Rules about 时效 values (T01, T02): when is the target due, and can that be checked at year end?

The shapes were worked out from every 时效 value of the example publications, the seeds and the
region tables (see ``tests/golden/README.md``): a deadline (``2025年12月31日前``, ``12月底前发放到位``,
``2025年底前完成``), a date (``2023年4月``), a range (``2025年1月1日至2025年12月31日``,
``2025年1月-12月``, ``2023.07-2024.01``, ``2025年全年``), a duration (``≤60分钟``, ``≤5个工作日``,
``3天内``, ``当日``), a frequency (``1次/月``, ``每月``, ``工作日每日进行一次…``) or a rate (``≥99%``).
Anything else names no date, period or year (``全年``, ``年底前完成``, ``及时``, ``按期``, ``完成``).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .. import layouts
from ..report import Severity
from . import Finding, Rule, register
from .values import _rows

_CN = "一二两三四五六七八九十"
# One piece of a calendar: a year, a month, a day, a quarter, a half year, a ten-day part.
_ATOM = (r"(?:\d{4}[-./]\d{1,2}(?:[-./]\d{1,2})?日?"  # 2025-12-31, 2023.07
         r"|\d{4}\s*年(?:度)?|\d{4}(?=全年|年度|年底|年末|年初)"  # 2025年, 2025全年
         rf"|(?:\d{{1,2}}|[{_CN}]{{1,3}})月份?(?!内)|\d{{1,2}}[日号]"  # 12月, 十二月, 31日
         rf"|第?[1-4{_CN}]季度|[上下]半年|[上中下]旬)")
ATOM_RE = re.compile(_ATOM)
_TO = r"(?:至|到|~|～|—|–|－|-)"
RANGE_RE = re.compile(rf"{_ATOM}\S*?{_TO}\s*{_ATOM}")
WHOLE_YEAR_RE = re.compile(r"\d{4}\s*年?\s*(?:全年|年度|整年)|^\s*\d{4}\s*年\s*$")
DEADLINE_RE = re.compile(r"前|截止|截至|为止|底|末|不晚于|止")
_SPAN = r"(?:个?工作日|自然日|日|天|个?小时|分钟|秒|周|个月|年)"
_AMOUNT = rf"(?:\d+(?:\.\d+)?|[{_CN}半]+)"
DURATION_RE = re.compile(rf"{_AMOUNT}{_SPAN}(?:内|以内|之内)|(?:不超过|不多于|不大于|不高于|少于|小于|低于|控制在){_AMOUNT}{_SPAN}"
                         r"|当日|当天|次日|即时|当场|即办")
DURATION_UNIT_RE = re.compile(rf"^{_SPAN}(?:内|以内|之内)?$")
_EVERY = r"(?:年|季度?|月|周|日|天|半年|工作日|小时)"
FREQUENCY_RE = re.compile(rf"\d+\s*次\s*/\s*{_EVERY}|(?:每|按)[{_CN}\d]*个?{_EVERY}|{_EVERY}度?\s*\d+\s*次|一{_EVERY}一次"
                          rf"|月度|(?<![1-4{_CN}第])季度(?!末|底|前|内)")
# What people write instead of a time, for the message (the value is flagged whatever it says).
VAGUE_RE = re.compile(r"全年|年底|年末|年内|年度内|当年|本年|及时|按时|按期|如期|按计划|按进度|按要求|规定时间|规定时限|"
                      r"合同期|服务期|期限内|尽快|适时|限期|长期|常年|随时")
PERCENT_RE = re.compile(r"^[≥≤=＝><＞＜]?\s*\d+(?:\.\d+)?\s*\(?[%％]\)?")
SERVICE_RE = re.compile(r"服务|管理|保障|运维|维护|运行|租用|租赁|托管|物业")
TURNAROUND_RE = re.compile(r"办理|办结|审批|审核|处理|受理|响应|回复|反馈|修复|检测|鉴定|结算|转递|接收")
LIMIT_NAME_RE = re.compile(r"时限|完成时间|完成日期|截止时间|截止日期|结束时间|完成时点")


@lru_cache(maxsize=4096)
def shape(text: str) -> str | None:
    """What a 时效 value is: ``deadline``, ``date``, ``range``, ``duration``, ``frequency``, ``rate``,
    ``quantity`` (a number with a unit that is no time) or None (it names no date, period or year)."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))  # 12 月底 is 12月底
    if PERCENT_RE.match(t):
        return "rate"
    m = re.match(r"^[≥≤=><]?\s*\d+(?:\.\d+)?\s*(.*)$", t)
    if m and DURATION_UNIT_RE.match(m[1]) and not re.match(r"\d{4}年", t):  # 2025年 is a year, not 2025 years
        return "duration"
    if FREQUENCY_RE.search(t):
        return "frequency"
    if ATOM_RE.search(t):
        if RANGE_RE.search(t) or WHOLE_YEAR_RE.search(t):
            return "range"
        if DEADLINE_RE.search(t):
            return "deadline"
        return "date"
    if DURATION_RE.search(t):
        return "duration"
    if m and m[1]:
        return "quantity"
    return None


def _time_rows(doc, settings):
    """(index, indicator) of the filled-in rows of the framework's 时效 group (``roles.time``), once per project."""
    rows = doc.__dict__.get("_time_rows")
    if rows is None:
        group = layouts.framework_of(settings).roles.time
        rows = doc.__dict__["_time_rows"] = [(i, ind) for i, ind, _ in _rows(doc) if group and ind.level2 == group]
    return rows


@register
class TimeValueShape(Rule):
    code = "T01"
    severity = Severity.WARNING
    title = "时效指标的值要写明时间：截止时间、日期、起止时间、时长、频次或比率；“全年”“年底前”“及时”“按期完成”年终无法考核。"

    def check_project(self, doc, unit, dept, settings):
        y = settings.year
        for i, ind in _time_rows(doc, settings):
            kind = shape(ind.value)
            if kind not in (None, "quantity"):
                continue
            if kind is None and shape(ind.name) in ("deadline", "date", "range"):
                continue  # 12月底前完成审计工作 / 完成: the row names its deadline in the name
            vague = VAGUE_RE.search(ind.value)
            if kind == "quantity":
                why = "是一个数量，不是时间"
            elif vague and vague.group() in ("全年", "年底", "年末", "年内", "年度内", "当年", "本年"):
                why = f"里的“{vague.group()}”没写明是哪一年"
            else:
                why = "没写明日期、期限或年份"
            yield Finding(("indicators", i, "value"),
                          f"时效指标“{ind.name.strip()}”的值“{ind.value.strip()}”{why}，年终无法考核：请写成"
                          f"“{y}年12月31日前”“{y}年1月1日至{y}年12月31日”“≤5个工作日”或“1次/月”这样的时间。", ind.value)


@register
class TimeValueMeaning(Rule):
    code = "T02"
    severity = Severity.WARNING
    title = "周期应写起止时间或频次，时限（完成时间）应写截止时间或时长；全年服务的周期写“≤1工作日”对不上。"

    def check_project(self, doc, unit, dept, settings):
        y = settings.year
        for i, ind in _time_rows(doc, settings):
            kind, name, value = shape(ind.value), ind.name.strip(), ind.value.strip()
            if "周期" in name:
                if kind in ("deadline", "date"):
                    yield Finding(("indicators", i, "value"),
                                  f"“{name}”是一个周期，应写起止时间（如“{y}年1月1日至{y}年12月31日”）或频次"
                                  f"（如“1次/月”），“{value}”只是一个时间点。", ind.value)
                elif kind == "duration" and SERVICE_RE.search(name) and not TURNAROUND_RE.search(name):
                    yield Finding(("indicators", i, "value"),
                                  f"“{name}”是全年提供服务的周期，“{value}”却是单次办理的时长，两者对不上：周期请写起止时间"
                                  f"（如“{y}年1月1日至{y}年12月31日”），时长请另设“办理时限”指标。", ind.value)
            elif LIMIT_NAME_RE.search(name) and kind in ("range", "frequency"):
                what = "一段时间" if kind == "range" else "一个频次"
                yield Finding(("indicators", i, "value"),
                              f"“{name}”是完成时限，应写截止时间（如“{y}年12月31日前”）或时长（如“≤5个工作日”），"
                              f"“{value}”是{what}，说不出何时完成。", ind.value)
