"""``ptgen build``: lay the publication out once, render each compilation, write them all as one set.

Every output is rendered in memory first; files are written only when every render succeeded, all
of them as one change (:func:`ptgen.output.commit`), with a manifest of what ptgen wrote.  A build
that fails or is interrupted leaves the previous outputs as they were.  One build at a time writes
into a folder (:func:`locked`).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from .errors import SetupError, UserError
from .model import Publication
from .output import commit, environment_error, recover
from .render.layout import Compilation, compile_publication, printable

if TYPE_CHECKING:
    from .render.forkserver import Renderer

FORMATS = ("docx", "html", "pdf")
MANIFEST = ".ptgen-manifest.json"  # what ptgen wrote into --out (written with the outputs)
LOCK = ".ptgen-lock"  # held (flock) by the build writing into --out


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
            if c.suffix == ".docx" and c != candidates[-1]:
                _check_word_template(c)
            return c
    if pub.settings.templates and not (pub.root / pub.settings.templates).is_dir():
        raise UserError(f"ptgen.yaml 里的模板文件夹 {pub.settings.templates} 不存在（相对 {pub.root}）。")
    raise UserError(f"找不到模板 {kind}/{name}。", hint=f"ptgen 自带的模板应在 {BUILTIN_TEMPLATES}：ptgen 的安装不完整，"
                    "请重新安装（pip install ptgen 或 pip install -e .）。")


def _check_word_template(path: Path) -> None:
    """A publication's Word template (it may come with a pull request) within the limits that
    ``import`` sets for a .docx, read from the zip directory before python-docx inflates anything."""
    import zipfile

    from .importers import ImportProblem
    from .importers.docx import _check_directory
    try:
        with zipfile.ZipFile(path) as z:
            _check_directory(z.infolist(), str(path))
    except ImportProblem as problem:
        raise UserError(f"Word 模板 {path} 不能用：{problem.message}") from None
    except (zipfile.BadZipFile, OSError):
        raise UserError(f"Word 模板 {path} 不是有效的 .docx 文件（不是 zip 压缩包）。",
                        hint="从 ptgen 自带的 templates/docx/ 复制模板再修改。") from None


def compilations(pub: Publication) -> list[tuple[str, Compilation]]:
    """(file stem, compilation): one per department, then the whole publication."""
    return [(c.slug, c) for c in compile_publication(pub)]


def context(pub: Publication, comp: Compilation) -> dict:
    s = pub.settings
    return {"title": comp.title, "subtitle": comp.subtitle, "year": s.year, "region": s.region,
            "money_unit": s.money_unit, "layout": s.layout}


def default_jobs() -> int:
    return min(2, os.cpu_count() or 1)


# --- where the outputs go -----------------------------------------------------------------------------

def planned(pub: Publication, formats: list[str]) -> list[str]:
    """Every output of ``pub`` in ``formats``, as a path relative to ``--out``."""
    stems = [d.folder for d in pub.departments] + [pub.name]
    rels = []
    for fmt in formats:
        names = [f"{stem}.{fmt}" for stem in stems] + (["index.html"] if fmt == "html" else [])
        rels += [f"{fmt}/{pub.name}/{name}" for name in names]
    return rels


def check_paths(out_dir: Path, rels: list[str]) -> None:
    """Refuse (whatever ``--force`` says) outputs that would share a path or land outside ``out_dir``."""
    root = os.path.realpath(out_dir)
    seen: dict[str, str] = {}
    for rel in rels:
        path = os.path.realpath(os.path.join(root, rel))
        if os.path.commonpath([root, path]) != root or path == root:
            raise UserError(f"输出文件 {rel} 会写到 --out 文件夹 {out_dir} 之外，没有生成任何文件。",
                            hint="检查出版物文件夹和部门文件夹的名字，以及 --out 里的符号链接。")
        key = path.casefold()  # a case-insensitive disk (Windows, macOS) would collide too
        if key in seen:
            raise UserError(f"两个输出文件同名：{seen[key]} 与 {rel}，一个会覆盖另一个，没有生成任何文件。",
                            hint="给冲突的部门文件夹改名（ptgen check 的 O01 指出位置）；"
                                 "两个出版物文件夹同名时，请改名或分开生成到不同的 --out。")
        seen[key] = rel


@contextlib.contextmanager
def locked(out_dir: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``out_dir``'s lock (``.ptgen-lock``, ``fcntl.flock``) for a whole build: a second build
    into the same folder waits for the first.  Also finishes or cleans up what an interrupted
    build left there, on entry and on a failure."""
    import fcntl
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out 指定的 {out_dir} 是一个文件，不是文件夹，无法在里面写入。没有生成任何文件。",
                        hint="--out 要指向一个文件夹：换一个名字，或移走这个文件。")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise environment_error(exc, out_dir) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait(f"另一个 ptgen build 正在写入 {out_dir}，等它结束……")
            fcntl.flock(fd, fcntl.LOCK_EX)
        _recover(out_dir)
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                recover(out_dir)  # the temporary files of what was being written
            raise
    finally:
        os.close(fd)  # releases the lock


def _recover(out_dir: Path) -> None:
    try:
        recover(out_dir)
    except OSError as exc:
        raise environment_error(exc, out_dir) from exc


def read_manifest(out_dir: Path) -> dict[str, str]:
    """What ptgen wrote into ``out_dir`` (relative path → SHA-256); empty if there is no manifest."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        return {rel: digest for rel, digest in files.items() if isinstance(rel, str) and isinstance(digest, str)
                and not os.path.isabs(rel) and os.pardir not in Path(rel).parts}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(out_dir: Path, results: list[tuple[Publication, BuildResult]], formats: list[str]) -> list[Path]:
    """Write the outputs of one build into ``out_dir`` as one set (:func:`ptgen.output.commit`),
    with the manifest.  Outputs ptgen wrote earlier into the same ``<format>/<publication>/``
    folders that this build no longer makes (a department that was removed) are deleted — only
    if they are still as ptgen wrote them; nothing else is touched.  Returns what was removed."""
    out_dir = Path(out_dir)
    files: dict[Path, bytes] = {}
    for _, result in results:
        files.update({o.path: o.data for o in result.outputs})
    check_paths(out_dir, [os.path.relpath(p, out_dir) for p in files])
    made = {Path(os.path.relpath(p, out_dir)).as_posix(): _sha256(data) for p, data in files.items()}
    scopes = tuple(f"{fmt}/{pub.name}/" for pub, _ in results for fmt in formats)
    manifest = read_manifest(out_dir)
    remove = []
    for rel, digest in list(manifest.items()):
        if rel in made or not rel.startswith(scopes):
            continue
        del manifest[rel]
        path = out_dir / rel
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and _sha256(path.read_bytes()) == digest:
                remove.append(path)
    manifest.update(made)
    text = json.dumps({"version": 1, "files": dict(sorted(manifest.items()))}, ensure_ascii=False, indent=1)
    files[out_dir / MANIFEST] = text.encode("utf-8")
    try:
        commit(out_dir, files, remove=remove)
    except OSError as exc:
        raise environment_error(exc, out_dir) from exc
    return remove


def build(pub: Publication, out_dir: Path, formats: list[str], update_toc: bool = False,
          progress: Callable[[str], None] | None = None, jobs: int | None = None,
          renderer: "Renderer | None" = None, write_outputs: bool = True) -> BuildResult:
    """Render ``pub`` into ``out_dir/<format>/<publication>/``; returns what was written.

    The PDF's departments are handed to the render processes first and rendered while the DOCX
    and HTML are made here.  ``renderer`` is a PDF render server started earlier (the CLI starts it
    before loading the content, so WeasyPrint is imported meanwhile); without one, one is started.
    With ``write_outputs`` the outputs are written (under ``out_dir``'s lock); without, the caller
    holds the lock and writes them with :func:`write`."""
    start = time.perf_counter()
    check_paths(out_dir, planned(pub, formats))
    pub, dropped = printable(pub)
    with contextlib.ExitStack() as stack:
        if write_outputs:
            stack.enter_context(locked(out_dir))
        pdf_job = None
        if "pdf" in formats:
            from .render import pdf
            if renderer is None:
                renderer = stack.enter_context(pdf.renderer(jobs or default_jobs()))
            pdf_job = pdf.PdfBuild(pub, compilations(pub), out_dir / ".cache" / "pdf" / pub.name, renderer)
            pdf_job.start()
        result = _build(pub, out_dir, formats, update_toc, progress, pdf_job)
        if dropped:
            result.warnings.append(f"内容里有 {dropped} 个不可见的控制字符，已删除（ptgen check 的 X08 指出了位置）。")
        if write_outputs:
            write(out_dir, [(pub, result)], formats)
    result.seconds = time.perf_counter() - start
    return result


def _build(pub: Publication, out_dir: Path, formats: list[str], update_toc: bool,
           progress: Callable[[str], None] | None, pdf_job) -> BuildResult:
    result = BuildResult(tables=sum(1 for _ in pub.projects()))
    slug = pub.name
    comps = pdf_job.comps if pdf_job else compilations(pub)
    if "docx" in formats:
        from .render.docx import render_docx
        template = find_template(pub, "docx", f"{pub.settings.layout}.docx")
        cache: dict = {}  # each table's XML, drawn once for its department and reused for the whole book
        for stem, comp in comps:
            data, warn = render_docx(comp, template, context(pub, comp), cache=cache)
            if update_toc:
                pages = libreoffice_pages(data, comp)
                data, warn = render_docx(comp, template, context(pub, comp), pages, cache=cache)
            result.outputs.append(Output("docx", out_dir / "docx" / slug / f"{stem}.docx", comp, data))
            if progress:
                progress(f"docx {stem}")
    whole = comps[-1][1]
    if "html" in formats:
        from .render.html import render_html
        for name, data in render_html(pub, comps):
            comp = next((c for stem, c in comps if f"{stem}.html" == name), whole)
            result.outputs.append(Output("html", out_dir / "html" / slug / name, comp, data))
        if progress:
            progress("html")
    if pdf_job is not None:
        for name, data in pdf_job.finish(progress):
            comp = next(c for stem, c in comps if f"{stem}.pdf" == name)
            result.outputs.append(Output("pdf", out_dir / "pdf" / slug / name, comp, data))
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
    # In a session of its own: on a failure or an interrupt, LibreOffice and every process it
    # started are stopped before the temporary folder is removed.
    # Its own temporary files (lu*.tmp) go into our folder too, so that they go with it.
    (workdir / "tmp").mkdir()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(workdir / "tmp")))
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
