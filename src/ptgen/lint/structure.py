"""Rules about the shape of a table: indicator groups, their order, required cells, bookmarks."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .. import bookmarks, layouts
from ..report import Severity
from . import Finding, Rule, register, unfilled
from .text import description_core

@register
class LevelMembership(Rule):
    code = "H01"
    severity = Severity.ERROR
    title = "一级、二级指标要用所选指标体系（mof2013 / mof2015 / mof2021）规定的名称，二级指标要放在对应的一级下。"

    def check_project(self, doc, unit, dept, settings):
        fw = layouts.framework_of(settings).tree
        for i, ind in enumerate(doc.project.indicators):
            if not ind.level1.strip() or not ind.level2.strip():
                continue  # E01 reports empty cells
            if ind.level1 not in fw:
                yield Finding(("indicators", i, "level1"), f"一级指标“{ind.level1}”不在指标体系中"
                              f"（应为 {'、'.join(fw)} 之一）。", ind.level1)
            elif ind.level2 not in fw[ind.level1]:
                yield Finding(("indicators", i, "level2"), f"二级指标“{ind.level2}”不属于“{ind.level1}”"
                              f"（应为 {'、'.join(fw[ind.level1])} 之一）。", ind.level2)


@register
class RequiredGroups(Rule):
    code = "H02"
    severity = Severity.ERROR
    title = "每个项目都要有所选指标体系的各个一级指标（产出、效益、满意度指标），以及成本指标。"

    def check_project(self, doc, unit, dept, settings):
        inds = doc.project.indicators
        present = {i.level1 for i in inds} | {i.level2 for i in inds}
        missing = [g for g in layouts.framework_of(settings).required if g not in present]
        if missing:
            yield Finding(("indicators",), f"缺少{'、'.join(missing)}。")


@register
class GroupOrder(Rule):
    code = "H03"
    severity = Severity.WARNING
    title = "指标按体系顺序分组排列（同一个二级指标的行放在一起），读者才能看清。"

    def check_project(self, doc, unit, dept, settings):
        fw = layouts.framework_of(settings).tree
        order = {(l1, l2): (a, b) for a, l1 in enumerate(fw) for b, l2 in enumerate(fw[l1])}
        last = (-1, -1)
        seen: set[tuple[str, str]] = set()
        prev: tuple[str, str] | None = None
        for i, ind in enumerate(doc.project.indicators):
            key = (ind.level1, ind.level2)
            rank = order.get(key)
            if rank is None:
                continue  # H01
            if key != prev and key in seen:
                yield Finding(("indicators", i, "level2"), f"“{ind.level2}”的指标被其他指标隔开了"
                              f"（第 {i + 1} 行“{ind.name}”）：同类指标应排在一起。", ind.level2)
            elif rank < last:
                yield Finding(("indicators", i, "level2"), f"“{ind.level1}/{ind.level2}”排在了后面的类别之后"
                              f"（第 {i + 1} 行“{ind.name}”）。", ind.level2)
            seen.add(key)
            prev = key
            last = max(last, rank)


@register
class DuplicateIndicator(Rule):
    code = "H08"
    severity = Severity.WARNING
    title = "同一项目中三级指标名称不能重复，否则无法分别考核。"

    def check_project(self, doc, unit, dept, settings):
        if len(set(names(doc))) == len(names(doc)):
            return
        counts = Counter(names(doc))
        reported: set[str] = set()
        for i, ind in enumerate(doc.project.indicators):
            name = ind.name.strip()
            if not unfilled(name) and counts[name] > 1 and name not in reported:
                reported.add(name)
                yield Finding(("indicators", i, "name"), f"三级指标“{name}”出现了 {counts[name]} 次。", ind.name)


@register
class RequiredCells(Rule):
    code = "E01"
    severity = Severity.ERROR
    title = "版式要求填写的单元格不能空着（项目名称、预算数、绩效目标、各级指标名称和指标值等）。"

    def check_project(self, doc, unit, dept, settings):
        p = doc.project
        if not p.name.strip():
            yield Finding(("name",), "项目名称是空的，待填写。")
        if p.budget.total is None:
            yield Finding(("budget", "total"), "预算数是空的，待填写。")
        if not p.goals.strip():
            yield Finding(("goals",), "绩效目标是空的，待填写。")
        form = layouts.of(settings)
        required = list(form.required) + [f.key for f in form.fields if f.required]
        for path in required:  # what this form requires beyond every form's cells
            if not str(layouts.field_value(p, path) or "").strip():
                yield Finding(tuple(path.split(".")), f"{layouts.field_title(path, form)}是空的，待填写。")
        if not p.indicators:
            yield Finding(("indicators",), "没有任何绩效指标。")
        labels = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "value": "指标值"}
        if "description" in layouts.grid_fields(form):
            labels["description"] = "绩效指标描述"
        for i, ind in enumerate(p.indicators):
            for key, label in labels.items():
                if not (getattr(ind, key) or "").strip():
                    group = "/".join(g for g in (ind.level1.strip(), ind.level2.strip()) if g)
                    where = f"第 {i + 1} 行指标" + (f"（{group}）" if group else "")
                    yield Finding(("indicators", i, key), f"{where}的{label}是空的，待填写。")


@register
class BookmarkName(Rule):
    code = "P03"
    severity = Severity.ERROR
    title = "书签名要合法（字母数字下划线，最多 40 个字符），否则 Word 会截断或丢掉，目录和链接失效。"

    def check_project(self, doc, unit, dept, settings):
        why = bookmarks.problem(doc.project.bookmark)
        if why:
            hint = ""
            if not doc.project.bookmark:
                hint = "（新项目请用下一个空闲的书签名，可运行 ptgen check 查看提示，或用 ptgen new 生成）"
            yield Finding(("bookmark",), f"{why}{hint}。", doc.project.bookmark)


@register
class BookmarkUnique(Rule):
    code = "P04"
    severity = Severity.ERROR
    title = "书签名在整个出版物中必须唯一：Word 遇到同名书签只保留一个，链接会指错表。"
    scope = "publication"

    def check_publication(self, pub):
        first: dict[str, str] = {}
        for _, _, doc in pub.projects():
            name = doc.bookmark
            if not name:
                continue
            if name in first:
                yield Finding(("bookmark",), f"书签名 {name} 已经用于 {first[name]}。", name, doc=doc)
            else:
                first[name] = doc.source.rel


@register
class TitleMatchesName(Rule):
    code = "P01"
    severity = Severity.WARNING
    title = "表格标题应是“项目名称+绩效目标表”，与项目名称不一致的标题会让读者对不上表。"

    def check_project(self, doc, unit, dept, settings):
        p = doc.project
        if p.title is not None and p.title != f"{p.name}绩效目标表":
            yield Finding(("title",), f"标题“{p.title}”与项目名称“{p.name}”不一致。", p.title)


@register
class UnitCodes(Rule):
    code = "P02"
    severity = Severity.WARNING
    title = "预算单位编码应以主管部门编码开头，单位按编码顺序排列。"
    scope = "publication"

    def check_publication(self, pub):
        for d in pub.departments:
            codes = []
            for i, u in enumerate(d.units):
                code = u.unit.code
                if code and d.department.code and not code.startswith(d.department.code):
                    yield Finding(("code",), f"单位编码 {code} 不以部门编码 {d.department.code} 开头。", code, doc=u)
                if code and not re.fullmatch(r"\d+", code):
                    yield Finding(("code",), f"单位编码“{code}”应只含数字。", code, doc=u)
                codes.append((i, code))
            known = [(i, c) for i, c in codes if c]
            for (i, a), (j, b) in zip(known, known[1:]):
                if b < a:
                    yield Finding(("units", j), f"单位 {b} 排在了 {a} 之后，应按编码顺序排列。", b, doc=d)


GENERIC_NAMES = {"其他", "其它", "无", "指标", "其他指标", "成本", "数量", "质量", "时效", "效益", "满意度"}


def names(doc) -> list[str]:
    """The 三级指标 names of a project, stripped, in row order (worked out once: several rules read them
    and first test them all at once)."""
    cached = doc.__dict__.get("_names")
    if cached is None:
        cached = doc.__dict__["_names"] = [ind.name.strip() for ind in doc.project.indicators]
    return cached


@lru_cache(maxsize=None)
def _category_words(framework: str) -> frozenset[str]:
    """The generic words and the framework's 一级/二级 labels, with and without 指标."""
    labels = set(GENERIC_NAMES)
    for l1, l2s in layouts.framework(framework).tree.items():
        for label in (l1, *l2s):
            labels |= {label, label.removesuffix("指标")}
    return frozenset(labels)


@register
class SpecificName(Rule):
    code = "H04"
    severity = Severity.WARNING
    title = "三级指标要写具体的名称（考核什么），不能只写“其他”“成本”或一级、二级指标的名称。"

    def check_project(self, doc, unit, dept, settings):
        labels = _category_words(layouts.framework_of(settings).name)
        if labels.isdisjoint(names(doc)):
            return
        for i, ind in enumerate(doc.project.indicators):
            name = ind.name.strip()
            if "满意" in name and name != "满意度" and not name.endswith("指标"):
                continue  # 服务对象满意度: says whose satisfaction, as the national templates write it
            if name in labels:
                yield Finding(("indicators", i, "name"), f"三级指标“{name}”只是一个类别，不是具体指标：请写明考核的内容，"
                              "例如“培训人次”“验收合格率”。", ind.name)


SENTENCE_RE = re.compile(r"[。；;！？!?，,]")
MAX_NAME = 30


@register
class ShortName(Rule):
    code = "H05"
    severity = Severity.WARNING
    title = f"三级指标名称要简短（不超过 {MAX_NAME} 个字，不用句子标点），说明写在指标描述里。"

    def check_project(self, doc, unit, dept, settings):
        all_names = names(doc)
        if not all_names or (max(map(len, all_names)) <= MAX_NAME and not SENTENCE_RE.search("\n".join(all_names))):
            return
        for i, ind in enumerate(doc.project.indicators):
            name = ind.name.strip()
            if unfilled(name):
                continue
            m = SENTENCE_RE.search(name)
            if m:
                yield Finding(("indicators", i, "name"), f"三级指标“{name}”里有标点“{m.group()}”，像一句话：名称请写成短语，"
                              "说明放到指标描述里。", ind.name)
            elif len(name) > MAX_NAME:
                yield Finding(("indicators", i, "name"), f"三级指标名称有 {len(name)} 个字（“{name[:12]}…”），"
                              f"超过 {MAX_NAME} 个字：请精简，说明放到指标描述里。", ind.name)


# What a count's name ends with when it says what is counted (数量, 人次, 面积 …, or a measure word).
HEADS = ("数", "量", "人次", "场次", "规模", "面积", "长度", "里程", "射程", "距离", "容量", "种类", "类", "个", "项", "人", "次", "场",
         "家", "户", "台", "套", "份", "条", "册", "期", "批", "所", "班", "名", "篇", "件", "座", "率", "度", "时间", "时限", "周期",
         "范围", "覆盖面")
TAIL_RE = re.compile(r"[（(][^（()）]*[)）]$")


DESC_HEADS = ("数量", "人数", "人次", "场次", "次数", "个数", "户数", "家数", "项数", "天数", "率", "面积", "金额", "规模")


@register
class TruncatedName(Rule):
    code = "H06"
    severity = Severity.WARNING
    title = "三级指标名称要说明考核的是什么：描述说“…人数”，名称却只到“…补贴”为止，像是被截断了。"

    def check_project(self, doc, unit, dept, settings):
        for i, ind in enumerate(doc.project.indicators):
            name, desc = ind.name.strip(), (ind.description or "").strip()
            if not desc or unfilled(name) or unfilled(desc) or name in GENERIC_NAMES:
                continue
            if not desc.rstrip("。.；; ").endswith(DESC_HEADS):
                continue  # the description names no head noun (the usual case: decided without a regex)
            if name.endswith(("）", ")")):
                name = TAIL_RE.sub("", name)  # 开展公共招聘场次（含线上）
            core = description_core(desc)
            head = next((h for h in DESC_HEADS if core.endswith(h)), None)
            if head is None or name.endswith(HEADS) or name.endswith(DESC_HEADS):
                continue
            stem = core[:-len(head)].rstrip("的")
            if len(stem) >= 2 and (stem in name or name.startswith(stem) or stem.startswith(name)):
                yield Finding(("indicators", i, "name"), f"三级指标“{ind.name.strip()}”像是缺了中心词：描述说的是“{core}”，"
                              f"名称请写全，例如“{stem}{head}”。", ind.name)
