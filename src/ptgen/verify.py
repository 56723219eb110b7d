"""``ptgen build --verify``: read the built files back and check they say what the YAML says.

Each renderer is tested on its own, but only reading the outputs back catches what none of them
notices alone: an escaping slip, a font without a glyph, a cell dropped by a template override, a
text changed on the way (a list renumbered, a backslash or an asterisk eaten).  For every project
in every compilation, its title and the text of every cell it fills — name, amounts, 资金用途,
绩效目标, each indicator's name, description and value — must be in the document, in order.

In the DOCX and the HTML each cell is compared exactly: its paragraphs joined with line breaks,
every space as written (a field opted in to Markdown is compared with its Markdown rendering).
PDF text extraction breaks lines where the layout did, so there whitespace is ignored.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from .layouts import field_title, field_value
from .output import data_bytes
from .render.layout import Compilation, layout_of, money
from .render.richtext import markdown

_WS = re.compile(r"\s+")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Mismatch:
    file: str
    project: str
    what: str
    expected: str

    def __str__(self) -> str:
        return f"{self.file}：项目“{self.project}”的{self.what}“{self.expected}”在生成的文件里找不到（逐字比较，包括空格和换行）。"


def squash(text: str) -> str:
    return _WS.sub("", text)


def _docx_para(p) -> str:
    out = []
    for el in p.iter(W + "t", W + "tab"):
        if el.tag == W + "t":
            out.append(el.text or "")
        elif el.getparent().tag == W + "r":
            out.append("\t")
    return "".join(out)


def docx_items(data: bytes) -> list[tuple[bool, str]]:
    """(is a table title, text) in document order: each table title, each cell (paragraphs joined)."""
    from lxml import etree
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    items = []
    for el in root.iter(W + "p", W + "tc"):
        if el.tag == W + "tc":
            items.append((False, "\n".join(_docx_para(p) for p in el.findall(W + "p"))))
        elif el.getparent().tag != W + "tc":
            style = el.find(f"{W}pPr/{W}pStyle")
            if style is not None and style.get(W + "val") == "Heading3":
                items.append((True, _docx_para(el)))
    return items


def html_items(data: bytes) -> list[tuple[bool, str]]:
    import lxml.html
    doc = lxml.html.fromstring(data)
    main = doc.find(".//main")
    items = []
    for el in (main if main is not None else doc).iter("h3", "td", "th"):
        if el.tag == "h3":
            items.append((True, el.text_content()))
        else:
            paras = el.findall("p")
            items.append((False, "\n".join(p.text_content() for p in paras) if paras else el.text_content()))
    return items


# The page label the PDF footer prints (``353-5``; ``ii`` in the front matter): the last line of a
# page's text, dropped so that a cell running over a page break reads as one.
_FOOTER = re.compile(r"\n(\S{1,20}-\d+|[ivxlcdm]+)\s*$")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "".join(_FOOTER.sub("\n", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


ITEMS = {"docx": docx_items, "html": html_items}
FORMATS = ("docx", "html", "pdf")


def expected(comp: Compilation, settings) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(project, title, [(what, cell text)]) in document order, the cells as written in the YAML."""
    def text(key: str, value: str | None) -> str:
        if value and key in settings.markdown:
            return "\n".join(p.text for p in markdown(value))
        return value or ""

    out = []
    form = layout_of(settings)
    for e in comp.entries:
        p = e.project
        cells: list[tuple[str, str]] = []
        for t in form.tables:  # the cells the form fills, in document order
            for row in t.rows:
                for c in row.cells:
                    if c.value is not None:
                        cells.append((field_title(c.value, form), text(c.value, field_value(p, c.value))))
                    elif c.amount is not None:
                        cells.append((field_title(c.amount, form), money(field_value(p, c.amount), settings)))
            if t.grid is not None:
                shown = [col for col in t.grid.columns if col.field not in ("level1", "level2")]  # merged: not per row
                for ind in p.indicators:
                    cells += [(col.head, field_value(ind, col.field) or "") for col in shown]
        out.append((p.name, e.heading.text, [(what, t) for what, t in cells if t]))
    return out


def check_output(fmt: str, name: str, data: bytes, comp: Compilation, settings) -> list[Mismatch]:
    if fmt == "pdf":
        return _check_text(name, squash(pdf_text(data)), comp, settings)
    items = ITEMS[fmt](data)
    titles = [i for i, (is_title, _) in enumerate(items) if is_title] + [len(items)]
    problems = []
    t = 0  # the next title to look at
    for project, title, cells in expected(comp, settings):
        k = next((k for k in range(t, len(titles) - 1) if items[titles[k]][1] == title), None)
        if k is None:
            problems.append(Mismatch(name, project, "标题", title))
            problems += [Mismatch(name, project, what, want) for what, want in cells]
            continue
        t = k + 1
        segment = [text for _, text in items[titles[k] + 1:titles[k + 1]]]
        pos = 0
        for what, want in cells:
            try:
                pos = segment.index(want, pos) + 1
            except ValueError:
                problems.append(Mismatch(name, project, what, want))
    return problems


def _check_text(name: str, text: str, comp: Compilation, settings) -> list[Mismatch]:
    """The PDF: every title and cell, whitespace removed, found in order."""
    problems = []
    pos = 0
    for project, title, cells in expected(comp, settings):
        for what, want in [("标题", title)] + cells:
            found = text.find(squash(want), pos)
            if found < 0:
                problems.append(Mismatch(name, project, what, want))
            elif what == "标题":  # keep to document order: each project's cells come after its title
                pos = found
    return problems


def verify(outputs, settings) -> list[Mismatch]:
    """Check every built DOCX, HTML compilation and PDF (the HTML index page holds no tables)."""
    problems: list[Mismatch] = []
    for o in outputs:
        if o.format in FORMATS and o.path.name != "index.html":
            problems += check_output(o.format, str(o.path), data_bytes(o.data), o.compilation, settings)
    return problems
