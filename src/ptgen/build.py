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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import UserError
from .model import Publication
from .output import Data, commit, data_digest, environment_error, recover
from .render.formats import RenderContext, check_names, default_jobs, renderer_class  # noqa: F401 (default_jobs: API)
from .render.layout import Compilation, compile_publication, printable
from .render.libreoffice import docx_to_pdf, libreoffice_pages, soffice  # noqa: F401 (moved there; API)
from .render.templates import BUILTIN_TEMPLATES, find_template  # noqa: F401 (BUILTIN_TEMPLATES: part of the API)

MANIFEST = ".ptgen-manifest.json"  # what ptgen wrote into --out (written with the outputs)
LOCK = ".ptgen-lock"  # held (flock) by the build writing into --out


@dataclass
class Output:
    format: str
    path: Path
    compilation: Compilation
    data: Data = b""  # its bytes, or a file ptgen wrote holding them (the PDFs: a file in the PDF cache)


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    tables: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    made: dict[str, object] = field(default_factory=dict)  # by format: what else it made (RenderContext.made)


def compilations(pub: Publication, layout: bool = True) -> list[tuple[str, Compilation]]:
    """(file stem, compilation): one per department, then the whole publication; without
    ``layout``, only their names (for formats of the data alone: xlsx, csv)."""
    if not layout:
        s = pub.settings
        return [(d.folder, Compilation(s.title, d.department.name, d.folder)) for d in pub.departments] + \
            [(pub.name, Compilation(s.title, "", pub.name))]
    return [(c.slug, c) for c in compile_publication(pub)]


def table_count(pub: Publication, comp: Compilation) -> int:
    """How many tables ``comp`` holds: its entries, or (a compilation of a build without layout, see
    :func:`compilations`) the projects of its department, or of the whole publication."""
    if comp.entries:
        return len(comp.entries)
    return sum(1 for d in pub.departments if comp.slug in (d.folder, pub.name) for u in d.units for _ in u.projects)


# --- where the outputs go -----------------------------------------------------------------------------

def planned(pub: Publication, formats: list[str]) -> list[str]:
    """Every output of ``pub`` in ``formats``, as a path relative to ``--out``."""
    return [f"{fmt}/{pub.name}/{name}" for fmt in formats for name in renderer_class(fmt).files(pub)]


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


# --- a build in which nothing changed -----------------------------------------------------------

def inputs_key(pub: Publication, fmt: str, update_toc: bool = False, digests: dict[str, str | None] | None = None) -> str:
    """What the outputs of ``pub`` in format ``fmt`` are made from: ptgen's version and code (its
    templates and forms), the versions of the libraries that render, ``SOURCE_DATE_EPOCH``, the
    options, and the hash of every content file, layout definition and template of the
    publication.  Equal keys, equal outputs.  ``digests`` (absolute path → hash) are the hashes
    the check already took (:class:`ptgen.cache.CheckCache`)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import cache
    h = hashlib.sha256()

    def add(*parts: object) -> None:
        h.update("\0".join(map(str, parts)).encode("utf-8") + b"\n")
    add("ptgen-build", 1, cache.code_key(), fmt, update_toc, os.environ.get("SOURCE_DATE_EPOCH", ""))
    for lib in ("weasyprint", "pikepdf", "docxtpl", "python-docx", "jinja2", "markdown-it-py"):
        try:
            add(lib, version(lib))
        except PackageNotFoundError:
            add(lib, "-")
    digests = digests or {}

    def file(path: Path) -> None:
        path = Path(path)
        d = digests.get(os.path.abspath(path)) if digests else None
        add(path.relative_to(pub.root).as_posix() if path.is_relative_to(pub.root) else path, d or cache.file_digest(path))
    file(pub.source.path)
    for d in pub.departments:
        file(d.source.path)
        for u in d.units:
            file(u.source.path)
            for p in u.projects:
                file(p.source.path)
    folders = [pub.root / "layouts", BUILTIN_TEMPLATES] + ([pub.root / pub.settings.templates] if pub.settings.templates else [])
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")) if Path(folder).is_dir() else []:
            if p.is_file() and "__pycache__" not in p.parts:
                add(p.relative_to(folder).as_posix(), data_digest(p))
    return h.hexdigest()


def read_inputs(out_dir: Path) -> dict[str, str]:
    """What the outputs in ``out_dir`` were made from (``<format>/<publication>`` → :func:`inputs_key`)."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
        inputs = data.get("inputs", {})
        return {k: v for k, v in inputs.items() if isinstance(k, str) and isinstance(v, str)}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def up_to_date(out_dir: Path, pubs: list[Publication], formats: list[str], keys: dict[str, str]) -> bool:
    """Whether ``out_dir`` already holds every output of ``pubs`` in ``formats``, made from the same
    inputs (``keys``, as :func:`read_inputs`) and still as ptgen wrote them (SHA-256 of the manifest)."""
    recorded = read_inputs(out_dir)
    if not keys or any(recorded.get(k) != v for k, v in keys.items()):
        return False
    manifest = read_manifest(out_dir)
    for pub in pubs:
        for rel in planned(pub, formats):
            path = Path(out_dir) / rel
            try:
                if rel not in manifest or path.is_symlink() or data_digest(path) != manifest[rel]:
                    return False
            except OSError:
                return False
    return True


def existing(out_dir: Path, pub: Publication, formats: list[str]) -> BuildResult:
    """The outputs of an up-to-date build, read from ``out_dir`` (for ``--verify`` and the listing)."""
    pub, _ = printable(pub)
    comps = dict(compilations(pub))
    result = BuildResult(tables=sum(1 for _ in pub.projects()))
    for fmt in formats:
        for name in renderer_class(fmt).files(pub):
            path = Path(out_dir) / fmt / pub.name / name
            comp = comps.get(name.rsplit(".", 1)[0]) or comps[pub.name]
            result.outputs.append(Output(fmt, path, comp, path.read_bytes()))
    return result


def write(out_dir: Path, results: list[tuple[Publication, BuildResult]], formats: list[str],
          inputs: dict[str, str] | None = None, extra: dict[Path, Data] | None = None) -> list[Path]:
    """Write the outputs of one build into ``out_dir`` as one set (:func:`ptgen.output.commit`),
    with the manifest.  Outputs ptgen wrote earlier into the same ``<format>/<publication>/``
    folders that this build no longer makes (a department that was removed) are deleted — only
    if they are still as ptgen wrote them; nothing else is touched.  Returns what was removed."""
    out_dir = Path(out_dir)
    files: dict[Path, Data] = {}
    for _, result in results:
        files.update({o.path: o.data for o in result.outputs})
    files.update(extra or {})  # a part's own files (ptgen.shard)
    check_paths(out_dir, [os.path.relpath(p, out_dir) for p in files])
    made = {Path(os.path.relpath(p, out_dir)).as_posix(): data_digest(data) for p, data in files.items()}
    scopes = tuple(f"{fmt}/{pub.name}/" for pub, _ in results for fmt in formats)
    manifest = read_manifest(out_dir)
    remove = []
    for rel, digest in list(manifest.items()):
        if rel in made or not rel.startswith(scopes):
            continue
        del manifest[rel]
        path = out_dir / rel
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and data_digest(path) == digest:
                remove.append(path)
    manifest.update(made)
    recorded = {k: v for k, v in read_inputs(out_dir).items() if f"{k}/" not in scopes}
    recorded.update(inputs or {})  # what each <format>/<publication> was made from (up_to_date)
    text = json.dumps({"version": 1, "files": dict(sorted(manifest.items())), "inputs": dict(sorted(recorded.items()))},
                      ensure_ascii=False, indent=1)
    files[out_dir / MANIFEST] = text.encode("utf-8")
    try:
        commit(out_dir, files, remove=remove)
    except OSError as exc:
        raise environment_error(exc, out_dir) from exc
    return remove


def build(pub: Publication, out_dir: Path, formats: list[str], update_toc: bool | None = False,
          progress: Callable[[str], None] | None = None, jobs: int | None = None,
          services: dict[str, object] | None = None, write_outputs: bool = True, only: set[str] | None = None,
          given: dict[str, object] | None = None) -> BuildResult:
    """Render ``pub`` into ``out_dir/<format>/<publication>/``; returns what was rendered.

    Every format's renderer (:mod:`ptgen.render.formats`) starts its background work first (the
    PDF's departments render while the DOCX and HTML are made here), then renders.  ``services``
    are the renderers' helpers started earlier (:func:`ptgen.render.formats.services`: the PDF
    render server, started before the content loads); a missing one is started here.  With
    ``write_outputs`` the outputs are written (under ``out_dir``'s lock); without, the caller holds
    the lock and writes them with :func:`write`.  ``only`` and ``given``: a share of the
    publication (:class:`ptgen.render.formats.RenderContext`; ``ptgen build --shard``, ``ptgen assemble``)."""
    start = time.perf_counter()
    formats = check_names(formats)
    check_paths(out_dir, planned(pub, formats))
    pub, dropped = printable(pub)
    result = BuildResult(tables=sum(1 for _ in pub.projects()))
    with contextlib.ExitStack() as stack:
        if write_outputs:
            stack.enter_context(locked(out_dir))
        ctx = RenderContext(Path(out_dir), update_toc, progress, jobs, dict(services or {}),
                            stack.enter_context(contextlib.ExitStack()), only=only, given=dict(given or {}))
        renderers = [renderer_class(name)() for name in formats]
        comps = compilations(pub, any(r.needs_layout for r in renderers))
        for r in renderers:
            r.start(pub, comps, ctx)
        for r in renderers:
            result.outputs += [Output(r.name, Path(out_dir) / r.name / pub.name / f.name, f.compilation, f.data)
                               for f in r.render(pub, comps, ctx)]
        result.warnings += ctx.notes
        result.made = ctx.made
        if dropped:
            result.warnings.append(f"内容里有 {dropped} 个不可见的控制字符，已删除（ptgen check 的 X08 指出了位置）。")
        if write_outputs:
            write(out_dir, [(pub, result)], formats)
    result.seconds = time.perf_counter() - start
    return result
