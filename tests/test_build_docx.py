"""The DOCX compilations: fidelity to the seeds, Word structure, determinism, atomic writes."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest

from ptgen import api
from ptgen.build import build
from ptgen.errors import UserError
from ptgen.importers.merge import import_sources

from helpers import (CONTENT, SHANGHAI_SEED, SETTINGS, TIANJIN_SEEDS, W_NS, docx_xml, make_publication, naive_tables,
                     needs_seeds, read_docx_tables)

TJ_TITLE = "天津市人力资源和社会保障局2025年部门预算 项目支出绩效目标表"


def load_one(root):
    result = api.check(root)
    assert len(result.publications) == 1, result.report.issues
    assert not [i for i in result.report.issues if i.code[0] in "YF"], result.report.issues
    return result.publications[0]


@pytest.fixture(scope="module")
def tianjin_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tj")
    shutil.copytree(CONTENT / "tianjin-2025", tmp / "tianjin-2025")  # the committed import of seeds 000–002
    pub = load_one(tmp / "tianjin-2025")
    result = build(pub, tmp / "out", ["docx"])
    return pub, result, tmp / "out" / "docx" / "tianjin-2025"


@pytest.fixture(scope="module")
def shanghai_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sh")
    shutil.copytree(CONTENT / "shanghai-2025", tmp / "shanghai-2025")  # the committed import of seed 003
    pub = load_one(tmp / "shanghai-2025")
    result = build(pub, tmp / "out", ["docx"])
    return pub, result, tmp / "out" / "docx" / "shanghai-2025"


# --- fidelity ----------------------------------------------------------------------------------------

@needs_seeds
def test_every_tianjin_seed_table_comes_back_cell_by_cell(tianjin_build):
    pub, result, out = tianjin_build
    expected = [t for seed in TIANJIN_SEEDS for t in naive_tables(seed.read_text(encoding="utf-8"))]
    # The compilation orders units by code (353101, 353210, 353216); the seeds are 001, 002, 000.
    by_bookmark = {[b for b in t["bookmarks"] if b != "_GoBack"][0]: t for t in expected}
    for path in (out / "tianjin-2025.docx", out / "353.docx"):
        built = read_docx_tables(path)
        assert len(built) == len(expected) == 29
        for t in built:
            assert len(t["bookmarks"]) == 1
            exp = by_bookmark[t["bookmarks"][0]]
            assert t["title"] == exp["title"]
            assert t["cells"] == exp["cells"], (t["title"], [
                (k, a, b) for k, (a, b) in enumerate(zip(t["cells"], exp["cells"])) if a != b][:3])


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@needs_seeds
def test_shanghai_header_values_stand_in_the_seed_as_printed(shanghai_build):
    _, _, out = shanghai_build
    seed = _squash(SHANGHAI_SEED.read_text(encoding="utf-8"))
    for t in read_docx_tables(out / "shanghai-2025.docx"):
        for row in t["rows"][2:9]:
            for cell in row:
                assert _squash(cell) in seed, cell


def test_shanghai_form_gives_back_every_header_field_and_indicator(shanghai_build):
    pub, result, out = shanghai_build
    built = read_docx_tables(out / "shanghai-2025.docx")
    assert len(built) == 2
    projects = [d.project for _, _, d in pub.projects()]
    for t, p in zip(built, projects):
        rows = t["rows"]
        assert rows[0] == ["财政项目支出绩效目标申报表"] and rows[1] == ["(2025 年度)"]
        assert rows[2] == ["项目名称", p.name, "项目性质", "经常性专项业务费", "项目类别", "特定目标类"]
        assert rows[3] == ["主管部门", "上海市人力资源和社会保障局", "实施单位", "上海市职业技能鉴定中心"]
        assert rows[4] == ["计划开始日期", "2025-01-01", "计划完成日期", "2025-12-31"]
        assert rows[5][3:] == ["年度资金申请总额:", format(p.budget.total, ",f")]
        assert rows[6][3:] == ["其中: 当年财政拨款", format(p.budget.fiscal, ",f")]
        assert rows[7][3:] == ["上年结转资金", "0.00"] and rows[8][3:] == ["其他资金", "0.00"]
        assert rows[9] == ["项目绩效目标", "项目总目标", "年度总体目标"] and rows[10][2] == p.goals.strip()
        assert rows[11] == ["绩效指标", "一级指标", "二级指标", "三级指标", "年度(/项目)指标值"]
        # Read the grid back: an empty merged cell reads as the one above it.
        got, l1, l2 = [], "", ""
        for row in rows[12:]:
            _, c1, c2, name, value = row
            l1, l2 = c1 or l1, c2 or l2
            got.append((l1, l2, name, value))
        assert got == [(i.level1, i.level2, i.name, i.value) for i in p.indicators]
    assert [len(p.indicators) for p in projects] == [47, 43]
    assert format(Decimal("84548000.00"), ",f") in built[0]["cells"]


# --- Word structure ------------------------------------------------------------------------------

def test_titles_carry_the_published_bookmarks_and_the_toc_links_them(tianjin_build):
    pub, result, out = tianjin_build
    root = docx_xml(out / "tianjin-2025.docx")
    names = [b.get(W_NS + "name") for b in root.iter(W_NS + "bookmarkStart")]
    ids = [b.get(W_NS + "id") for b in root.iter(W_NS + "bookmarkStart")]
    assert len(set(ids)) == len(ids) == len([e for e in root.iter(W_NS + "bookmarkEnd")])
    published = [d.project.bookmark for _, _, d in pub.projects()]
    assert [n for n in names if n.startswith("_Toc_4_4_")] == published
    assert "_Toc_4_4_0000000105" in published and "_GoBack" not in names
    assert all(len(n) <= 40 for n in names)
    # One TOC field, pre-filled: a hyperlinked entry per heading, each with a PAGEREF to the same bookmark.
    instr = [i.text for i in root.iter(W_NS + "instrText")]
    assert sum(1 for i in instr if i.strip().startswith("TOC ")) == 1
    links = [h.get(W_NS + "anchor") for h in root.iter(W_NS + "hyperlink")]
    assert links == names
    pagerefs = [i.split()[1] for i in instr if i.strip().startswith("PAGEREF")]
    assert pagerefs == names
    toc_entries = [p for p in root.iter(W_NS + "p") if (s := p.find(f"{W_NS}pPr/{W_NS}pStyle")) is not None
                   and s.get(W_NS + "val") == "TOC3"]
    assert toc_entries[0].find(f"{W_NS}hyperlink/{W_NS}r/{W_NS}t").text == "1.局机关信息系统运维费绩效目标表"
    # Word refreshes the page numbers on open; the flag sits where the schema wants it (before compat).
    order = [el.tag.replace(W_NS, "") for el in docx_xml(out / "tianjin-2025.docx", "word/settings.xml")]
    assert order.index("updateFields") < order.index("compat")


def test_grid_header_repeats_rows_do_not_split_and_first_level_merges_as_published(tianjin_build):
    _, _, out = tianjin_build
    root = docx_xml(out / "tianjin-2025.docx")
    tables = root.findall(f"{W_NS}body/{W_NS}tbl")
    assert len(tables) == 58  # header block + grid, per project
    for head, grid in zip(tables[::2], tables[1::2]):
        rows = grid.findall(W_NS + "tr")
        assert rows[0].find(f"{W_NS}trPr/{W_NS}tblHeader") is not None
        assert all(r.find(f"{W_NS}trPr/{W_NS}cantSplit") is not None for r in rows)
        head_rows = head.findall(W_NS + "tr")  # only the free-text rows (资金用途, 绩效目标) may break
        assert [r.find(f"{W_NS}trPr/{W_NS}cantSplit") is not None for r in head_rows] == [True, True, True, False, False]
        assert [len(r.findall(W_NS + "tc")) for r in head.findall(W_NS + "tr")] == [2, 2, 7, 2, 2]
        assert grid.find(f"{W_NS}tblPr/{W_NS}tblLayout").get(W_NS + "type") == "fixed"
    # 产出指标 merges vertically; 效益指标 is written again on every row.
    first = tables[1].findall(W_NS + "tr")
    l1 = [tr.find(W_NS + "tc") for tr in first[1:]]
    vm = [tc.find(f"{W_NS}tcPr/{W_NS}vMerge") for tc in l1]
    assert vm[0].get(W_NS + "val") == "restart" and vm[1] is not None and vm[1].get(W_NS + "val") is None
    texts = ["".join(t.text for t in tc.iter(W_NS + "t")) for tc in l1]
    assert texts[-4:] == ["效益指标", "效益指标", "满意度指标", "满意度指标"]
    assert all(v is None for v in vm[-4:])


def test_fonts_page_and_core_properties(tianjin_build):
    _, _, out = tianjin_build
    path = out / "tianjin-2025.docx"
    styles = docx_xml(path, "word/styles.xml")
    defaults = styles.find(f"{W_NS}docDefaults/{W_NS}rPrDefault/{W_NS}rPr/{W_NS}rFonts")
    assert defaults.get(W_NS + "eastAsia") == "宋体"
    assert "MS Mincho" not in zipfile.ZipFile(path).read("word/styles.xml").decode()
    sect = docx_xml(path).find(f"{W_NS}body/{W_NS}sectPr")
    size = sect.find(W_NS + "pgSz")
    assert (size.get(W_NS + "w"), size.get(W_NS + "h")) == ("11906", "16838")  # A4
    core = zipfile.ZipFile(path).read("docProps/core.xml").decode()
    assert TJ_TITLE in core and "2000-01-01T00:00:00Z" in core
    assert {i.date_time for i in zipfile.ZipFile(path).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_same_content_gives_the_same_bytes(tianjin_build, tmp_path):
    pub, first, out = tianjin_build
    again = build(pub, tmp_path / "again", ["docx"])
    for a, b in zip(first.outputs, again.outputs):
        assert a.data == b.data and a.path.read_bytes() == b.path.read_bytes()


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (libreoffice-writer-nogui) not installed")
def test_libreoffice_opens_the_docx_and_shows_every_table(tianjin_build, tmp_path):
    pub, _, out = tianjin_build
    src = tmp_path / "book.docx"
    shutil.copy(out / "tianjin-2025.docx", src)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=300)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "book.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    squashed = _squash(text)
    for _, _, d in pub.projects():
        assert _squash(d.project.name + "绩效目标表") in squashed
        assert _squash(d.project.indicators[-1].value) in squashed
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(tmp_path / "book.pdf")],
                                                             capture_output=True, text=True).stdout).group(1))
    assert pages >= 29


# --- any content ----------------------------------------------------------------------------------

TRICKY = """\
name: A&B <测试> "引号" 项目
bookmark: _Toc_4_4_0000000004
budget:
  total: "100.00"
  fiscal: "100.00"
  other: ""
purpose: |
  第一段 & <b>不是标签</b>
  第二段
goals: "1.**重点**保障系统稳定运行。\\n2.完成*年度*任务\\x01"
indicators:
  - level1: 产出指标
    level2: 数量指标
    name: 超长指标名称ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
    description: |-
      第一行

      第三行
    value: ≥10个
"""


def test_escaping_markdown_and_illegal_characters(tmp_path):
    root = make_publication(tmp_path / "pub", TRICKY, SETTINGS + "markdown: [goals]\n")
    pub = load_one(root)
    result = build(pub, tmp_path / "out", ["docx"])
    assert result.warnings and "控制字符" in result.warnings[0]
    path = result.outputs[-1].path
    [t] = read_docx_tables(path)
    assert t["title"] == '1.A&B <测试> "引号" 项目绩效目标表'
    assert t["cells"][3] == 'A&B <测试> "引号" 项目'
    assert t["cells"][12] == "第一段 & <b>不是标签</b>\n第二段"
    assert t["cells"][14] == "1.重点保障系统稳定运行。\n2.完成年度任务"
    assert t["cells"][-2] == "第一行\n\n第三行"
    assert t["cells"][-3].startswith("超长指标名称ABCDEFGHIJ")
    root_xml = docx_xml(path)
    bold = [r for r in root_xml.iter(W_NS + "r") if r.find(f"{W_NS}rPr/{W_NS}b") is not None]
    assert ["".join(x.text for x in r.iter(W_NS + "t")) for r in bold] == ["重点"]
    italic = [r for r in root_xml.iter(W_NS + "r") if r.find(f"{W_NS}rPr/{W_NS}i") is not None]
    assert ["".join(x.text for x in r.iter(W_NS + "t")) for r in italic] == ["年度"]


def test_numbering_per_unit_or_continuous(tmp_path):
    extra = {
        "353/353102/unit.yaml": 'code: "353102"\nname: 第二单位\nprojects:\n  - p.yaml\n',
    }
    for numbering, second in (("per_unit", "1."), ("continuous", "2.")):
        root = make_publication(tmp_path / numbering, settings=SETTINGS + f"numbering: {numbering}\n", extra=extra)
        dept = root / "353" / "department.yaml"
        dept.write_text(dept.read_text(encoding="utf-8").replace("  - \"353101\"\n", "  - \"353101\"\n  - \"353102\"\n"),
                        encoding="utf-8")
        (root / "353" / "353102" / "p.yaml").write_text(
            (root / "353" / "353101" / "p.yaml").read_text(encoding="utf-8").replace("0000000004", "0000000005"),
            encoding="utf-8")
        pub = load_one(root)
        assert len(list(pub.projects())) == 2, numbering
        result = build(pub, tmp_path / f"out-{numbering}", ["docx"])
        titles = [t["title"] for t in read_docx_tables(result.outputs[-1].path)]
        assert titles == ["1.信息系统运维费绩效目标表", f"{second}信息系统运维费绩效目标表"]


def test_publication_template_overrides_the_shipped_one(tmp_path):
    root = make_publication(tmp_path / "pub", settings=SETTINGS + "templates: my-templates\n")
    from ptgen.build import BUILTIN_TEMPLATES
    mine = root / "my-templates" / "docx"
    mine.mkdir(parents=True)
    with zipfile.ZipFile(BUILTIN_TEMPLATES / "docx" / "tianjin.docx") as src, \
            zipfile.ZipFile(mine / "tianjin.docx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/styles.xml":
                data = data.replace("宋体".encode(), "仿宋".encode())
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ subtitle }}", "{{ region }}{{ year }}年".encode())
            dst.writestr(item, data)
    result = build(load_one(root), tmp_path / "out", ["docx"])
    path = result.outputs[-1].path
    assert "仿宋" in zipfile.ZipFile(path).read("word/styles.xml").decode()
    assert "天津市2025年" in "".join(t.text or "" for t in docx_xml(path).iter(W_NS + "t"))


def test_a_failed_build_leaves_the_previous_output(tmp_path):
    root = make_publication(tmp_path / "pub")
    first = build(load_one(root), tmp_path / "out", ["docx"])
    before = {o.path: o.path.read_bytes() for o in first.outputs}
    # Now break the template: a missing style stops the build before anything is written.
    (root / "ptgen.yaml").write_text(SETTINGS + "templates: t\n", encoding="utf-8")
    (root / "t" / "docx").mkdir(parents=True)
    (root / "t" / "docx" / "tianjin.docx").write_bytes(b"not a zip")
    p = root / "353" / "353101" / "p.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("信息系统运维费", "改过的名称"), encoding="utf-8")
    with pytest.raises(UserError, match="模板"):
        build(load_one(root), tmp_path / "out", ["docx"])
    assert {path: path.read_bytes() for path in before} == before
    assert not list((tmp_path / "out").rglob("*.tmp"))


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (libreoffice-writer-nogui) not installed")
def test_update_toc_fills_page_numbers_where_the_tables_land(tianjin_build, tmp_path):
    """The contents cite pages as the footers number them ("353-5": the department's section, then
    the page in it), and each title stands on the page its entry cites, in LibreOffice's layout."""
    from ptgen.build import docx_to_pdf
    pub, _, _ = tianjin_build
    result = build(pub, tmp_path / "out", ["docx"], update_toc=True)
    for path in (result.outputs[0].path, result.outputs[-1].path):  # the department's document and the book
        root = docx_xml(path)
        pages = {}
        for link in root.iter(W_NS + "hyperlink"):
            texts = [t.text or "" for t in link.iter(W_NS + "t")]
            pages[texts[0]] = texts[-1]
        assert len(pages) >= 29 and "w:updateFields" not in zipfile.ZipFile(path).read("word/settings.xml").decode()
        assert all(re.fullmatch(r"353-\d+", p) for p in pages.values()), pages
        work = tmp_path / path.stem
        work.mkdir()
        texts = subprocess.run(["pdftotext", "-layout", str(docx_to_pdf(path.read_bytes(), work)), "-"],
                               capture_output=True, text=True, check=True).stdout.split("\f")
        by_footer = {}
        for text in texts:
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                by_footer[lines[-1]] = text
        for title, page in pages.items():
            assert _squash(title) in _squash(by_footer[page]), (title, page)


def test_importing_the_built_docx_gives_back_the_content(tianjin_build, tmp_path):
    """YAML → DOCX → YAML: the same files, byte for byte (the TOC's entries are not tables)."""
    pub, _, out = tianjin_build
    import_sources([out / "353.docx"], tmp_path / "tianjin-2025", department_name="天津市人力资源和社会保障局",
                   title=TJ_TITLE)
    again = {p.relative_to(tmp_path / "tianjin-2025"): p.read_bytes() for p in (tmp_path / "tianjin-2025").rglob("*.yaml")}
    first = {p.relative_to(pub.root): p.read_bytes() for p in pub.root.rglob("*.yaml")}
    assert again == first and len(again) == 34
