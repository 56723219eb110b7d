"""Page numbers for the Word table of contents (by default when LibreOffice is installed; ``--update-toc``),
from LibreOffice's layout of the document."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import SetupError
from .layout import Compilation


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
    :data:`FONT_ALIASES` (without it, Debian's LibreOffice draws 宋体 in Noto Sans CJK JP)."""
    from xml.sax.saxutils import escape
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    rules = "".join(f'<match target="pattern"><test qual="any" name="family"><string>{escape(name)}</string></test>'
                    f'<edit name="family" mode="assign" binding="strong"><string>{escape(font)}</string></edit></match>\n'
                    for name, font in FONT_ALIASES.items())
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


def libreoffice_pages(docx: bytes, comp: Compilation) -> dict[str, str]:
    """Where each heading lands, as the contents cite it ("353-5": the department's section, then the
    page in it; see :mod:`.docxsections`), read from the outline of LibreOffice's PDF of the document.
    Each department's section starts on a page of its own numbered 1, so its pages do not depend on
    what comes before it: the whole book's layout gives every department document's numbers too."""
    from .docxsections import labels
    absolute = _absolute_pages(docx, comp)
    sections = iter(labels(comp))
    out: dict[str, str] = {}
    label, first = "", 1
    for h in comp.headings:
        if h.level == 1:
            label, first = next(sections), absolute.get(h.anchor, first)
        if h.anchor in absolute:
            out[h.anchor] = f"{label}-{absolute[h.anchor] - first + 1}"
    return out


def _absolute_pages(docx: bytes, comp: Compilation) -> dict[str, int]:
    """Each heading's page in the whole document (1 = the cover)."""
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
