"""``ptgen build``: lay the publication out once, render each compilation, write them all atomically.

Every output is rendered in memory first; files are written only when every render succeeded, each
through a temporary file and ``os.replace``.  A build that fails leaves the previous output as it was.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .errors import SetupError, UserError
from .model import Publication
from .output import write_bytes
from .render.layout import Compilation, compile_publication

if TYPE_CHECKING:
    from .render.forkserver import Renderer

FORMATS = ("docx", "html", "pdf")
def _builtin_templates() -> Path:
    """ptgen's own templates: shipped in the package (``ptgen/templates``, an installed wheel), else
    the top-level ``templates/`` of the source tree (an editable install, or run from the source)."""
    import importlib.resources
    shipped = importlib.resources.files("ptgen") / "templates"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "templates"


BUILTIN_TEMPLATES = _builtin_templates()


@dataclass
class Output:
    format: str
    path: Path
    compilation: Compilation
    data: bytes = b""


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    tables: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def find_template(pub: Publication, kind: str, name: str) -> Path:
    """A template file: the publication's own (``templates:`` in ptgen.yaml) first, then ptgen's."""
    candidates = []
    if pub.settings.templates:
        candidates.append(pub.root / pub.settings.templates / kind / name)
    candidates.append(BUILTIN_TEMPLATES / kind / name)
    for c in candidates:
        if c.is_file():
            return c
    if pub.settings.templates and not (pub.root / pub.settings.templates).is_dir():
        raise UserError(f"ptgen.yaml 里的模板文件夹 {pub.settings.templates} 不存在（相对 {pub.root}）。")
    raise UserError(f"找不到模板 {kind}/{name}。", hint=f"ptgen 自带的模板应在 {BUILTIN_TEMPLATES}：ptgen 的安装不完整，"
                    "请重新安装（pip install ptgen 或 pip install -e .）。")


def compilations(pub: Publication) -> list[tuple[str, Compilation]]:
    """(file stem, compilation): one per department, then the whole publication."""
    return [(c.slug, c) for c in compile_publication(pub)]


def context(pub: Publication, comp: Compilation) -> dict:
    s = pub.settings
    return {"title": comp.title, "subtitle": comp.subtitle, "year": s.year, "region": s.region,
            "money_unit": s.money_unit, "layout": s.layout}


def default_jobs() -> int:
    return min(2, os.cpu_count() or 1)


def build(pub: Publication, out_dir: Path, formats: list[str], update_toc: bool = False,
          progress: Callable[[str], None] | None = None, jobs: int | None = None,
          renderer: "Renderer | None" = None) -> BuildResult:
    """Render ``pub`` into ``out_dir/<format>/<publication>/``; returns what was written.

    The PDF's departments are handed to the render processes first and rendered while the DOCX
    and HTML are made here.  ``renderer`` is a PDF render server started earlier (the CLI starts it
    before loading the content, so WeasyPrint is imported meanwhile); without one, one is started."""
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        pdf_job = None
        if "pdf" in formats:
            from .render import pdf
            if renderer is None:
                renderer = stack.enter_context(pdf.renderer(jobs or default_jobs()))
            pdf_job = pdf.PdfBuild(pub, compilations(pub), out_dir / ".cache" / "pdf" / pub.root.name, renderer)
            pdf_job.start()
        result = _build(pub, out_dir, formats, update_toc, progress, pdf_job)
    result.seconds = time.perf_counter() - start
    return result


def _build(pub: Publication, out_dir: Path, formats: list[str], update_toc: bool,
           progress: Callable[[str], None] | None, pdf_job) -> BuildResult:
    result = BuildResult(tables=sum(1 for _ in pub.projects()))
    slug = pub.root.name
    comps = pdf_job.comps if pdf_job else compilations(pub)
    if "docx" in formats:
        from .render.docx import render_docx
        template = find_template(pub, "docx", f"{pub.settings.layout}.docx")
        stripped = 0
        cache: dict = {}  # each table's XML, drawn once for its department and reused for the whole book
        for stem, comp in comps:
            data, warn = render_docx(comp, template, context(pub, comp), cache=cache)
            if update_toc:
                pages = libreoffice_pages(data, comp)
                data, warn = render_docx(comp, template, context(pub, comp), pages, cache=cache)
            stripped = max(stripped, warn.stripped)
            result.outputs.append(Output("docx", out_dir / "docx" / slug / f"{stem}.docx", comp, data))
            if progress:
                progress(f"docx/{slug}/{stem}.docx")
        if stripped:
            result.warnings.append(f"内容里有 {stripped} 个 Word 不能保存的控制字符，已删除（ptgen check 的 X08 指出了位置）。")
    whole = comps[-1][1]
    if "html" in formats:
        from .render.html import render_html
        for name, data in render_html(pub, comps):
            comp = next((c for stem, c in comps if f"{stem}.html" == name), whole)
            result.outputs.append(Output("html", out_dir / "html" / slug / name, comp, data))
        if progress:
            progress(f"html/{slug}/")
    if pdf_job is not None:
        for name, data in pdf_job.finish(progress):
            comp = next(c for stem, c in comps if f"{stem}.pdf" == name)
            result.outputs.append(Output("pdf", out_dir / "pdf" / slug / name, comp, data))
    # Everything rendered: now write, each file atomically.
    for o in result.outputs:
        write_bytes(o.path, o.data)
    return result


# --- page numbers for the table of contents, from LibreOffice's layout ------------------------------

def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise SetupError("没有找到 LibreOffice，无法计算目录页码（--update-toc）。",
                         hint="安装 Debian 软件包 libreoffice-writer-nogui（apt-get install libreoffice-writer-nogui），"
                              "或不加 --update-toc：Word / WPS 打开文件时会更新页码。")
    return exe


def docx_to_pdf(docx: bytes, workdir: Path) -> Path:
    """Convert with headless LibreOffice in a private profile (so a running instance does not interfere)."""
    src = workdir / "doc.docx"
    src.write_bytes(docx)
    profile = workdir / "profile"
    cmd = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--convert-to", "pdf", "--outdir", str(workdir), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    pdf = workdir / "doc.pdf"
    if proc.returncode != 0 or not pdf.exists():
        raise SetupError(f"LibreOffice 转换失败：{(proc.stderr or proc.stdout).strip()[:300]}")
    return pdf


def libreoffice_pages(docx: bytes, comp: Compilation) -> dict[str, int]:
    """Where each heading lands, read from the outline of LibreOffice's PDF of the document."""
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory(prefix="ptgen-lo-") as tmp:
        reader = PdfReader(docx_to_pdf(docx, Path(tmp)))
        flat: list[tuple[str, int]] = []

        def walk(items):
            for it in items:
                if isinstance(it, list):
                    walk(it)
                else:
                    flat.append((str(it.title).strip(), reader.get_destination_page_number(it) + 1))
        walk(reader.outline)
    pages: dict[str, int] = {}
    i = 0
    for h in comp.headings:  # same order as the outline; match by text so a skipped entry cannot shift the rest
        j = i
        while j < len(flat) and flat[j][0] != h.text.strip():
            j += 1
        if j < len(flat):
            pages[h.anchor] = flat[j][1]
            i = j + 1
    return pages
