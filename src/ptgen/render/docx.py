"""Compilation → .docx, through a docxtpl template.

The template (``templates/docx/<layout>.docx``, or the publication's own copy) is an ordinary Word
file holding the styles, page set-up, footer and cover; docxtpl renders its Jinja tags
(``{{ title }}``, ``{{ subtitle }}``, ``{{ year }}``, ``{{ region }}``, ``{{p toc }}``,
``{{p body }}``; the cover's ``{{ cover_title }}``, ``{{ issuer }}``, ``{{ date }}``) with ``autoescape=True``.

The tables are written here as WordprocessingML strings that refer only to the template's styles
(``PTCell``, ``Heading3``, ``PTTable`` …), so restyling the template restyles every table.  They
are spliced into ``{{p body }}`` after docxtpl has rendered: going through docxtpl's XML pass for
every table costs ~10x the time and memory for a 1,000-table book (docxtpl re-parses the whole
rendered document).  Python-docx has no bookmark or field API, so bookmarks and the TOC field are
written here too.

The package is zipped by :func:`_zip` with fixed timestamps and pinned core properties, so the same
content gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from .. import layouts
from ..errors import UserError
from . import docxfonts
from .formats import FormatRenderer, RenderContext, Rendered
from .layout import Cell, Compilation, Heading, Row, Spacer, Table, cover_lines
from .richtext import ILLEGAL_XML_RE, Paragraph

STYLE_IDS = {
    "Heading1", "Heading2", "Heading3", "TOC1", "TOC2", "TOC3", "PTCell", "PTCellCenter", "PTCellHead",
    "PTAgency", "PTMoneyUnit", "PTFormTitle", "PTFormYear", "PTSpacer", "PTTable",
}
ROLE_STYLE = {
    "label": "PTCellCenter", "value": "PTCell", "head": "PTCellHead", "amount": "PTCellCenter",
    "agency": "PTAgency", "unit": "PTMoneyUnit", "form-title": "PTFormTitle", "form-year": "PTFormYear",
    "level": "PTCellCenter",
}
SENTINEL = "PTGEN-BODY-3b9c1f"
SENTINEL_XML = f"<w:p><w:r><w:t>{SENTINEL}</w:t></w:r></w:p>"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BOOKMARK_ID_BASE = 1000  # above any id a hand-made template may already use
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class DocxWarnings:
    stripped: int = 0  # characters XML cannot hold, dropped


def source_date() -> dt.datetime:
    """The date stamped into documents: ``SOURCE_DATE_EPOCH`` if set, else a fixed one (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        seconds = int(epoch) if epoch else 946684800
    except ValueError:
        seconds = 946684800
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)


class _Writer:
    """Builds the body XML as a list of strings (one join at the end: fast and small)."""

    def __init__(self, text_width: int, warn: DocxWarnings, track: dict | None = None):
        self.text_width = text_width
        self.warn = warn
        self.track = track  # {"ids": counter, "date": ISO}: tracked-change marks (redline documents)
        self.out: list[str] = []

    def esc(self, text: str) -> str:
        if ILLEGAL_XML_RE.search(text):
            self.warn.stripped += len(ILLEGAL_XML_RE.findall(text))
            text = ILLEGAL_XML_RE.sub("", text)
        return _xml_escape(text)

    def attr(self, text: str) -> str:
        """``text`` for an attribute value in double quotes: a ``"`` in it cannot end the value."""
        return self.esc(text).replace('"', "&quot;")

    def runs(self, para: Paragraph) -> str:
        parts = []
        for r in para.runs:
            if not r.text:
                continue
            rpr = ("<w:b/><w:bCs/>" if r.bold else "") + ("<w:i/><w:iCs/>" if r.italic else "")
            rpr = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
            if r.change:
                tag = "delText" if r.change == "del" else "t"
                parts.append(f'<w:{r.change} {self.mark()}><w:r>{rpr}<w:{tag} xml:space="preserve">'
                             f'{self.esc(r.text)}</w:{tag}></w:r></w:{r.change}>')
                continue
            for k, piece in enumerate(r.text.split("\t")):
                if k:
                    parts.append(f"<w:r>{rpr}<w:tab/></w:r>")
                if piece:
                    parts.append(f'<w:r>{rpr}<w:t xml:space="preserve">{self.esc(piece)}</w:t></w:r>')
        return "".join(parts)

    def mark(self) -> str:
        """Attributes of a tracked change: a unique id, author ptgen, the date."""
        t = self.track or {}
        ids = t.get("ids")
        return f'w:id="{next(ids) if ids else 1}" w:author="ptgen" w:date="{t.get("date", "2000-01-01T00:00:00Z")}"'


    def heading(self, h: Heading, page_break: bool, bookmark_id: int) -> None:
        bid = bookmark_id
        ppr = f'<w:pStyle w:val="Heading{h.level}"/>' + ("<w:pageBreakBefore/>" if page_break else "")
        self.out.append(f'<w:p><w:pPr>{ppr}</w:pPr><w:bookmarkStart w:id="{bid}" w:name="{self.attr(h.anchor)}"/>'
                        f'<w:r><w:t xml:space="preserve">{self.esc(h.text)}</w:t></w:r>'
                        f'<w:bookmarkEnd w:id="{bid}"/></w:p>')

    def table(self, t: Table, keep_all: bool = False, restarts: frozenset[int] = frozenset()) -> None:
        """``t``; ``keep_all``: every row stays with what follows (a header block above its grid);
        ``restarts``: rows that begin a page inside a vertical merge, where the merge starts again
        with its text repeated (Word and LibreOffice print a merged cell's text on its first page only)."""
        total = sum(t.widths)
        cols = [self.text_width * w // total for w in t.widths]
        cols[-1] += self.text_width - sum(cols)
        out = self.out
        # Word repeats header rows only from a table's top: a header row below other rows (a grid
        # under its form) starts a table of its own, after a hairline paragraph kept with it.
        split = next((k for k in range(1, len(t.rows)) if t.rows[k].header and not t.rows[k - 1].header), None)

        def start(bottom_open: bool = False) -> None:
            borders = '<w:tblBorders><w:bottom w:val="nil"/></w:tblBorders>' if bottom_open else ""
            out.append(f'<w:tbl><w:tblPr><w:tblStyle w:val="PTTable"/><w:tblW w:w="{self.text_width}" w:type="dxa"/>'
                       f'<w:jc w:val="center"/>{borders}<w:tblLayout w:type="fixed"/><w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>')
            out.append("".join(f'<w:gridCol w:w="{c}"/>' for c in cols))
            out.append("</w:tblGrid>")
        start(bottom_open=split is not None)
        keep = kept_rows(t, keep_all)
        origin: dict[int, tuple[Cell, bool]] = {}  # grid column → the cell a merge there started with
        for k, row in enumerate(t.rows):
            if k == split:
                out.append('</w:tbl><w:p><w:pPr><w:keepNext/><w:spacing w:before="0" w:after="0" w:line="20" '
                           'w:lineRule="exact"/><w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>')
                start()
            # A borderless line above another (a form's title above its year) has no rule under it
            # either; above a bordered row, its bottom is the table's top border.
            open_below = row.borderless and k + 1 < len(t.rows) and t.rows[k + 1].borderless
            if restarts:
                row = _restarted(row, origin, k in restarts)
            self.row(row, cols, open_below, k in keep)
        out.append("</w:tbl>")

    def row(self, row: Row, cols: list[int], open_below: bool = False, keep: bool = False) -> None:
        # Rows never split across pages; the grid's header row repeats on every page.
        trpr = ("" if row.can_split else "<w:cantSplit/>") + ("<w:tblHeader/>" if row.header else "")
        if row.change:
            trpr += f"<w:{row.change} {self.mark()}/>"
        out = self.out
        out.append(f"<w:tr><w:trPr>{trpr}</w:trPr>")
        col = 0
        for cell in row.cells:
            width = sum(cols[col:col + cell.span])
            col += cell.span
            out.append(self.cell(cell, width, row.borderless, open_below, keep))
        out.append("</w:tr>")

    def cell(self, cell: Cell, width: int, borderless: bool, open_below: bool = False, keep: bool = False) -> str:
        tcpr = f'<w:tcW w:w="{width}" w:type="dxa"/>'
        if cell.span > 1:
            tcpr += f'<w:gridSpan w:val="{cell.span}"/>'
        if cell.merged:
            tcpr += "<w:vMerge/>"
        elif cell.rows > 1:
            tcpr += '<w:vMerge w:val="restart"/>'
        if borderless:
            tcpr += ('<w:tcBorders><w:top w:val="nil"/><w:left w:val="nil"/>' + ('<w:bottom w:val="nil"/>' if open_below else "")
                     + '<w:right w:val="nil"/></w:tcBorders>')
        tcpr += '<w:vAlign w:val="center"/>'
        ppr = f'<w:pPr><w:pStyle w:val="{ROLE_STYLE[cell.role]}"/>{"<w:keepNext/>" if keep else ""}</w:pPr>'
        if cell.merged:
            paras = f'<w:p>{ppr}</w:p>'
        else:
            paras = "".join(f'<w:p>{ppr}{self.runs(p)}</w:p>' for p in cell.paras)
        return f"<w:tc><w:tcPr>{tcpr}</w:tcPr>{paras}</w:tc>"


def _restarted(row: Row, origin: dict[int, tuple[Cell, bool]], restart: bool) -> Row:
    """``row`` with each merged cell made the start of a merge of its own, holding the text of the
    merge it continues, when ``restart``; ``origin`` follows which cell each column's merge began
    with, and whether in a header row (repeated on the page already: that merge is left alone)."""
    col, cells = 0, []
    for cell in row.cells:
        if cell.merged and restart and col in origin and not origin[col][1]:
            cell = origin[col][0]._replace(merged=False, rows=2)  # rows > 1: drawn as a vMerge restart
        elif not cell.merged:
            origin[col] = (cell, row.header)
        cells.append(cell)
        col += cell.span
    return row._replace(cells=tuple(cells))


def kept_rows(t: Table, keep_all: bool = False) -> set[int]:
    """The rows of ``t`` kept on the page of the row after them (``w:keepNext`` on their paragraphs):
    the grid's header row with its first row, the first row with the second (no lone row at a page
    foot), the last but one with the last (no lone row at the top of the next page), the line above
    the grid's header with it unless that line may break across pages; all rows with ``keep_all``."""
    rows = t.rows
    keep = set(range(len(rows))) if keep_all else set()
    head = next((k for k, r in enumerate(rows) if any(c.role == "head" for c in r.cells)), None)
    if head is not None:
        keep.add(head)
        if head > 0 and not rows[head - 1].can_split:
            keep.add(head - 1)
        if len(rows) - head - 1 >= 2:
            keep.update((head + 1, len(rows) - 2))
    return keep


SPACER_XML = b'<w:p><w:pPr><w:pStyle w:val="PTSpacer"/></w:pPr></w:p>'


class Spool:
    """The drawn XML of one build's tables and headings, kept in a temporary file rather than in
    memory: each is drawn once and written again into the whole book (a 10,000-table book's
    tables are ~0.23 GB of XML, which the book needs only while it is zipped).  Pieces are read
    back in the order they are zipped; the file goes with :meth:`close`."""

    def __init__(self) -> None:
        import tempfile
        self._file = tempfile.TemporaryFile(prefix="ptgen-docx-")
        self._end = 0
        self._unflushed = False

    def put(self, data: bytes) -> "SpooledPiece":
        self._file.write(data)
        self._unflushed = True
        piece = SpooledPiece(self, self._end, len(data))
        self._end += len(data)
        return piece

    def read(self, piece: "SpooledPiece") -> bytes:
        if self._unflushed:
            self._file.flush()
            self._unflushed = False
        return os.pread(self._file.fileno(), piece.length, piece.offset)

    def close(self) -> None:
        self._file.close()


class SpooledPiece:
    """Where one piece of XML is in a :class:`Spool`; ``len()`` is its size in bytes."""
    __slots__ = ("spool", "offset", "length")

    def __init__(self, spool: Spool, offset: int, length: int):
        self.spool, self.offset, self.length = spool, offset, length

    def __len__(self) -> int:
        return self.length

    def data(self) -> bytes:
        return self.spool.read(self)


def body_pieces(comp: Compilation, text_width: int, warn: DocxWarnings, cache: dict | None = None,
                section_break=None, restarts: dict[int, frozenset[int]] | None = None) -> list[bytes | SpooledPiece]:
    """The body's XML in UTF-8 pieces, in order: most of them the cache's own, so a 10,000-table book
    is never one string (another copy of the whole cache).  ``cache`` (shared between the
    compilations of one build) keeps each table's XML (UTF-8: half a Python string's size, once a
    table holds a Chinese character) and each heading's bookmark id, so the whole book reuses what
    its departments drew.
    ``section_break(k)``, if given, is the paragraph that ends department ``k``'s section: it goes
    before the next department's heading (which then needs no page break of its own)."""
    cache = {} if cache is None else cache
    ids = cache.setdefault("bookmark-ids", {})
    spool: Spool | None = cache.get("spool")  # else the pieces stay in memory
    out: list[bytes | SpooledPiece] = []
    after_table = False  # the body starts on a new page: the contents' section ends before it
    departments = 0
    blocks = comp.blocks
    for k, block in enumerate(blocks):
        if isinstance(block, Heading):
            if block.level == 1 and section_break is not None:
                if departments:
                    out.append(section_break(departments - 1).encode("utf-8"))
                departments += 1
                after_table = False
            key = (id(block), after_table)
            bid = ids.setdefault(id(block), BOOKMARK_ID_BASE + len(ids))
            after_table = False
        elif isinstance(block, Table):
            key = (id(block), (restarts or {}).get(id(block), frozenset()))
            after_table = True
        else:
            out.append(SPACER_XML)
            continue
        hit = cache.get(key)
        if hit is None:
            w = _Writer(text_width, DocxWarnings(), cache.get("track"))
            if isinstance(block, Heading):
                w.heading(block, page_break=key[1], bookmark_id=bid)
            else:  # a table above a spacer is a header block: it stays with the grid below
                w.table(block, keep_all=k + 1 < len(blocks) and isinstance(blocks[k + 1], Spacer), restarts=key[1])
            xml = "".join(w.out).encode("utf-8")
            hit = cache[key] = (spool.put(xml) if spool is not None else xml, w.warn.stripped)
        out.append(hit[0])
        warn.stripped += hit[1]
    return out


def toc_xml(comp: Compilation, page_numbers: dict[str, str] | None, warn: DocxWarnings) -> str:
    """A real TOC field (``TOC \\o "1-3" \\h \\z \\u``) whose result is already filled in: one hyperlinked
    entry per heading, each with a PAGEREF to its bookmark (empty until LibreOffice or Word fills it)."""
    w = _Writer(0, warn)
    # Without page numbers the field is marked dirty: Word and WPS lay it out anew when the file opens.
    dirty = ' w:dirty="true"' if page_numbers is None else ""
    begin = (f'<w:r><w:fldChar w:fldCharType="begin"{dirty}/></w:r><w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h \\z \\u '
             '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    headings = comp.headings
    if not headings:
        return f"<w:p>{begin}{end}</w:p>"
    out = []
    for k, h in enumerate(headings):
        page = "" if page_numbers is None else str(page_numbers.get(h.anchor, ""))
        entry = (f'<w:hyperlink w:anchor="{w.attr(h.anchor)}" w:history="1"><w:r><w:t xml:space="preserve">{w.esc(h.text)}</w:t></w:r>'
                 f'<w:r><w:tab/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                 f'<w:r><w:instrText xml:space="preserve"> PAGEREF {w.esc(field_argument(h.anchor))} \\h </w:instrText></w:r>'
                 f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{page}</w:t></w:r>'
                 f'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink>')
        out.append(f'<w:p><w:pPr><w:pStyle w:val="TOC{h.level}"/></w:pPr>{begin if k == 0 else ""}{entry}'
                   f'{end if k == len(headings) - 1 else ""}</w:p>')
    return "".join(out)


def field_argument(text: str) -> str:
    """``text`` as one argument of a Word field instruction: quoted (``\\"`` and ``\\\\`` inside)
    when it holds a space, a quote or a backslash, so that it cannot become a switch or a second argument."""
    if text and not any(c.isspace() or c in '"\\' for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Xml:
    """Inserted by docxtpl as is (autoescape leaves objects with ``__html__`` alone)."""

    def __init__(self, xml: str):
        self.xml = xml

    def __html__(self) -> str:
        return self.xml


def render_docx(comp: Compilation, template: Path, context: dict, page_numbers: dict[str, str] | None = None,
                cache: dict | None = None, sections: bool = True,
                restarts: dict[int, frozenset[int]] | None = None) -> tuple[bytes, DocxWarnings]:
    """Render ``comp`` into the docxtpl ``template``; returns the .docx bytes and what was cleaned.
    ``page_numbers``: each heading's page as the contents cite it ("353-5"); ``sections``: each
    department a section of its own, numbered as the PDF (else the body is one section, 1, 2, …);
    ``restarts``: the rows of each table (by ``id``) that begin a page inside a vertical merge
    (see ``libreoffice_layout``)."""
    from docxtpl import DocxTemplate

    warn = DocxWarnings()
    # lxml refuses control characters in the template's fields and the core properties.
    context = {k: ILLEGAL_XML_RE.sub("", v) if isinstance(v, str) else v for k, v in context.items()}
    try:
        tpl = DocxTemplate(str(template))
        doc = tpl.get_docx()
    except Exception as exc:  # a broken or non-Word file given as template
        raise UserError(f"Word 模板 {template} 无法打开：{exc}", hint="模板必须是 .docx 文件。") from exc
    have = {s.style_id for s in doc.styles}
    missing = sorted(STYLE_IDS - have)
    if missing:
        raise UserError(f"Word 模板 {template} 缺少样式：{', '.join(missing)}。",
                        hint="从 ptgen 自带的 templates/docx/ 复制模板再修改样式，不要删除或改名这些样式。")
    section = doc.sections[-1]
    text_width = int((section.page_width - section.left_margin - section.right_margin) / 635)  # EMU → twips

    from .docxsections import Sections, labels
    parts = Sections(doc, labels(comp) if sections else None)
    body = body_pieces(comp, text_width, warn, cache, parts.department_break if sections else None, restarts)
    toc = toc_xml(comp, page_numbers, warn)
    ctx = dict(context, toc=_Xml(toc), body=_Xml(SENTINEL_XML))
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
    try:  # sandboxed: a publication's own template may come from a pull request (see html.environment)
        tpl.render(ctx, jinja_env=ImmutableSandboxedEnvironment(autoescape=True), autoescape=True)
    except SecurityError as exc:
        from .html import sandbox_refusal
        raise sandbox_refusal(f"Word 模板 {template} 里的模板标签", exc) from exc
    except Exception as exc:  # a Jinja error in a user's template
        raise UserError(f"Word 模板 {template} 里的模板标签有错误：{exc}") from exc
    doc = tpl.docx
    docxfonts.ensure(doc)
    marker = next((p for p in doc.element.body.iter(W + "p") if "".join(t.text or "" for t in p.iter(W + "t")) == SENTINEL),
                  None)
    if marker is not None:  # else _zip says what is wrong with the template
        parts.finish(marker)
    props = doc.core_properties
    when = source_date()
    props.title = context.get("title", "")
    props.subject = context.get("subtitle", "")
    props.author = props.last_modified_by = "ptgen"
    props.language = "zh-CN"
    props.revision = 1
    props.created = props.modified = when
    if page_numbers is None:
        # Ask Word/WPS to refresh the TOC's page numbers on open (LibreOffice did not fill them).
        settings = doc.settings.element
        if settings.find(W + "updateFields") is None:
            from docx.oxml import parse_xml
            flag = parse_xml(f'<w:updateFields xmlns:w="{W[1:-1]}" w:val="true"/>')
            # Word rejects settings out of schema order: updateFields comes before hdrShapeDefaults,
            # footnotePr, endnotePr, compat, docVars, rsids ...
            later = [settings.find(W + n) for n in ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars",
                                                       "rsids")]
            later = [e for e in later if e is not None]
            if later:
                min(later, key=settings.index).addprevious(flag)
            else:
                settings.append(flag)
    return _zip(doc, body), warn


def _zip(doc, body: list[bytes | SpooledPiece]) -> bytes:
    """The package as python-docx would save it, with fixed timestamps and the body spliced in.
    The body's pieces are compressed one at a time, straight into the package's
    ``word/document.xml``: neither the body nor the spliced part is ever one string or one bytes
    (the bytes are those ``ZipFile.writestr`` of the spliced part gave: it writes the same way)."""
    from docx.opc.packuri import PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem

    package = doc.part.package
    parts = list(package.iter_parts())
    buf = io.BytesIO()

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info._compresslevel = 6  # what writestr(..., compresslevel=6) sets
        return info

    def put(name: str, data: bytes) -> None:
        zf.writestr(entry(name), data, compresslevel=6)

    def put_document(name: str, blob: bytes) -> None:
        marker = SENTINEL_XML.encode()
        if blob.count(marker) != 1:
            raise UserError("Word 模板里要有且只有一个单独成段的 {{p body }} 标签，表格放在那里。")
        head, tail = blob.split(marker)
        info = entry(name)
        # writestr knows the size before it writes (a ZIP64 header past ZIP64_LIMIT / 1.05 bytes)
        info.file_size = len(head) + len(tail) + sum(map(len, body))
        with zf.open(info, "w") as dest:
            dest.write(head)
            for piece in body:
                dest.write(piece if isinstance(piece, bytes) else piece.data())
            dest.write(tail)

    with zipfile.ZipFile(buf, "w") as zf:
        put("[Content_Types].xml", _ContentTypesItem.from_parts(parts).blob)
        put(PACKAGE_URI.rels_uri.membername, package.rels.xml)
        for part in parts:
            if part is doc.part:
                put_document(part.partname.membername, part.blob)
            else:
                put(part.partname.membername, part.blob)
            if len(part.rels):
                put(part.partname.rels_uri.membername, part.rels.xml)
    return buf.getvalue()


def template_context(pub, comp: Compilation) -> dict:
    """What the Word template's tags (``{{ title }}`` …) are filled with for ``comp``; ``cover_title``
    is the title in the cover's lines (line breaks between them), ``issuer`` and ``date`` the cover's."""
    s = pub.settings
    lines = ("".join(line) for line in cover_lines(s))
    cover_title = '</w:t><w:br/><w:t xml:space="preserve">'.join(_xml_escape(ILLEGAL_XML_RE.sub("", t)) for t in lines)
    return {"title": comp.title, "subtitle": comp.subtitle, "year": s.year, "region": s.region,
            "money_unit": s.money_unit, "layout": s.layout, "cover_title": _Xml(cover_title),
            "issuer": s.issuer or "", "date": s.date or ""}


NO_LIBREOFFICE = ("没有找到 LibreOffice（libreoffice-writer-nogui），Word 目录没有填页码：已标记为打开时更新，"
                  "Word / WPS 打开文件时会填上。")


class DocxRenderer(FormatRenderer):
    """One .docx per compilation.  The contents' page numbers come from LibreOffice's layout of the
    whole book (``update_toc``; None: if LibreOffice is installed), else Word and WPS fill them on
    opening (the fields are marked for update)."""

    name = "docx"

    def render(self, pub, comps, ctx: RenderContext) -> list[Rendered]:
        from .templates import find_template
        template = find_template(pub, "docx", layouts.of(pub.settings).word_template)
        cache: dict = {"spool": Spool()}  # each table's XML, drawn once for its department and reused for the whole book
        try:
            return self._render(pub, comps, ctx, template, cache)
        finally:
            cache["spool"].close()

    def _render(self, pub, comps, ctx: RenderContext, template: Path, cache: dict) -> list[Rendered]:
        from .libreoffice import available, libreoffice_layout
        # Every heading's bookmark id numbered up front, in the compilations' order: a share
        # (``--shard``) numbers them as the whole build does, whichever document is drawn first
        # (the whole book is, for LibreOffice's layout).
        ids = cache.setdefault("bookmark-ids", {})
        for _, comp in comps:
            for block in comp.blocks:
                if isinstance(block, Heading):
                    ids.setdefault(id(block), BOOKMARK_ID_BASE + len(ids))
        update = ctx.update_toc
        if update is None:
            update = available()
            if not update:
                ctx.notes.append(NO_LIBREOFFICE)
        pages, restarts = None, None
        if update and comps:
            # The layout of the whole book (the last compilation): every department's section is
            # numbered from 1 on a page of its own, so its pages are the same in its own document.
            # Where a row begins a page inside a vertical merge, the merge starts again there with
            # its label, and the book is laid out once more for the contents' page numbers.
            stem, comp = comps[-1]
            context = template_context(pub, comp)
            pages, restarts = libreoffice_layout(render_docx(comp, template, context, cache=cache)[0], comp)
            if restarts:
                again = libreoffice_layout(render_docx(comp, template, context, cache=cache, restarts=restarts)[0], comp)
                pages = again.pages
                for table, rows in again.restarts.items():  # a row that moved onto a new page meanwhile
                    restarts[table] = restarts.get(table, frozenset()) | rows
        out = []
        for stem, comp in comps:
            if not ctx.wanted(stem):
                continue
            data, _ = render_docx(comp, template, template_context(pub, comp), pages, cache=cache, restarts=restarts)
            out.append(Rendered(f"{stem}.docx", data, comp))
            ctx.step(f"docx {stem}")
        return out
