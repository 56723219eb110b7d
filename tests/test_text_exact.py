"""Cell text reaches every output exactly as written; Markdown only where a publication opts in.

Read back from the real files: the DOCX XML, the HTML tree and the PDF text (one small PDF build).
"""
from __future__ import annotations

import re
import shutil
import subprocess
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
PROJECT = GOOD_PROJECT.replace("purpose: 用于信息系统运行维护", f"purpose: '{PURPOSE}'").replace(
    "goals: |\n  1.保障系统稳定运行。", "goals: |\n" + "".join(f"  {line}\n" for line in GOALS.split("\n")).rstrip("\n"))


def _pub(root, settings=SETTINGS):
    return api.check(make_publication(root, PROJECT, settings)).publications[0]


def html_cells(data: bytes) -> list[str]:
    doc = lxml.html.fromstring(data)
    cells = []
    for cell in doc.iter("td", "th"):
        paras = cell.findall("p")
        cells.append("\n".join(p.text_content() for p in paras) if paras else cell.text_content())
    return cells


def test_text_reaches_docx_html_and_pdf_exactly_as_written(tmp_path):
    pub = _pub(tmp_path / "pub")
    p = next(pub.projects())[2].project
    assert (p.purpose, p.goals) == (PURPOSE, GOALS)  # the YAML says what the test means
    result = build(pub, tmp_path / "out", ["docx", "html", "pdf"])
    docx = next(o for o in result.outputs if o.path.name == "pub.docx")
    [table] = read_docx_tables(docx.path)
    assert table["cells"][12] == PURPOSE
    assert table["cells"][14] == GOALS
    root = zipfile.ZipFile(docx.path).read("word/document.xml").decode()
    assert "<w:b/>" not in root and "<w:i/>" not in root
    html = next(o for o in result.outputs if o.path.name == "pub.html")
    cells = html_cells(html.data)
    assert PURPOSE in cells and GOALS in cells
    assert not lxml.html.fromstring(html.data).xpath("//main//strong | //main//em")
    if shutil.which("pdftotext"):
        pdf = next(o for o in result.outputs if o.path.name == "pub.pdf")
        text = subprocess.run(["pdftotext", str(pdf.path), "-"], capture_output=True, text=True, check=True).stdout
        squashed = re.sub(r"\s+", "", text)
        for want in (PURPOSE, *GOALS.split("\n")):
            assert re.sub(r"\s+", "", want) in squashed, want
    assert verify(result.outputs, pub.settings) == []


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
