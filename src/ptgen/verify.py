"""``ptgen build --verify``: read the built files back and check they say what the YAML says.

Each renderer is tested on its own, but only reading the outputs back catches what none of them
notices alone: an escaping slip, a font without a glyph, a cell dropped by a template override.
For every project in every compilation, its title, amounts, and every indicator's name and value
must appear, in order, in the text of the DOCX, the HTML and the PDF.  Whitespace is ignored
(PDF text extraction breaks lines where the layout did).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from .render.layout import Compilation, money

_WS = re.compile(r"\s+")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Mismatch:
    file: str
    project: str
    what: str
    expected: str

    def __str__(self) -> str:
        return f"{self.file}：项目“{self.project}”的{self.what}“{self.expected}”在生成的文件里找不到。"


def squash(text: str) -> str:
    return _WS.sub("", text)


def docx_text(data: bytes) -> str:
    from lxml import etree
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    return "".join(t.text or "" for t in root.iter(W + "t"))


def html_text(data: bytes) -> str:
    import lxml.html
    doc = lxml.html.fromstring(data)
    main = doc.find(".//main")
    return (main if main is not None else doc).text_content()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


READERS = {"docx": docx_text, "html": html_text, "pdf": pdf_text}


def expected(comp: Compilation, settings) -> list[tuple[str, str, str]]:
    """(project, what, text) in document order."""
    out = []
    for e in comp.entries:
        p = e.project
        out.append((p.name, "标题", e.heading.text))
        for label, amount in (("预算数", p.budget.total), ("财政资金", p.budget.fiscal), ("其他资金", p.budget.other)):
            if amount is not None:
                out.append((p.name, label, money(amount, settings)))
        for ind in p.indicators:
            out.append((p.name, "三级指标", ind.name))
            out.append((p.name, "指标值", ind.value))
    return out


def check_output(fmt: str, name: str, data: bytes, comp: Compilation, settings) -> list[Mismatch]:
    text = squash(READERS[fmt](data))
    problems = []
    pos = 0
    for project, what, want in expected(comp, settings):
        needle = squash(want)
        if not needle:
            continue
        found = text.find(needle, pos)
        if found < 0:
            problems.append(Mismatch(name, project, what, want))
            continue
        if what == "标题":  # keep to document order: each project's cells come after its title
            pos = found
    return problems


def verify(outputs, settings) -> list[Mismatch]:
    """Check every built DOCX, HTML compilation and PDF (the HTML index page holds no tables)."""
    problems: list[Mismatch] = []
    for o in outputs:
        if o.format in READERS and o.path.name != "index.html":
            problems += check_output(o.format, str(o.path), o.data, o.compilation, settings)
    return problems
