"""Rules of the yearly cycle: a year left from last year (after ``ptgen rollover``) and a project
identity used twice (the identity follows a project across years, so it must be unique)."""
from __future__ import annotations

from .. import layouts
from ..report import Severity
from . import Finding, Rule, register

INDICATOR_TEXT = ("name", "description")  # the value is T03's: every year in it must be the budget year


def stale_years(text: str, year: int) -> list[tuple[int, str]]:
    """The places in ``text`` that name the year before ``year`` as a budget year would be named
    (``2025年度``, ``2025年12月31日前``, ``2025.07``): what ``rollover`` from that year changes,
    as (offset, excerpt)."""
    if str(year - 1) not in text:  # every place rollover changes names that year: most texts name none
        return []
    from ..rollover import SHIFT, _excerpt, classify
    return [(a, _excerpt(text, a, b, 0, 8)) for a, b, what, _ in classify(text, year - 1, 1) if what == SHIFT]


@register
class StaleYear(Rule):
    code = "N01"
    severity = Severity.WARNING
    title = "文字里的“上一年度”（例如 2025年度、2025年12月31日前）多半是转入新年度时漏改的：请改成预算年度，确属往年的事请改写得明确。"
    scope = "publication"  # the title; each project in check_project (Finding.at: the line inside a block of text)

    def check_publication(self, pub):
        for _, found in stale_years(pub.settings.title, pub.settings.year):
            yield Finding(("title",), f"出版物标题里的“{found}”是上一年度（{pub.settings.year - 1} 年）的写法，"
                                      f"预算年度是 {pub.settings.year} 年：转入新年度时漏改了吗？", pub.settings.title)

    def check_project(self, doc, unit, dept, settings):
        p, year = doc.project, settings.year
        texts = [(("purpose",), p.purpose), (("goals",), p.goals)]
        texts += [((f.key,), p.extras.get(f.key)) for f in layouts.of(settings).fields if f.kind == "text"]
        for i, ind in enumerate(p.indicators):
            texts += [(("indicators", i, k), getattr(ind, k)) for k in INDICATOR_TEXT]
            texts += [(("indicators", i, k), v) for k, v in ind.extras.items() if isinstance(v, str)]
        for path, text in texts:
            if isinstance(text, str):
                for offset, found in stale_years(text, year):
                    line, col = doc.source.pos(*path)
                    if "\n" in text:  # a block (|): its text starts on the next line
                        line += 1 + text.count("\n", 0, offset)
                    yield Finding(path, f"“{found}”是上一年度（{year - 1} 年）的写法，预算年度是 {year} 年："
                                        "转入新年度时漏改了吗？", text, doc=doc, at=(line, col))


@register
class DuplicateIdentity(Rule):
    code = "I01"
    severity = Severity.ERROR
    title = "项目标识（id）在出版物内必须唯一：它让同一个项目跨年度对得上，重复了 diff 会把两个项目混为一个。"
    scope = "publication"

    def check_publication(self, pub):
        first: dict[str, str] = {}
        for _, _, doc in pub.projects():
            ident = doc.ident
            if not ident:
                continue
            if ident in first:
                yield Finding(("id",), f"项目标识 {ident} 已被 {first[ident]} 使用：复制来的项目文件要删掉 id 这一行"
                                       "（ptgen import 或 rollover 会重新生成），或换一个不重复的标识。", ident, doc=doc)
            else:
                first[ident] = doc.source.rel.split("/", 1)[-1]
