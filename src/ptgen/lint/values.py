"""Rules about indicator values: syntax, units, percentages, satisfaction and dates."""
from __future__ import annotations

import re
from decimal import Decimal

from .. import layouts
from ..report import Severity
from ..values import parse, years
from . import PLACEHOLDER_RE, Finding, Rule, register, unfilled
from .text import joined

ODD_UNITS = {"项数", "次数", "个数", "人数", "套或件", "平米/年", "平方米/年"}
VAGUE = ("不断提升", "显著提高", "显著提升", "有效提升", "有效提高", "有效改善", "作用较显著", "稳步提高", "持续改善",
         "明显提升", "良好", "改善", "完成年度目标", "完成年度任务", "提高", "提升")
DESCRIPTIVE_RE = re.compile(r"通过|按月|每月|每日|针对|进行|开展")


def _rows(doc):
    """(index, indicator, parsed value) of the filled-in values — worked out once per project, a dozen
    rules read it.  An unfilled value is E01's or V10's alone."""
    rows = doc.__dict__.get("_value_rows")
    if rows is None:
        rows = doc.__dict__["_value_rows"] = [(i, ind, parse(ind.value)) for i, ind in enumerate(doc.project.indicators)
                                              if not unfilled(ind.value)]
    return rows


@register
class ValueSyntax(Rule):
    code = "V00"
    severity = Severity.ERROR
    title = "指标值写了比较符（≥ ≤ = > <）就必须紧跟数字，例如 ≥10个。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if v.op and v.kind == "text":
                yield Finding(("indicators", i, "value"), f"指标值“{ind.value}”在比较符后面没有数字。", ind.value)


@register
class PercentRange(Rule):
    code = "V01"
    severity = Severity.ERROR
    title = "百分比只能在 0% 到 100% 之间。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if v.is_percent and v.number is not None and v.number > 100:
                yield Finding(("indicators", i, "value"), f"“{ind.value}”超过了 100%。", ind.value)


@register
class AtLeastHundredPercent(Rule):
    code = "V11"
    severity = Severity.WARNING
    title = "“≥100%”不可能超过，实际就是 100%：请写 100%（或 =100%），满意度定 100% 也不可信。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if v.is_percent and v.op in ("≥", ">") and v.number is not None and v.number >= 100:
                yield Finding(("indicators", i, "value"), f"“{ind.value}”：百分比不可能超过 100%，“≥100%”等于 100%。",
                              ind.value)


@register
class QuantityWithoutUnit(Rule):
    code = "V02"
    severity = Severity.WARNING
    title = "数量型指标值要写单位（个、次、人次、%……），否则无法考核。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if v.kind == "quantity" and not v.unit:
                yield Finding(("indicators", i, "value"), f"指标值“{ind.value}”没有单位。", ind.value)


@register
class OddUnit(Rule):
    code = "V04"
    severity = Severity.WARNING
    title = "单位要规范：写“项”不写“项数”，写“平方米”不写“平米/年”，不用“套或件”这样的复合单位。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if v.kind == "quantity" and v.unit in ODD_UNITS:
                yield Finding(("indicators", i, "value"), f"指标值“{ind.value}”的单位“{v.unit}”不规范。", ind.value)


@register
class QuantityUpperBound(Rule):
    code = "V05"
    severity = Severity.WARNING
    title = "数量指标是要完成的产出，通常用“≥”；用“≤”往往是把成本或投入写成了数量。"

    def check_project(self, doc, unit, dept, settings):
        quantity = layouts.framework_of(settings).roles.quantity
        for i, ind, v in _rows(doc):
            if ind.level2 == quantity and v.op in ("≤", "<"):
                yield Finding(("indicators", i, "value"), f"数量指标“{ind.name}”用了“{v.op}”（{ind.value}）。", ind.value)


@register
class RateNeedsNumber(Rule):
    code = "V06"
    severity = Severity.WARNING
    title = "名称里有“率”的指标，值应是百分比，不能只写文字。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if "率" in ind.name and v.kind != "quantity":
                yield Finding(("indicators", i, "value"), f"“{ind.name}”是一个比率，值却是“{ind.value}”：请写成百分比，"
                              "例如 ≥95%。", ind.value)


@register
class VagueValue(Rule):
    code = "V07"
    severity = Severity.INFO
    title = "“有效提升”“显著提高”这类笼统的定性值难以考核，按财预〔2021〕101号应尽量量化或分级。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if v.kind == "text" and not v.op and ind.value.strip() in VAGUE:
                yield Finding(("indicators", i, "value"), f"指标值“{ind.value}”比较笼统，难以考核。", ind.value)


@register
class ValueIsDescription(Rule):
    code = "V08"
    severity = Severity.WARNING
    title = "指标值应是目标值，不是工作方法的描述。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            text = ind.value.strip()
            if v.kind == "text" and (len(text) > 20 or (len(text) > 10 and DESCRIPTIVE_RE.search(text))):
                yield Finding(("indicators", i, "value"), f"指标值“{text[:30]}…”是一段描述，不是可考核的目标值。", ind.value)


@register
class ValueEqualsName(Rule):
    code = "V09"
    severity = Severity.ERROR
    title = "指标值不能照抄指标名称。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _rows(doc):
            if ind.value.strip() and ind.value.strip() == ind.name.strip():
                yield Finding(("indicators", i, "value"), f"指标值和指标名称都是“{ind.value}”。", ind.value)


@register
class Placeholder(Rule):
    code = "V10"
    severity = Severity.ERROR
    title = "模板里的占位符（**、XX、……）必须换成实际内容。"

    def check_project(self, doc, unit, dept, settings):
        if not PLACEHOLDER_RE.search(joined(doc)):
            return  # every name, value and description is one of the project's text cells
        for i, ind in enumerate(doc.project.indicators):
            for key in ("name", "value", "description"):
                text = getattr(ind, key) or ""
                if PLACEHOLDER_RE.search(text):
                    yield Finding(("indicators", i, key), f"“{text}”里还有没填的占位符。", text)


def _satisfaction(doc, settings):
    """The rows of the framework's satisfaction group (``roles.satisfaction``), once per project."""
    rows = doc.__dict__.get("_satisfaction_rows")
    if rows is None:
        group = layouts.framework_of(settings).roles.satisfaction
        rows = doc.__dict__["_satisfaction_rows"] = [
            (i, ind, v) for i, ind, v in _rows(doc) if group and (ind.level1 == group or group in ind.level2)]
    return rows


# A percentage threshold, however its comparator is written: ≥90%, =90.00(%), 不低于90%, 90%以上.
PERCENT_THRESHOLD_RE = re.compile(r"^\s*(?:[\u4e00-\u9fff]{0,6}满意[度率])?\s*"  # 满意度达到90%
                                  r"(?:>=|<=|[≥≤=＝><＞＜≧≦]|不低于|不少于|大于等于|大于|高于|达到|超过)?\s*\d+(?:\.\d+)?\s*"
                                  r"[(（]?[%％][)）]?\s*(?:以上|及以上|或以上)?[。.]?\s*$")


@register
class SatisfactionIsPercent(Rule):
    code = "S01"
    severity = Severity.WARNING
    title = "满意度指标的值应是百分比门槛，例如 ≥90%；“非常满意”“不断提升”“较高”这样的文字无法考核。"

    def check_project(self, doc, unit, dept, settings):
        group = layouts.framework_of(settings).roles.satisfaction
        for i, ind, v in _rows(doc):
            in_group = bool(group) and (ind.level1 == group or group in ind.level2)
            if not (in_group or "满意" in ind.name) or PERCENT_THRESHOLD_RE.match(ind.value):
                continue
            name, value = ind.name.strip(), ind.value.strip()
            if v.kind != "quantity" and not re.search(r"\d", value):  # wording, whatever it says
                yield Finding(("indicators", i, "value"), f"满意度“{name}”的值“{value}”是文字，不是可考核的目标："
                              "请写成百分比门槛，例如“≥90%”。", ind.value)
            elif "满意" in ind.name:  # a number, but not a percentage (≥90, 90分)
                yield Finding(("indicators", i, "value"), f"满意度“{name}”的值“{value}”不是百分比：请写成例如“≥90%”。",
                              ind.value)


@register
class SatisfactionRange(Rule):
    code = "S02"
    severity = Severity.WARNING
    title = "满意度目标一般在 85% 到 100% 之间（不含 100%）：太低没有意义，100% 不可信。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _satisfaction(doc, settings):
            if v.is_percent and v.number is not None and not (Decimal(85) <= v.number < 100):
                yield Finding(("indicators", i, "value"), f"满意度目标“{ind.value}”不在 85%～100%（不含）之间。", ind.value)


@register
class SatisfactionName(Rule):
    code = "S03"
    severity = Severity.WARNING
    title = "满意度指标下只放满意度，其他指标应归到产出或效益指标。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _satisfaction(doc, settings):
            if "满意" not in ind.name and not unfilled(ind.name):
                yield Finding(("indicators", i, "name"), f"“{ind.name}”不是满意度，却放在满意度指标下。", ind.name)


@register
class DatesInBudgetYear(Rule):
    code = "T03"
    severity = Severity.ERROR
    title = "指标值和计划日期里的年份必须是预算年度（跨年项目另行说明）。"

    def check_project(self, doc, unit, dept, settings):
        p = doc.project
        for f in layouts.of(settings).fields:  # the form's dates (上海: 计划开始日期, 计划完成日期)
            text = p.extras.get(f.key) if f.kind == "date" else None
            key = f.key
            if text:
                for y in years(text):
                    if y != settings.year:
                        yield Finding((key,), f"日期“{text}”不在预算年度 {settings.year} 年内。", text)
        for i, ind, v in _rows(doc):
            if "年" not in ind.value and "-" not in ind.value:
                continue  # no year can be written without one of them (2025年, 2025-12-31)
            for y in years(ind.value):
                if y != settings.year:
                    yield Finding(("indicators", i, "value"), f"“{ind.value}”写的是 {y} 年，预算年度是 {settings.year} 年。",
                                  ind.value)
                    break


# Units by what they count (V03): a unit of another family than the name's measure is a mistake.
_PEOPLE, _EVENTS = {"人", "名"}, {"场", "场次", "次", "期", "批", "轮"}
_THINGS = {"个", "家", "户", "所", "项", "类", "种", "件", "台", "套", "份", "册", "本", "篇", "条", "座", "家次", "户次"}
_AREA, _MONEY = {"平方米", "㎡", "亩", "公顷", "平米", "万平方米"}, {"元", "万元", "亿元", "千元"}
KNOWN_UNITS = _PEOPLE | _EVENTS | _THINGS | _AREA | _MONEY | {"人次"}
NAME_MEASURES = (("人次", {"人次"}), ("人数", _PEOPLE), ("场次", {"场", "场次", "次", "期"}), ("次数", _EVENTS | {"人次"}),
                 ("户数", {"户"}), ("面积", _AREA))
RATE_ENDS = ("率", "率）", "率)")


@register
class UnitMatchesName(Rule):
    code = "V03"
    severity = Severity.WARNING
    title = "单位要与指标名称相符：“人次”不能写成“场次”，名称是“…率”的值应是百分比；比率不放在数量指标下。"

    def check_project(self, doc, unit, dept, settings):
        quantity = layouts.framework_of(settings).roles.quantity
        for i, ind, v in _rows(doc):
            if v.kind != "quantity":
                continue
            name = ind.name.strip()
            if name.endswith(RATE_ENDS) and v.unit in KNOWN_UNITS:
                yield Finding(("indicators", i, "value"), f"“{name}”是一个比率，值“{ind.value}”的单位却是“{v.unit}”："
                              "请写成百分比，或把名称改成数量。", ind.value)
            elif quantity and ind.level2 == quantity and (v.is_percent or name.endswith(RATE_ENDS)):
                yield Finding(("indicators", i, "value"), f"“{name}”（{ind.value}）是比率，不是数量：请把它放到质量指标下，"
                              "或在数量指标里写完成的数量（如“≥10个”）。", ind.value)
            else:
                for word, units in NAME_MEASURES:
                    if word in name:
                        if v.unit in KNOWN_UNITS and v.unit not in units:
                            yield Finding(("indicators", i, "value"), f"指标名称说的是“{word}”，值“{ind.value}”的单位却是"
                                          f"“{v.unit}”：请统一名称和单位。", ind.value)
                        break
