"""Compilation → PDF through WeasyPrint, rendered in department chunks and joined.

WeasyPrint lays out one document on one thread, in memory (~2 MB a page until it ends).  So each
department is its own chunk: rendered in a forked process (two at a time on two cores) that writes
its PDF and leaves with ``os._exit`` (freeing a big layout at exit costs seconds), and cached by
the hash of its HTML, so a rebuild after one project changed renders only that department.

Page numbers are per department section ("353-5"): a chunk's pages do not depend on what comes
before it, which is what makes chunks reusable between the department PDFs, the whole book and the
next build.  The front matter (cover and contents, pages i, ii, ...) is rendered after the chunks,
with the page numbers they got.  pikepdf joins the parts and writes the outline (department → unit →
table), the named destinations (= bookmark names) and the page labels.
"""
from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import SetupError, UserError
from ..model import Publication
from .html import DepartmentView, body_html, departments, fronts_html
from .layout import Compilation

CACHE_VERSION = "2"


@dataclass
class Chunk:
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


def _render(html: str, out: Path) -> Chunk:
    """Render ``html`` to ``out`` (.pdf) and ``out``.json (pages, anchors).  Runs in a child process."""
    from weasyprint import HTML
    gc.disable()  # the layout makes millions of objects and no cycles worth collecting meanwhile
    watch = _GlyphWatch()
    logging.getLogger("weasyprint").addHandler(watch)
    doc = HTML(string=html, base_url=str(out.parent)).render()
    _no_missing_glyphs(watch)
    anchors: dict[str, int] = {}
    for i, page in enumerate(doc.pages):
        for name in page.anchors:
            anchors.setdefault(name, i)
    digest = hashlib.sha256(html.encode("utf-8")).digest()[:16]
    # Where everything landed is known once laid out: publish it before writing (~1 s for 50
    # pages), so the contents that need it can be laid out meanwhile.
    meta = {"pages": len(doc.pages), "anchors": anchors}
    _write_atomic(out.with_suffix(".json"), json.dumps(meta).encode("utf-8"))
    tmp = out.with_name(f".{out.name}.tmp")
    doc.write_pdf(tmp, pdf_identifier=digest)
    try:
        _no_missing_glyphs(watch)  # WeasyPrint finds most of them while drawing, i.e. writing
    except UserError:
        tmp.unlink(missing_ok=True)
        out.with_suffix(".json").unlink(missing_ok=True)
        raise
    os.replace(tmp, out)  # the .pdf appears last: its presence means the entry is complete
    return Chunk(out, meta["pages"], anchors)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class ChunkCache:
    """Rendered PDFs by the hash of their HTML (and the WeasyPrint version), in ``folder``."""

    def __init__(self, folder: Path):
        import weasyprint
        self.folder = folder
        self.version = weasyprint.__version__
        self.used: set[Path] = set()
        self._paths: dict[str, Path] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, html: str) -> Path:
        # Memoised: the parent asks about the same pages every few milliseconds while the
        # children render, and hashing megabytes of HTML each time would take a core from them.
        p = self._paths.get(html)
        if p is None:
            key = hashlib.sha256(f"{CACHE_VERSION}\0{self.version}\0{html}".encode("utf-8")).hexdigest()[:32]
            p = self._paths[html] = self.folder / f"{key}.pdf"
        self.used.add(p)
        return p

    def get(self, html: str) -> Chunk | None:
        p = self.path(html)
        if p.exists() and p.with_suffix(".json").exists():
            meta = json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
            return Chunk(p, meta["pages"], meta["anchors"])
        return None

    def layout_of(self, html: str) -> Chunk | None:
        """Pages and anchors as soon as the layout is done (the PDF may still be being written)."""
        meta = self.path(html).with_suffix(".json")
        if not meta.exists():
            return None
        data = json.loads(meta.read_text(encoding="utf-8"))
        return Chunk(self.path(html), data["pages"], data["anchors"])

    def render(self, html: str) -> Chunk:
        return self.get(html) or _render(html, self.path(html))

    def prune(self) -> None:
        """Drop what this build did not use, so the cache does not grow forever."""
        for p in self.folder.glob("*.pdf"):
            if p not in self.used:
                p.unlink(missing_ok=True)
                p.with_suffix(".json").unlink(missing_ok=True)


def run_parallel(tasks: list, jobs: int, late=None) -> None:
    """Run each callable in a forked child, ``jobs`` at a time; a child leaves with ``os._exit``
    (tearing down a big layout costs seconds).  ``late`` returns a list of tasks once they can
    start (else None); it is polled while the others run, and its tasks may take one process more
    than ``jobs`` (they start while the others are writing).  The first failure is raised at the end."""
    running: dict[int, Path] = {}
    errors: list[str] = []
    queue = list(tasks)
    limit = max(1, jobs)
    with tempfile.TemporaryDirectory(prefix="ptgen-pdf-") as tmp:
        n = 0
        while queue or running or late is not None:
            if late is not None and not errors:
                ready = late()
                if ready is not None:
                    queue[:0] = ready
                    late = None
                    limit += 1
            if late is not None and not running and not queue:
                if errors:  # a department failed before it was laid out: report that, not the contents
                    break
                raise UserError("生成 PDF 失败：目录需要的排版结果没有生成。")
            while queue and len(running) < limit and not errors:
                task = queue.pop(0)
                n += 1
                err = Path(tmp) / f"{n}.err"
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        task()
                    except UserError as exc:
                        err.write_text(json.dumps([exc.message, exc.hint]), encoding="utf-8")
                        code = 1
                    except BaseException as exc:  # noqa: BLE001 - reported by the parent
                        err.write_text(json.dumps([f"{type(exc).__name__}: {exc}", None]), encoding="utf-8")
                        code = 2
                    os._exit(code)
                running[pid] = err
            if not running:
                if errors:
                    break
                continue
            pid, status = os.waitpid(-1, os.WNOHANG if late is not None else 0)
            if pid == 0:
                time.sleep(0.02)
                continue
            err = running.pop(pid, None)
            if err is not None and os.waitstatus_to_exitcode(status) != 0:
                text = err.read_text(encoding="utf-8") if err.exists() else f"渲染进程异常退出（{status}）"
                errors.append(json.loads(text) if text.startswith("[") else [text, None])
    if errors:
        raise UserError("生成 PDF 失败：" + errors[0][0], hint=errors[0][1])


def toc_entries(views: list[DepartmentView], chunks: dict[str, Chunk]) -> list[dict]:
    out = []
    for d in views:
        anchors = chunks[d.heading.anchor].anchors
        headings = [d.heading] + [h for u in d.units for h in (u.heading, *(e.heading for e in u.entries))]
        out += [{"level": h.level, "text": h.text, "anchor": h.anchor, "page": f"{d.section}-{anchors.get(h.anchor, 0) + 1}"}
                for h in headings]
    return out


def _joined(front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk]], title: str, author: str,
            when: str):
    """The joined document, and the documents its pages were copied from (they read from them until saved)."""
    from pikepdf import Array, Dictionary, Name, NameTree, OutlineItem, Pdf, String

    out = Pdf.new()
    sources = [Pdf.open(front.pdf)]
    out.pages.extend([sources[0].pages[k] for k in pages])
    labels: list = [0, Dictionary(S=Name.r)] if len(pages) else []
    dests = NameTree.new(out)
    offset = len(pages)
    with out.open_outline() as outline:
        for d, chunk in parts:
            src = Pdf.open(chunk.pdf)
            sources.append(src)
            out.pages.extend(src.pages)
            labels += [offset, Dictionary(S=Name.D, P=String(f"{d.section}-"))]
            where = NameTree(src.Root.Names.Dests) if "/Names" in src.Root and "/Dests" in src.Root.Names else {}

            def dest(anchor: str, chunk=chunk, offset=offset, where=where) -> Array:
                # Where WeasyPrint put the element (x, y on its page), else the top of the page.
                page = out.pages[offset + chunk.anchors.get(anchor, 0)].obj
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
            offset += chunk.pages
    if labels:
        out.Root.PageLabels = Dictionary(Nums=Array(labels))
    out.Root.Names = Dictionary(Dests=dests.obj)
    out.Root.Lang = String("zh-CN")
    out.Root.PageMode = Name.UseOutlines
    out.docinfo = out.make_indirect(Dictionary(
        Title=String(title), Author=String(author), Creator=String("ptgen"),
        Producer=String("ptgen (WeasyPrint, pikepdf)"), CreationDate=String(when), ModDate=String(when)))
    return out, sources


def join(front: Chunk, pages: range, parts: list[tuple[DepartmentView, Chunk]], title: str, author: str,
         when: str) -> bytes:
    """Front matter (``pages`` of ``front``) + department chunks → one PDF with outline, named
    destinations and page labels.

    pikepdf (qpdf) copies the pages as they are; joining the 1,000-page book takes well under a
    second, where pypdf took seconds per 100 pages."""
    import warnings

    from pikepdf import ObjectStreamMode, PageCopyWarning

    with warnings.catch_warnings():
        # pikepdf warns that copied pages lose their named destinations: they are written below.
        warnings.simplefilter("ignore", PageCopyWarning)
        out, sources = _joined(front, pages, parts, title, author, when)
        buf = io.BytesIO()
        # The file identifier is a hash of the content: the same content gives the same bytes.
        out.save(buf, deterministic_id=True, object_stream_mode=ObjectStreamMode.generate)
    for pdf in (out, *sources):
        pdf.close()
    return buf.getvalue()


def pdf_date(iso: str) -> str:
    return "D:" + iso.replace("-", "").replace(":", "").replace("T", "").rstrip("Z") + "Z"


def render_pdfs(pub: Publication, comps: list[tuple[str, Compilation]], cache_dir: Path, jobs: int = 2,
                progress=None) -> list[tuple[str, bytes]]:
    """(file name, bytes) for each compilation's PDF: one per department, then the whole book."""
    import weasyprint  # noqa: F401  (imported before forking, so children start warm)

    from .docx import source_date
    check_font(pub.settings.pdf_font)
    cache = ChunkCache(cache_dir)
    whole = comps[-1][1]
    views = departments(whole, pub)
    comp_views = [departments(comp, pub) for _, comp in comps]
    bodies = {d.heading.anchor: body_html(pub, whole, [d]) for d in views}

    # Front matter in two documents laid out side by side: the departments' covers and contents,
    # and the whole book's.  Each is cut apart at its "front-N" anchors.
    groups = [list(range(len(comps) - 1)), [len(comps) - 1]] if len(comps) > 1 else [[0]]

    def fronts_for(chunks: dict[str, Chunk], group: list[int]) -> str:
        return fronts_html(pub, [(comps[k][1], toc_entries(comp_views[k], chunks)) for k in group])

    front_htmls: dict[int, str] = {}  # per group; the joins below use the same pages

    def fronts_tasks():
        """Covers and contents, as soon as every department is laid out (while they are still written)."""
        layouts = {a: cache.layout_of(html) for a, html in bodies.items()}
        if any(c is None for c in layouts.values()):
            return None
        front_htmls.update({gi: fronts_for(layouts, g) for gi, g in enumerate(groups) if g})
        return [lambda html=html: cache.render(html) for html in front_htmls.values()]

    # One child per department not in the cache; then the front matter.
    tasks = [lambda html=html: cache.render(html) for html in bodies.values() if cache.get(html) is None]
    run_parallel(tasks, jobs, late=fronts_tasks)
    by_dept = {a: cache.get(html) for a, html in bodies.items()}
    where: dict[int, tuple[Chunk, range]] = {}
    for gi, g in enumerate(groups):
        doc = cache.get(front_htmls[gi])
        starts = [doc.anchors[f"front-{i}"] for i in range(len(g))] + [doc.pages]
        for i, k in enumerate(g):
            where[k] = (doc, range(starts[i], starts[i + 1]))
    if progress:
        progress("pdf: 各部门")
    when = pdf_date(source_date().strftime("%Y-%m-%dT%H:%M:%SZ"))
    out = []
    for k, ((stem, comp), cv) in enumerate(zip(comps, comp_views)):
        parts = [(d, by_dept[d.heading.anchor]) for d in cv]
        fronts, pages = where[k]
        title = comp.title + (f" · {comp.subtitle}" if comp.subtitle else "")
        # The joined file is cached too: after a one-project change only its department and the
        # whole book are joined again.
        key = hashlib.sha256("\0".join([CACHE_VERSION, fronts.pdf.name, str(pages), *(c.pdf.name for _, c in parts),
                                         title, pub.settings.region, when]).encode("utf-8")).hexdigest()[:32]
        joined = cache.folder / f"join-{key}.pdf"
        cache.used.add(joined)
        if joined.exists():
            data = joined.read_bytes()
        else:
            data = join(fronts, pages, parts, title, pub.settings.region, when)
            _write_atomic(joined, data)
        out.append((f"{stem}.pdf", data))
        if progress:
            progress(f"pdf/{stem}.pdf")
    cache.prune()
    return out
