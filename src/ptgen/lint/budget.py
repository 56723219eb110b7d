"""Rules about money: the budget's arithmetic and the 成本指标 against it."""
from __future__ import annotations

from decimal import Decimal

from .. import layouts
from ..report import Severity
from ..values import MONEY_UNITS, parse, to_money
from . import Finding, Rule, register, unfilled


def _is_cost(ind, cost: str | None) -> bool:
    """A row of the framework's cost group (``roles.cost``: a 一级 or a 二级, e.g. 经济成本指标 under it)."""
    return bool(cost) and (ind.level2 == cost or ind.level1 == cost or ind.level2.endswith(cost))


STANDARD_WORDS = ("标准", "人均", "单价", "平均", "每人", "每月")


def _total_amount(ind, v, unit):
    """The amount of a cost row that is a total (not a unit standard such as 人均标准), in ``unit``."""
    if any(w in ind.name for w in STANDARD_WORDS):
        return None
    return to_money(v, unit)


def _costs(doc, settings):
    """(index, indicator, parsed value) of the filled-in cost rows, worked out once per project (eight
    rules read them)."""
    rows = doc.__dict__.get("_cost_rows")
    if rows is None:
        cost = layouts.framework_of(settings).roles.cost
        rows = doc.__dict__["_cost_rows"] = [(i, ind, parse(ind.value)) for i, ind in enumerate(doc.project.indicators)
                                             if _is_cost(ind, cost) and not unfilled(ind.value)]
    return rows


@register
class BudgetSum(Rule):
    code = "B01"
    severity = Severity.ERROR
    title = "预算数必须等于财政资金、上年结转资金与其他资金之和（空白按 0 计）。"

    def check_project(self, doc, unit, dept, settings):
        b = doc.project.budget
        parts_shown = {f"budget.{k}" for k in ("fiscal", "carryover", "other")} & layouts.shown_fields(layouts.of(settings))
        if b.total is None or not parts_shown:  # a form that prints only the total has no sum to check
            return
        parts = sum((x or Decimal(0)) for x in (b.fiscal, b.carryover, b.other))
        if parts != b.total:
            yield Finding(("budget", "total"), f"预算数 {b.total} 不等于各项资金之和 {parts}"
                          f"（财政资金 {b.fiscal or '空'}，其他资金 {b.other or '空'}"
                          + (f"，上年结转资金 {b.carryover}" if b.carryover is not None else "") + "）。", str(b.total))


@register
class MoneyScale(Rule):
    code = "B02"
    severity = Severity.WARNING
    title = "金额统一保留两位小数，与发布稿一致。"

    def check_project(self, doc, unit, dept, settings):
        b = doc.project.budget
        for key in ("total", "fiscal", "carryover", "other"):
            v = getattr(b, key)
            if v is not None and v.as_tuple().exponent != -2:
                yield Finding(("budget", key), f"金额“{v}”应保留两位小数（例如 {v.quantize(Decimal('0.01'))}）。", str(v))


@register
class CostsWithinBudget(Rule):
    code = "C01"
    severity = Severity.ERROR
    title = "以金额表示的成本指标合计不能超过预算数（单位换算后比较）。"

    def check_project(self, doc, unit, dept, settings):
        total = doc.project.budget.total
        amounts = [(i, _total_amount(ind, v, settings.money_unit)) for i, ind, v in _costs(doc, settings)]
        amounts = [(i, a) for i, a in amounts if a is not None]
        if total is None or not amounts:
            return
        s = sum(a for _, a in amounts)
        if s > total:
            yield Finding(("indicators", amounts[0][0], "value"),
                          f"成本指标金额合计 {s.normalize():f}{settings.money_unit} 超过了预算数 {total}{settings.money_unit}。")


@register
class CostsReconcile(Rule):
    code = "C07"
    severity = Severity.WARNING
    title = "成本指标都是总额时，合计应等于预算数，否则说明有支出没有对应的成本指标。"

    def check_project(self, doc, unit, dept, settings):
        total = doc.project.budget.total
        costs = list(_costs(doc, settings))
        amounts = [_total_amount(ind, v, settings.money_unit) for _, ind, v in costs]
        if total is None or not costs or any(a is None for a in amounts):
            return
        s = sum(amounts)
        if s < total:
            yield Finding(("indicators", costs[0][0], "value"),
                          f"成本指标金额合计 {s.normalize():f}{settings.money_unit} 少于预算数 {total}{settings.money_unit}，"
                          f"差 {(total - s).normalize():f}{settings.money_unit}。")


@register
class SingleCostWithinBudget(Rule):
    code = "C02"
    severity = Severity.ERROR
    title = "任何一项成本指标金额都不能超过预算数。"

    def check_project(self, doc, unit, dept, settings):
        total = doc.project.budget.total
        if total is None:
            return
        for i, ind, v in _costs(doc, settings):
            a = _total_amount(ind, v, settings.money_unit)
            if a is not None and a > total:
                yield Finding(("indicators", i, "value"), f"成本指标“{ind.name}”的金额 {ind.value} 超过了预算数 "
                              f"{total}{settings.money_unit}。", ind.value)


@register
class CostHasMoneyUnit(Rule):
    code = "C03"
    severity = Severity.WARNING
    title = "成本指标的值必须带金额单位（万元、元，或 元/人 这样的单价）。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _costs(doc, settings):
            if v.unit == "万":
                continue  # C04 says it better
            if v.money_unit is None and not v.money_rate:
                yield Finding(("indicators", i, "value"), f"成本指标“{ind.name}”的值“{ind.value}”没有金额单位"
                              f"（应写成例如 ≤10{settings.money_unit}）。", ind.value)


@register
class WanWithoutYuan(Rule):
    code = "C04"
    severity = Severity.WARNING
    title = "金额单位写“万元”，不要只写“万”。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _costs(doc, settings):
            if v.unit == "万" or v.unit.startswith("万/"):
                yield Finding(("indicators", i, "value"), f"“{ind.value}”的单位应写“万元”。", ind.value)


@register
class CostComparator(Rule):
    code = "C05"
    severity = Severity.WARNING
    title = "成本指标是上限，比较符应为“≤”（固定标准可用“=”），不能是“≥”。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _costs(doc, settings):
            if v.op in ("≥", ">"):
                yield Finding(("indicators", i, "value"), f"成本指标“{ind.name}”用了“{v.op}”：成本应控制在上限以内，"
                              "请改为“≤”。", ind.value)


PERIOD_MARKS = ("月", "年", "季", "周", "天", "日", "次", "期", "小时", "课时")


@register
class StandardPeriod(Rule):
    code = "C06"
    severity = Severity.INFO
    title = "成本里的单价标准（如 3020元/人）要写明期间：每月、每年还是一次，例如“3020元/人·月”，否则无法核对总额。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _costs(doc, settings):
            if v.op in (None, "=") and v.money_rate and not any(m in v.unit for m in PERIOD_MARKS):
                yield Finding(("indicators", i, "value"), f"成本标准“{ind.value.strip()}”没写期间（每月、每年还是一次？）："
                              f"请写成例如“{ind.value.strip()}·月”。", ind.value)


@register
class CostSameUnit(Rule):
    code = "C08"
    severity = Severity.INFO
    title = "成本金额应与表头的金额单位一致，避免合计时换算出错（人均标准、平均单价这类标准不合计，不在此列）。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind, v in _costs(doc, settings):
            if any(w in ind.name for w in STANDARD_WORDS):
                continue  # 补贴人均标准 ≥3012元 in a 万元 table: a standard is not added up, 元 is its natural unit
            if v.money_unit and v.money_unit != settings.money_unit and v.money_unit in MONEY_UNITS:
                yield Finding(("indicators", i, "value"), f"成本指标“{ind.name}”用的单位是{v.money_unit}，"
                              f"表格金额单位是{settings.money_unit}。", ind.value)
