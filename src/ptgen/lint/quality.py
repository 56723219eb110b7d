"""Hints (提示) about what the indicators say: little information, inputs instead of outputs, a goal
and its indicators that name different things, one concept with two comparators."""
from __future__ import annotations

import re
from decimal import Decimal

from .. import layouts
from ..report import Severity
from ..values import MONEY_UNITS
from . import Finding, Rule, register
from .structure import names
from .values import _rows

LOW_INFO_BUDGET = Decimal(1000000)  # 元: a count of one is little information for a project of 100万元 or more
PROJECT_COUNT_RE = re.compile(r"项目|工程|系统|平台")  # what counts the project itself (享受补贴项目数量 1个)


@register
class LowInformationQuantity(Rule):
    code = "Q01"
    severity = Severity.INFO
    title = "数量指标只写“1个项目”“1个系统”（数的是项目本身）说明不了产出，百万元以上的项目应写实际完成的工作量。"

    def check_project(self, doc, unit, dept, settings):
        total = doc.project.budget.total
        quantity = layouts.framework_of(settings).roles.quantity
        if total is None or settings.money_unit not in MONEY_UNITS or \
                total * MONEY_UNITS[settings.money_unit] < LOW_INFO_BUDGET:
            return
        for i, ind, v in _rows(doc):
            if ind.level2 == quantity and v.kind == "quantity" and v.number == 1 and v.unit in ("个", "项") \
                    and v.op in (None, "=", "≥") and PROJECT_COUNT_RE.search(ind.name):
                yield Finding(("indicators", i, "value"), f"预算 {total}{settings.money_unit} 的项目，数量指标“{ind.name.strip()}”"
                              f"只写了“{ind.value}”：请写实际完成的工作量（服务人次、场次、覆盖单位数……）。", ind.value)


INPUT_RE = re.compile(r"资质|资格证|持证|人员配备|配备人员|人员到位|资金到位|预算执行率|制度健全|制度建设")


@register
class InputNotOutput(Rule):
    code = "Q02"
    severity = Severity.INFO
    title = "资质、人员配备、资金到位这类是投入或条件，不是产出或效益，宜换成项目完成的产出。"

    def check_project(self, doc, unit, dept, settings):
        if not INPUT_RE.search("\n".join(names(doc))):
            return
        cost = layouts.framework_of(settings).roles.cost
        for i, ind in enumerate(doc.project.indicators):
            m = INPUT_RE.search(ind.name)
            if m and cost not in (ind.level1, ind.level2):
                yield Finding(("indicators", i, "name"), f"“{ind.name.strip()}”（{m.group()}）说的是投入或条件，"
                              "不是项目的产出或效益：宜换成项目做成了什么，例如服务人次、补贴发放及时率。", ind.name)


# One edition, phase or batch of a named thing: 第48届世赛, 第二届职业技能大赛, 12333云平台（五期）.
EDITION_AFTER_RE = re.compile(r"第\s*([0-9一二三四五六七八九十百]+)\s*([届期批轮])\s*([\u4e00-\u9fffA-Za-z0-9]{2})")
EDITION_BEFORE_RE = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{2})\s*[（(]\s*([0-9一二三四五六七八九十]+)\s*(期)\s*[)）]")


EDITION_MARK_RE = re.compile(r"第\s*[0-9一二三四五六七八九十百]+\s*[届期批轮]|期\s*[)）]")


def _editions(text: str | None) -> dict[tuple[str, str], set[str]]:
    """{(the thing, 届/期): {the editions named}} — ``第48届世赛`` gives ``{("世赛", "届"): {"48"}}``."""
    out: dict[tuple[str, str], set[str]] = {}
    if not text or not EDITION_MARK_RE.search(text):
        return out
    for m in EDITION_AFTER_RE.finditer(text or ""):
        out.setdefault((m[3], m[2]), set()).add(m[1])
    for m in EDITION_BEFORE_RE.finditer(text or ""):
        out.setdefault((m[1], m[3]), set()).add(m[2])
    return out


@register
class GoalMismatch(Rule):
    code = "Q03"
    severity = Severity.INFO
    title = "指标里的届次、期数要与项目名称和绩效目标一致（目标写“五期”，指标却写“四期”，多是沿用了往年的表）。"

    def check_project(self, doc, unit, dept, settings):
        p = doc.project
        goal: dict[tuple[str, str], set[str]] = {}
        for text in (p.name, p.goals, p.purpose):
            for key, eds in _editions(text).items():
                goal.setdefault(key, set()).update(eds)
        for i, ind in enumerate(p.indicators):
            for (thing, kind), eds in _editions(ind.name).items():
                if (thing, kind) in goal and eds - goal[(thing, kind)]:
                    said = "、".join(sorted(goal[(thing, kind)]))
                    yield Finding(("indicators", i, "name"), f"指标“{ind.name.strip()}”写的是第{'、'.join(sorted(eds))}{kind}"
                                  f"“{thing}”，项目名称和绩效目标写的是第{said}{kind}：请核对是不是沿用了往年的表。", ind.name)


@register
class ComparatorConsistency(Rule):
    code = "Q04"
    severity = Severity.INFO
    title = "同一张表里同样的目标值要用同样的写法（不要一处“100%”、一处“≥100%”）。"

    def check_project(self, doc, unit, dept, settings):
        by_number: dict[Decimal, dict[str, list]] = {}
        for i, ind, v in _rows(doc):
            if v.is_percent and v.number is not None:
                by_number.setdefault(v.number, {}).setdefault(v.op or "=", []).append((i, ind))
        for number, ops in by_number.items():
            if len(ops) < 2:
                continue
            # the usual writing of the table is the most frequent (the first on a tie); the others are reported
            usual = max(ops, key=lambda op: (len(ops[op]), -ops[op][0][0]))
            _, model = ops[usual][0]
            for op, rows in ops.items():
                for i, ind in rows if op != usual else ():
                    yield Finding(("indicators", i, "value"), f"“{ind.name.strip()}”写“{ind.value}”，本表其他地方"
                                  f"（如“{model.name.strip()}”）写“{model.value}”：同样的目标值请用同样的比较符。", ind.value)
