"""Compilation → PDF through WeasyPrint, rendered in department documents and joined.

WeasyPrint lays out one document on one thread, in memory (~2 MB a page until it ends).  So each
department is its own document — its tables, then its cover and contents — rendered in a process
of its own (two at a time on two cores, see :mod:`.forkserver`) and cached by the hash of its HTML,
so a rebuild after one project changed renders only that department.

Page numbers are per department section ("353-5"): a department's pages do not depend on what
comes before it, which is what makes them reusable between the department's PDF, the whole book
and the next build.  The department's contents come after its tables in the document, so
WeasyPrint knows every page number when it lays them out (``target-counter``); the whole book's
cover and contents are laid out once every department is, with the page numbers they got.
pikepdf joins the parts — putting each front first — and writes the outline (department → unit →
table), the named destinations (= bookmark names) and the page labels, in the render server's
children too, each PDF straight into a file of the cache, which the build's output copies.
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import SetupError, UserError
from ..model import Publication
from .formats import FormatRenderer, RenderContext, Rendered, default_jobs
from .forkserver import Renderer, import_weasyprint
from ..output import temp_name, write_bytes, writing
from .html import DepartmentView, body_html, departments, front_html
from .layout import Compilation

CACHE_VERSION = "4"


@dataclass
class Chunk:
    """A rendered document in the cache: a department's, or the whole book's front matter."""
    pdf: Path
    pages: int
    anchors: dict[str, int]  # element id → page index in the chunk


def check_font(family: str) -> None:
    """Stop before rendering when the CJK font is missing: WeasyPrint would silently fall back
    to another font or draw boxes."""
    if not shutil.which("fc-list"):
        raise SetupError("找不到 fc-list（fontconfig），无法确认中文字体。",
                         hint="安装 Debian 软件包 fontconfig 和 fonts-noto-cjk。")
    out = subprocess.run(["fc-list", f":family={family}:lang=zh", "family"], capture_output=True, text=True).stdout
    if not out.strip():
        raise SetupError(f"没有安装 PDF 需要的中文字体“{family}”，生成的 PDF 会缺字。",
                         hint="安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
                              "或在 ptgen.yaml 的 pdf_font 里写一个已安装的中文字体（fc-list :lang=zh 可列出）。")


def _no_missing_glyphs(watch) -> None:
    """A character no installed font can draw would print as a box: stop instead."""
    import re
    chars = sorted(set(re.findall(r"U\+[0-9A-F]{4,6}", " ".join(watch.missing))))
    if chars:
        raise UserError(f"PDF 字体画不出这些字符：{'、'.join(chars)}，印出来会是方框。",
                        hint="在内容里找到并改掉这些字符（多是从其他软件粘贴来的特殊符号），"
                             "或在 ptgen.yaml 的 pdf_font 里换一个包含它们的字体。")


class _GlyphWatch(logging.Handler):
    """Collects WeasyPrint's warnings about characters no font could draw."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.missing: list[str] = []

    def emit(self, record):
        msg = record.getMessage()
        if ".notdef" in msg or "unsupported by fonts" in msg:
            self.missing.append(msg)


def _document(html: str, base_url: str):
    """WeasyPrint's document for ``html``.

    ptgen's own templates write well-formed XML (void elements closed: ``<col ... />``), so the
    stdlib's C parser reads them in ~10 ms where WeasyPrint's pure-Python HTML5 parser takes
    ~0.3 s per department; the tree is the same, and so is the PDF, byte for byte (tested).
    Anything else — a user's template in plain HTML, say — goes through WeasyPrint's parser.
    Relies on what ``weasyprint.HTML.__init__`` sets, hence the pinned version (70.x)."""
    import xml.etree.ElementTree as ET

    import cssselect2
    weasyprint = import_weasyprint()
    body = html[len("<!doctype html>"):] if html[:15].lower() == "<!doctype html>" else html
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        root = None
    # Fetch nothing but data: URLs.  A publication's own template (a pull request, in CI) could
    # otherwise attach any file of the machine to the PDF (<link rel=attachment href=file:///…>)
    # or make it fetch URLs; the shipped templates inline everything they use.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    if root is None or root.tag != "html" or next(root.iter("base"), None) is not None:
        return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    # Where an HTML parser puts white space that XML keeps elsewhere (or drops): it drops what
    # is before <head> and moves what follows </body>, and </html>, into the body.
    root.text = None
    body = root.find("body")
    after = (body.tail or "") + html[len(html.rstrip()):] if body is not None else ""
    if after:
        if len(body):
            body[-1].tail = (body[-1].tail or "") + after
        else:
            body.text = (body.text or "") + after
        body.tail = None
    doc = weasyprint.HTML.__new__(weasyprint.HTML)
    doc.base_url = weasyprint.urls.ensure_url(base_url)  # as HTML(string=..., base_url=...) does
    doc.url_fetcher = fetcher
    doc.media_type = "print"
    doc.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    doc.etree_element = doc.wrapper_element.etree_element
    return doc


# -- merged labels across page breaks ---------------------------------------------------------------
#
# WeasyPrint (70) lays a cell spanning rows out in its first row only: on the next page its column
# is empty, without a cell or a border, and the cell has no bottom border at the page foot.  So
# once a document is laid out, every merged cell of an indicator grid (``table.pt-grid``) that a
# page break crosses is split there — its rows before the break keep it, and a copy of it (the
# label printed again) spans the rest from the first row of the next page — and the pages around
# each such break are laid out again, until no merge crosses a break (at most ``SPLIT_PASSES``
# times; a document without such a merge is laid out once).
#
# The split is made in WeasyPrint's box tree, and only the pages it touches are laid out again,
# with the machinery WeasyPrint uses for page-based counters (``page_maker``: a page is remade
# when marked ``content_changed``, the pages after it when where it ends changed).  Laying the
# whole document out again would cost ~70% more for a department whose tables run over pages.

SPLIT_PASSES = 3


def _grid_tables(box, out: dict) -> dict:
    """The grid tables (``table.pt-grid``) below ``box``, by element: in the box tree they are
    found once; in laid-out pages, each page's part."""
    from weasyprint.formatting_structure import boxes
    for child in box.children:
        if isinstance(child, boxes.TableBox):
            if "pt-grid" in (child.element.get("class") or "").split():
                out.setdefault(child.element, []).append(child)
        elif isinstance(child, boxes.ParentBox) and not isinstance(child, boxes.LineBox):
            _grid_tables(child, out)
    return out


def _body_rows(table) -> list:
    return [r for g in table.children if not g.is_header and not g.is_footer for r in g.children]


def _split_merges(root_box, pages: list) -> set[int]:
    """Split each merged grid cell of ``root_box`` where a break between ``pages`` crosses it; the
    pages to lay out again (each side of such a break)."""
    where: dict = {}  # table element → [(page, its body rows there)]
    for i, page in enumerate(pages):
        for element, parts in _grid_tables(page, {}).items():
            rows = [r.element for part in parts for r in _body_rows(part)]
            if rows:
                where.setdefault(element, []).append((i, rows))
    remake: set[int] = set()
    for element, [table] in _grid_tables(root_box, {}).items():
        parts = where.get(element, [])
        if len(parts) < 2:
            continue
        rows = _body_rows(table)
        index = {id(r.element): k for k, r in enumerate(rows)}
        changed = False
        for (page, before), (_, after) in zip(parts, parts[1:]):
            b = index.get(id(after[0]))
            if b is None or after[0] is before[-1]:  # (a row split across pages is left alone)
                continue
            for r, row in enumerate(rows[:b]):
                for cell in row.children:
                    if r + cell.rowspan <= b:
                        continue
                    rest = cell.deepcopy()
                    rest.rowspan, cell.rowspan = r + cell.rowspan - b, b - r
                    target = rows[b].children
                    at = next((k for k, c in enumerate(target) if c.grid_x > cell.grid_x), len(target))
                    rows[b].children = [*target[:at], rest, *target[at:]]
                    remake |= {page, page + 1}
                    changed = True
        if changed:  # the borders between the cells, resolved again (as WeasyPrint's build does)
            from weasyprint.layout.table import collapse_table_borders
            vertical, _ = table.collapsed_border_grid
            table.collapsed_border_grid = collapse_table_borders(table, len(vertical[0]) - 1, len(vertical))
    return remake


def _install_relayout() -> None:
    """Let ``layout_document`` lay out again only the pages a context names (``ptgen_remake``),
    reusing the others; without it, it works as ever.  It keeps each page as laid out, before its
    margin boxes are added (in place), so that the page can be reused."""
    import weasyprint.layout as wl
    if getattr(wl, "ptgen_relayout", False):
        return
    make_all_pages, initialize_page_maker = wl.make_all_pages, wl.initialize_page_maker

    def initialize(context, root_box):
        if getattr(context, "ptgen_remake", None) is None:
            return initialize_page_maker(context, root_box)
        for i in context.ptgen_remake:
            context.page_maker[i][-1]["content_changed"] = True

    def make_pages(context, root_box, html, pages):
        remake = getattr(context, "ptgen_remake", None)
        if remake is not None and not pages:  # the first round of a layout again: the pages as they were
            pages = []
            for page, children, root_children in context.ptgen_pages:
                page.children, page.children[0].children = children, root_children
                pages.append(page)
            context.ptgen_remake = None
        made = list(make_all_pages(context, root_box, html, pages))
        context.ptgen_pages = [(page, page.children, page.children[0].children) for page in made]
        return iter(made)
    wl.initialize_page_maker, wl.make_all_pages = initialize, make_pages
    wl.ptgen_relayout = True


def _laid_out(html: str, base_url: str):
    """``html`` laid out (as ``HTML.render`` does), with every merged grid label repeated on each
    page it runs over."""
    from collections import defaultdict

    import_weasyprint()
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document, DocumentMetadata, Page
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.html import get_html_metadata
    from weasyprint.layout import layout_document
    from weasyprint.text.fonts import FontConfiguration
    _install_relayout()
    doc = _document(html, base_url)
    options = dict(DEFAULT_OPTIONS)
    fonts, counters = FontConfiguration(), CounterStyle()
    context = Document._build_layout_context(doc, fonts, counters, {}, options)
    root_box = build_formatting_structure(doc.etree_element, context.style_for, context.get_image_from_uri,
                                          doc.base_url, context.target_collector, counters, context.footnotes)
    pages = list(layout_document(doc, root_box, context))
    for _ in range(SPLIT_PASSES):
        remake = _split_merges(root_box, pages)
        if not remake:
            break
        context.ptgen_remake = sorted(remake)
        context.string_set = defaultdict(lambda: defaultdict(list))  # gathered again from every page
        pages = list(layout_document(doc, root_box, context))
    document = Document([Page(p) for p in pages], DocumentMetadata(**get_html_metadata(doc)), doc.url_fetcher,
                        fonts, {}, options["output_intent"])
    document._html = doc
    return document


# A document of this many pages is rid of the layout's garbage (reference cycles: the collector is
# off meanwhile) before it is written.  The 10,000-table book's contents (250 pages) left 240 MB of
# it, and writing then took the process over 1 GB (1,048 MB; 890 MB with it collected); collecting
# costs ~1.7 s there (of 22 s).  A department's document (53 pages of the bench: ~0.3 GB) is not.
COLLECT_PAGES = 100


def _render(html: str, out: Path) -> Chunk:
    """Render ``html`` to ``out`` (.pdf) and ``out``.json (pages, anchors).  Runs in a child process."""
    gc.disable()  # the layout makes millions of objects and no cycles worth collecting meanwhile
    watch = _GlyphWatch()
    logging.getLogger("weasyprint").addHandler(watch)
    doc = _laid_out(html, str(out.parent))
    _no_missing_glyphs(watch)
    if len(doc.pages) >= COLLECT_PAGES:
        gc.collect()
    anchors: dict[str, int] = {}
    for i, page in enumerate(doc.pages):
        for name in page.anchors:
            anchors.setdefault(name, i)
    digest = hashlib.sha256(html.encode("utf-8")).digest()[:16]
    # Where everything landed is known once laid out: publish it before writing (~1 s for 50
    # pages), so the contents that need it can be laid out meanwhile.
    meta = {"pages": len(doc.pages), "anchors": anchors}
    write_bytes(out.with_suffix(".json"), json.dumps(meta).encode("utf-8"))
    tmp = temp_name(out)  # unique: never another process's file (a later build cleans up leftovers)
    try:
        doc.write_pdf(tmp, pdf_identifier=digest)
        _no_missing_glyphs(watch)  # WeasyPrint finds most of them while drawing, i.e. writing
    except BaseException:
        tmp.unlink(missing_ok=True)
        out.with_suffix(".json").unlink(missing_ok=True)
        raise
    os.replace(tmp, out)  # the .pdf appears last: its presence means the entry is complete
    return Chunk(out, meta["pages"], anchors)


class ChunkCache:
    """Rendered PDFs by the hash of their HTML (and the WeasyPrint version), in ``folder``."""

    def __init__(self, folder: Path):
        from importlib.metadata import version
        self.folder = folder
        self.version = version("weasyprint")  # without importing it: the render server does that
        self.used: set[Path] = set()
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, html: str) -> Path:
        """The entry of ``html`` (its PDF; its layout beside it, .json).  Callers keep the entry,
        not the HTML: a province's 200 departments' HTML is ~0.1 GB."""
        key = hashlib.sha256(f"{CACHE_VERSION}\0{self.version}\0{html}".encode("utf-8")).hexdigest()[:32]
        p = self.folder / f"{key}.pdf"
        self.used.add(p)
        return p

    def get(self, entry: Path) -> Chunk | None:
        """The document of ``entry`` (a :meth:`path`), once complete."""
        if entry.exists():
            return self.layout_of(entry)
        return None

    def layout_of(self, entry: Path) -> Chunk | None:
        """Pages and anchors as soon as the layout is done (the PDF may still be being written)."""
        try:
            data = json.loads(entry.with_suffix(".json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return Chunk(entry, data["pages"], data["anchors"])

    def prune(self) -> None:
        """Drop the entries this build did not use, so the cache does not grow forever.  Only
        entries (``<key>.pdf``, ``<key>.json``): temporary files are left to
        :func:`ptgen.output.recover`, which the build runs while it holds the folder's lock."""
        used = {p.stem for p in self.used}
        for p in [*self.folder.glob("*.pdf"), *self.folder.glob("*.json")]:
            if p.stem not in used and not p.name.startswith("."):
                p.unlink(missing_ok=True)


def toc_entries(views: list[DepartmentView], chunks: dict[str, Chunk] | None = None) -> list[dict]:
    """Contents entries of ``views``: with the page labels ("353-5") the departments' documents
    gave them, or without (``page`` None: WeasyPrint numbers them in the department's own document)."""
    out = []
    for d in views:
        anchors = chunks[d.heading.anchor].anchors if chunks else None
        headings = [d.heading] + [h for u in d.units for h in (u.heading, *(e.heading for e in u.entries))]
        out += [{"level": h.level, "text": h.text, "anchor": h.anchor, "section": d.section,
                 "page": f"{d.section}-{anchors.get(h.anchor, 0) + 1}" if anchors is not None else None}
                for h in headings]
    return out


def _joined(front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk, range]], title: str, author: str,
            when: str):
    """The joined document, and the documents its pages were copied from (they read from them until saved)."""
    from pikepdf import Array, Dictionary, Name, NameTree, OutlineItem, Pdf, String

    out = Pdf.new()
    opened: dict[Path, Pdf] = {}

    def source(path: Path) -> Pdf:
        # Each file opened once: a department's front and tables share their fonts, which
        # pikepdf copies once per source document.
        if path not in opened:
            opened[path] = Pdf.open(path)
        return opened[path]
    out.pages.extend([source(front.pdf).pages[k] for k in pages])
    # The cover is 封面 and the contents i, ii, … (as the DOCX numbers them and the footers print them).
    labels: list = [0, Dictionary(P=String("封面")), 1, Dictionary(S=Name.r)][:2 * min(len(pages), 2)]
    dests = NameTree.new(out)
    offset = len(pages)
    with out.open_outline() as outline:
        for d, chunk, body in parts:
            src = source(chunk.pdf)
            out.pages.extend([src.pages[k] for k in body])
            labels += [offset, Dictionary(S=Name.D, P=String(f"{d.section}-"))]
            where = NameTree(src.Root.Names.Dests) if "/Names" in src.Root and "/Dests" in src.Root.Names else {}

            def dest(anchor: str, chunk=chunk, offset=offset - body.start, where=where) -> Array:
                # Where WeasyPrint put the element (x, y on its page), else the top of the page.
                page = out.pages[offset + chunk.anchors.get(anchor, body.start)].obj
                if anchor in where:
                    return Array([page, *where[anchor][1:]])
                return Array([page, Name.FitH, page.MediaBox[3]])

            def item(heading, parent: list) -> OutlineItem:
                target = dest(heading.anchor)
                dests[heading.anchor] = target
                node = OutlineItem(heading.text, target)
                parent.append(node)
                return node
            dnode = item(d.heading, outline.root)
            for u in d.units:
                unode = item(u.heading, dnode.children)
                for e in u.entries:
                    item(e.heading, unode.children)
            offset += len(body)
    if labels:
        out.Root.PageLabels = Dictionary(Nums=Array(labels))
    out.Root.Names = Dictionary(Dests=dests.obj)
    out.Root.Lang = String("zh-CN")
    out.Root.PageMode = Name.UseOutlines
    out.docinfo = out.make_indirect(Dictionary(
        Title=String(title), Author=String(author), Creator=String("ptgen"),
        Producer=String("ptgen (WeasyPrint, pikepdf)"), CreationDate=String(when), ModDate=String(when)))
    return out, list(opened.values())


def join(front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk, range]], title: str, author: str,
         when: str, dest: Path) -> None:
    """Front matter (``pages`` of ``front``) + the departments' pages (``range`` of each chunk) →
    one PDF with outline, named destinations and page labels, written to ``dest`` (atomically; if
    joining fails, ``dest`` is untouched and no temporary file is left).

    pikepdf (qpdf) copies the pages as they are; joining the 1,000-page book takes well under a
    second, where pypdf took seconds per 100 pages.  The book is written to the file as it is made:
    held in memory, a 10,000-table book (~100 MB) was there twice, as bytes and as their copy."""
    import warnings

    from pikepdf import ObjectStreamMode, PageCopyWarning

    with warnings.catch_warnings():
        # pikepdf warns that copied pages lose their named destinations: they are written below.
        warnings.simplefilter("ignore", PageCopyWarning)
        out, sources = _joined(front, pages, parts, title, author, when)
        try:
            with writing(dest) as f:
                # The file identifier is a hash of the content: the same content gives the same bytes.
                out.save(f, deterministic_id=True, object_stream_mode=ObjectStreamMode.generate)
        finally:
            for pdf in (out, *sources):
                pdf.close()


def pdf_date(iso: str) -> str:
    return "D:" + iso.replace("-", "").replace(":", "").replace("T", "").rstrip("Z") + "Z"


class PdfBuild:
    """The PDFs of one publication.  Each department is one document — its cover, its contents and
    its tables — which is its own PDF; ``start`` hands them to the renderer as soon as each one's
    HTML is ready (the caller can make the DOCX and HTML meanwhile).  ``finish`` lays out the whole
    book's cover and contents once every department is laid out (their page numbers are known
    then), and joins the whole book from it and the departments' table pages."""

    def __init__(self, pub: Publication, comps: list[tuple[str, Compilation]], cache_dir: Path,
                 renderer: Renderer, only: set[str] | None = None, given: dict[str, Path] | None = None):
        check_font(pub.settings.pdf_font)
        self.pub, self.comps, self.renderer = pub, comps, renderer
        # A share (see RenderContext.only): the departments to make, and the book if the
        # publication's name is in it; ``given``: department documents a part made (stem → .pdf).
        self.only, self.given = only, given or {}
        self.book = only is None or pub.name in only
        self.cache = ChunkCache(cache_dir)
        self.views = [departments(comp, pub)[0] for _, comp in comps[:-1]]  # one per department
        self.whole_views = departments(comps[-1][1], pub)
        self.entries: dict[str, Path] = {}  # department anchor → its document's cache entry
        self.layouts: dict[str, Chunk] = {}  # department anchor → its layout, once known
        self.front: Path | None = None  # the whole book's cover and contents (its cache entry)
        self.errors: list[tuple[str, str | None]] = []
        self.rendered: list[str] = []  # department anchors, in the order their render finished
        self.submitted: set[str] = set()  # departments rendered by this build (the others came from the cache)
        self._extra = 0  # the slot lent to the front matter

    def _order(self) -> list[int]:
        """Departments in the order their HTML is made and handed over.  From scratch, the biggest
        first, so that no long render starts last.  With a cache, the most recently edited first:
        after a one-project change its department is found (by the hash of its HTML) and rendered
        without waiting for the HTML of all the others."""
        def size(k: int) -> int:
            return len(self.comps[k][1].entries)

        def edited(k: int) -> int:
            d = self.pub.departments[k]
            docs = [d, *d.units, *(p for u in d.units for p in u.projects)]
            try:
                return max(os.stat(doc.source.path).st_mtime_ns for doc in docs)
            except OSError:
                return 0
        ks = range(len(self.views))
        if any(self.cache.folder.glob("*.json")):
            return sorted(ks, key=lambda k: (-edited(k), -size(k)))
        return sorted(ks, key=lambda k: -size(k))

    def start(self) -> None:
        for k in self._order():
            d, (stem, comp) = self.views[k], self.comps[k]
            if not (self.book or stem in self.only):
                continue
            html = body_html(
                self.pub, comp, [d], front={"title": comp.title, "subtitle": comp.subtitle, "toc": toc_entries([d])})
            entry = self.entries[d.heading.anchor] = self.cache.path(html)
            if self.cache.get(entry) is None and stem in self.given:
                self._take(self.given[stem], entry)
            if self.cache.get(entry) is None and not self.errors:
                self.renderer.submit(d.heading.anchor, html, entry)
                self.submitted.add(d.heading.anchor)
            self._collect(0)  # keep the renderer fed while the rest is being made

    @staticmethod
    def _take(pdf: Path, entry: Path) -> None:
        """A department's document made by a part (``ptgen assemble``) into the cache, as a render
        writes it: the layout first, the PDF last (its presence means the entry is complete)."""
        write_bytes(entry.with_suffix(".json"), pdf.with_suffix(".json").read_bytes())
        write_bytes(entry, pdf.read_bytes())

    def documents(self) -> dict[str, Path]:
        """Each department's document (file stem → its .pdf in the cache, beside its .json), for the parts."""
        stems = {d.heading.anchor: stem for d, (stem, _) in zip(self.views, self.comps)}
        return {stems[a]: entry for a, entry in self.entries.items()}

    def _collect(self, timeout: float) -> None:
        for done in self.renderer.poll(timeout):
            if done.error and not self.errors:
                self.errors.append(done.error)
                self.renderer.cancel()
            elif not done.error:
                self.rendered.append(done.key)

    def _front(self) -> bool:
        """Submit the whole book's cover and contents once every department is laid out (it is
        laid out while they are still being written).  True once submitted."""
        if self.front is not None:
            return True
        # Asked every 50 ms while the departments render: each layout is read once, when it appears
        # (reading all of them each time grew with the square of the departments).
        for a, entry in self.entries.items():
            if a not in self.layouts:
                layout = self.cache.layout_of(entry)
                if layout is None:
                    return False
                self.layouts[a] = layout
        whole = self.comps[-1][1]
        html = front_html(self.pub, whole, toc_entries(self.whole_views, self.layouts))
        self.front = self.cache.path(html)
        if self.cache.get(self.front) is None:
            # It starts while the departments are being written: one process more than the cores.
            self._extra = 1
            self.renderer.limit += self._extra
            self.renderer.submit("front", html, self.front)
        return True

    def finish(self, progress=None) -> list[Rendered]:
        """Each compilation's PDF: one per department, then the whole book.
        ``progress`` hears of each department as its render finishes (or is found in the cache),
        then of each joined PDF."""
        stems = {d.heading.anchor: stem for d, (stem, _) in zip(self.views, self.comps)}
        # Found in the cache: not rendered by this build (one that finished before ``finish`` is
        # in the cache too, but its render is reported when it is collected).
        cached = [a for a, entry in self.entries.items() if a not in self.submitted and self.cache.get(entry)]
        told: set[str] = set()

        def tell() -> None:
            for anchor in cached + self.rendered:
                if progress and anchor in stems and anchor not in told:
                    told.add(anchor)
                    progress(f"pdf {stems[anchor]} 排版" + ("（缓存）" if anchor in cached else ""))
        try:
            while True:
                tell()
                front = not self.errors and (not self.book or self._front())
                if self.renderer.idle and (front or self.errors):
                    break
                if self.renderer.idle:  # cannot happen unless a render vanished without a word
                    raise UserError("生成 PDF 失败：目录需要的排版结果没有生成。")
                self._collect(0.05)
        finally:
            self.renderer.limit -= self._extra
            self._extra = 0
        if self.errors:
            message, hint = self.errors[0]
            raise UserError("生成 PDF 失败：" + message, hint=hint)
        tell()
        return self._join(progress)

    def joins(self) -> list[tuple[str, Compilation, tuple]]:
        """What each PDF of this build is joined from: (file stem, compilation, the arguments of
        :func:`join` but its destination), one per department, then the whole book."""
        from .docx import source_date
        cache = self.cache
        chunks = {a: cache.get(entry) for a, entry in self.entries.items()}
        front = cache.get(self.front) if self.front is not None else None
        when = pdf_date(source_date().strftime("%Y-%m-%dT%H:%M:%SZ"))

        def body(d: DepartmentView) -> range:  # a department's document: its tables, then its front
            c = chunks[d.heading.anchor]
            return range(0, c.anchors.get("pdf-front", c.pages))

        out = []
        for k, (stem, comp) in enumerate(self.comps):
            if self.only is not None and stem not in self.only:
                continue
            if k < len(self.views):  # a department: its own document, with its own front
                d = self.views[k]
                c = chunks[d.heading.anchor]
                front_doc, pages, parts = c, range(body(d).stop, c.pages), [(d, c, body(d))]
            else:
                front_doc, pages = front, range(0, front.pages)
                parts = [(d, chunks[d.heading.anchor], body(d)) for d in self.whole_views]
            title = comp.title + (f" · {comp.subtitle}" if comp.subtitle else "")
            out.append((stem, comp, (front_doc, pages, parts, title, self.pub.settings.region, when)))
        return out

    def _join(self, progress) -> list[Rendered]:
        """Each PDF joined, in the render server's children (two at a time), not here: joining the
        10,000-table book holds its pages' objects and those of the 200 documents they come from
        (~0.55 GB), which this process, holding the publication (~0.65 GB), could not add without
        going over 1 GB.  Already joined (nothing changed): taken from the cache."""
        out, waiting = [], {}
        for stem, comp, args in self.joins():
            joined = _join_entry(self.cache, *args)
            if not joined.exists():
                self.renderer.submit(("join", stem), describe_join(*args), joined)
                waiting[("join", stem)] = True
            out.append(Rendered(f"{stem}.pdf", joined, comp))  # the file, not its bytes: see ptgen.output.Data
        told = 0

        def tell() -> None:  # in the order of the files, as each one and those before it are there
            nonlocal told
            while told < len(out) and ("join", out[told].name[:-4]) not in waiting:
                if progress:
                    progress(f"pdf {out[told].name[:-4]}")
                told += 1
        while True:
            tell()
            if self.renderer.idle:
                break
            for done in self.renderer.poll(0.05):
                if done.error:
                    self.renderer.cancel()
                    self.errors.append(done.error)
                waiting.pop(done.key, None)
        if self.errors:
            message, hint = self.errors[0]
            raise UserError("生成 PDF 失败：" + message, hint=hint)
        self.cache.prune()
        return out


def _join_entry(cache: ChunkCache, front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk, range]],
                title: str, author: str, when: str) -> Path:
    """Where the cache keeps what :func:`join` makes of these: after a one-project change only its
    department and the whole book are joined again."""
    key = hashlib.sha256("\0".join([CACHE_VERSION, front.pdf.name, str(pages), *(c.pdf.name for _, c, _ in parts),
                                     title, author, when]).encode("utf-8")).hexdigest()[:32]
    joined = cache.folder / f"join-{key}.pdf"
    cache.used.add(joined)
    return joined


def _cached_join(cache: ChunkCache, front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk, range]],
                 title: str, author: str, when: str) -> Path:
    """:func:`join`, here, cached.  The joined PDF, a file in the cache."""
    joined = _join_entry(cache, front, pages, parts, title, author, when)
    if not joined.exists():
        join(front, pages, parts, title, author, when, joined)
    return joined


# -- a join, described for the render server's child that makes it ------------------------------------

JOIN_MAGIC = "{\"ptgen-join\""  # how a join's description starts (a document's HTML starts with "<")


def describe_join(front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk, range]], title: str,
                  author: str, when: str) -> str:
    """The arguments of :func:`join` as JSON text: what of each department its outline needs."""
    def chunk(c: Chunk) -> dict:
        return {"pdf": str(c.pdf), "pages": c.pages, "anchors": c.anchors}

    def heading(h) -> list:
        return [h.text, h.anchor]
    return json.dumps({
        "ptgen-join": 1, "front": chunk(front), "pages": [pages.start, pages.stop],
        "parts": [{"section": d.section, "heading": heading(d.heading), "chunk": chunk(c), "body": [b.start, b.stop],
                   "units": [{"heading": heading(u.heading), "entries": [heading(e.heading) for e in u.entries]}
                             for u in d.units]} for d, c, b in parts],
        "title": title, "author": author, "when": when}, ensure_ascii=False)


def join_described(text: str, dest: Path) -> None:
    """:func:`join` from :func:`describe_join`'s text, into ``dest``."""
    from types import SimpleNamespace as NS
    job = json.loads(text)

    def chunk(c: dict) -> Chunk:
        return Chunk(Path(c["pdf"]), c["pages"], c["anchors"])

    def heading(h: list) -> NS:
        return NS(text=h[0], anchor=h[1])
    parts = [(NS(section=p["section"], heading=heading(p["heading"]),
                 units=[NS(heading=heading(u["heading"]), entries=[NS(heading=heading(e)) for e in u["entries"]])
                        for u in p["units"]]),
              chunk(p["chunk"]), range(*p["body"])) for p in job["parts"]]
    join(chunk(job["front"]), range(*job["pages"]), parts, job["title"], job["author"], job["when"], dest)


def _work(text: str, out: Path) -> None:
    """What a child of the render server does: lay a document out (its HTML), or join PDFs (a
    join's description).  Runs in a child process."""
    if text.startswith(JOIN_MAGIC):
        join_described(text, out)
    else:
        _render(text, out)


def department_pdf(pub: Publication, comp: Compilation, cache_dir: Path, server: Renderer) -> bytes:
    """One department's PDF (``comp``: its compilation), the same bytes as ``build`` makes, from the
    same cache: rendered by ``server`` only when its document is not there yet (``ptgen serve``)."""
    from .docx import source_date
    check_font(pub.settings.pdf_font)
    cache = ChunkCache(cache_dir)
    d = departments(comp, pub)[0]
    html = body_html(pub, comp, [d], front={"title": comp.title, "subtitle": comp.subtitle, "toc": toc_entries([d])})
    entry = cache.path(html)
    if cache.get(entry) is None:
        server.submit(d.heading.anchor, html, entry)
        while not server.idle:
            for done in server.poll(0.1):
                if done.error:
                    message, hint = done.error
                    raise UserError("生成 PDF 失败：" + message, hint=hint)
    c = cache.get(entry)
    if c is None:
        raise UserError("生成 PDF 失败：排版结果没有生成。")
    body = range(0, c.anchors.get("pdf-front", c.pages))
    when = pdf_date(source_date().strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _cached_join(cache, c, range(body.stop, c.pages), [(d, c, body)], f"{comp.title} · {comp.subtitle}"
                        if comp.subtitle else comp.title, pub.settings.region, when).read_bytes()


def renderer(jobs: int = 2) -> Renderer:
    """The render server for PDFs (start it early: it imports WeasyPrint meanwhile)."""
    # Looked up when a child renders, so a replaced ``_render`` (the tests inject failures) is used.
    return Renderer(lambda text, out: _work(text, out), jobs)


class PdfRenderer(FormatRenderer):
    """One PDF per compilation.  The render server is started before the content loads (it imports
    WeasyPrint meanwhile); ``start`` hands it the departments, which render while the other formats
    are made, and ``render`` joins them."""

    name = "pdf"

    @classmethod
    def service(cls, jobs: int) -> Renderer:
        return renderer(jobs)

    @classmethod
    def steps(cls, pub: Publication) -> int:
        return len(pub.departments) + len(pub.departments) + 1  # each department's layout, then each PDF

    def start(self, pub, comps, ctx: RenderContext) -> None:
        server = ctx.services.get(self.name)
        if server is None:  # a build of one publication, without the server started ahead
            server = ctx.services[self.name] = ctx.stack.enter_context(renderer(ctx.jobs or default_jobs()))
        self.job = PdfBuild(pub, comps, ctx.out_dir / ".cache" / "pdf" / pub.name, server, ctx.only,
                            ctx.given.get(self.name))
        self.job.start()

    def render(self, pub, comps, ctx: RenderContext) -> list[Rendered]:
        files = self.job.finish(ctx.progress)
        ctx.made[self.name] = self.job.documents()
        return files
