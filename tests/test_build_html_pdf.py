"""HTML pages and the PDF: what a reader and a PDF viewer get, read back from the real files."""
from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import lxml.html
import pytest
from pypdf import PdfReader

from ptgen import api
from ptgen.build import build
from ptgen.errors import SetupError, UserError
from ptgen.verify import check_output, verify

from helpers import (CONTENT, GOOD_PROJECT, SETTINGS, TIANJIN_SEEDS, make_publication, naive_tables, needs_seeds,
                     read_docx_tables)

TJ_TITLE = "天津市人力资源和社会保障局2025年部门预算 项目支出绩效目标表"
pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tj")
    shutil.copytree(CONTENT / "tianjin-2025", tmp / "tianjin-2025")  # the committed import of seeds 000–002
    pub = api.check(tmp / "tianjin-2025").publications[0]
    result = build(pub, tmp / "out", ["docx", "html", "pdf"])
    return pub, result, tmp / "out"


def seed_tables():
    tables = [t for seed in TIANJIN_SEEDS for t in naive_tables(seed.read_text(encoding="utf-8"))]
    return {[b for b in t["bookmarks"] if b != "_GoBack"][0]: t for t in tables}


def docx_titles(out) -> list[str]:
    """The table titles as the built Word file has them (checked against the seeds in test_build_docx)."""
    return [t["title"] for t in read_docx_tables(out / "docx" / "tianjin-2025" / "tianjin-2025.docx")]


def html_cells(section) -> list[str]:
    cells = []
    for cell in section.iter("td", "th"):
        paras = cell.findall("p")
        text = "\n".join(p.text_content() for p in paras) if paras else cell.text_content()
        cells.append(text.strip())
    return cells


# --- HTML --------------------------------------------------------------------------------------------

@needs_seeds
def test_html_holds_every_table_id_and_every_cell(built):
    pub, result, out = built
    expected = seed_tables()
    for page in ("353.html", "tianjin-2025.html"):
        doc = lxml.html.parse(str(out / "html" / "tianjin-2025" / page)).getroot()
        sections = doc.xpath("//section[@class='pt-entry']")
        assert len(sections) == 29
        for sec in sections:
            exp = expected[sec.get("id")]
            assert sec.find("h3").text_content() == exp["title"]
            # HTML does not draw merged continuation cells: drop them from the seed's reading.
            cells, seed = html_cells(sec), exp["cells"]
            want = seed[:11] + seed[12:20]
            for k in range(20, len(seed), 5):
                row = seed[k:k + 5]
                want += row[1:] if row[0] == "" else row
            assert cells == want, sec.get("id")


def test_html_table_markup_rowspans_and_scopes(built):
    pub, _, out = built
    doc = lxml.html.parse(str(out / "html" / "tianjin-2025" / "353.html")).getroot()
    first = doc.get_element_by_id("_Toc_4_4_0000000004")
    head, grid = first.xpath(".//table")
    assert head.xpath(".//caption") and grid.xpath(".//caption")
    assert [th.text_content() for th in grid.xpath("./thead/tr/th")] == ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值"]
    assert all(th.get("scope") == "col" for th in grid.xpath("./thead/tr/th"))
    project = next(d.project for _, _, d in pub.projects() if d.project.bookmark == "_Toc_4_4_0000000004")
    output_rows = sum(1 for i in project.indicators if i.level1 == "产出指标")
    [merged] = grid.xpath(".//th[@rowspan]")
    assert merged.text_content() == "产出指标" and int(merged.get("rowspan")) == output_rows
    assert merged.get("scope") == "rowgroup"
    assert len(grid.xpath(".//th[text()='效益指标']")) == 2  # written on every row, as published
    purpose_label = head.xpath(".//th[@rowspan='2']")[0]
    assert purpose_label.text_content() == "预算规模及资金用途"
    # A link to a bookmark lands on its table.
    assert doc.xpath("//nav//a[@href='#_Toc_4_4_0000000004']")


def test_index_page_totals_and_chart(built):
    pub, _, out = built
    doc = lxml.html.parse(str(out / "html" / "tianjin-2025" / "index.html")).getroot()
    assert doc.find(".//h1").text_content() == TJ_TITLE
    assert doc.xpath("//a[@href='353.html']") and doc.xpath("//a[@href='353.html#_Toc_4_4_0000000105']")
    total = sum((d.project.budget.total or Decimal(0)) for _, _, d in pub.projects())
    foot = [td.text_content() for td in doc.xpath("//table[@class='totals']/tfoot/tr/td")]
    assert foot[0] == "29" and foot[1] == str(total.quantize(Decimal("0.01")))
    unit_rows = doc.xpath("//table[@class='totals']/tbody/tr[not(@class)]")
    assert [r.xpath("./th")[0].text_content() for r in unit_rows][0].startswith("353101")
    svg = doc.xpath("//*[local-name()='svg']")
    assert svg and svg[0].xpath(".//*[local-name()='rect']")
    assert not doc.xpath("//script")


def test_html_escapes_content_and_renders_markdown(tmp_path):
    project = (
        'name: A&B <script>alert(1)</script>\nbookmark: _Toc_4_4_0000000004\n'
        'budget:\n  total: "1.00"\n  fiscal: "1.00"\n  other: ""\n'
        'purpose: <b>不是标签</b>\ngoals: "**重点**任务"\nindicators: []\n')
    root = make_publication(tmp_path / "pub", project, SETTINGS + "markdown: [goals]\n")
    pub = api.check(root).publications[0]
    result = build(pub, tmp_path / "out", ["html"])
    page = next(o for o in result.outputs if o.path.name == "pub.html")
    doc = lxml.html.fromstring(page.data)
    assert not doc.xpath("//script") and not doc.xpath("//main//b")
    assert "A&B <script>alert(1)</script>" in doc.find(".//h3").text_content()
    assert doc.xpath("//td/strong")[0].text == "重点"
    assert "<b>不是标签</b>" in doc.text_content()


def test_section_label_is_the_department_code_even_one_starting_with_d(tmp_path):
    """The department's section ("353" of page 353-5) is its code; a department without one is
    numbered.  A code such as "d7" was taken for the number ptgen makes up (its anchor ``_ptgen_d1``)."""
    root = make_publication(tmp_path / "pub", extra={
        "353/department.yaml": 'code: "d7"\nname: 天津市人力资源和社会保障局\nunits:\n  - "353101"\n'})
    pub = api.check(root).publications[0]
    result = build(pub, tmp_path / "out", ["html"])
    page = next(o for o in result.outputs if o.path.name == "pub.html")
    assert lxml.html.fromstring(page.data).xpath("//h1[@class='department-title']/@data-pages") == ["d7"]
    (root / "353" / "department.yaml").write_text("name: 天津市人力资源和社会保障局\nunits:\n  - \"353101\"\n",
                                                  encoding="utf-8")
    result = build(api.check(root).publications[0], tmp_path / "out2", ["html"])
    page = next(o for o in result.outputs if o.path.name == "pub.html")
    assert lxml.html.fromstring(page.data).xpath("//h1[@class='department-title']/@data-pages") == ["1"]


# --- PDF ---------------------------------------------------------------------------------------------

def test_pdf_text_holds_every_title_and_value(built):
    pub, _, out = built
    pdf = out / "pdf" / "tianjin-2025" / "tianjin-2025.pdf"
    # -raw: in the order the page draws its text, a cell's lines together (the reading order of
    # plain pdftotext interleaves the lines of a wrapped value with those of the cells beside it)
    text = squash(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout)
    titles = docx_titles(out)
    assert len(titles) == 29
    for title in titles:
        assert squash(title) in text
    for _, _, d in pub.projects():
        for ind in d.project.indicators:
            assert squash(ind.value) in text, ind.value


def test_pdf_outline_destinations_and_toc_page_numbers(built):
    pub, _, out = built
    reader = PdfReader(out / "pdf" / "tianjin-2025" / "tianjin-2025.pdf")
    labels = reader.page_labels
    # Outline: department → unit → table, one entry per table with its title, pointing at its page.
    [dept, units] = reader.outline[:2]
    assert dept.title == "353天津市人力资源和社会保障局"
    tables = [t for u in units if isinstance(u, list) for t in u]
    assert len(tables) == 29
    for item in tables:
        page = reader.get_destination_page_number(item)
        text = squash(subprocess.run(["pdftotext", "-f", str(page + 1), "-l", str(page + 1),
                                      str(out / "pdf" / "tianjin-2025" / "tianjin-2025.pdf"), "-"],
                                     capture_output=True, text=True).stdout)
        assert squash(item.title) in text
    # Named destinations are the bookmark names.
    names = set(reader.named_destinations)
    assert {d.project.bookmark for _, _, d in pub.projects()} <= names
    # The contents' page numbers ("353-5") are the labels of the pages where the tables start.
    front = sum(1 for label in labels if not label.startswith("353-"))
    toc = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", str(front),
                          str(out / "pdf" / "tianjin-2025" / "tianjin-2025.pdf"), "-"], capture_output=True, text=True).stdout
    entries = re.findall(r"^\s*(\d+\..*?绩效目标表)\s+(353-\d+)\s*$", toc, re.M)
    assert len(entries) == 29
    for title, label in entries:  # each printed number is the label of the page where that table starts
        page = labels.index(label)
        assert squash(title) in squash(reader.pages[page].extract_text()), (title, label)
        if page - 1 >= front:  # and not already on the page before (the contents hold every title)
            assert squash(title) not in squash(reader.pages[page - 1].extract_text())
    meta = reader.metadata
    assert meta.title == TJ_TITLE and meta.author == "天津市"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_pdf_fonts_are_embedded_cjk(built):
    _, _, out = built
    fonts = subprocess.run(["pdffonts", str(out / "pdf" / "tianjin-2025" / "tianjin-2025.pdf")],
                           capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # the "emb" column
    # Every text is in the configured font, the page numbers of the margin boxes included (they
    # inherit from the root element, not the body: a fallback font would print them).
    assert all(line.split()[0].split("+")[1].startswith("Noto-Serif-CJK-SC") for line in fonts), fonts
    # A department's PDF is one document (front and tables): each font is embedded once.
    names = [line.split()[0] for line in subprocess.run(
        ["pdffonts", str(out / "pdf" / "tianjin-2025" / "353.pdf")], capture_output=True, text=True,
        check=True).stdout.splitlines()[2:]]
    assert names and len(names) == len(set(names))


def test_pdf_is_reproducible_and_rebuild_reuses_the_cache(built, tmp_path):
    pub, first, out = built
    again = build(pub, tmp_path / "fresh", ["pdf"])  # no cache: rendered from scratch
    for a, b in zip([o for o in first.outputs if o.format == "pdf"], again.outputs):
        assert a.path.read_bytes() == b.path.read_bytes()
    cache = tmp_path / "fresh" / ".cache" / "pdf" / "tianjin-2025"
    before = {p: p.stat().st_mtime_ns for p in cache.glob("*.pdf")}
    build(pub, tmp_path / "fresh", ["pdf"])
    assert {p: p.stat().st_mtime_ns for p in cache.glob("*.pdf")} == before  # nothing re-rendered


def test_missing_cjk_font_stops_the_build_naming_the_package(tmp_path):
    root = make_publication(tmp_path / "pub", settings=SETTINGS + "pdf_font: 不存在的字体\n")
    pub = api.check(root).publications[0]
    with pytest.raises(SetupError) as exc:
        build(pub, tmp_path / "out", ["pdf"])
    assert "fonts-noto-cjk" in exc.value.hint and "不存在的字体" in exc.value.message
    assert not (tmp_path / "out" / "pdf").exists()


# --- across formats ----------------------------------------------------------------------------------

def test_verify_reads_every_format_back(built):
    pub, result, _ = built
    assert verify(result.outputs, pub.settings) == []
    page = next(o for o in result.outputs if o.path.name == "tianjin-2025.html")
    broken = page.data.replace("≥10套".encode(), "≥10".encode())  # what an escaping or font slip looks like
    problems = check_output("html", "x.html", broken, page.compilation, pub.settings)
    assert [p.expected for p in problems] == ["≥10套"]


def test_pdf_grid_header_repeats_on_continuation_pages(built):
    pub, _, out = built
    pdf = out / "pdf" / "tianjin-2025" / "353.pdf"
    reader = PdfReader(pdf)
    labels = reader.page_labels
    titles = [squash(t) for t in docx_titles(out)]
    continuation = 0
    for k, label in enumerate(labels):
        if not label.startswith("353-"):
            continue
        text = squash(reader.pages[k].extract_text())
        if not any(t in text for t in titles):  # a page that continues the table before it
            continuation += 1
            assert text.startswith("一级指标二级指标三级指标绩效指标描述指标值"), text[:40]
    assert continuation >= 5


def test_a_character_no_font_can_draw_stops_the_pdf(tmp_path):
    root = make_publication(tmp_path / "pub", GOOD_PROJECT.replace("运维系统数量", "运维系统数量\ue000"))
    pub = api.check(root).publications[0]
    with pytest.raises(UserError) as exc:
        build(pub, tmp_path / "out", ["pdf"])
    assert "U+E000" in exc.value.message and "pdf_font" in exc.value.hint
    assert not (tmp_path / "out" / "pdf").exists()


def test_a_department_that_fails_to_render_is_reported_and_nothing_is_written(tmp_path, monkeypatch):
    """Orchestration under a failure: inject one into the department render (the real renderer
    runs for everything else) — its own message reaches the user, and no output is written."""
    import ptgen.render.pdf as pdf
    real = pdf._render

    def failing(html, out):
        if "pt-entry" in html:
            raise UserError("排版失败（测试注入）")
        return real(html, out)
    monkeypatch.setattr(pdf, "_render", failing)
    root = make_publication(tmp_path / "pub")
    with pytest.raises(UserError, match="排版失败（测试注入）"):
        build(api.check(root).publications[0], tmp_path / "out", ["pdf"])
    assert not (tmp_path / "out" / "pdf").exists()


def test_pdf_documents_parsed_as_xml_give_the_same_pdf_as_weasyprints_parser(built, monkeypatch):
    """ptgen parses its own (well-formed) pages with the stdlib's XML parser instead of WeasyPrint's
    HTML5 parser, for speed: the PDF must be the same, byte for byte, and a page that is not XML
    must still be read as HTML."""
    import tinyhtml5
    import weasyprint

    from ptgen.build import compilations
    from ptgen.render import pdf
    from ptgen.render.html import front_html

    pub, _, out = built
    comps = compilations(pub)
    job = pdf.PdfBuild(pub, comps, out / ".cache" / "pdf" / pub.root.name, renderer=None)
    d, comp = job.views[0], comps[0][1]
    toc = pdf.toc_entries([d])
    page = pdf.body_html(pub, comp, [d], front={"title": comp.title, "subtitle": comp.subtitle, "toc": toc})
    front = front_html(pub, comps[-1][1], [dict(t, page=f"{d.section}-1") for t in toc])
    html5_parses = []
    real_parse = tinyhtml5.parse
    monkeypatch.setattr(tinyhtml5, "parse", lambda *a, **k: html5_parses.append(1) or real_parse(*a, **k))
    for html, base in ((page, str(out)), (front, "."), (page, ".")):
        fast = pdf._document(html, base).render().write_pdf()
        assert not html5_parses
        assert fast == weasyprint.HTML(string=html, base_url=base).render().write_pdf()
        html5_parses.clear()
    plain = page.replace("<colgroup>", "<colgroup><col>", 1)  # an unclosed void element: not XML
    pdf._document(plain, str(out))
    assert html5_parses
