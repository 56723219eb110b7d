"""The five region forms (issue 11, point 5): each example publication in content/ builds, and the
first project's tables in the DOCX and in the HTML are the form as published, cell by cell.

The cell maps below are written from the source files in ../shared/regions (the central form from
its public template), not from the layout definitions: the texts of the header cells in order,
their column spans, the grid's columns and header texts, which cells merge vertically and over how
many rows, and the side label.  A row is written ``cell | cell | …``; a cell is its text with
``×N`` when it spans N columns and ``↓N`` when it merges N rows; ``∅`` is an empty cell; a cell
continuing a vertical merge from above is not written (the HTML has no cell there, the DOCX one
with ``<w:vMerge/>``).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
from typer.testing import CliRunner

from ptgen import api
from ptgen.build import build
from ptgen.cli import app
from ptgen.model import Project

from helpers import CONTENT, GOOD_PROJECT, SETTINGS, W_NS, docx_xml, make_publication

# A publication can use these forms once its project files may hold the extra fields a layout
# declares (Project.extras) and ptgen.yaml may name any known layout: until then they cannot load.
needs_extras = pytest.mark.skipif("extras" not in Project.model_fields,
                                  reason="the content model has no extra fields yet (Project.extras): "
                                         "the region forms' example publications cannot load")

WUHAN = [[
    "绩效目标表 ×5",
    "(2020年度) ×5",
    "项目名称 | 农村义务教育薄弱学校改造补助资金 ×4",
    "项目主管部门 | 青山区教育局 ×2 | 项目执行单位 | 化工区学校",
    "资金情况(万元) | 年度资金总额: | 16 | 其中:上级资金 | 16",
    "总体目标 ↓2 | 年度目标 ×4",
    "全面改善农村义务教育薄弱学校办学条件，扩大基础教育资源，进一步提高义务教育均衡发展水平。 ×4",
    "绩效指标 ↓10 | 一级指标 | 二级指标 | 指标内容 | 指标值",
    "产出指标 ↓6 | 数量指标 | 农村义务教育学校改造覆盖率 | 100%",
    "质量指标 ↓2 | 校舍维修改造质量合格率 | 100%",
    "购置设施设备质量合格率 | 100%",
    "时效指标 ↓2 | 预算资金当年下达率 | 100%",
    "项目按计划完成率 | 100%",
    "成本指标 | 建设项目成本控制率 | 100%",
    "效益指标 ↓3 | 可持续影响指标 | 义务教育优质均衡发展情况 | 稳步提高",
    "社会公众或服务对象满意度指标 ↓2 | 学生家长满意度 | ≥90%",
    "学校满意度 | ≥90%",
]]

XIANGTAN_GOAL = "通过采购雾炮车降尘抑尘服务，服务周期2023.07-2024.01，全市空气质量达到优良"
XIANGTAN = [[
    "2023年项目支出绩效目标申报表 ×6",
    "填报单位:(盖章) ×4 | 单位:万元 ×2",
    "项目支出名称 | 雾炮车降尘抑尘服务 ×2 | 预算部门 | 湘潭市环境卫生管理处 ×2",
    "年度本级预算金额 | 250 ×2 | 该项目支出上级资金 | 0 ×2",
    "项目支出实施期 | 2023.07-2024.01 ×5",
    f"实施期绩效目标 | {XIANGTAN_GOAL} ×5",
    f"本年度绩效目标 | {XIANGTAN_GOAL} ×5",
    "本年度绩效指标 ↓8 | 一级指标 | 二级指标 | 三级指标 | 指标值及单位 | 绩效标准",
    "产出指标 ↓5 | 数量指标 ↓2 | 雾炮车降尘抑尘服务配备车辆数 | 10辆 | 计划标准",
    "雾炮车风炮射程 | ≥80M | 计划标准",
    "质量指标 | 服务周期内空气质量 | 优良 | 计划标准",
    "时效指标 | 服务周期 | 2023.07-2024.01 | 计划标准",
    "成本指标 | 控制在预算成本内 | 250万 | 计划标准",
    "效益指标 ↓2 | 社会效益指标 | 服务周期内，市民对空气质量改善的满意程度 | ≥85% | 计划标准",
    "社会公众或服务对象满意度指标 | 市民满意度 | ≥90% | 计划标准",
], [
    "财政部门审核意见 | ∅ ×5",
]]

FENGJIE_GOAL = ("新建中药材晾晒房一座，占地300平方米，包含场坪整治及硬化，硬化室外晒坝420平方米，室内场坪1800平方米，"
                "C25混凝土，厚15cm；新建厕所1个，长4.5米，宽3米，占地13.5平方米，配套三格式化粪池4.5立方米。")
FENGJIE = [[
    "2023年云雾土家族乡加工园配套设施建设项目支出绩效目标审批表 ×7",
    "(2023年度) ×7",
    "预算单位: 奉节县云雾土家族乡人民政府 ×5 | 金额单位:万元 ×2",
    "项目名称 | 2023年云雾土家族乡加工园配套设施建设项目 ×3 | 项目分类 | 资产资源类--房屋类 ×2",
    "建设周期 | 2023年4月-2024年2月 ×3 | 业务主管部门 | 县民宗委 ×2",
    "实施单位 | 云雾土家族乡 | 项目负责人 | ∅ | 联系电话 | ∅ ×2",  # both redacted in the source
    "项目审批 | 奉节县民族宗教事务委员会《关于下达2023年度少数民族发展资金项目计划的通知》（奉节民宗委发〔2022〕3号） ×6",
    f"项目总体概况 | {FENGJIE_GOAL}经济效益：项目建成后能够带动当地20名群众务工增收5000元/年；社会效益：促进当地中药材"
    "产业发展，带动受益总人口200人，其他脱贫人口和监测对象41人；群众满意度：群众满意度达到95%以上。 ×6",
    f"年度主要目标和成果 | {FENGJIE_GOAL} ×6",
    "项目资金\n预算执行\n（10分） ↓5 | 项目总预算 | 65 | 财政资金预算分类 ↓2 | 一般公共预算 ×3 ↓2",
    "当年年度预算 | 65",
    "其中:财政资金 | 65 | 财政资金科目代码 ↓2 | 21305 ×3 ↓2",
    "其中:其它资金 | 0",
    "年度预算执行率 | 100% | 分值 | 10分 ×3",
    "年度绩效目标(90分) ↓11 | 一级指标 | 二级指标 | 三级指标 | 指标值 | 分值 | 指标解释",
    "成本指标 | 经济成本指标 | 项目建设成本 | ≤65万元 | 10 | ∅",
    # The source's text ends here; the rows below are the example's (from 项目总体概况).
    "产出指标 ↓5 | 数量指标 | 新建中药材晾晒房 | =1座 | 10 | 新建中药材晾晒房一座，占地300平方米",
    "数量指标 | 硬化室外晒坝面积 | ≥420平方米 | 10 | 包含场坪整治及硬化，C25混凝土，厚15cm",
    "数量指标 | 新建厕所 | =1个 | 5 | 长4.5米，宽3米，配套三格式化粪池4.5立方米",
    "质量指标 | 工程验收合格率 | =100% | 10 | 反映工程竣工验收合格情况",
    "时效指标 | 项目开工时间 | 2023年4月 | 10 | 反映项目按建设周期开工情况",
    "效益指标 ↓3 | 经济效益指标 | 带动当地群众务工增收 | ≥5000元/年 | 10 | 项目建成后带动当地20名群众务工增收",
    "社会效益指标 | 受益总人口 | ≥200人 | 10 | 促进当地中药材产业发展",
    "社会效益指标 | 受益脱贫人口和监测对象 | ≥41人 | 5 | 其他脱贫人口和监测对象",
    "满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥95% | 10 | 反映受益群众对项目的满意程度",
]]

NINGXIA = [[
    "自治区本级部门2019年项目支出预算绩效目标表 ×5",
    "项目名称 | 学校体育设施向社会免费开放 ×4",
    "主管部门 | [812]自治区教育厅 ×4",
    "实施单位 | 【812033】宁夏长庆初级中学 ×4",
    "项目属性 | 上年延续性项目 ×4",
    "项目期 | 2019-2021 ×4",
    "项目资金(万元) ↓3 | 年度资金总额 | 5 ×3",
    "其中:财政拨款 | 5 ×3",
    "其他资金 | ∅ ×3",
    "绩效目标 | 加快构建公共体育服务体系，提高公共体育设施利用率，健全公共体育服务长效机制，均衡区域体育资源布局与配置，"
    "着力改善我区全民健身条件，满足广大群众多样化的健身需求，切实增强青少年体质，有效提升全民健康水平。 ×4",
    "绩效指标 ↓8 | 一级指标 | 二级指标 | 三级指标 | 指标值",
    "产出指标 ↓4 | 成本指标 | 成本控制 | 按照资金测算控制各项成本。",
    "时效指标 | 完成时限 | 2021年12月底完成项目规划相关工作。",
    "数量指标 | 补贴数量 | 对学校2400平米体育场馆补贴5万元。",
    "质量指标 | 开放质量 | 全面落实学校体育设施向社会开放工作。",
    "满意度指标 | 服务对象满意度指标 | 学生及群众的满意率 | 95%以上。",
    "效益指标 ↓2 | 可持续影响指标 | 提升全民健康水平 | 促进人民群众健康水平不断提高。",
    "社会效益指标 | 发展全民健身运动 | 通过本项目实施，有效提高全面健康水平。",
]]

CENTRAL = [[
    "中央部门项目支出绩效目标表 ×5",
    "（2025年度） ×5",
    "项目名称 | 出国留学服务 ×4",
    "主管部门及代码 | 教育部（360） ×2 | 实施单位 | 教育部留学服务中心",
    "项目资金（万元） ↓3 | 年度资金总额 | 1200.00 ×3",
    "其中：财政拨款 | 1000.00 ×3",
    "其他资金 | 200.00 ×3",
    "总体目标 ↓2 | 年度目标 ×4",
    "1.为出国留学人员提供政策咨询、派出手续办理和行前培训服务，全年服务出国留学人员不少于3万人次。\n"
    "2.提升留学服务信息化水平，服务事项按时办结。 ×4",
    "绩效指标 ↓8 | 一级指标 | 二级指标 | 三级指标 | 指标值",
    "成本指标 | 经济成本指标 | 出国留学服务人均成本 | ≤400元/人次",
    "产出指标 ↓4 | 数量指标 ↓2 | 服务出国留学人员 | ≥30000人次",
    "举办行前培训 | ≥20场",
    "质量指标 | 服务事项办结率 | ≥98%",
    "时效指标 | 服务事项办理时限 | ≤5个工作日",
    "效益指标 | 社会效益指标 | 留学服务便利程度 | 逐步提升",
    "满意度指标 | 服务对象满意度指标 | 留学人员满意度 | ≥90%",
]]

# layout → (example publication, heading of its first table, cell map of that table)
FORMS = {
    "wuhan-qingshan": ("wuhan-qingshan-2020", "1.农村义务教育薄弱学校改造补助资金", WUHAN),
    "xiangtan": ("xiangtan-2023", "1.雾炮车降尘抑尘服务项目支出绩效目标申报表", XIANGTAN),
    "fengjie": ("fengjie-2023", "1.2023年云雾土家族乡加工园配套设施建设项目支出绩效目标审批表", FENGJIE),
    "ningxia": ("ningxia-2019", "1.学校体育设施向社会免费开放", NINGXIA),
    "central": ("central-2025", "1.出国留学服务", CENTRAL),
}

_CELL = re.compile(r"^(.*?)(?: ×(\d+))?(?: ↓(\d+))?$", re.S)


def expected(cell_map: list[list[str]]) -> list[list[list[tuple[str, int, int]]]]:
    """The cell map as tables of rows of (text, column span, row span)."""
    out = []
    for table in cell_map:
        rows = []
        for row in table:
            cells = []
            for cell in row.split(" | "):
                text, span, rows_ = _CELL.match(cell).groups()
                cells.append(("" if text == "∅" else text, int(span or 1), int(rows_ or 1)))
            rows.append(cells)
        out.append(rows)
    return out


def _para_text(p) -> str:
    return "".join(t.text or "" for t in p.iter(W_NS + "t"))


def docx_first_tables(path: Path, heading: str) -> list[list[list[tuple[str, int, int]]]]:
    """The tables after the first table heading, read from the DOCX's XML: each ``w:tc`` with its
    ``w:gridSpan``; a ``w:vMerge w:val="restart"`` cell spans itself and the ``<w:vMerge/>`` cells
    below it in the same grid column."""
    body = docx_xml(path).find(W_NS + "body")
    raw, started = [], False
    for el in body:
        if el.tag == W_NS + "p":
            style = el.find(f"{W_NS}pPr/{W_NS}pStyle")
            is_heading = style is not None and style.get(W_NS + "val", "").startswith("Heading")
            if is_heading and started:
                break
            if is_heading and style.get(W_NS + "val") == "Heading3":
                assert _para_text(el) == heading
                started = True
        elif el.tag == W_NS + "tbl" and started:
            rows = []
            for tr in el.findall(W_NS + "tr"):
                cells, col = [], 0
                for tc in tr.findall(W_NS + "tc"):
                    span_el = tc.find(f"{W_NS}tcPr/{W_NS}gridSpan")
                    span = int(span_el.get(W_NS + "val")) if span_el is not None else 1
                    vm = tc.find(f"{W_NS}tcPr/{W_NS}vMerge")
                    merge = None if vm is None else (vm.get(W_NS + "val") or "continue")
                    text = "\n".join(_para_text(p) for p in tc.findall(W_NS + "p")).strip()
                    cells.append((col, text, span, merge))
                    col += span
                rows.append(cells)
            raw.append(rows)
    # A grid that sits below its form's rows is a table of its own in ptgen's DOCX (so that Word
    # repeats its header row on every page): it continues the table before it.
    joined: list = []
    for rows in raw:
        if joined and rows and any(text == "一级指标" for _, text, _, _ in rows[0]):
            joined[-1] = joined[-1] + rows
        else:
            joined.append(rows)
    raw = joined
    tables = []
    for rows in raw:
        out = []
        for r, cells in enumerate(rows):
            row = []
            for col, text, span, merge in cells:
                if merge == "continue":
                    continue
                n = 1
                if merge == "restart":
                    while r + n < len(rows) and any(c == col and m == "continue" for c, _, _, m in rows[r + n]):
                        n += 1
                row.append((text, span, n))
            out.append(row)
        tables.append(out)
    return tables


def html_first_tables(path: Path, heading: str) -> list[list[list[tuple[str, int, int]]]]:
    """The tables of the first project's section of the HTML page: each ``td``/``th`` with its
    ``colspan`` and ``rowspan``."""
    doc = lxml.html.parse(str(path)).getroot()
    section = doc.xpath("//section[contains(concat(' ', @class, ' '), ' pt-entry ')]")[0]
    assert section.xpath(".//h3")[0].text_content() == heading
    tables = []
    for table in section.xpath(".//table"):
        rows = []
        for tr in table.iter("tr"):
            row = []
            for cell in tr:
                if cell.tag not in ("td", "th"):
                    continue
                paras = cell.findall("p")
                text = "\n".join(p.text_content() for p in paras) if paras else cell.text_content()
                row.append((text.strip(), int(cell.get("colspan", 1)), int(cell.get("rowspan", 1)), cell.get("class", "")))
            rows.append(row)
        # A form is drawn as its header block and its grid (the grid's header row in <thead>, so
        # that it repeats in print); a side label spanning the grid stands in the grid's body under
        # an empty head cell.  As published, the two are one table and the label spans the head too.
        if "pt-grid" in table.get("class", "").split() and tables:
            side = [c for c in rows[1] if "pt-side" in c[3].split()] if len(rows) > 1 else []
            if side:
                rows[0] = [(side[0][0], 1, side[0][2] + 1, "") if "pt-side-head" in c[3].split() else c for c in rows[0]]
                rows[1] = [c for c in rows[1] if "pt-side" not in c[3].split()]
            tables[-1] = tables[-1] + rows
        else:
            tables.append(rows)
    return [[[c[:3] for c in row] for row in rows] for rows in tables]


def same(got, want) -> None:
    """Table by table, row by row, so that a failure names the row."""
    assert len(got) == len(want), f"{len(got)} 张表，应为 {len(want)} 张"
    for t, (g, w) in enumerate(zip(got, want), 1):
        for r, (grow, wrow) in enumerate(zip(g, w), 1):
            assert grow == wrow, f"表 {t} 第 {r} 行"
        assert len(g) == len(w), f"表 {t} 有 {len(g)} 行，应为 {len(w)} 行"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every region form's example publication, built to DOCX and HTML once."""
    tmp = tmp_path_factory.mktemp("regions")
    out = {}
    for layout, (folder, _, _) in FORMS.items():
        shutil.copytree(CONTENT / folder, tmp / folder)
        result = api.check(tmp / folder)
        assert not result.report.errors, [i.message for i in result.report.issues]  # warnings: tests/golden
        [pub] = result.publications
        assert pub.settings.layout == layout
        build(pub, tmp / "out", ["docx", "html"])
        out[layout] = tmp / "out"
    return out


READERS = {"docx": docx_first_tables, "html": html_first_tables}


@needs_extras
@pytest.mark.parametrize("fmt", list(READERS))
@pytest.mark.parametrize("layout", list(FORMS))
def test_built_tables_are_the_published_form(built, layout, fmt):
    folder, heading, cell_map = FORMS[layout]
    got = READERS[fmt](built[layout] / fmt / folder / f"{folder}.{fmt}", heading)
    same(got, expected(cell_map))


@needs_extras
def test_a_region_form_builds_to_pdf(tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    shutil.copytree(CONTENT / "xiangtan-2023", tmp_path / "xiangtan-2023")
    [pub] = api.check(tmp_path / "xiangtan-2023").publications
    build(pub, tmp_path / "out", ["pdf"])
    pdf = tmp_path / "out" / "pdf" / "xiangtan-2023" / "xiangtan-2023.pdf"
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    for want in ("1.雾炮车降尘抑尘服务项目支出绩效目标申报表", "本年度绩效指标", "绩效标准", "雾炮车风炮射程", "≥80M",
                 "计划标准", "财政部门审核意见"):
        assert want in text, want


def run(*args):
    return CliRunner().invoke(app, list(args), prog_name="ptgen")


@pytest.mark.parametrize("layout, side, heads", [
    ("wuhan-qingshan", "绩效指标", "一级指标 | 二级指标 | 指标内容 | 指标值"),
    ("xiangtan", "本年度绩效指标", "一级指标 | 二级指标 | 三级指标 | 指标值及单位 | 绩效标准"),
    ("fengjie", "年度绩效目标(90分)", "一级指标 | 二级指标 | 三级指标 | 指标值 | 分值 | 指标解释"),
    ("ningxia", "绩效指标", "一级指标 | 二级指标 | 三级指标 | 指标值"),
    ("central", "绩效指标", "一级指标 | 二级指标 | 三级指标 | 指标值"),
])
def test_the_region_forms_are_built_in(layout, side, heads):
    r = run("layouts", layout)
    assert r.exit_code == 0, r.output
    assert f"| {side} ↓（表头和每个指标） | {heads} |" in r.stdout
    listed = run("layouts").stdout
    assert layout in listed


def test_the_older_framework_puts_satisfaction_under_benefit(tmp_path):
    """武汉 and 湘潭 publish 社会公众或服务对象满意度指标 as a 二级 under 效益指标 (no 满意度指标 一级):
    framework mof2013 accepts that shape; mof2015 reports it (H01, and H02: no 满意度指标)."""
    project = GOOD_PROJECT.replace("  - level1: 满意度指标\n    level2: 服务对象满意度指标",
                                   "  - level1: 效益指标\n    level2: 社会公众或服务对象满意度指标")
    assert project != GOOD_PROJECT
    codes = {}
    for fw in ("mof2013", "mof2015"):
        root = make_publication(tmp_path / fw, project=project, settings=SETTINGS + f"framework: {fw}\n")
        codes[fw] = {i.code for i in api.check(root).report.issues}
    assert not codes["mof2013"] & {"H01", "H02", "H03", "Y005"}, codes["mof2013"]
    assert {"H01", "H02"} <= codes["mof2015"]
