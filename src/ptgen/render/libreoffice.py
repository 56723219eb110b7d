"""Page numbers for the Word table of contents (by default when LibreOffice is installed; ``--update-toc``),
from LibreOffice's layout of the document."""
from __future__ import annotations

import bisect
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

from ..errors import SetupError
from .layout import Compilation, Table


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise SetupError("没有找到 LibreOffice，无法计算目录页码（--update-toc）。",
                         hint="安装 Debian 软件包 libreoffice-writer-nogui（apt-get install libreoffice-writer-nogui），"
                              "或加 --no-update-toc：Word / WPS 打开文件时会更新页码。")
    return exe


# The fonts a ptgen document names, as LibreOffice should draw them where they are not installed
# (Debian has none of them): 宋体 is a serif (Ming) face, 黑体 a sans (Gothic) one, both simplified
# Chinese.  Times New Roman (the Latin font) goes to the serif too, as in the PDF.
FONT_ALIASES = {"宋体": "Noto Serif CJK SC", "SimSun": "Noto Serif CJK SC", "Times New Roman": "Noto Serif CJK SC",
                "黑体": "Noto Sans CJK SC", "SimHei": "Noto Sans CJK SC"}


def fontconfig(workdir: Path) -> Path:
    """A fontconfig file of ptgen's own for LibreOffice: the system's configuration, then
    :data:`FONT_ALIASES` (without it, Debian's LibreOffice draws 宋体 in Noto Sans CJK JP), with the
    faces it maps to read from ptgen's copies instead of the system's collections (see
    :mod:`.scfonts`: without them, LibreOffice's PDF names the SC faces NotoSerifCJKjp-…)."""
    from xml.sax.saxutils import escape

    from .scfonts import sc_fonts
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    rules = "".join(f'<match target="pattern"><test qual="any" name="family"><string>{escape(name)}</string></test>'
                    f'<edit name="family" mode="assign" binding="strong"><string>{escape(font)}</string></edit></match>\n'
                    for name, font in FONT_ALIASES.items())
    fonts = sc_fonts(dict.fromkeys(FONT_ALIASES.values()), workdir)
    if fonts:
        rules += (f"<dir>{escape(str(fonts.folder))}</dir>\n<selectfont><rejectfont>"
                  + "".join(f'<pattern><patelt name="file"><string>{escape(str(p))}</string></patelt></pattern>'
                            for p in fonts.replaced) + "</rejectfont></selectfont>\n")
    path = workdir / "fonts.conf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
                    f'<include ignore_missing="yes">{escape(system)}</include>\n{rules}</fontconfig>\n', encoding="utf-8")
    return path


def docx_to_pdf(docx: bytes, workdir: Path) -> Path:
    """Convert with headless LibreOffice in a private profile (so a running instance does not interfere),
    with ptgen's fontconfig (:func:`fontconfig`, for this process only)."""
    src = workdir / "doc.docx"
    src.write_bytes(docx)
    profile = workdir.resolve() / "profile"  # a file:// URL: a relative one makes LibreOffice wait forever
    cmd = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--convert-to", "pdf", "--outdir", str(workdir), str(src)]
    # In a session of its own: on a failure or an interrupt, LibreOffice and every process it
    # started are stopped before the temporary folder is removed.
    # Its own temporary files (lu*.tmp) go into our folder too, so that they go with it.
    (workdir / "tmp").mkdir()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(workdir / "tmp"),
                                     FONTCONFIG_FILE=str(fontconfig(workdir))))
    try:
        stdout, stderr = proc.communicate(timeout=600)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    pdf = workdir / "doc.pdf"
    if proc.returncode != 0 or not pdf.exists():
        raise SetupError(f"LibreOffice 转换失败：{(stderr or stdout).strip()[:300]}")
    return pdf


def available() -> bool:
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


class Layout(NamedTuple):
    """What LibreOffice's layout of a document says: each heading's page as the contents cite it,
    and the rows that begin a page inside a vertical merge (by ``id`` of their table)."""
    pages: dict[str, str]
    restarts: dict[int, frozenset[int]]


def libreoffice_layout(docx: bytes, comp: Compilation) -> Layout:
    """Lay ``docx`` (of ``comp``) out in LibreOffice once and read its PDF: the outline gives each
    heading's page, the text of each page which grid rows stand on it."""
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory(prefix="ptgen-lo-") as tmp:
        pdf = docx_to_pdf(docx, Path(tmp))
        absolute = _absolute_pages(PdfReader(pdf), comp)
        texts = _page_texts(pdf)
    return Layout(_labels(absolute, comp), _restarts(texts, comp))


def libreoffice_pages(docx: bytes, comp: Compilation) -> dict[str, str]:
    """Where each heading lands, as the contents cite it (see :func:`libreoffice_layout`)."""
    return libreoffice_layout(docx, comp).pages


def _labels(absolute: dict[str, int], comp: Compilation) -> dict[str, str]:
    """Each heading's page as the contents cite it ("353-5": the department's section, then the page
    in it; see :mod:`.docxsections`).  Each department's section starts on a page of its own
    numbered 1, so its pages do not depend on what comes before it: the whole book's layout gives
    every department document's numbers too."""
    from .docxsections import labels
    sections = iter(labels(comp))
    out: dict[str, str] = {}
    label, first = "", 1
    for h in comp.headings:
        if h.level == 1:
            label, first = next(sections), absolute.get(h.anchor, first)
        if h.anchor in absolute:
            out[h.anchor] = f"{label}-{absolute[h.anchor] - first + 1}"
    return out


def _page_texts(pdf: Path) -> list[str]:
    """Each page's text in drawing order (LibreOffice draws a table cell by cell), without whitespace."""
    exe = shutil.which("pdftotext")
    if not exe:
        return []
    text = subprocess.run([exe, "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          timeout=600).stdout
    return [_squash(p) for p in text.split("\f")[:-1]]


def _squash(text: str) -> str:
    return "".join(text.split())


def _restarts(pages: list[str], comp: Compilation) -> dict[int, frozenset[int]]:
    """The rows of each table that begin a page while one of their cells continues a vertical merge
    from the page before (Word and LibreOffice print a merged cell's text on its first page only).

    Each row is found by its text (the cells it prints, in order) after the previous one; a row
    whose text is not found is taken to stand where the previous one does."""
    if not pages:
        return {}
    flat = "".join(pages)
    ends = list(itertools.accumulate(len(p) for p in pages))
    out: dict[int, frozenset[int]] = {}
    at = 0
    for block in comp.blocks:
        if not isinstance(block, Table):
            continue
        page, rows = None, set()
        for k, row in enumerate(block.rows):
            key = "".join(_squash(c.text) for c in row.cells if not c.merged)
            found = flat.find(key, at) if key else -1
            if found < 0:
                continue
            at = found + len(key)
            here = bisect.bisect_right(ends, found)
            if page is not None and here > page and any(c.merged for c in row.cells):
                rows.add(k)
            page = here
        if rows:
            out[id(block)] = frozenset(rows)
    return out


def _absolute_pages(reader, comp: Compilation) -> dict[str, int]:
    """Each heading's page in the whole document (1 = the cover), from the PDF's outline."""
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
