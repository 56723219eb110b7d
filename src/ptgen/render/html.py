"""Compilation → HTML pages through the Jinja2 templates in ``templates/html/``.

The pages are drawn from the same layout as the Word documents (cells, spans, merges), so the
two cannot disagree.  Autoescaping is on; Markdown fields arrive already parsed into runs by
:mod:`ptgen.render.richtext` (raw HTML disabled), so content can never become markup.

A publication may override any template file (``templates: <folder>`` in ptgen.yaml, files under
``<folder>/html/``), as mkdocs and pelican themes do; the rest come from ptgen.
"""
from __future__ import annotations

import os

from dataclasses import dataclass, field
from decimal import Decimal

import jinja2
import jinja2.sandbox

from ..errors import UserError
from ..model import BudgetTotals, Publication
from .formats import FormatRenderer, RenderContext, Rendered
from .layout import Compilation, Heading, ProjectEntry, cover_lines, money
from .measure import title_phrases


@dataclass
class Totals(BudgetTotals):
    """Sums as the web pages show them."""

    def shown(self, settings) -> dict[str, str]:
        q = Decimal("0.01")
        return {k: money(getattr(self, k).quantize(q), settings) for k in ("total", "fiscal", "other")}


@dataclass
class UnitView:
    heading: Heading
    entries: list[ProjectEntry] = field(default_factory=list)
    totals: dict | None = None


@dataclass
class DepartmentView:
    heading: Heading
    section: str
    file: str = ""
    units: list[UnitView] = field(default_factory=list)
    totals: dict | None = None
    count: int = 0
    raw_total: Decimal = Decimal(0)


def departments(comp: Compilation, pub: Publication) -> list[DepartmentView]:
    """The compilation regrouped department → unit → entries, with totals (for the templates)."""
    views: list[DepartmentView] = []
    entries = iter(comp.entries)  # in the order of the table headings
    sums: dict[int, Totals] = {}
    for block in comp.blocks:
        if not isinstance(block, Heading):
            continue
        if block.level == 1:
            views.append(DepartmentView(block, section=section_label(block, len(views))))
            sums[id(views[-1])] = Totals()
        elif block.level == 2:
            views[-1].units.append(UnitView(block))
            sums[id(views[-1].units[-1])] = Totals()
        else:
            e = next(entries)
            d, u = views[-1], views[-1].units[-1]
            u.entries.append(e)
            sums[id(u)].add(e.project.budget)
            sums[id(d)].add(e.project.budget)
    for d in views:
        for u in d.units:
            u.totals = sums[id(u)].shown(pub.settings)
        d.count = sum(len(u.entries) for u in d.units)
        d.totals = sums[id(d)].shown(pub.settings)
        d.raw_total = sums[id(d)].total
    return views


def section_label(heading: Heading, index: int) -> str:
    """What the PDF footer prints before the page number: the department code (``353``-5), else its number."""
    return heading.code or str(index + 1)


class _ContentSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """The sandbox for a publication's own templates.  Jinja's sandbox still lets a template call
    the public methods of what it is given, and the pages' objects carry their files' paths: a
    ``Path`` (or anything ``os.PathLike``) offers ``read_text``/``write_text``.  So nothing of a
    path is reachable — a template prints a path as text, never opens it."""

    def is_safe_attribute(self, obj, attr, value):
        if isinstance(obj, os.PathLike):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj):
        if isinstance(getattr(obj, "__self__", None), os.PathLike):
            return False
        return super().is_safe_callable(obj)


def environment(pub: Publication) -> jinja2.Environment:
    from .templates import BUILTIN_TEMPLATES
    paths = []
    if pub.settings.templates:
        own = pub.root / pub.settings.templates / "html"
        if own.is_dir():
            paths.append(str(own))
    paths.append(str(BUILTIN_TEMPLATES / "html"))
    # A publication's own templates come with its content (a pull request, in CI), and plain Jinja
    # lets a template reach Python's internals and run commands: then the sandbox.  The shipped
    # templates alone run unsandboxed (the sandbox's checks cost ~1 s per 300 tables).
    kind = _ContentSandbox if len(paths) > 1 else jinja2.Environment
    return kind(loader=jinja2.FileSystemLoader(paths), autoescape=True, undefined=jinja2.StrictUndefined,
                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_template(env: jinja2.Environment, name: str, **ctx) -> str:
    try:
        return env.get_template(name).render(**ctx)
    except jinja2.TemplateNotFound as exc:
        raise UserError(f"找不到网页模板 {exc.name}。") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"网页模板 {exc.filename or exc.name} 第 {exc.lineno} 行有语法错误：{exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise UserError(f"网页模板 {name} 用了不存在的变量：{exc.message}") from exc
    except jinja2.sandbox.SecurityError as exc:
        raise sandbox_refusal(f"网页模板 {name} ", exc) from exc


def sandbox_refusal(template: str, exc: Exception) -> UserError:
    """What to say when a template tried to reach past the sandbox (Python's internals)."""
    import re
    m = re.search(r"attribute '([^']+)'", str(exc))
    return UserError(f"{template}试图访问 Python 的内部属性{f'（{m.group(1)}）' if m else ''}，模板里不允许，已拒绝。",
                     hint="模板只能使用 ptgen 提供的变量和 Jinja 的过滤器（见 README 的“Templates”一节）。")


def base_context(pub: Publication, mode: str) -> dict:
    from .docx import source_date
    s = pub.settings
    return {"mode": mode, "pdf_font": s.pdf_font, "author": s.region, "date": source_date().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "money_unit": s.money_unit, "year": s.year, "region": s.region, "cover": cover(s)}


def cover(s) -> dict:
    """The title as the covers print it — ``lines`` of phrases for the PDF; on screen the
    publication's own lines, else one line the browser breaks between phrases — and the cover's
    issuer and date ("" when not given)."""
    lines = cover_lines(s)
    return {"lines": lines, "screen": lines if s.title_lines else [title_phrases(s.title)],
            "issuer": s.issuer or "", "date": s.date or ""}


def chart(views: list[DepartmentView], pub: Publication) -> dict:
    """A horizontal bar per department, as numbers for the SVG in index.html."""
    top = max((d.raw_total for d in views), default=Decimal(0)) or Decimal(1)
    label_width, bar_space = 300, 360
    bars = [{"label": d.heading.text, "value": d.totals["total"], "y": 26 * i,
             "width": int(bar_space * d.raw_total / top)} for i, d in enumerate(views)]
    return {"bars": bars, "label_width": label_width, "width": label_width + bar_space + 120,
            "height": 26 * max(len(bars), 1) + 4}


SHARED_FROM_TABLES = 300  # pages of fewer tables are drawn here alone: a helper would cost more than it saves


def render_html(pub: Publication, comps: list[tuple[str, Compilation]], only: set[str] | None = None,
                jobs: int | None = None) -> list[Rendered]:
    """Every page: one per department, the whole book, and index.html (which shows the whole book);
    with ``only``, the departments named and (if the publication's name is in it) the book and index.
    The pages are drawn on two cores when there are many tables (:mod:`ptgen.parallel`: the whole
    book, as many tables as all departments together, is about one share)."""
    from .. import parallel
    env = environment(pub)
    wanted = [(stem, comp) for stem, comp in comps if only is None or stem in only]
    drawn = parallel.shared_map(lambda c: compilation_page(env, pub, c[1]).encode("utf-8"), wanted,
                                (len(comp.entries) for _, comp in wanted), min_weight=SHARED_FROM_TABLES, jobs=jobs)
    pages = [Rendered(f"{stem}.html", data, comp) for (stem, comp), data in zip(wanted, drawn)]
    if only is None or pub.name in only:
        pages.append(Rendered("index.html", index_page(env, pub, comps).encode("utf-8"), comps[-1][1]))
    return pages


def compilation_page(env: jinja2.Environment, pub: Publication, comp: Compilation) -> str:
    """The web page of one compilation (a department, or the whole book)."""
    return render_template(env, "compilation.html", **base_context(pub, "screen"), title=comp.title,
                           subtitle=comp.subtitle, departments=departments(comp, pub),
                           page_title=f"{comp.subtitle + ' · ' if comp.subtitle else ''}{comp.title}")


def index_page(env: jinja2.Environment, pub: Publication, comps: list[tuple[str, Compilation]]) -> str:
    """index.html: the files, the totals and the chart, from the whole book (the last of ``comps``)."""
    s = pub.settings
    files = {}
    for stem, comp in comps[:-1]:
        views = departments(comp, pub)
        if len(views) == 1 and stem != pub.name:
            files[views[0].heading.anchor] = f"{stem}.html"
    whole_name = f"{comps[-1][0]}.html"
    whole_views = departments(comps[-1][1], pub)
    for d in whole_views:
        d.file = href(files.get(d.heading.anchor, whole_name))
    grand = Totals()
    for _, _, doc in pub.projects():
        grand.add(doc.project.budget)
    return render_template(env, "index.html", **base_context(pub, "screen"), title=s.title, page_title=s.title,
                           departments=whole_views, whole_file=href(whole_name), tables=sum(d.count for d in whole_views),
                           totals=grand.shown(s), chart=chart(whole_views, pub))


def href(name: str) -> str:
    """A file name as a relative link: ASCII that means something in a URL (``#``, ``?``, ``%``, ``:``,
    spaces …) percent-encoded, Chinese left readable."""
    from urllib.parse import quote
    return "".join(c if ord(c) > 127 else quote(c, safe="") for c in name)


def body_html(pub: Publication, comp: Compilation, views: list[DepartmentView], front: dict | None = None) -> str:
    """The PDF document of ``views`` (print styles): ``front`` (title, subtitle, toc) first, if given."""
    env = environment(pub)
    return render_template(env, "compilation.html", **base_context(pub, "pdf-body"), title=comp.title,
                           subtitle=comp.subtitle, departments=views, page_title=comp.title, front=front)


def front_html(pub: Publication, comp: Compilation, toc: list[dict]) -> str:
    """The whole book's PDF cover and contents (``front.html``)."""
    env = environment(pub)
    return render_template(env, "front.html", **base_context(pub, "pdf-front"), page_title=comp.title,
                           front={"title": comp.title, "subtitle": comp.subtitle, "toc": toc})


class HtmlRenderer(FormatRenderer):
    """One page per compilation, and ``index.html``."""

    name = "html"

    @classmethod
    def files(cls, pub: Publication) -> list[str]:
        return super().files(pub) + ["index.html"]

    @classmethod
    def steps(cls, pub: Publication) -> int:
        return 1

    def render(self, pub, comps, ctx: RenderContext) -> list[Rendered]:
        pages = render_html(pub, comps, ctx.only, ctx.jobs)
        ctx.step("html")
        return pages
