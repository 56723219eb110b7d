"""`ptgen import`: .docx sources, merging, refusing conflicts, never overwriting without --force."""
from __future__ import annotations

import subprocess
import sys

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ptgen.load import load

from helpers import TIANJIN_SEEDS, needs_seeds


def ptgen(*args):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def _bookmark(paragraph, name, bid):
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    paragraph._p.insert(0, start)
    paragraph._p.append(end)


def _set(cell, text):
    lines = text.split("\n")
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def make_docx(path, tables):
    """A Tianjin-layout .docx: heading with bookmark, a 7-column header table with the published
    merges (gridSpan, vMerge), an empty paragraph, and the 5-column grid with 产出指标 merged."""
    doc = Document()
    for bid, (title, bookmark, unit, p) in enumerate(tables):
        h = doc.add_paragraph(title)
        _bookmark(h, bookmark, bid)
        if bid == 0:
            _bookmark(h, "_GoBack", 99)
        t = doc.add_table(rows=5, cols=7)
        r = t.rows
        _set(r[0].cells[0], unit)
        r[0].cells[0].merge(r[0].cells[5])
        _set(r[0].cells[6], "单位：万元")
        _set(r[1].cells[0], "项目名称")
        r[1].cells[1].merge(r[1].cells[6])
        _set(r[1].cells[1], p["name"])
        for i, text in enumerate(["预算规模及资金用途", "预算数", p["total"], "其中：财政    资金", p["fiscal"], "其他资金", ""]):
            _set(r[2].cells[i], text)
        r[2].cells[0].merge(r[3].cells[0])
        r[3].cells[1].merge(r[3].cells[6])
        _set(r[3].cells[1], p["purpose"])
        _set(r[4].cells[0], "绩效目标")
        r[4].cells[1].merge(r[4].cells[6])
        _set(r[4].cells[1], p["goals"])
        doc.add_paragraph("")
        g = doc.add_table(rows=1 + len(p["rows"]), cols=5)
        for i, text in enumerate(["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值"]):
            _set(g.rows[0].cells[i], text)
        for n, row in enumerate(p["rows"], 1):
            for i, text in enumerate(row):
                if i == 0 and n > 1 and text == "产出指标" == p["rows"][n - 2][0]:
                    continue
                _set(g.rows[n].cells[i], text)
        first_l1 = [n for n, row in enumerate(p["rows"], 1) if row[0] == "产出指标"]
        if len(first_l1) > 1:
            g.cell(first_l1[0], 0).merge(g.cell(first_l1[-1], 0))
    doc.save(path)


ROWS = [
    ["产出指标", "数量指标", "开展活动次数", "反映活动次数\n（第二段）", "≥4次"],
    ["产出指标", "质量指标", "活动合格率", "反映合格情况", "100%"],
    ["产出指标", "时效指标", "完成时间", "反映完成时间", "2025年12月31日前"],
    ["产出指标", "成本指标", "活动经费", "反映成本 & <控制>", "≤10万元"],
    ["效益指标", "社会效益指标", "服务覆盖率", "反映覆盖情况", "≥90%"],
    ["满意度指标", "服务对象满意度指标", "参与者满意度", "反映满意程度", "≥95%"],
]
PROJECT = {"name": "测试活动经费", "total": "10.00", "fiscal": "10.00", "purpose": "用于开展活动",
           "goals": "1.开展活动。\n2.提升服务。", "rows": ROWS}


def test_docx_import_reads_merged_cells_and_bookmarks(tmp_path):
    src = tmp_path / "published.docx"
    make_docx(src, [("1.测试活动经费绩效目标表", "_Toc_4_4_0000000105", "353216测试单位", PROJECT),
                    ("2.第二个项目绩效目标表", "_Toc_4_4_0000000106", "353216测试单位",
                     dict(PROJECT, name="第二个项目", total="12.50", fiscal="12.50"))])
    r = ptgen("import", src, "--into", tmp_path / "pub", "--department-name", "测试部门")
    assert r.returncode == 0, r.stderr
    pub, report = load(tmp_path / "pub")
    projects = [d.project for _, _, d in pub.projects()]
    assert [p.bookmark for p in projects] == ["_Toc_4_4_0000000105", "_Toc_4_4_0000000106"]
    p = projects[0]
    assert p.name == "测试活动经费" and str(p.budget.total) == "10.00" and p.budget.other is None
    assert p.purpose == "用于开展活动" and p.goals == "1.开展活动。\n2.提升服务。"
    assert [[i.level1, i.level2, i.name, i.description, i.value] for i in p.indicators] == ROWS
    assert str(projects[1].budget.total) == "12.50"
    assert pub.departments[0].department.name == "测试部门"
    assert pub.departments[0].units[0].unit.code == "353216"


def test_docx_that_is_not_a_table_is_refused(tmp_path):
    src = tmp_path / "x.docx"
    doc = Document()
    doc.add_paragraph("会议纪要")
    doc.save(src)
    r = ptgen("import", src, "--into", tmp_path / "pub")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "标题" in r.stderr
    assert not (tmp_path / "pub").exists()


@needs_seeds
def test_import_merges_units_and_never_overwrites_without_force(tmp_path):
    into = tmp_path / "pub"
    a, b, c = TIANJIN_SEEDS
    assert ptgen("import", a, "--into", into).returncode == 0
    r = ptgen("import", b, c, "--into", into)  # department.yaml would change: only with --force
    assert r.returncode == 1 and "department.yaml" in r.stderr and "353210" in r.stderr
    r = ptgen("import", b, c, "--into", into, "--force")
    assert r.returncode == 0, r.stderr
    pub, _ = load(into)
    assert [u.unit.code for u in pub.departments[0].units] == ["353101", "353210", "353216"]
    assert sum(1 for _ in pub.projects()) == 29
    # An edited file is not overwritten by a re-import …
    target = next((into / "353" / "353216").glob("技能人才*.yaml"))
    edited = target.read_text(encoding="utf-8").replace("≥95%", "≥96%")
    target.write_text(edited, encoding="utf-8")
    r = ptgen("import", a, "--into", into)
    assert r.returncode == 1 and "--force" in r.stderr and "没有写入任何文件" in r.stderr
    assert target.read_text(encoding="utf-8") == edited
    # … unless asked to.
    r = ptgen("import", a, "--into", into, "--force")
    assert r.returncode == 0 and "≥96%" not in target.read_text(encoding="utf-8")
    assert str(target) in r.stdout


@needs_seeds
def test_bookmark_taken_by_another_project_is_a_conflict(tmp_path):
    into = tmp_path / "pub"
    assert ptgen("import", TIANJIN_SEEDS[0], "--into", into).returncode == 0
    src = tmp_path / "other.docx"
    make_docx(src, [("1.另一个项目绩效目标表", "_Toc_4_4_0000000105", "353216测试单位", PROJECT)])
    before = {p: p.read_bytes() for p in into.rglob("*")if p.is_file()}
    r = ptgen("import", src, "--into", into)
    assert r.returncode == 1 and "_Toc_4_4_0000000105" in r.stderr
    assert {p: p.read_bytes() for p in into.rglob("*") if p.is_file()} == before


def test_new_projects_get_the_next_free_bookmark(tmp_path):
    from ptgen.bookmarks import next_free
    from ptgen.model import BookmarkScheme
    scheme = BookmarkScheme(prefix="_Toc_4_4_", digits=10)
    assert next_free(["_Toc_4_4_0000000105", "_Toc_4_4_0000000004", "_GoBack"], scheme) == "_Toc_4_4_0000000106"
    assert next_free([], BookmarkScheme(prefix="_Toc", digits=9)) == "_Toc000000001"
