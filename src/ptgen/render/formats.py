"""The output formats: one renderer per format, registered under the format's name.

Every renderer has the same interface (:class:`FormatRenderer`): the file names it writes into
``<format>/<publication>/`` (known before anything is rendered, so the paths are checked first),
the progress steps it reports, ``start`` (work that runs in the background while the other formats
render: the PDF's departments) and ``render`` (the files, as :class:`Rendered`).  A format that
needs a helper running before the content is even loaded (the PDF render server imports WeasyPrint
meanwhile) says so in ``service``; the build starts it (:func:`services`).

A new format is one module with a :class:`FormatRenderer` subclass and one line in
:data:`REGISTRY`.  The modules are imported when a build uses them, so ``ptgen check`` does not
pay for docxtpl or WeasyPrint.
"""
from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar, ContextManager, NamedTuple

from ..errors import UsageError

if TYPE_CHECKING:
    from ..model import Publication
    from ..output import Data
    from .layout import Compilation

# Format name → "module:class" of its renderer, in the order a build makes (and lists) them.
REGISTRY: dict[str, str] = {
    "docx": "ptgen.render.docx:DocxRenderer",
    "html": "ptgen.render.html:HtmlRenderer",
    "pdf": "ptgen.render.pdf:PdfRenderer",
    "xlsx": "ptgen.render.xlsx:XlsxRenderer",
    "csv": "ptgen.render.csvpackage:CsvRenderer",
}


def register(name: str, target: str) -> None:
    """Register the renderer ``target`` ("module:class") as format ``name``."""
    REGISTRY[name] = target


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def default_jobs() -> int:
    from ..parallel import cores
    return min(2, cores())


class Rendered(NamedTuple):
    """One rendered file: its name in ``<format>/<publication>/``, its bytes (or a file ptgen wrote
    that holds them: :data:`ptgen.output.Data`), and the compilation it shows."""
    name: str
    data: "Data"
    compilation: "Compilation"


@dataclass
class RenderContext:
    """What a renderer gets besides the publication: where the build writes (for caches), the
    options, the progress callback, and the services started for the build (by format name)."""
    out_dir: Path
    update_toc: bool | None = False  # None: the DOCX contents get page numbers if LibreOffice is installed
    progress: Callable[[str], None] | None = None
    jobs: int | None = None
    services: dict[str, object] = field(default_factory=dict)
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)  # closed when the build ends
    notes: list[str] = field(default_factory=list)  # what the build says about the outputs (one line each)
    # A share of the publication (``ptgen build --shard``, ``ptgen assemble``): the file stems to
    # make — department folders, and the publication's name for the whole book (with the HTML
    # index).  None: every file.
    only: set[str] | None = None
    made: dict[str, object] = field(default_factory=dict)  # by format: what else it made (the PDF's department documents)
    given: dict[str, object] = field(default_factory=dict)  # by format: what the parts made already (assemble)

    def wanted(self, stem: str) -> bool:
        return self.only is None or stem in self.only

    def step(self, name: str) -> None:
        if self.progress:
            self.progress(name)


class FormatRenderer:
    """The renderer of one format, made for one publication's build."""

    name: ClassVar[str]
    # Whether ``render`` draws the laid-out tables (``Compilation.entries``); a format of the data
    # alone (xlsx, csv) gets the compilations' names only, and a build of only such formats skips
    # the layout pass.
    needs_layout: ClassVar[bool] = True

    @classmethod
    def service(cls, jobs: int) -> ContextManager | None:
        """A helper to start before the content loads (an object with ``close(abort=...)``), or None."""
        return None

    @classmethod
    def files(cls, pub: "Publication") -> list[str]:
        """The file names this format writes for ``pub``: one per department, then the whole publication."""
        return [f"{stem}.{cls.name}" for stem in [d.folder for d in pub.departments] + [pub.name]]

    @classmethod
    def steps(cls, pub: "Publication") -> int:
        """How many times ``render`` (and ``start``) call the progress callback for ``pub``."""
        return len(pub.departments) + 1

    def start(self, pub: "Publication", comps: list[tuple[str, "Compilation"]], ctx: RenderContext) -> None:
        """Begin what renders in the background (called for every format before any ``render``)."""

    def render(self, pub: "Publication", comps: list[tuple[str, "Compilation"]], ctx: RenderContext) -> list[Rendered]:
        raise NotImplementedError


def renderer_class(name: str) -> type[FormatRenderer]:
    module, _, attr = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def check_names(formats: list[str]) -> list[str]:
    """``formats`` in the order of the registry; an unknown (or no) format is a usage mistake."""
    bad = [f for f in formats if f not in REGISTRY]
    if bad or not formats:
        raise UsageError(f"不支持的格式 {', '.join(bad) or '（空）'}；可选 {'、'.join(REGISTRY)}。")
    return [f for f in REGISTRY if f in formats]


def services(formats: list[str], stack: contextlib.ExitStack, jobs: int | None = None) -> dict[str, object]:
    """Start the services of ``formats`` (closed with ``stack``); by format name."""
    started = {}
    for name in formats:
        service = renderer_class(name).service(jobs or default_jobs())
        if service is not None:
            started[name] = stack.enter_context(service)
    return started


def abort(started: dict[str, object]) -> None:
    """Stop the services now, without waiting for their work (a build failed or was interrupted)."""
    for service in started.values():
        service.close(abort=True)
