"""``ptgen serve``: the HTML publication in the browser, updated when a file is saved.

:class:`Preview` holds one publication in memory — loaded and checked once at start, laid out per
department (:func:`ptgen.render.layout.compile_department`) — and renders a page only when it is
asked for and a change touched it since.  A saved project file is read again alone, checked alone
(the publication-wide rules run again), and only its department is laid out again; its
department's page, the whole book and the index are drawn again when next asked for.  Anything
else (``ptgen.yaml``, ``department.yaml``, ``unit.yaml``, the publication's ``layouts/``, the
templates) loads the publication again.  A file that cannot be read keeps the last good version
of what it held on the page, with its error shown; nothing in the content stops the server.

The server (:func:`serve`) is Starlette on uvicorn; :mod:`watchfiles` watches the files; the
pages hear of changes through server-sent events (``/__ptgen/events``) and reload themselves.
It answers only for the pages it made (looked up by exact name, never as a path on disk), the
events and each department's PDF: nothing else, no folder listings.
"""
from __future__ import annotations

import asyncio
import hashlib
import html as htmlmod
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import lint
from .errors import UsageError, UserError
from .load import META_FILES, find_publications, load, load_file
from .model import Project, ProjectDoc, Publication
from .render.layout import Compilation, compile_department, numbers, printable, whole_book
from .report import Issue, Report, Severity, locate

PREFIX = "/__ptgen/"
ALL = "*"  # every page changed (the overlay of errors is on every page)
TEMPLATE_SUFFIXES = {".html", ".css", ".docx"}
MAX_SHOWN = 200  # findings listed in one list (the count says how many there are)
READ_CODES = {"Y001", "Y002", "Y007", "Y008", "Y009"}  # a file that could not be read as YAML (yamlio)


@dataclass
class Change:
    """What one batch of saved files changed: the version it made and the pages to reload."""
    version: int
    pages: set[str] | str = field(default_factory=set)
    seconds: float = 0.0


class Preview:
    """One publication for ``ptgen serve``; every method is safe to call from several threads."""

    def __init__(self, root: Path, builtin_templates: Path | None = None):
        from .render.templates import BUILTIN_TEMPLATES
        self.root = Path(root)
        self.builtin_templates = builtin_templates or BUILTIN_TEMPLATES
        self.lock = threading.RLock()
        self.version = 0
        self.changed_at: dict[str, int] = {}  # page → version of its last change
        self.all_changed_at = 0
        self.pub: Publication | None = None
        self.fatal: list[Issue] = []  # the publication itself could not be loaded again (last good one kept)
        self.file_issues: dict[str, list[Issue]] = {}  # reading problems (F, Y), by file
        self.lint_issues: dict[str, list[Issue]] = {}  # project rules, by file
        self.pub_issues: list[Issue] = []  # publication rules
        self.folders: set[str] = set()  # the departments' and units' folders (resolved)
        self._reload()

    # -- the content ------------------------------------------------------------------------------

    def _reload(self) -> None:
        """Load, check and lay out the whole publication again (at start, and after a change of
        anything but one project file)."""
        pub, report = load(self.root)
        issues = locate(report.issues, self.root.parent)
        unreadable = [i for i in issues if i.code in READ_CODES and (Path(i.file).name in META_FILES or "/layouts/" in i.file)]
        if pub is None or (unreadable and self.pub is not None):
            # ptgen.yaml, a department's or unit's file or the layout unreadable: keep showing the
            # last good publication (a structure file that does not parse would empty its pages)
            self.fatal = issues
            return
        self.fatal = []
        self.pub = pub
        self.file_issues = _by_file(issues)
        self.lint_issues = _by_file(locate(lint.run(pub, scope="project").issues, self.root.parent))
        self.pub_issues = locate(lint.run(pub, scope="publication").issues, self.root.parent)
        self.nums = numbers(pub)
        self.parts = [self._compile(di) for di in range(len(pub.departments))]
        self.where = {str(Path(doc.source.path).resolve()): (di, ui, pi)
                      for di, d in enumerate(pub.departments) for ui, u in enumerate(d.units)
                      for pi, doc in enumerate(u.projects)}
        self.folders = {str((self.root / d.folder / u).resolve())
                        for d in pub.departments for u in ["", *(x.folder for x in d.units)]}
        self.env = None
        self.pages: dict[str, bytes] = {}

    def render_all(self) -> None:
        """Draw every page now (``serve`` does at start; later, each is drawn again when asked for)."""
        for name in self.names():
            self.page(name)

    def _compile(self, di: int) -> Compilation:
        """Department ``di`` laid out, without invisible control characters (as ``build`` prints it)."""
        pub = self.pub
        d = pub.departments[di]
        clean, _ = printable(Publication(pub.root, pub.settings, pub.source, [d]))
        cd = clean.departments[0]
        nums = {id(c): self.nums[id(o)] for ou, cu in zip(d.units, cd.units) for o, c in zip(ou.projects, cu.projects)}
        return compile_department(clean, di + 1, cd, nums)

    def _project_saved(self, path: str) -> set[str]:
        """Read one project file again; the pages it changes."""
        di, ui, pi = self.where[path]
        pub = self.pub
        d = pub.departments[di]
        u = d.units[ui]
        old = u.projects[pi]
        report = Report()
        project, source = load_file(Path(old.source.path), Project, self.root, report, pub.settings._layout)
        rel = old.source.rel
        before = self._findings_key()
        self.file_issues[rel] = locate(report.issues, self.root.parent)
        if project is None:  # the last good table stays; the error shows where it is
            self.file_issues = {k: v for k, v in self.file_issues.items() if v}
            return {self.page_of(di)} | ({ALL} if self._findings_key() != before else set())
        doc = ProjectDoc(project, source)
        u.projects[pi] = doc
        self.nums[id(doc)] = self.nums.pop(id(old))
        self.lint_issues[rel] = locate(lint.run(pub, scope="project", docs=[doc]).issues, self.root.parent)
        self.pub_issues = locate(lint.run(pub, scope="publication").issues, self.root.parent)
        self.file_issues = {k: v for k, v in self.file_issues.items() if v}
        self.lint_issues = {k: v for k, v in self.lint_issues.items() if v}
        k = sum(len(x.projects) for x in d.units[:ui]) + pi  # the table's place in its department
        old_entry = self.parts[di].entries[k]
        self.parts[di] = self._compile(di)
        changed = {self.page_of(di), self.whole_page}
        if not self._splice(old_entry, self.parts[di].entries[k], old.project.budget == project.budget, changed):
            changed.add("index.html")  # its contents or totals
            for name in changed:
                self.pages.pop(name, None)
        return changed | ({ALL} if self._findings_key() != before else set())

    def _splice(self, old, new, same_money: bool, names: set[str]) -> bool:
        """Draw only the table that changed and put it in place of the old one in the pages
        ``names`` (those not drawn yet wait to be asked for).  Only when nothing else on them
        changes — the heading (contents) and the money (totals) are the same — and the pages come
        from ptgen's own templates, where the table is the ``entry`` macro's output; False when
        the pages must be drawn again."""
        if not same_money or old.heading != new.heading or self.pub.settings.templates:
            return False
        from .render.html import base_context, environment
        if self.env is None:
            self.env = environment(self.pub)
        macros = self.env.get_template("macros.html").make_module(vars=base_context(self.pub, "screen"))
        before, after = str(macros.entry(old)), str(macros.entry(new))
        for name in names:
            body = self.pages.get(name)
            if body is None:
                continue
            text = body.decode("utf-8")
            if text.count(before) != 1:  # not drawn as expected: draw the page again
                self.pages.pop(name)
                continue
            self.pages[name] = text.replace(before, after).encode("utf-8")
        return True

    def apply(self, paths: list[str]) -> Change:
        """Take in the files saved (absolute paths); the pages to reload."""
        start = time.perf_counter()
        with self.lock:
            real = [str(Path(p).resolve()) for p in paths]
            changed: set[str] = set()
            if self.pub is not None and self.fatal == [] and all(p in self.where and Path(p).is_file() for p in real):
                for p in dict.fromkeys(real):
                    changed |= self._project_saved(p)
            else:
                self._reload()
                changed = {ALL}
            self.version += 1
            if ALL in changed:
                self.all_changed_at = self.version
            for name in changed:
                self.changed_at[name] = self.version
            return Change(self.version, ALL if ALL in changed else changed, time.perf_counter() - start)

    def relevant(self, path: str) -> bool:
        """Whether a change of ``path`` can change the preview (not an editor's swap file)."""
        p = Path(path)
        if p.suffix in (".yaml", ".yml"):
            return True
        try:
            p.resolve().relative_to(self.builtin_templates.resolve())
            return p.suffix in TEMPLATE_SUFFIXES
        except ValueError:
            pass
        pub = self.pub
        if pub is not None and pub.settings.templates:
            try:
                p.resolve().relative_to((self.root / pub.settings.templates).resolve())
                return p.suffix in TEMPLATE_SUFFIXES
            except ValueError:
                pass
        # a folder added, removed or renamed (a department or unit)
        return p.is_dir() or str(p.resolve()) in self.folders

    def watched(self) -> list[Path]:
        """What to watch: the publication (its content, layouts/ and own templates) and ptgen's templates."""
        return [self.root, self.builtin_templates / "html"]

    # -- the pages --------------------------------------------------------------------------------

    @property
    def whole_page(self) -> str:
        return f"{self.pub.name}.html"

    def page_of(self, di: int) -> str:
        return f"{self.pub.departments[di].folder}.html"

    def names(self) -> list[str]:
        with self.lock:
            if self.pub is None:
                return ["index.html"]
            return [f"{p.slug}.html" for p in self.parts] + [self.whole_page, "index.html"]

    def page(self, name: str) -> tuple[bytes, int] | None:
        """Page ``name`` as the browser gets it (with the findings, the overlay and the reload
        script), and the version it shows; None when there is no such page."""
        with self.lock:
            if self.pub is None:
                if name != "index.html":
                    return None
                return _inject(_EMPTY, self._panel(None), self._overlay(), name, self.version, []), self.version
            if name not in self.names():
                return None
            body = self.pages.get(name)
            if body is None:
                body = self.pages[name] = self._render(name)
            di = next((k for k, p in enumerate(self.parts) if f"{p.slug}.html" == name), None)
            pdfs = [(f"{p.slug}.pdf", p.subtitle) for p in self.parts] if di is None else \
                [(f"{self.parts[di].slug}.pdf", self.parts[di].subtitle)]
            return _inject(body, self._panel(di), self._overlay(), name, self.version, pdfs,
                           self._entries(di)), self.version

    def _render(self, name: str) -> bytes:
        from .render.html import compilation_page, environment, index_page
        if self.env is None:
            self.env = environment(self.pub)
        comps = [(p.slug, p) for p in self.parts]
        comps.append((self.pub.name, whole_book(self.pub, self.parts)))
        try:
            if name == "index.html":
                return index_page(self.env, self.pub, comps).encode("utf-8")
            comp = next(c for stem, c in comps if f"{stem}.html" == name)
            return compilation_page(self.env, self.pub, comp).encode("utf-8")
        except UserError as exc:  # a template of the publication's own that does not render
            self.env = None
            return _EMPTY.replace(b"</body>", f"<pre class=\"ptgen-template-error\">{htmlmod.escape(exc.message)}</pre>"
                                  "</body>".encode("utf-8"))

    def issues(self) -> list[Issue]:
        """Every finding shown now, sorted as ``check`` sorts them."""
        with self.lock:
            found = [*self.fatal, *(i for v in self.file_issues.values() for i in v),
                     *(i for v in self.lint_issues.values() for i in v), *self.pub_issues]
            return sorted(dict.fromkeys(found), key=lambda i: (i.file, i.line, i.column, i.code))

    def _findings_key(self) -> tuple:
        """The errors (the overlay on every page shows them; other findings only on their department's page)."""
        return tuple((i.file, i.line, i.column, i.code, i.message) for i in self._overlay())

    def _panel(self, di: int | None) -> list[Issue]:
        """The findings a page lists (errors and warnings, as ``check`` lists them without
        ``--verbose``): a department's page, those in its files; other pages, all."""
        found = [i for i in self.issues() if i.severity is not Severity.INFO]
        if di is None or self.pub is None:
            return found
        prefix = f"{self.pub.name}/{self.pub.departments[di].folder}/"
        return [i for i in found if i.file.startswith(prefix)]

    def _entries(self, di: int | None) -> dict[str, list[Issue]]:
        """Each table's findings (by its anchor, the bookmark): shown above it on its department's page."""
        if di is None:
            return {}
        by_file: dict[str, list[Issue]] = {}
        for i in self._panel(di):
            by_file.setdefault(i.file, []).append(i)
        return {doc.project.bookmark: by_file[doc.source.rel]
                for u in self.pub.departments[di].units for doc in u.projects if doc.source.rel in by_file}

    def _overlay(self) -> list[Issue]:
        return [i for i in self.issues() if i.severity is Severity.ERROR]

    def department_pdf(self, name: str, server, cache_dir: Path) -> bytes | None:
        """The PDF of the department whose file is ``name`` (``353.pdf``), rendered on demand with
        ``build``'s cache; None when there is no such department."""
        from .render.pdf import department_pdf
        with self.lock:
            if self.pub is None:
                return None
            part = next((p for p in self.parts if f"{p.slug}.pdf" == name), None)
            pub = self.pub
        if part is None:
            return None
        return department_pdf(pub, part, cache_dir / ".cache" / "pdf" / pub.name, server)


def _by_file(issues: list[Issue]) -> dict[str, list[Issue]]:
    out: dict[str, list[Issue]] = {}
    for i in issues:
        out.setdefault(i.file, []).append(i)
    return out


_EMPTY = ("<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\" />\n<title>ptgen 预览</title>\n</head>\n"
          "<body>\n<p>出版物无法读取，见下面的错误。</p>\n</body>\n</html>\n").encode("utf-8")

_STYLE = """
#ptgen-bar{position:sticky;top:0;z-index:1000;background:#1f2937;color:#fff;font:14px/1.5 sans-serif;padding:.4em .8em;
 display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center}
#ptgen-bar a{color:#fde68a}
#ptgen-findings{font:14px/1.5 sans-serif;margin:.5em;border:1px solid #d1d5db;padding:.3em .8em;background:#f9fafb}
#ptgen-findings summary{cursor:pointer;font-weight:bold}
.ptgen-entry-findings{font:14px/1.5 sans-serif;border-left:4px solid #b91c1c;background:#fef2f2;padding:.2em .8em;margin:.5em 0}
.ptgen-entry-findings.warning{border-color:#d97706;background:#fffbeb}
#ptgen-findings li.error,.ptgen-entry-findings li.error{color:#b91c1c}
#ptgen-findings li.warning,.ptgen-entry-findings li.warning{color:#92400e}
#ptgen-findings code,#ptgen-overlay code{font-weight:bold}
#ptgen-overlay{position:fixed;inset:0;z-index:1001;background:rgba(17,24,39,.82);color:#fff;font:15px/1.6 sans-serif;
 overflow:auto;padding:2em}
#ptgen-overlay .box{max-width:60em;margin:auto;background:#7f1d1d;padding:1em 1.5em;border-radius:6px}
#ptgen-overlay button{float:right;font-size:15px}
#ptgen-overlay .file{color:#fde68a}
"""

_SCRIPT = """
(function () {
  var page = %s, version = %d;
  var overlay = document.getElementById("ptgen-overlay");
  if (overlay) {  // closed, it stays closed on every page until the errors change
    var key = "ptgen-overlay-closed", errors = overlay.getAttribute("data-errors");
    if (sessionStorage.getItem(key) === errors) overlay.hidden = true;
    document.getElementById("ptgen-overlay-close").onclick = function () {
      overlay.hidden = true;
      sessionStorage.setItem(key, errors);
    };
  }
  var source = new EventSource("%sevents?page=" + encodeURIComponent(page) + "&v=" + version);
  source.onmessage = function (e) {
    var m = JSON.parse(e.data);
    if (m.version > version && (m.pages === "*" || m.pages.indexOf(page) >= 0)) { source.close(); location.reload(); }
  };
})();
"""


def _items(issues: list[Issue]) -> str:
    rows = []
    for i in issues[:MAX_SHOWN]:
        rows.append(f'<li class="{i.severity.value}"><span class="file">{htmlmod.escape(i.file)}:{i.line}:{i.column}</span> '
                    f'<code>{htmlmod.escape(i.code)}</code> {i.severity.label}：{htmlmod.escape(i.message)}</li>')
    more = f"<li>……另有 {len(issues) - MAX_SHOWN} 条（ptgen check 列出全部）</li>" if len(issues) > MAX_SHOWN else ""
    return "<ul>" + "".join(rows) + more + "</ul>"


def _inject(page: bytes, findings: list[Issue], errors: list[Issue], name: str, version: int,
            pdfs: list[tuple[str, str]], entries: dict[str, list[Issue]] | None = None) -> bytes:
    """``page`` with the preview's bar (PDF links, findings) at the top, each table's findings
    above it (``entries``, by anchor), the overlay of errors and the script that reloads it when
    it changes."""
    from .render.html import href
    links = " ".join(f'<a class="ptgen-pdf" href="{PREFIX}pdf/{href(f)}">PDF：{htmlmod.escape(t or f)}</a>'
                     for f, t in pdfs)
    counts = f"{len(errors)} 个错误" if errors else "没有错误"
    bar = (f'<style>{_STYLE}</style><div id="ptgen-bar" data-version="{version}"><strong>ptgen 预览</strong>'
           f'<span>保存文件后自动刷新 · {counts}</span><a href="/">首页</a>{links}</div>')
    if findings:
        n_errors = sum(i.severity is Severity.ERROR for i in findings)
        bar += (f'<details id="ptgen-findings"{" open" if len(findings) <= 8 else ""}><summary>本页的检查结果：'
                f"{n_errors} 个错误，{len(findings) - n_errors} 个警告</summary>{_items(findings)}</details>")
    tail = ""
    if errors:
        digest = hashlib.sha256(json.dumps([(i.file, i.line, i.column, i.code, i.message) for i in errors],
                                           ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
        tail += (f'<div id="ptgen-overlay" role="alertdialog" aria-label="内容有错误" data-errors="{digest}"><div class="box">'
                 f'<button id="ptgen-overlay-close" type="button">关闭</button>'
                 f"<h2>内容有 {len(errors)} 个错误</h2>{_items(errors)}"
                 "<p>改正后保存文件，页面会自动刷新；无法读取的文件显示的是它上一次的正确内容。</p></div></div>")
    tail += f"<script>{_SCRIPT % (json.dumps(name), version, PREFIX)}</script>"
    text = page.decode("utf-8")
    for anchor, issues in (entries or {}).items():
        tag = f'<section class="pt-entry" id="{htmlmod.escape(anchor)}"'  # as macros.html writes a table
        start = text.find(tag)
        if start >= 0:
            close = text.find(">", start) + 1
            kind = "error" if any(i.severity is Severity.ERROR for i in issues) else "warning"
            text = text[:close] + f'<aside class="ptgen-entry-findings {kind}" role="note">{_items(issues)}</aside>' + text[close:]
    at = text.find(">", text.find("<body")) + 1
    end = text.rfind("</body>")
    text = text[:at] + "\n" + bar + text[at:end] + tail + text[end:]
    return text.encode("utf-8")


# -- the server ------------------------------------------------------------------------------------

def publication_root(path: Path) -> Path:
    """The one publication at or below ``path`` that ``serve`` shows."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"找不到文件夹 {path}。")
    roots = find_publications(path)
    if not roots:
        raise UserError(f"{path} 里没有出版物（找不到 ptgen.yaml）。",
                        hint="出版物文件夹要有 ptgen.yaml；可以先用 ptgen import 从已发布的表格生成。")
    if len(roots) > 1:
        raise UsageError(f"{path} 里有 {len(roots)} 个出版物，serve 一次只预览一个。",
                         hint="指定其中一个，例如 ptgen serve " + " 或 ".join(str(r) for r in roots[:3]) + "。")
    return roots[0]


LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def app(preview: Preview, out_dir: Path, pdf_server=None, host: str = "127.0.0.1"):
    """The Starlette application: the pages, the events, the PDFs; nothing else.  On a loopback
    address it answers only requests addressed to this machine by name (the ``Host`` header), so
    that a web page elsewhere cannot read the content through a name that points here (DNS
    rebinding)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    listeners: set[asyncio.Queue] = set()
    pdf_lock = threading.Lock()

    def refused() -> Response:
        return PlainTextResponse("没有这个页面。ptgen serve 只提供它生成的网页。", status_code=404)

    async def page(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("只支持 GET。", status_code=405)
        path = request.scope["path"]
        name = "index.html" if path == "/" else path[1:]
        if "/" in name or "\\" in name or "\0" in name:
            return refused()
        got = await run_in_threadpool(preview.page, name)
        if got is None:
            return refused()
        return HTMLResponse(got[0], headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        queue: asyncio.Queue = asyncio.Queue()
        name = request.query_params.get("page", "")
        try:
            seen = int(request.query_params.get("v", "0"))
        except ValueError:
            seen = 0
        last = max(preview.changed_at.get(name, 0), preview.all_changed_at)
        if last > seen:  # it changed between the page and this request
            queue.put_nowait({"version": last, "pages": ALL})
        listeners.add(queue)

        async def stream():
            try:
                yield "retry: 500\n\n"
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), 15)
                    except asyncio.TimeoutError:
                        yield ": \n\n"  # keeps the connection open through proxies
                        continue
                    if message is None:
                        return
                    yield f"data: {json.dumps(message, ensure_ascii=False)}\n\n"
            finally:
                listeners.discard(queue)
        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def pdf(request: Request) -> Response:
        name = request.path_params["name"]
        if pdf_server is None or "/" in name:
            return refused()

        def render() -> bytes | None:
            with pdf_lock:
                return preview.department_pdf(name, pdf_server, out_dir)
        try:
            data = await run_in_threadpool(render)
        except UserError as exc:
            text = exc.message + (f"\n提示：{exc.hint}" if exc.hint else "")
            return PlainTextResponse(text, status_code=500)
        if data is None:
            return refused()
        return Response(data, media_type="application/pdf", headers={"Cache-Control": "no-store"})

    async def anything(request: Request) -> Response:
        return refused()

    routes = [Route(PREFIX + "events", events), Route(PREFIX + "pdf/{name}", pdf),
              Route(PREFIX + "{rest:path}", anything), Route("/{rest:path}", page, methods=["GET", "HEAD"])]
    loopback = host in LOOPBACK_HOSTS or host.startswith("127.")
    allowed = [*LOOPBACK_HOSTS, host] if loopback else ["*"]
    application = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed)])

    def broadcast(change: Change) -> None:
        message = {"version": change.version, "pages": change.pages if change.pages == ALL else sorted(change.pages)}
        for q in list(listeners):
            q.put_nowait(message)

    def close() -> None:
        for q in list(listeners):
            q.put_nowait(None)
    application.state.broadcast = broadcast
    application.state.close = close
    return application


def watch(preview: Preview, stop: threading.Event, on_change: Callable[[Change], None]) -> None:
    """Watch the publication and the templates until ``stop``; each batch of saved files goes to
    ``preview`` and what it changed to ``on_change``."""
    import watchfiles
    for changes in watchfiles.watch(*preview.watched(), stop_event=stop, debounce=400, step=30,
                                    watch_filter=watchfiles.DefaultFilter(), raise_interrupt=False):
        try:
            paths = sorted({p for _, p in changes if preview.relevant(p)})
            if paths:
                on_change(preview.apply(paths))
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the preview; say it
            print(f"ptgen 内部错误：{type(exc).__name__}: {exc}", file=sys.stderr)


def loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer alone (127.0.0.1, ::1, localhost)."""
    import ipaddress
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind_error(exc: OSError, host: str, port: int) -> UserError:
    """Why the preview cannot listen on ``host:port``, in Chinese (the system's own words are English)."""
    import errno
    import socket
    if isinstance(exc, socket.gaierror):
        return UserError(f"无法在 {host}:{port} 上提供预览：找不到地址 {host}。",
                         hint="--host 要写本机的地址，例如 127.0.0.1（默认，只有本机能访问）。")
    if exc.errno == errno.EADDRINUSE:
        return UserError(f"无法在 {host}:{port} 上提供预览：端口 {port} 已被占用。",
                         hint="换一个，例如 --port 8001（--port 0 由系统选一个空闲端口）。")
    if exc.errno == errno.EADDRNOTAVAIL:
        return UserError(f"无法在 {host}:{port} 上提供预览：{host} 不是本机的地址。",
                         hint="--host 要写本机的地址，例如 127.0.0.1（默认，只有本机能访问）。")
    if exc.errno == errno.EACCES:
        return UserError(f"无法在 {host}:{port} 上提供预览：没有权限使用端口 {port}（1024 以下的端口要管理员权限）。",
                         hint="换一个，例如 --port 8001（--port 0 由系统选一个空闲端口）。")
    return UserError(f"无法在 {host}:{port} 上提供预览：操作系统报错（{errno.errorcode.get(exc.errno, exc.errno)}）。",
                     hint="换一个端口，例如 --port 8001，或用默认的 --host 127.0.0.1。")


def serve(path: Path, host: str = "127.0.0.1", port: int = 8000, out_dir: Path = Path("build"),
          on_ready: Callable[[str], None] | None = None, on_change: Callable[[Change], None] | None = None) -> None:
    """Serve the publication at ``path`` until interrupted: pages, live reload, department PDFs.
    ``on_ready`` hears the address, ``on_change`` each change taken in."""
    import contextlib
    import socket

    import uvicorn

    from .render.pdf import renderer
    from .api import _out_outside_publications
    root = publication_root(path)
    _out_outside_publications(root, out_dir)  # the PDF cache inside the content would be content
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} 不是端口：要写 0 到 65535 之间的整数（0 由系统选一个空闲端口）。")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _bind_error(exc, host, port) from None
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        # The PDF render server forks: start it before any thread (as build does).
        server_pdf = stack.enter_context(renderer(1))
        preview = Preview(root)
        preview.render_all()
        application = app(preview, Path(out_dir), server_pdf, host)
        config = uvicorn.Config(application, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
        loop_holder: dict = {}

        class Server(uvicorn.Server):
            def handle_exit(self, sig, frame) -> None:
                # The pages' event streams never end by themselves: end them, so that the
                # server's graceful shutdown has nothing to cancel.
                loop = loop_holder.get("loop")
                if loop is not None:
                    loop.call_soon_threadsafe(application.state.close)
                super().handle_exit(sig, frame)
        server = Server(config)
        stop = threading.Event()

        def changed(change: Change) -> None:
            loop = loop_holder.get("loop")
            if loop is not None:
                loop.call_soon_threadsafe(application.state.broadcast, change)
            if on_change:
                on_change(change)

        async def main() -> None:
            loop_holder["loop"] = asyncio.get_running_loop()
            sock.listen(128)
            addr = sock.getsockname()
            shown = f"[{addr[0]}]" if ":" in addr[0] else addr[0]
            if on_ready:
                on_ready(f"http://{shown}:{addr[1]}/")
            watcher = threading.Thread(target=watch, args=(preview, stop, changed), name="ptgen-watch", daemon=True)
            watcher.start()
            try:
                await server.serve(sockets=[sock])
            finally:
                stop.set()
                application.state.close()
        asyncio.run(main())
