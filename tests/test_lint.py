"""Each lint rule fires on a bad case and stays quiet on a good one."""
from __future__ import annotations

import pytest

from ptgen import api, lint

from helpers import GOOD_PROJECT, SETTINGS, make_publication


def codes(tmp_path, project=GOOD_PROJECT, settings=SETTINGS, extra=None):
    root = make_publication(tmp_path / "pub", project=project, settings=settings, extra=extra)
    return api.check(root).report


def test_good_project_has_no_findings(tmp_path):
    assert codes(tmp_path).issues == []


def sub(old, new, text=GOOD_PROJECT):
    assert old in text, old
    return text.replace(old, new, 1)


CASES = {
    "B01": sub('fiscal: "100.00"', 'fiscal: "90.00"'),
    "B02": sub('total: "100.00"\n  fiscal: "100.00"', 'total: "100.0"\n  fiscal: "100.0"'),
    "C01": sub("value: ≤100万元", "value: ≤120万元"),
    "C02": sub("value: ≤100万元", "value: ≤101万元"),
    "C03": sub("value: ≤100万元", "value: ≤100"),
    "C04": sub("value: ≤100万元", "value: ≤100万"),
    "C05": sub("value: ≤100万元", "value: ≥100万元"),
    "C06": sub("value: ≤100万元", "value: 3020元/人").replace("name: 运维服务费\n", "name: 运维人员补贴标准\n"),
    "C07": sub("value: ≤100万元", "value: ≤60万元"),
    "C08": sub("value: ≤100万元", "value: ≤1000000元"),
    "V00": sub("value: ≥10个", "value: ≥约十个"),
    "V01": sub("value: ≥99%\n  - level1: 产出指标", "value: 120%\n  - level1: 产出指标"),
    "V11": sub("value: ≥99%\n  - level1: 产出指标", "value: ≥100%\n  - level1: 产出指标"),
    "V02": sub("value: ≥10个", "value: ≥10"),
    "V04": sub("value: ≥10个", "value: ≥10项数"),
    "V05": sub("value: ≥10个", "value: ≤10个"),
    "V06": sub("value: ≥99%\n  - level1: 产出指标", "value: 合格\n  - level1: 产出指标"),
    "V07": sub("value: ≥99%\n  - level1: 满意度指标", "value: 有效提升\n  - level1: 满意度指标").replace(
        "name: 系统运行稳定率", "name: 系统运行稳定性"),
    "V08": sub("value: ≥10个", "value: 通过按月巡检维护全部系统并及时处理发现的各类问题"),
    "V09": sub("value: ≥10个", "value: 运维系统数量"),
    "V10": sub("value: ≥10个", "value: ≥**个"),
    "S01": sub("value: ≥95%", "value: 非常满意"),
    "S02": sub("value: ≥95%", "value: ≥60%"),
    "S03": sub("name: 系统使用者满意度", "name: 系统使用人数"),
    "T03": sub("value: 2025年12月31日前", "value: 2024年12月31日前"),
    "H01": sub("level2: 数量指标", "level2: 社会效益指标"),
    "H02": GOOD_PROJECT.split("  - level1: 满意度指标")[0],
    "H03": GOOD_PROJECT.replace("""  - level1: 产出指标
    level2: 数量指标
    name: 运维系统数量
    description: 反映运维的系统数量
    value: ≥10个
""", "") + """  - level1: 产出指标
    level2: 数量指标
    name: 运维系统数量
    description: 反映运维的系统数量
    value: ≥10个
""",
    "H08": sub("name: 运维服务完成时间", "name: 运维系统数量"),
    "E01": sub("description: 反映运维的系统数量", 'description: ""'),
    "P01": sub("bookmark:", "title: 别的标题绩效目标表\nbookmark:"),
    "P03": sub("bookmark: _Toc_4_4_0000000004", "bookmark: _Toc_this_name_is_much_longer_than_forty_chars_1"),
    "X01": sub("purpose: 用于信息系统运行维护", 'purpose: "用于信息系统运行维护 "'),
    "X03": sub("purpose: 用于信息系统运行维护", "purpose: 用于“信息系统运行维护"),
    "X05": sub("purpose: 用于信息系统运行维护", "purpose: 用于海河英寸活动"),
    "X07": sub("purpose: 用于信息系统运行维护", "purpose: <p>用于信息系统运行维护</p>"),
    "X08": sub("purpose: 用于信息系统运行维护", 'purpose: "用于信息\\x0b系统运行维护"'),
    "D01": sub("description: 反映运维的系统数量", "description: 运维系统数量"),
    "T01": sub("value: 2025年12月31日前", "value: 年底前完成"),
    "T02": sub("value: 2025年12月31日前", "value: 2025全年"),
    "V03": sub("value: ≥10个", "value: ≥10场次").replace("name: 运维系统数量", "name: 运维服务人次"),
    "H04": sub("name: 运维服务费", "name: 成本"),
    "H05": sub("name: 运维系统数量", "name: 运维系统数量，含软件和硬件"),
    "H06": sub("name: 运维系统数量", "name: 运维信息系统").replace("description: 反映运维的系统数量",
                                                                  "description: 反映运维信息系统数量"),
    "D02": sub("description: 反映使用者的认可程度", "description: 反映系统稳定运行情况").replace(
        "name: 系统使用者满意度", "name: 使用者满意度"),
    "X02": sub("purpose: 用于信息系统运行维护", "purpose: 用于信息系统 运行维护"),
    "X04": sub("purpose: 用于信息系统运行维护", "purpose: 用于信息系统系统运行维护"),
    "X06": sub("purpose: 用于信息系统运行维护", "purpose: 用于OA系统运行维护").replace(
        "name: 运维系统数量", "name: 运维oa系统数量"),
    "Q01": sub("value: ≥10个", "value: 1个").replace("name: 运维系统数量", "name: 运维项目数量"),
    "Q02": sub("name: 运维服务验收合格率", "name: 运维人员持证上岗率"),
    "Q03": sub("name: 运维系统数量", "name: 云平台（四期）运维系统数量").replace(
        "1.保障系统稳定运行。", "1.保障云平台（五期）稳定运行。"),
    "Q04": sub("value: ≥99%\n  - level1: 满意度指标", "value: 100%\n  - level1: 满意度指标").replace(
        "value: ≥99%\n  - level1: 产出指标", "value: ≥100%\n  - level1: 产出指标"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_on_bad_case(tmp_path, code):
    report = codes(tmp_path, CASES[code])
    found = {i.code for i in report.issues}
    assert code in found, [(i.code, i.message) for i in report.issues]
    issue = next(i for i in report.issues if i.code == code)
    assert issue.file == "pub/353/353101/p.yaml" and issue.line > 1 and issue.message


def test_every_registered_rule_has_a_case_and_a_rationale():
    project_rules = {r.code for r in lint.rules() if r.scope == "project"}
    assert project_rules <= set(CASES)
    assert all(r.title and r.code for r in lint.rules())


def test_line_points_at_the_offending_value(tmp_path):
    report = codes(tmp_path, CASES["S02"])
    issue = next(i for i in report.issues if i.code == "S02")
    lines = CASES["S02"].splitlines()
    assert lines[issue.line - 1].strip() == "value: ≥60%"


def test_a_bookmark_named_like_ptgens_own_heading_anchors_is_p03(tmp_path):
    """ptgen names its department and unit headings _ptgen_<code>: a table bookmark _ptgen_353101
    gave two HTML ids, two Word bookmarks and two PDF destinations of one name, and check was quiet."""
    report = codes(tmp_path, GOOD_PROJECT.replace("bookmark: _Toc_4_4_0000000004", "bookmark: _ptgen_353101"))
    issue = next((i for i in report.issues if i.code == "P03"), None)
    assert issue is not None and "_ptgen_" in issue.message and issue.line == 2, report.issues


def test_duplicate_bookmark_across_files(tmp_path):
    extra = {"353/353101/unit.yaml": 'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n  - q.yaml\n',
             "353/353101/q.yaml": GOOD_PROJECT}
    report = codes(tmp_path, extra=extra)
    assert [(i.file.split("/")[-1], i.code) for i in report.issues] == [("q.yaml", "P04")]


def test_unit_code_outside_department(tmp_path):
    extra = {"353/353101/unit.yaml": 'code: "354101"\nname: 测试单位\nprojects:\n  - p.yaml\n'}
    assert [i.code for i in codes(tmp_path, extra=extra).issues] == ["P02"]


def test_rules_can_be_disabled_or_changed_per_publication(tmp_path):
    settings = SETTINGS + "rules:\n  S02: off\n  C05:\n    severity: error\n"
    project = sub("value: ≥95%", "value: ≥60%", CASES["C05"])
    report = codes(tmp_path, project, settings)
    assert "S02" not in {i.code for i in report.issues}
    assert next(i for i in report.issues if i.code == "C05").severity.value == "error"


def test_unknown_rule_in_settings_is_reported(tmp_path):
    report = codes(tmp_path, settings=SETTINGS + "rules:\n  Z99: off\n")
    assert [(i.file, i.code) for i in report.issues] == [("pub/ptgen.yaml", "Y006")]


def test_framework_2021_puts_cost_first(tmp_path):
    settings = SETTINGS.replace("layout: tianjin", "layout: tianjin\nframework: mof2021")
    report = codes(tmp_path, settings=settings)
    assert "H01" in {i.code for i in report.issues}  # 产出/成本指标 is not a 2021 pair
