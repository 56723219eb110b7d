"""The importer on every seed table, checked against an independent reading of the seed text."""
from __future__ import annotations

import re

import pytest

from ptgen.importers.text import read_text
from ptgen.load import load

from helpers import CONTENT, SHANGHAI_SEED, TIANJIN_SEEDS, naive_tables, needs_seeds, project_cells

pytestmark = needs_seeds


def test_all_29_tianjin_tables_are_imported_cell_by_cell():
    count = 0
    for seed in TIANJIN_SEEDS:
        text = seed.read_text(encoding="utf-8")
        expected = naive_tables(text)
        imported = read_text(seed)
        projects = [(u, p) for u in imported.units for p in u.projects]
        assert len(projects) == len(expected)
        for n, ((unit, p), exp) in enumerate(zip(projects, expected), 1):
            assert exp["title"] == f"{imported.numbers[n - 1]}.{p.name}绩效目标表"
            assert p.bookmark == [b for b in exp["bookmarks"] if b != "_GoBack"][0]
            assert project_cells(n, unit.unit_code, unit.unit_name, p) == exp["cells"], (seed.name, n)
            count += 1
    assert count == 29


def test_tianjin_import_keeps_exact_text_and_scale():
    s = read_text(next(p for p in TIANJIN_SEEDS if p.name.startswith("000")))
    p = s.units[0].projects[0]
    assert str(p.budget.total) == "154.00" and p.budget.other is None
    assert p.indicators[0].description == "反映日常维护信息系统软件数量 "  # trailing space kept (X01 reports it)
    assert p.indicators[4].description == "反映系统故障修复及时响应程度\n"  # trailing empty paragraph kept
    assert [i.value for i in p.indicators][:2] == ["≥160个", "≥15台（套）"]
    assert p.goals.startswith("1.通过聘请第三方") and "\n2.完成2025年度" in p.goals


def test_interleaved_groups_keep_published_order():
    s = read_text(next(p for p in TIANJIN_SEEDS if p.name.startswith("001")))
    p = s.units[0].projects[11]
    assert p.name == "其他就业补助-01中央直达资金-就业补助资金"
    assert [i.level2 for i in p.indicators][:7] == ["数量指标", "质量指标", "时效指标", "成本指标",
                                                    "数量指标", "质量指标", "成本指标"]


def test_goback_bookmark_is_dropped():
    s = read_text(next(p for p in TIANJIN_SEEDS if p.name.startswith("002")))
    assert [p.bookmark for p in s.units[0].projects] == [f"_Toc_4_4_00000000{n}" for n in (90, 91, 92, 93)]


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_shanghai_forms_every_field_and_indicator_in_order():
    s = read_text(SHANGHAI_SEED)
    assert s.year == 2025 and s.money_unit == "元"
    unit = s.units[0]
    assert unit.unit_name == "上海市职业技能鉴定中心" and unit.department_name == "上海市人力资源和社会保障局"
    p1, p2 = unit.projects
    x = p1.extras  # the Shanghai form's own fields, as its layout declares them
    assert (p1.name, x["nature"], x["category"], x["start"], x["end"]) == (
        "职业培训基础能力建设资助", "经常性专项业务费", "特定目标类", "2025-01-01", "2025-12-31")
    assert [str(x) for x in (p1.budget.total, p1.budget.fiscal, p1.budget.carryover, p1.budget.other)] == [
        "84548000.00", "84548000.00", "0.00", "0.00"]
    assert x["project_funds"]["total"] is None and x["project_funds"]["fiscal"] is None
    assert str(p2.budget.total) == "4318167.58" and p2.name == "技能评价业务经费"
    assert p1.goals.startswith("<p>目标 1:") and p2.goals.startswith("根据中心 2025 年工作计划")
    assert x["long_term_goal"] == ""
    assert len(p1.indicators) == 47 and len(p2.indicators) == 43
    groups = [(i.level1, i.level2) for i in p1.indicators]
    assert groups.count(("成本指标", "经济成本指标")) == 10 and groups.count(("产出指标", "数量指标")) == 11
    rows = {(i.level2, i.name): i.value for i in p1.indicators + p2.indicators}
    assert rows[("数量指标", "社会化评价项目及教材开发数量")] == "≥15.00(个)"
    assert rows[("社会效益指标", "人才供给结构")] == "改善"
    assert rows[("经济成本指标", "平均硒鼓采购单价")] == "≤600.00(元/个)"
    assert rows[("质量指标", "评审工作验收合格率")] == "=100.00(%)"
    assert rows[("服务对象满意度指标", "评价机构满意度")] == "≥90.00(%)"
    # Every name and value stands in the seed, in the same order.
    text = _squash(SHANGHAI_SEED.read_text(encoding="utf-8"))
    pos = 0
    for p in (p1, p2):
        for i in p.indicators:
            for piece in (i.name, i.value):
                found = text.find(_squash(piece), pos)
                assert found >= 0, piece
            pos = text.find(_squash(i.name), pos)


@pytest.mark.parametrize("pub_name", ["tianjin-2025", "shanghai-2025"])
def test_committed_content_is_what_import_gives(tmp_path, pub_name):
    """content/ is the import of the seeds, unedited: re-importing gives the same files."""
    from ptgen.importers.merge import import_sources
    if pub_name.startswith("tianjin"):
        import_sources(TIANJIN_SEEDS, tmp_path / pub_name, department_name="天津市人力资源和社会保障局",
                       title="天津市人力资源和社会保障局2025年部门预算 项目支出绩效目标表")
    else:
        import_sources([SHANGHAI_SEED], tmp_path / pub_name, title="上海市职业技能鉴定中心2025年度项目绩效目标汇总表")
    fresh = {p.relative_to(tmp_path / pub_name): p.read_bytes() for p in (tmp_path / pub_name).rglob("*.yaml")}
    committed = {p.relative_to(CONTENT / pub_name): p.read_bytes() for p in (CONTENT / pub_name).rglob("*.yaml")}
    assert fresh == committed


def test_yaml_round_trip_gives_the_same_projects():
    pub, report = load(CONTENT / "tianjin-2025")
    assert not [i for i in report.issues if i.code.startswith(("Y", "F"))]
    loaded = [d.project.model_copy(update={"id": None}) for _, _, d in pub.projects()]  # the identity is the import's
    imported = [p for seed in TIANJIN_SEEDS for u in read_text(seed).units for p in u.projects]
    key = lambda p: p.bookmark  # noqa: E731  (units are ordered by code in the publication)
    assert sorted(loaded, key=key) == sorted(imported, key=key)
    assert len(loaded) == 29
