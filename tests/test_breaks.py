"""Where printed text breaks: every label of a form on one line, covers broken between phrases.

Read back from what was really printed: ``pdftotext -layout`` of the PDF ptgen builds, and of
LibreOffice's rendering of the DOCX (the helper ``--update-toc`` uses).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import lxml.html
import pytest
from typer.testing import CliRunner

from ptgen import api
from ptgen.build import build
from ptgen.cli import app
from ptgen.render.layout import Table, compile_publication

from helpers import CONTENT, SETTINGS, make_publication

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
needs_soffice = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (libreoffice-writer-nogui) not installed")

PUBLICATIONS = sorted(p.name for p in CONTENT.iterdir() if (p / "ptgen.yaml").is_file())

# The covers as a proof-reader breaks them: between phrases, never inside 部门预算 or 汇总表.
COVERS = {
    "tianjin-2025": (["天津市人力资源和社会保障局", "2025年部门预算 项目支出绩效目标表"], []),
    "shanghai-2025": (["上海市职业技能鉴定中心", "2025年度项目绩效目标汇总表"], []),
    "central-2025": (["教育部留学服务中心", "2025年项目支出绩效目标表"], []),
    "fengjie-2023": (["奉节县云雾土家族乡", "2023年项目支出绩效目标审批表"], ["2022-12-30"]),
    "ningxia-2019": (["宁夏长庆初级中学", "2019年项目支出预算绩效目标表"], ["宁夏长庆初级中学", "2019年2月20日"]),
    "wuhan-qingshan-2020": (["青山区教育局2020年度绩效目标表"], ["青山区教育局", "2021-01-05"]),
    "xiangtan-2023": (["湘潭市环境卫生管理处", "2023年项目支出绩效目标申报表"], ["湘潭市城市管理和综合执法局", "2023-10-13"]),
}


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def lo_pdf(docx: Path, out: Path) -> Path:
    """LibreOffice's rendering of ``docx``, through the helper the build uses."""
    from ptgen.render.libreoffice import docx_to_pdf
    with tempfile.TemporaryDirectory(prefix="ptgen-lo-") as tmp:
        shutil.copy(docx_to_pdf(docx.read_bytes(), Path(tmp)), out)
    return out


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Every example publication built to DOCX and PDF once: {name: (publication, whole-book PDF, DOCX)}."""
    tmp = tmp_path_factory.mktemp("books")
    out = {}
    for name in PUBLICATIONS:
        shutil.copytree(CONTENT / name, tmp / name)
        [pub] = api.check(tmp / name).publications
        build(pub, tmp / "out", ["docx", "pdf"])
        out[name] = (pub, tmp / "out" / "pdf" / name / f"{name}.pdf", tmp / "out" / "docx" / name / f"{name}.docx")
    return out


@pytest.fixture(scope="module")
def lo_books(books, tmp_path_factory):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (libreoffice-writer-nogui) not installed")
    tmp = tmp_path_factory.mktemp("lo")
    return {name: lo_pdf(docx, tmp / f"{name}.pdf") for name, (_, _, docx) in books.items()}


# --- labels on one line ------------------------------------------------------------------------------

def form_labels(pub) -> dict[str, int]:
    """Each line of every label and grid header the publication's tables print, and how often."""
    count: dict[str, int] = {}
    for block in compile_publication(pub)[-1].blocks:
        if isinstance(block, Table):
            for row in block.rows:
                for c in row.cells:
                    if c.role in ("label", "head") and not c.merged:
                        for line in c.text.split("\n"):
                            if len(squash(line)) > 1:
                                count[squash(line)] = count.get(squash(line), 0) + 1
    return count


def _chars(text: str) -> str:
    """``text`` (without spaces) as a pattern that allows spaces between its characters, as
    ``pdftotext -layout`` puts them (``2025 年``, the four spaces of ``财政    资金``)."""
    return " *".join(re.escape(ch) for ch in text)


def broken(page: str, label: str) -> list[str]:
    """Where ``pdftotext -layout`` of one page shows ``label`` split over two lines of a cell: a
    start of it ending a cell's text, and the rest starting a cell's text on one of the next two
    lines, in the columns under it (labels are centred, so the rest sits below the start)."""
    lines = page.split("\n")
    found = []
    for k in range(1, len(label)):
        head = re.compile(r"(?:^|(?<=  ))" + _chars(label[:k]) + r"(?= {2,}|$)")
        tail = re.compile(r"(?:^|(?<=  ))" + _chars(label[k:]) + r"(?= {2,}|$)")
        for i, line in enumerate(lines):
            for m in head.finditer(line):
                for below in lines[i + 1:i + 3]:
                    for t in tail.finditer(below):
                        if t.start() <= m.end() + 1 and t.end() >= m.start() - 1:
                            found.append(f"{line.strip()} / {below.strip()}")
    return found


def one_line(text: str, label: str) -> int:
    return len(re.findall(_chars(label), text))


def assert_labels_on_one_line(pub, pdf: Path) -> None:
    text = pdftotext(pdf, "-layout")
    labels = form_labels(pub)
    assert labels
    problems = {label: found for label in labels for page in text.split("\f") if (found := broken(page, label))}
    assert not problems, problems
    short = {label: (one_line(text, label), n) for label, n in labels.items() if one_line(text, label) < n}
    assert not short, short


@pytest.mark.parametrize("name", PUBLICATIONS)
def test_pdf_prints_every_label_on_one_line(books, name):
    pub, pdf, _ = books[name]
    assert_labels_on_one_line(pub, pdf)


@needs_soffice
@pytest.mark.parametrize("name", PUBLICATIONS)
def test_docx_prints_every_label_on_one_line_in_libreoffice(books, lo_books, name):
    pub, _, _ = books[name]
    assert_labels_on_one_line(pub, lo_books[name])


@pytest.mark.parametrize("rendering", ["pdf", "libreoffice"])
def test_short_values_keep_their_line_where_there_is_room(books, rendering, request):
    """上海's 项目性质 (经常性专项业务费, split 经常性专项/业务费 before) and 项目类别 (特定目标类)."""
    from ptgen.layouts import field_value
    pub, pdf, _ = books["shanghai-2025"]
    if rendering == "libreoffice":
        pdf = request.getfixturevalue("lo_books")["shanghai-2025"]
    text = pdftotext(pdf, "-layout")
    values = [squash(field_value(doc.project, key)) for _, _, doc in pub.projects() for key in ("nature", "category")]
    assert "经常性专项业务费" in values
    for value in values:
        assert not any(broken(page, value) for page in text.split("\f")), value
        assert one_line(text, value) >= values.count(value), value


def test_the_broken_label_check_finds_a_label_split_in_a_cell():
    """The check itself: the Tianjin and Shanghai breaks the PDF showed before widths were measured."""
    page = ("                            其中：财政     资\n"
            "预算规模及资    预算数     3540.00                 3540.00   其他资金\n"
            "                               金\n"
            "  金用途\n"
            "计划开始日                             计划完成日\n"
            "      2025-01-01                        2025-12-31\n"
            "  期                                 期\n")
    assert broken(page, "其中：财政资金") and broken(page, "预算规模及资金用途")
    assert broken(page, "计划开始日期") and broken(page, "计划完成日期")
    assert not broken("  其中：财政   资金   3540.00   其他资金\n  其他资金\n", "其他资金")


def test_a_value_column_gives_way_to_its_labels():
    """Where the definition's widths are too narrow for a label, the label's column widens and the
    value columns give the room; where they are wide enough, they stay as written."""
    from ptgen.render.measure import fit_widths, text_em
    assert text_em("其中：财政    资金") == pytest.approx(7 + 4 * 0.4)
    assert text_em("(90分)") == pytest.approx(1 + 2 * 0.6 + 2 * 0.4 + 2 * 0.25)  # a quarter em between CJK and Latin
    assert fit_widths((10, 30, 10, 30), [(0, 1, 4.0), (2, 1, 4.0)], 40, 1) == (10, 30, 10, 30)
    widths = fit_widths((10, 30, 10, 30), [(0, 1, 8.0), (2, 1, 4.0)], 40, 1)
    em = [w * 40 / sum(widths) for w in widths]
    assert em[0] >= 9 - 0.05 and em[2] >= 5 - 0.05 and em[1] == pytest.approx(em[3], abs=0.1)


def test_a_label_breaks_where_its_definition_writes_a_line_break():
    """奉节's 项目资金 / 预算执行 / （10分）, as published: ``ptgen layouts`` shows the breaks as ⏎."""
    r = CliRunner().invoke(app, ["layouts", "fengjie"], prog_name="ptgen")
    assert r.exit_code == 0, r.output
    assert "| 项目资金⏎预算执行⏎（{project.execution_score}） ↓5 |" in r.stdout


# --- covers ------------------------------------------------------------------------------------------

def page_lines(pdf: Path, page: int = 1) -> list[str]:
    text = pdftotext(pdf, "-f", str(page), "-l", str(page))
    return [line.strip() for line in text.split("\n") if line.strip()]


def assert_cover(lines: list[str], title: list[str], imprint: list[str]) -> None:
    """The cover's title in exactly these lines (spaces aside: LibreOffice's PDF adds some between
    digits and CJK), then the issuer and date."""
    got = [squash(line) for line in lines]
    want = [squash(line) for line in title]
    assert got[:len(want)] == want, lines
    for line in imprint:
        assert squash(line) in got[len(want):], (line, lines)


@pytest.mark.parametrize("name", PUBLICATIONS)
def test_pdf_cover_breaks_the_title_between_phrases(books, name):
    _, pdf, _ = books[name]
    assert_cover(page_lines(pdf), *COVERS[name])


@needs_soffice
@pytest.mark.parametrize("name", PUBLICATIONS)
def test_docx_cover_breaks_the_title_between_phrases_in_libreoffice(lo_books, name):
    assert_cover(page_lines(lo_books[name]), *COVERS[name])


OWN_LINES = ("title: 天津市人力资源和社会保障局2025年部门预算 项目支出绩效目标表\n"
             "title_lines:\n  - 天津市人力资源和社会保障局\n  - 2025年部门预算\n  - 项目支出绩效目标表\n"
             "issuer: 天津市人力资源和社会保障局\ndate: 2025年1月\n")


def own_lines_publication(root: Path) -> Path:
    settings = re.sub(r"^title: .*\n", OWN_LINES, SETTINGS, count=1, flags=re.M)
    assert settings != SETTINGS
    return make_publication(root, settings=settings)


def test_a_publication_gives_its_own_cover_lines(tmp_path):
    root = own_lines_publication(tmp_path / "pub")
    [pub] = api.check(root).publications
    build(pub, tmp_path / "out", ["docx", "pdf", "html"])
    want = ["天津市人力资源和社会保障局", "2025年部门预算", "项目支出绩效目标表"]
    assert_cover(page_lines(tmp_path / "out" / "pdf" / "pub" / "pub.pdf"), want, ["天津市人力资源和社会保障局", "2025年1月"])
    index = lxml.html.parse(str(tmp_path / "out" / "html" / "pub" / "index.html")).getroot()
    [h1] = index.xpath("//h1[@class='title']")
    assert [line.text_content() for line in h1.xpath("span[@class='line']")] == want
    assert "天津市人力资源和社会保障局 · 2025年1月" in index.xpath("string(//p[@class='imprint'])")
    if shutil.which("soffice"):
        lo = lo_pdf(tmp_path / "out" / "docx" / "pub" / "pub.docx", tmp_path / "lo.pdf")
        assert_cover(page_lines(lo), want, ["天津市人力资源和社会保障局", "2025年1月"])


def test_the_web_heading_breaks_only_between_phrases(tmp_path):
    """On screen the title is one line the browser breaks only between its phrases (each kept whole)."""
    title = "天津市人力资源和社会保障局2025年部门预算 项目支出绩效目标表"
    root = make_publication(tmp_path / "pub", settings=SETTINGS.replace("title: 测试出版物", f"title: {title}"))
    [pub] = api.check(root).publications
    build(pub, tmp_path / "out", ["html"])
    for page in ("index.html", "pub.html"):
        doc = lxml.html.parse(str(tmp_path / "out" / "html" / "pub" / page)).getroot()
        [h1] = doc.xpath("//h1[@class='title']")
        assert h1.text_content() == pub.settings.title
        assert [p.text for p in h1.xpath(".//span[@class='ph']")] == ["天津市人力资源和社会保障局", "2025年部门预算",
                                                                      "项目支出绩效目标表"]


def test_cover_lines_must_make_the_title(tmp_path):
    root = own_lines_publication(tmp_path / "pub")
    text = (root / "ptgen.yaml").read_text(encoding="utf-8").replace("  - 项目支出绩效目标表\n", "  - 项目绩效目标表\n")
    (root / "ptgen.yaml").write_text(text, encoding="utf-8")
    r = CliRunner().invoke(app, ["check", str(root)], prog_name="ptgen")
    assert r.exit_code == 1
    line = text.split("\n").index("title_lines:") + 2  # the list, on the line after its key
    assert f"ptgen.yaml\n  {line}:3  Y005" in r.output, r.output
    assert "封面标题各行连起来" in r.output


def test_title_phrases_and_lines():
    from ptgen.render.measure import title_lines, title_phrases
    title = "天津市人力资源和社会保障局2025年部门预算 项目支出绩效目标表"
    assert "".join(title_phrases(title)) == title
    assert title_phrases("上海市职业技能鉴定中心2025 年度项目绩效目标汇总表") == ("上海市职业技能鉴定中心", "2025 年度项目绩效目标汇总表")
    assert title_lines(title, 40) == [title]  # fits: one line
    assert title_lines(title, 20) == ["天津市人力资源和社会保障局", "2025年部门预算 项目支出绩效目标表"]
    assert title_lines(title, 10) == ["天津市人力资源和社会保障局", "2025年部门预算", "项目支出绩效目标表"]  # a long phrase alone
    assert title_lines("中央部门预算 项目支出绩效目标汇总表", 10) == ["中央部门预算", "项目支出", "绩效目标汇总表"]


# --- ptgen.yaml: the new settings ---------------------------------------------------------------------

def test_init_writes_the_cover_settings_and_new_keeps_them(tmp_path):
    run = CliRunner().invoke
    r = run(app, ["init", str(tmp_path / "pub"), "--layout", "tianjin", "--year", "2026", "--region", "天津市",
                  "--issuer", "天津市人力资源和社会保障局", "--date", "2026年1月"], prog_name="ptgen")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "pub" / "ptgen.yaml").read_text(encoding="utf-8")
    assert "issuer: 天津市人力资源和社会保障局\n" in text and "date: 2026年1月\n" in text
    r = run(app, ["new", "agency", str(tmp_path / "pub"), "--code", "353", "--name", "天津市人力资源和社会保障局"],
            prog_name="ptgen")
    assert r.exit_code == 0, r.output
    [pub] = api.check(tmp_path / "pub").publications
    assert (pub.settings.issuer, pub.settings.date) == ("天津市人力资源和社会保障局", "2026年1月")
    r = run(app, ["init", str(tmp_path / "bare"), "--layout", "shanghai", "--year", "2026"], prog_name="ptgen")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "bare" / "ptgen.yaml").read_text(encoding="utf-8")
    assert 'issuer: ""\n' in text and 'date: ""\n' in text  # there to fill in


def test_the_redline_cover_still_shows_its_title(tmp_path):
    """The shipped Word templates print ``cover_title``; ``ptgen diff --format docx`` gives none, so
    its cover falls back to the plain ``title``."""
    from helpers import W_NS, docx_xml
    repo = tmp_path / "repo"
    root = make_publication(repo / "content" / "pub")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    p = root / "353" / "353101" / "p.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("≥10个", "≥12个"), encoding="utf-8")
    out = tmp_path / "redline.docx"
    r = CliRunner().invoke(app, ["diff", "HEAD", "--path", str(repo / "content"), "--format", "docx", "--output", str(out)],
                           prog_name="ptgen", catch_exceptions=False)
    assert out.is_file(), r.output
    body = docx_xml(out).find(W_NS + "body")
    first = "".join(t.text or "" for t in body.find(W_NS + "p").iter(W_NS + "t"))
    assert first == "ptgen diff：修订对照"
