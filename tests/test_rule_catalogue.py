"""The catalogue rules of issue 15, value by value: the 时效 shapes (T01, T02), satisfaction wording (S01)
and the name, text and hint rules, each on what it must flag and on what it must leave alone."""
from __future__ import annotations

import pytest

from ptgen import api, lint

from helpers import GOOD_PROJECT, ROOT, SETTINGS, make_publication

TIME_ROW = "    name: 运维服务完成时间\n    description: 反映完成时间\n    value: 2025年12月31日前\n"


def findings(tmp_path, project, settings=SETTINGS):
    return api.check(make_publication(tmp_path / "pub", project=project, settings=settings)).report.issues


def time_row(name: str, value: str) -> str:
    value = f'"{value}"' if value[:1] in "=≥≤<>" or ":" in value else value
    return GOOD_PROJECT.replace(TIME_ROW, f"    name: {name}\n    description: 反映完成时间\n    value: {value}\n")


# What people write that names no date, period or year (the seeds' 年底前完成 and more).
VAGUE_TIMES = ["全年", "全年持续开展", "项目实施期内", "实时", "长期", "年度内", "年底前完成", "年底前", "年末完成", "年内完成", "当年完成", "本年度内完成", "及时", "及时完成", "按时完成",
               "按期", "按期完成", "如期完成", "按计划完成", "按进度推进", "合同期限内", "服务期内", "规定时间内完成",
               "规定时限内", "尽快完成", "随时", "完成", "已完成", "≥10个"]
# A deadline, date, range, duration, frequency or rate: every shape seen in the examples, seeds and regions.
GOOD_TIMES = ["2025年12月31日前", "2025年12月31日前完成", "12月底前发放到位", "9月底前签约上岗", "2025年底前完成",
              "截至2025年12月31日", "2025年4月", "2025-12-31", "2025年1月1日至2025年12月31日", "2025年1月1日至12月31日",
              "2025年1月-12月", "2025.07-2025.12", "2025年全年", "2025全年", "2025年度", "第三季度", "上半年完成",
              "≤60分钟", "≤1工作日", "≤5个工作日", "≤4小时", "3天内", "24小时内", "当日办结", "1次/月", "1次/季度",
              "每季度1次", "按月发放", "工作日每日进行一次安全巡视", "≥99%", "=100.00(%)", "100%",
              "不超过5个工作日", "2个工作日内办结", "接到通知后30分钟内到达", "合同签订后3个月内", "一个月内", "即时办结",
              "季度发放", "按季拨付", "每两周一次", "一年一次", "2025/12/31", "2025年第四季度", "不晚于2025年12月31日",
              "2025年12月31日之前"]


@pytest.mark.parametrize("value", VAGUE_TIMES)
def test_t01_flags_time_values_that_name_no_date(tmp_path, value):
    issues = [i for i in findings(tmp_path, time_row("运维服务开展时间", value)) if i.code == "T01"]
    assert len(issues) == 1, value
    issue = issues[0]
    assert issue.line == 25 and issue.column == 12  # at the value
    assert "2025年12月31日前" in issue.message and value in issue.message


@pytest.mark.parametrize("value", GOOD_TIMES)
def test_t01_accepts_deadlines_dates_ranges_durations_frequencies_rates(tmp_path, value):
    assert "T01" not in {i.code for i in findings(tmp_path, time_row("运维服务开展时间", value))}, value


def test_t01_the_year_words_say_which_year_is_missing(tmp_path):
    [issue] = [i for i in findings(tmp_path, time_row("培训完成时间", "年底前完成")) if i.code == "T01"]
    assert "“年底”没写明是哪一年" in issue.message


def test_t01_accepts_a_done_whose_deadline_is_in_the_name(tmp_path):
    """上海 writes the deadline into the name (12月底前完成审计工作) and 完成 as the value: checkable."""
    assert "T01" not in {i.code for i in findings(tmp_path, time_row("12 月底前完成评审工作", "完成"))}
    assert "T01" in {i.code for i in findings(tmp_path, time_row("评审工作", "完成"))}


def test_t01_reads_the_time_group_of_the_framework(tmp_path):
    """The 时效 group is the framework's ``roles.time``; the same row under another group is no 时效 value."""
    assert "T01" in {i.code for i in findings(tmp_path, time_row("运维服务开展时间", "全年"),
                                              SETTINGS.replace("layout: tianjin", "layout: tianjin\nframework: mof2013"))}
    moved = time_row("运维服务开展时间", "全年").replace("level2: 时效指标", "level2: 质量指标")
    assert "T01" not in {i.code for i in findings(tmp_path, moved)}


@pytest.mark.parametrize("name, value, flagged", [
    ("流动人员档案管理服务周期", "≤1工作日", True),  # the seed: a year-long service period of one working day
    ("物业服务周期", "2025年12月31日前", True),
    ("物业服务周期", "2025年4月", True),
    ("物业服务周期", "2025年1月1日至2025年12月31日", False),
    ("补贴发放周期", "1次/月", False),
    ("证件办理周期", "≤5个工作日", False),  # a turnaround: a duration is right
    ("档案出入库工作完成时限", "2025年1月1日至2025年12月31日", True),  # the seed: a 时限 given as a range
    ("普通话测试完成时间", "2025全年", True),  # the seed: 2025全年 says nothing about when it is done
    ("培训完成时间", "1次/月", True),
    ("服务事项办理时限", "≤5个工作日", False),
    ("培训完成时间", "2025年底前完成", False),
    ("物业服务开展时间", "2025年全年", False),  # a service that runs all year: the year is the answer
])
def test_t02_period_is_a_range_and_a_limit_is_a_deadline(tmp_path, name, value, flagged):
    issues = [i for i in findings(tmp_path, time_row(name, value)) if i.code == "T02"]
    assert bool(issues) == flagged, (name, value, issues)
    if issues:
        assert issues[0].line == 25 and name in issues[0].message


SATISFACTION = "    name: 系统使用者满意度\n    description: 反映使用者的认可程度\n    value: ≥95%\n"


def satisfaction(value: str, name: str = "系统使用者满意度") -> str:
    value = f'"{value}"' if value[:1] in "=≥≤<>" else value
    return GOOD_PROJECT.replace(SATISFACTION, f"    name: {name}\n    description: 反映使用者的认可程度\n    value: {value}\n")


@pytest.mark.parametrize("value", ["非常满意", "不断提升", "满意", "较满意", "基本满意", "较高", "好评", "群众满意", "达到预期",
                                   "明显提高", "较上年有所提高", "满意度较高", "群众认可", "≥90", "90分"])
def test_s01_flags_any_wording_or_number_that_is_no_percentage(tmp_path, value):
    assert "S01" in {i.code for i in findings(tmp_path, satisfaction(value))}, value


@pytest.mark.parametrize("value", ["≥95%", "=95.00(%)", "≥90％", "95%以上", "90%及以上", "不低于90%", "达到95%", "95%以上。",
                                   "满意度达到90%", "群众满意率≥95%"])
def test_s01_accepts_a_percentage_threshold_however_the_comparator_is_written(tmp_path, value):
    assert "S01" not in {i.code for i in findings(tmp_path, satisfaction(value))}, value


def test_s01_wording_under_the_satisfaction_group_whatever_the_name(tmp_path):
    """A row of the 满意度 group without 满意 in its name (S03) is still a wording instead of a threshold."""
    codes = {i.code for i in findings(tmp_path, satisfaction("较高", name="服务对象认可度"))}
    assert {"S01", "S03"} <= codes
    codes = {i.code for i in findings(tmp_path, satisfaction("≤1%", name="服务对象投诉率"))}
    assert "S01" not in codes  # a threshold, not wording


def test_s01_a_satisfaction_row_outside_its_group(tmp_path):
    project = GOOD_PROJECT.replace("name: 系统运行稳定率\n    description: 反映系统稳定运行情况\n    value: ≥99%",
                                   "name: 群众满意度\n    description: 反映群众的满意程度\n    value: 满意")
    assert "S01" in {i.code for i in findings(tmp_path, project)}


@pytest.mark.parametrize("name, value, code, flagged", [
    ("运维服务人次", "≥10场次", "V03", True),
    ("运维服务人次", "≥10人次", "V03", False),
    ("运维系统覆盖率", "≥10个", "V03", True),
    ("运维系统覆盖率", "≥90%", "V03", True),  # a rate under 数量指标
    ("培训人数", "≥10人", "V03", False),
    ("其他", "≥10个", "H04", True),
    ("数量指标", "≥10个", "H04", True),
    ("运维系统数量", "≥10个", "H04", False),
    ("购置购置设备数量", "≥10台", "X04", True),
    ("人人参与培训的人数", "≥10人", "X04", False),  # reduplication is Chinese, not a slip
])
def test_quantity_row_rules(tmp_path, name, value, code, flagged):
    project = GOOD_PROJECT.replace("name: 运维系统数量\n    description: 反映运维的系统数量\n    value: ≥10个",
                                   f"name: {name}\n    description: 反映运维的系统数量\n    value: \"{value}\"")
    assert (code in {i.code for i in findings(tmp_path, project)}) == flagged, (name, value)


@pytest.mark.parametrize("name, description, flagged", [
    # seed 000: the name stops before what is counted; its description says it
    ("对符合条件的实训大学生给与人身意外伤害保险补贴、交通补贴、生活补贴", "符合条件的实训大学生人数", True),
    ("运维信息系统", "反映运维信息系统数量", True),
    ("运维信息系统数量", "反映运维信息系统数量", False),
    ("开展公共招聘场次（含线上）", "开展公共招聘场次（含线上）", False),
    ("服务出国留学人员", "", False),  # a verb phrase whose unit (人次) says what is counted: no finding without a description
    ("服务人力资源服务机构", "服务人力资源服务机构", False),
    ("举办行前培训", "反映培训开展情况", False),
])
def test_h06_name_cut_before_its_head_noun(tmp_path, name, description, flagged):
    desc = f"description: {description}" if description else 'description: ""'
    project = GOOD_PROJECT.replace("name: 运维系统数量\n    description: 反映运维的系统数量",
                                   f"name: {name}\n    {desc}")
    codes = {i.code for i in findings(tmp_path, project)}
    assert ("H06" in codes) == flagged, (name, description)


def test_h05_long_names_and_sentences(tmp_path):
    long = "参与市级以上职业技能竞赛、中华技能大赛及全国技术能手评选技能人才支持工作完成时间"  # 40 characters, seed 002
    codes = [i.code for i in findings(tmp_path, time_row(long, "2025年12月31日前"))]
    assert codes.count("H05") == 1
    assert "H05" not in {i.code for i in findings(tmp_path, time_row("世界技能大赛中国集训基地支持建设资金拨付完成时间",
                                                                       "2025年12月31日前"))}


def test_x02_space_between_chinese_but_not_around_latin_or_digits(tmp_path):
    assert "X02" in {i.code for i in findings(tmp_path, GOOD_PROJECT.replace("purpose: 用于信息系统运行维护",
                                                                             "purpose: 用于推动 指导 监督工作"))}
    quiet = GOOD_PROJECT.replace("purpose: 用于信息系统运行维护", "purpose: 12 月底完成软硬件及 OA 系统运维")
    assert "X02" not in {i.code for i in findings(tmp_path, quiet)}


def test_x06_latin_spelling_within_one_table(tmp_path):
    project = GOOD_PROJECT.replace("purpose: 用于信息系统运行维护", "purpose: 中心 IT 外包服务").replace(
        "name: 运维服务验收合格率", "name: it 外包服务项目验收合格率")
    [issue] = [i for i in findings(tmp_path, project) if i.code == "X06"]
    assert "“it”" in issue.message and "“IT”" in issue.message and issue.line == 18


def test_d02_description_copied_from_another_row(tmp_path):
    project = GOOD_PROJECT.replace("description: 反映运维的系统数量", "description: 保障网络畅通").replace(
        "name: 系统运行稳定率", "name: 保障网络畅通")
    [issue] = [i for i in findings(tmp_path, project) if i.code == "D02"]
    assert "保障网络畅通" in issue.message and issue.line == 14
    generic = GOOD_PROJECT.replace("description: 反映成本控制情况", "description: 反映项目成本控制情况。")
    assert "D02" not in {i.code for i in findings(tmp_path, generic)}  # boilerplate, not another row's


def test_q01_only_for_projects_of_a_million_or_more(tmp_path):
    one = GOOD_PROJECT.replace("value: ≥10个", "value: 1个").replace("name: 运维系统数量", "name: 享受补贴项目数量")
    assert "Q01" in {i.code for i in findings(tmp_path, one)}  # 100.00 万元
    booth = one.replace("name: 享受补贴项目数量", "name: 设置推介特装展位数量")
    assert "Q01" not in {i.code for i in findings(tmp_path, booth)}  # one booth is what it counts (seed 002)
    small = one.replace('total: "100.00"', 'total: "99.00"').replace('fiscal: "100.00"', 'fiscal: "99.00"')
    assert "Q01" not in {i.code for i in findings(tmp_path, small)}


def test_q03_compares_editions_of_the_same_thing_only(tmp_path):
    """第48届世赛 and 第二届上海市职业技能大赛 are two competitions (上海 seed): no finding."""
    project = GOOD_PROJECT.replace("1.保障系统稳定运行。", "1.承办第48届世赛集训。").replace(
        "name: 运维系统数量", "name: 第二届上海市大赛项目数量")
    assert "Q03" not in {i.code for i in findings(tmp_path, project)}
    project = project.replace("name: 第二届上海市大赛项目数量", "name: 第47届世赛集训项目数量")
    assert "Q03" in {i.code for i in findings(tmp_path, project)}


def test_q04_reports_the_minority_writing(tmp_path):
    rows = GOOD_PROJECT.replace("value: ≥99%\n  - level1: 产出指标", "value: 100%\n  - level1: 产出指标").replace(
        "value: ≥99%\n  - level1: 满意度指标", "value: 100%\n  - level1: 满意度指标").replace(
        "value: ≥10个", "value: ≥100%").replace("name: 运维系统数量", "name: 运维系统覆盖率")
    [issue] = [i for i in findings(tmp_path, rows) if i.code == "Q04"]
    assert issue.line == 15  # the one ≥100% among two 100%


def test_c08_leaves_per_capita_standards_alone(tmp_path):
    """补贴人均标准 ≥3012元 in a 万元 table (seed 000): a standard is not added up; 元 is its unit (was C08)."""
    standard = GOOD_PROJECT.replace("name: 运维服务费\n", "name: 运维人员人均补贴标准\n").replace("value: ≤100万元",
                                                                                           "value: ≤3000元")
    assert "C08" not in {i.code for i in findings(tmp_path, standard)}
    total = GOOD_PROJECT.replace("value: ≤100万元", "value: ≤1000000元")
    assert "C08" in {i.code for i in findings(tmp_path, total)}


@pytest.mark.parametrize("value, flagged", [("3020元/人", True), ("=3020元/人", True), ("3020元/人·月", False),
                                            ("≤3020元/人", False), ("1245.4元/人/年", False), ("≤100万元", False)])
def test_c06_a_unit_standard_names_its_period(tmp_path, value, flagged):
    project = GOOD_PROJECT.replace("name: 运维服务费\n", "name: 运维人员补贴标准\n").replace(
        "value: ≤100万元", f'value: "{value}"')
    assert ("C06" in {i.code for i in findings(tmp_path, project)}) == flagged, value


def test_readme_catalogue_has_every_rule_with_its_severity_rationale_and_examples():
    """The README's rule table is the registry's: code, severity, rationale, and a value it flags and
    one it accepts for every rule."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| code | severity | rationale | flags (例) | accepts (例) |"):]
    table = table[:table.index("\n\n")]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 5, line
        rows[cells[0]] = cells[1:]
    names = {"error": "错误", "warning": "警告", "info": "提示"}
    assert list(rows) == [r.code for r in lint.rules()]
    for rule in lint.rules():
        severity, rationale, flags, accepts = rows[rule.code]
        assert (severity, rationale) == (names[rule.severity.value], rule.title), rule.code
        assert flags and accepts, rule.code
