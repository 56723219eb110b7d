"""Cell text reaches every output exactly as written; Markdown only where a publication opts in.

Read back from the real files: the DOCX XML, the HTML tree and the PDF text (one small PDF build).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile

import lxml.html
import pytest

from ptgen import api
from ptgen.build import build
from ptgen.verify import check_output, verify

from helpers import GOOD_PROJECT, SETTINGS, make_publication, read_docx_tables

# What the light Markdown used to change: list renumbering, emphasis, backslash escapes, bullets.
PURPOSE = "2*3*4 与 \\\\server\\share，_下划线_"
GOALS = "7. 第七项\n8. 第八项\n- 不是列表\n**不是粗体**"
# Long enough to run over a page break in the PDF.
LONG_GOALS = GOALS + "".join(f"\n{i}.第{i}行较长的文字，用来让绩效目标这一格跨过分页。" for i in range(9, 90))


def _project(goals: str) -> str:
    return GOOD_PROJECT.replace("purpose: 用于信息系统运行维护", f"purpose: '{PURPOSE}'").replace(
        "goals: |\n  1.保障系统稳定运行。", "goals: |\n" + "".join(f"  {line}\n" for line in goals.split("\n")).rstrip("\n"))


PROJECT = _project(GOALS)


def _pub(root, settings=SETTINGS, project=PROJECT):
    return api.check(make_publication(root, project, settings)).publications[0]


def html_cells(data: bytes) -> list[str]:
    doc = lxml.html.fromstring(data)
    cells = []
    for cell in doc.iter("td", "th"):
        paras = cell.findall("p")
        cells.append("\n".join(p.text_content() for p in paras) if paras else cell.text_content())
    return cells


def test_text_reaches_docx_html_and_pdf_exactly_as_written(tmp_path):
    pub = _pub(tmp_path / "pub", project=_project(LONG_GOALS))
    p = next(pub.projects())[2].project
    assert (p.purpose, p.goals) == (PURPOSE, LONG_GOALS)  # the YAML says what the test means
    result = build(pub, tmp_path / "out", ["docx", "html", "pdf"])
    docx = next(o for o in result.outputs if o.path.name == "pub.docx")
    [table] = read_docx_tables(docx.path)
    assert table["cells"][12] == PURPOSE
    assert table["cells"][14] == LONG_GOALS
    root = zipfile.ZipFile(docx.path).read("word/document.xml").decode()
    assert "<w:b/>" not in root and "<w:i/>" not in root
    html = next(o for o in result.outputs if o.path.name == "pub.html")
    cells = html_cells(html.data)
    assert PURPOSE in cells and LONG_GOALS in cells
    assert not lxml.html.fromstring(html.data).xpath("//main//strong | //main//em")
    if shutil.which("pdftotext"):
        pdf = next(o for o in result.outputs if o.path.name == "pub.pdf")
        text = subprocess.run(["pdftotext", str(pdf.path), "-"], capture_output=True, text=True, check=True).stdout
        squashed = re.sub(r"\s+", "", text)
        for want in (PURPOSE, *GOALS.split("\n")):
            assert re.sub(r"\s+", "", want) in squashed, want
        from pypdf import PdfReader
        pages = [page.extract_text() for page in PdfReader(pdf.path).pages]
        first = next(i for i, t in enumerate(pages) if "第七项" in t)
        assert "89.第89行" not in pages[first]  # the goals cell runs over a page break
    assert verify(result.outputs, pub.settings) == []  # and --verify still reads it as one cell


def test_markdown_only_in_the_fields_a_publication_opts_in(tmp_path):
    pub = _pub(tmp_path / "pub", SETTINGS + "markdown:\n  - goals\n")
    result = build(pub, tmp_path / "out", ["docx", "html"])
    [table] = read_docx_tables(next(o for o in result.outputs if o.path.name == "pub.docx").path)
    assert table["cells"][12] == PURPOSE  # purpose did not opt in
    assert table["cells"][14] == "7.第七项\n8.第八项\n• 不是列表\n不是粗体"  # goals did: Markdown as documented
    doc = lxml.html.fromstring(next(o for o in result.outputs if o.path.name == "pub.html").data)
    assert [s.text for s in doc.xpath("//main//strong")] == ["不是粗体"]
    assert verify(result.outputs, pub.settings) == []


def test_markdown_field_names_are_checked(tmp_path):
    root = make_publication(tmp_path / "pub", PROJECT, SETTINGS + "markdown:\n  - goals\n  - indicators\n")
    report = api.check(root).report
    [issue] = [i for i in report.issues if i.code == "Y005"]
    assert (issue.file, issue.line) == ("pub/ptgen.yaml", 10)
    assert "indicators" in issue.message and "goals" in issue.message


def _tamper_docx(data: bytes, old: str, new: str) -> bytes:
    import io
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == "word/document.xml":
                assert old.encode() in blob
                blob = blob.replace(old.encode(), new.encode())
            zf.writestr(info, blob)
    return out.getvalue()


def test_verify_compares_each_cell_exactly(tmp_path):
    pub = _pub(tmp_path / "pub")
    result = build(pub, tmp_path / "out", ["docx", "html"])
    docx = next(o for o in result.outputs if o.path.name == "pub.docx")
    html = next(o for o in result.outputs if o.path.name == "pub.html")
    assert check_output("docx", "x.docx", docx.data, docx.compilation, pub.settings) == []
    assert check_output("html", "x.html", html.data, html.compilation, pub.settings) == []
    # What the Markdown did: renumbered a list, ate a backslash, turned * into emphasis.
    for old, new in (("7. 第七项", "4.第七项"), ("7. 第七项", "7.第七项"), ("\\\\server", "\\server")):
        bad = _tamper_docx(docx.data, old, new)
        problems = check_output("docx", "x.docx", bad, docx.compilation, pub.settings)
        assert [p.what for p in problems] == [("绩效目标" if "第七项" in old else "资金用途")], (old, new)
    bad = html.data.replace("2*3*4".encode(), "2<em>3</em>4".encode())
    assert [p.expected for p in check_output("html", "x.html", bad, html.compilation, pub.settings)] == [PURPOSE]
    # A line break lost (two paragraphs become one) is a change too, though no character is missing.
    bad = html.data.replace("<p>8. 第八项</p>".encode(), "".encode()).replace("7. 第七项".encode(), "7. 第七项8. 第八项".encode())
    assert [p.what for p in check_output("html", "x.html", bad, html.compilation, pub.settings)] == ["绩效目标"]


# --- control characters ------------------------------------------------------------------------------

def _control_pub(root):
    """Control characters (written as escapes, the only way YAML lets them in) in every kind of file."""
    project = GOOD_PROJECT.replace("purpose: 用于信息系统运行维护", 'purpose: "用于\\x0b信息\\x01系统"').replace(
        "goals: |\n  1.保障系统稳定运行。", 'goals: "第一段\\n\\\n  第二\\f段"').replace(
        "value: ≥10个", 'value: "≥10\\u001f个"')
    settings = SETTINGS.replace("title: 测试出版物", 'title: "测试\\x0b出版物"').replace(
        "region: 天津市", 'region: "天津\\x7f市"')
    return make_publication(root, project, settings, extra={
        "353/department.yaml": 'code: "353"\nname: "天津市\\x1f人社局"\nunits:\n  - "353101"\n',
        "353/353101/unit.yaml": 'code: "353101"\nname: "测试\\b单位"\nprojects:\n  - p.yaml\n'})


def test_every_control_character_in_every_file_is_x08_at_its_own_column(tmp_path):
    root = _control_pub(tmp_path / "pub")
    found = sorted((i.file, i.line, i.column, i.message) for i in api.check(root).report.issues if i.code == "X08")
    where = [(f, line, col) for f, line, col, _ in found]
    assert where == [
        ("pub/353/353101/p.yaml", 7, 13), ("pub/353/353101/p.yaml", 7, 19),  # two in one value
        ("pub/353/353101/p.yaml", 9, 5),                                     # on the second line of a value
        ("pub/353/353101/p.yaml", 15, 16),
        ("pub/353/353101/unit.yaml", 2, 10),
        ("pub/353/department.yaml", 2, 11),
        ("pub/ptgen.yaml", 1, 11), ("pub/ptgen.yaml", 3, 12),
    ]
    assert [m for *_, m in found if "U+000B" in m] and [m for *_, m in found if "U+007F" in m]
    assert all("控制字符" in m for *_, m in found)


def test_control_character_positions_in_a_literal_block(tmp_path):
    """Where the YAML reader lets a raw one through, the column is still the character's own."""
    from ptgen.lint.text import control_characters
    path = tmp_path / "x.yaml"
    path.write_text("goals: |\n  第一行\n  第二\x0b行\x01\nname: \"a\\x0bb\"\n", encoding="utf-8")
    assert [(line, col, ch) for line, col, ch, _ in control_characters(path)] == [
        (3, 5, "\x0b"), (3, 7, "\x01"), (4, 9, "\x0b")]


def test_build_force_drops_control_characters_in_every_format(tmp_path):
    from typer.testing import CliRunner

    from ptgen.cli import app
    root = _control_pub(tmp_path / "pub")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["build", str(root), "--out", str(out), "--force", "--verify"])
    assert r.exit_code == 0, r.output
    assert "控制字符" in r.output and "内部错误" not in r.output
    [table] = read_docx_tables(out / "docx" / "pub" / "pub.docx")
    assert table["cells"][12] == "用于信息系统" and table["cells"][14] == "第一段\n第二段"
    assert table["cells"][0] == "353101测试单位"
    core = zipfile.ZipFile(out / "docx" / "pub" / "pub.docx").read("docProps/core.xml").decode()
    assert "<dc:title>测试出版物</dc:title>" in core
    page = (out / "html" / "pub" / "pub.html").read_bytes()
    doc = lxml.html.fromstring(page)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page.decode())
    assert "测试出版物" in doc.findtext(".//title") and "用于信息系统" in html_cells(page)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out / "pdf" / "pub" / "pub.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        squashed = re.sub(r"\s+", "", text)
        assert "测试出版物" in squashed and "天津市人社局" in squashed and "用于信息系统" in squashed


def test_markdown_setting_survives_import_and_fmt(tmp_path):
    from ptgen.content import settings_yaml
    from ptgen.load import load
    from ptgen.yamlio import parse
    root = make_publication(tmp_path / "pub", PROJECT, SETTINGS + "markdown:\n  - goals\nrules:\n  V07: off\n")
    pub = api.check(root).publications[0]
    assert parse(settings_yaml(pub.settings))[0]["markdown"] == ["goals"]  # what import writes back
    (root / "ptgen.yaml").write_text(settings_yaml(pub.settings), encoding="utf-8")
    from typer.testing import CliRunner

    from ptgen.cli import app
    r = CliRunner().invoke(app, ["fmt", "--check", str(root / "ptgen.yaml")])
    assert r.exit_code == 0, r.output
    assert load(root)[0].settings.markdown == ["goals"]


def test_word_renderer_drops_control_characters_in_its_context(tmp_path):
    """ptgen diff --format docx passes the title straight to the Word renderer: no ValueError there."""
    from ptgen.build import compilations, find_template
    from ptgen.render.docx import render_docx
    pub = _pub(tmp_path / "pub")
    comp = compilations(pub)[-1][1]
    data, _ = render_docx(comp, find_template(pub, "docx", "tianjin.docx"), {"title": "测试\x0b出版物", "subtitle": "部\x01门"})
    import io
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert "<dc:title>测试出版物</dc:title>" in core and "部门" in core


def test_bidirectional_controls_are_x08_and_never_reach_the_outputs(tmp_path):
    """U+202E (right-to-left override) and its kin are invisible but reorder what is shown: a value
    reviewed as "支付甲方123" could print reversed ("Trojan source").  Each is X08 at its own
    column, shown visibly in the human report, and dropped by the build like the other controls."""
    project = GOOD_PROJECT.replace("purpose: 用于信息系统运行维护", "purpose: 用于\u202e信息系统\u202c运行维护").replace(
        "name: 信息系统运维费", 'name: "信息\\u2066系统运维费"')
    root = make_publication(tmp_path / "pub", project)
    found = sorted((i.line, i.column, i.message) for i in api.check(root).report.issues if i.code == "X08")
    assert [(line, col) for line, col, _ in found] == [(1, 10), (7, 12), (7, 17)], found
    assert "U+202E" in found[1][2]
    r = subprocess.run([sys.executable, "-m", "ptgen", "check", str(root)], capture_output=True, text=True)
    assert "\u202e" not in r.stdout and "[U+202E]" in r.stdout, r.stdout
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(out), "--format", "docx,html",
                        "--force", "--verify"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    page = (out / "html" / "pub" / "pub.html").read_text(encoding="utf-8")
    assert "用于信息系统运行维护" in page and not re.search("[\u202a-\u202e\u2066-\u2069]", page)
    [table] = read_docx_tables(out / "docx" / "pub" / "pub.docx")
    assert "用于信息系统运行维护" in table["cells"]
