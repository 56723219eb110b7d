"""The library API that the CLI (and the tests) call: check, build, diff, import."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Iterator

from . import cache, checkpool, layouts, lint
from .errors import UsageError, UserError
from .load import find_publications, load
from .output import machine_errors
from .model import Publication
from .report import Report, locate

if TYPE_CHECKING:
    from .build import BuildResult
    from .diff import Diff


@dataclass
class CheckResult:
    publications: list[Publication] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    unloadable: list[Path] = field(default_factory=list)  # publications whose ptgen.yaml or form could not be read
    digests: dict[Path, dict[str, str | None]] = field(default_factory=dict)  # by publication folder: each file's hash


def check(path: Path, select: set[str] | None = None, ignore: set[str] | None = None,
          jobs: int | None = None) -> CheckResult:
    """Load and lint every publication at or below ``path`` (many new files on ``jobs`` cores, default
    all: :mod:`ptgen.checkpool`)."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"找不到文件夹 {path}。")  # a missing path is a usage mistake (exit 2)
    roots = find_publications(path)
    if not roots:
        raise UserError(f"{path} 里没有出版物（找不到 ptgen.yaml）。",
                        hint="出版物文件夹要有 ptgen.yaml；可以先用 ptgen import 从已发布的表格生成。")
    result = CheckResult()
    with _without_gc():
        for root in roots:
            store = cache.open_check(root, select, ignore)  # what earlier checks learnt (see ptgen.cache)
            with checkpool.sharing(root, store, select, ignore, jobs):
                pub, report = load(root, store)
                if pub is None:
                    result.unloadable.append(root)
                else:
                    result.publications.append(pub)
                    report.extend(lint.run(pub, select, ignore, store).issues)
            if store is not None:
                store.save()
                result.digests[root] = store.digests  # not the store: its entries would stay in memory
            result.report.extend(locate(report.issues, root.parent))  # file names are relative to root.parent
    return result


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """No cyclic garbage collection while the content loads and is checked (and a build renders):
    that makes hundreds of thousands of objects and no cycles worth collecting, and each
    collection walks all of them, so its cost grew faster than the content (half the time of a
    10,000-table check with a warm cache, 60% of a 3,000-table DOCX build went to it)."""
    import gc
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def import_sources(sources: list[Path], into: Path, force: bool = False, department_name: str | None = None,
                   title: str | None = None):
    """Import published tables into the publication folder ``into`` (see :mod:`ptgen.importers.merge`)."""
    from .importers.merge import import_sources as _import
    return _import(sources, into, force=force, department_name=department_name, title=title)


def rollover(source: Path, dest: Path, year: int | None = None, *, empty_amounts: bool = False,
             new_bookmarks: bool = False, force: bool = False):
    """Next year's publication from ``source`` in ``dest`` (see :mod:`ptgen.rollover`)."""
    from .rollover import rollover as roll
    return roll(source, dest, year, empty_amounts=empty_amounts, new_bookmarks=new_bookmarks, force=force)


@dataclass
class BuiltPublication:
    publication: Publication
    result: "BuildResult"
    problems: list | None = None  # with ``verify``: what the files read back do not say (None: not verified)


@dataclass
class BuildRun:
    """What :func:`build` did: the check, then (unless the check ``blocked`` it) each publication built."""
    check: CheckResult
    blocked: bool = False  # the content has errors (or warnings, with ``strict``) and no ``force``: nothing built
    built: list[BuiltPublication] = field(default_factory=list)
    up_to_date: bool = False  # nothing changed since the outputs in --out were made: nothing rendered or written


Progress = Callable[[Publication, int], ContextManager[Callable[[str], None] | None]]


def build(path: Path, out_dir: Path, formats: list[str], strict: bool = False, force: bool = False,
          update_toc: bool | None = False, verify: bool = False, jobs: int | None = None,
          on_wait: Callable[[str], None] | None = None, progress: Progress | None = None,
          shard: tuple[int, int] | None = None) -> BuildRun:
    """Check the publications at or below ``path``, render them in ``formats``, write every output
    into ``out_dir`` as one set and (with ``verify``) read them back.

    The formats' services (the PDF render server) start first, so that WeasyPrint is imported
    while the content loads.  ``on_wait`` hears that another build holds ``out_dir``;
    ``progress(publication, steps)`` gives, for each publication, a context holding the callback
    that hears of each of its ``steps``.  Raises :class:`UserError` (nothing written) when a
    publication cannot be rendered or written.  ``shard`` (K, N): make part K of N into ``out_dir``
    (:mod:`ptgen.shard`; :func:`assemble` joins the parts)."""
    from . import build as builder
    from .render import formats as registry

    formats = registry.check_names(formats)
    # Whether the Word contents get LibreOffice's page numbers (None: if it is installed), as the
    # outputs' key records it and a part (--shard) tells assemble: the book assembled from parts
    # is then made as the single build makes it here.
    from .render.libreoffice import available
    toc = (available() if "docx" in formats else False) if update_toc is None else update_toc
    if shard is not None:
        update_toc = toc
    with contextlib.ExitStack() as stack:
        stack.enter_context(_without_gc())  # the layout and renderers make millions of objects, no cycles to speak of
        # Started first (WeasyPrint imports while the content loads), unless --out says that its
        # outputs may be current already: then only if they are not.
        services = {} if builder.read_inputs(out_dir) else registry.services(formats, stack, jobs)
        run = BuildRun(check(path, jobs=jobs))
        if (run.check.report.blocks(strict) and not force) or run.check.unloadable:
            run.blocked = True  # a publication without usable settings or form cannot be built, even as published
            return run
        _out_outside_publications(path, out_dir)
        keys = {f"{fmt}/{pub.name}": builder.inputs_key(pub, fmt, toc, _digests(run.check, pub))
                for pub in run.check.publications for fmt in formats} if shard is None else {}
        share = None
        if shard is not None:
            from . import shard as shards
            share = shards.plan(run.check.publications, shard[1])[shard[0] - 1]
        with machine_errors(out_dir):  # writing the PDF cache, LibreOffice's folder …: the machine, not ptgen
            # Every output of every publication: none may share a path or leave --out, --force or not.
            builder.check_paths(out_dir, [rel for pub in run.check.publications
                                          for rel in builder.planned(pub, formats)])
            with builder.locked(out_dir, on_wait=on_wait):
                if keys and builder.up_to_date(out_dir, run.check.publications, formats, keys):
                    run.up_to_date = True
                    if verify:  # read back what is there
                        run.built = [BuiltPublication(pub, builder.existing(out_dir, pub, formats))
                                     for pub in run.check.publications]
                    else:
                        run.built = [BuiltPublication(pub, builder.BuildResult(tables=sum(1 for _ in pub.projects())))
                                     for pub in run.check.publications]
                    return _verified(run, verify)
                if not services:
                    services = registry.services(formats, stack, jobs)
                try:
                    for pub in run.check.publications:
                        only = None if share is None else set(share.get(pub.name, ()))
                        if only == set():
                            continue  # none of its departments is in this part
                        steps = sum(registry.renderer_class(f).steps(pub) for f in formats)
                        with (progress(pub, steps) if progress else contextlib.nullcontext()) as step:
                            result = builder.build(pub, out_dir, formats, update_toc=update_toc, progress=step,
                                                   jobs=jobs, services=services, write_outputs=False, only=only)
                        run.built.append(BuiltPublication(pub, result))
                    extra = None
                    if shard is not None:
                        extra = shards.part_outputs(out_dir, shard[0], shard[1], formats, update_toc,
                                                    run.check.publications, share,
                                                    {b.publication.name: b.result.made for b in run.built},
                                                    {o.path: o.data for b in run.built for o in b.result.outputs})
                    builder.write(out_dir, [(b.publication, b.result) for b in run.built], formats, keys, extra)
                except BaseException:
                    registry.abort(services)  # their children stop before the lock cleans up after them
                    raise
    return _verified(run, verify)


def assemble(parts: list[Path], out_dir: Path, verify: bool = False, jobs: int | None = None,
             on_wait: Callable[[str], None] | None = None) -> BuildRun:
    """Join the parts that ``ptgen build --shard K/N`` made into the publication in ``out_dir``:
    the departments' files as the parts made them, the whole book and the web index made here
    (the book's PDF joined from the departments' documents the parts carry).  The parts are
    checked first (:func:`ptgen.shard.read_parts`): a part missing, given twice or of other
    content is an error, and nothing is written."""
    import tempfile

    from . import build as builder
    from . import shard as shards
    from .render import formats as registry
    from .render.layout import printable

    found = shards.read_parts(parts)
    about = found[0].about
    formats = registry.check_names(list(about["formats"]))
    update_toc = bool(about["update_toc"])
    with contextlib.ExitStack() as stack:
        stack.enter_context(_without_gc())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ptgen-assemble-")))
        run = BuildRun(check(shards.unpack_content(found[0], tmp)))
        if run.check.unloadable:
            raise UserError(f"部分里的内容无法读取（{'、'.join(p.name for p in run.check.unloadable)}），没有生成任何文件。")
        pubs = run.check.publications
        shards.check_coverage(found, pubs)
        keys = {f"{fmt}/{pub.name}": builder.inputs_key(pub, fmt, update_toc, _digests(run.check, pub))
                for pub in pubs for fmt in formats}
        builder.check_paths(out_dir, [rel for pub in pubs for rel in builder.planned(pub, formats)])
        services = registry.services(formats, stack, jobs)
        with machine_errors(out_dir):
            with builder.locked(out_dir, on_wait=on_wait):
                try:
                    for pub in pubs:
                        given = {"pdf": {stem: p.folder / shards.DOCUMENTS / pub.name / f"{stem}.pdf"
                                         for p in found for stem in p.about["publications"].get(pub.name, [])}}
                        result = builder.build(pub, out_dir, formats, update_toc=update_toc, jobs=jobs,
                                               services=services, write_outputs=False, only={pub.name}, given=given)
                        comps = dict(builder.compilations(printable(pub)[0]))
                        for p in found:
                            for rel in p.about["files"]:
                                fmt, _, name = rel.partition("/")
                                if fmt in formats and name.startswith(f"{pub.name}/"):
                                    comp = comps.get(Path(rel).stem, comps[pub.name])
                                    result.outputs.append(builder.Output(fmt, Path(out_dir) / rel, comp,
                                                                         p.folder / rel))  # copied at the commit
                        run.built.append(BuiltPublication(pub, result))
                    builder.write(out_dir, [(b.publication, b.result) for b in run.built], formats, keys)
                except BaseException:
                    registry.abort(services)
                    raise
        return _verified(run, verify)


def _verified(run: BuildRun, verify: bool) -> BuildRun:
    from .verify import verify as verify_outputs
    if verify:
        for b in run.built:
            b.problems = verify_outputs(b.result.outputs, b.publication.settings)
    return run


def _digests(result: CheckResult, pub: Publication) -> dict[str, str | None]:
    """The hashes of ``pub``'s files that its check took (none without the cache)."""
    return result.digests.get(pub.root, {})


def _out_outside_publications(path: Path, out_dir: Path) -> None:
    """``--out`` inside a publication would make ptgen's outputs part of the content (F002 next time)."""
    out_real = Path(out_dir).resolve()
    for root in find_publications(Path(path)):
        if out_real.is_relative_to(root.resolve()):
            raise UsageError(f"--out {out_dir} 在出版物文件夹 {root} 里面：生成的文件会被当成内容（没有列出的文件夹，F002）。",
                             hint=f"把 --out 放到出版物文件夹外面，例如 --out {os.path.relpath(root.resolve().parent / 'build')}；"
                                  "或者在仓库的根文件夹运行 ptgen build content。")


@contextlib.contextmanager
def _revisions(path: Path, base: str | None, head: str | None) -> Iterator[tuple["Diff", list, list]]:
    """The diff of the content under ``path`` from ``base`` (default: the merge base with the default
    branch) to ``head`` (default: the working tree), with both sides' publications (valid inside)."""
    from . import gitrev
    from .diff import diff as compare
    path = Path(path)
    repo = gitrev.repo_root(path)
    base_rev = base or gitrev.default_base(repo)
    with gitrev.temp_dir() as tmp:
        base_pubs = gitrev.publications_at(repo, base_rev, path, Path(tmp))
        head_pubs = gitrev.publications_at(repo, head, path, Path(tmp))
        yield compare(base_pubs, head_pubs, base or f"{base_rev[:10]}（合并基点）", head or "工作区"), base_pubs, head_pubs


def diff(path: Path, base: str | None = None, head: str | None = None, allow_removed: bool = False) -> "Diff":
    """What changed in the content under ``path`` between two git revisions (``head`` None: the
    working tree).  With ``allow_removed``, removed bookmarks are not anchor problems."""
    from .diff import AnchorKind
    with _revisions(path, base, head) as (result, _, _):
        pass
    if allow_removed:
        result.allow(AnchorKind.REMOVED)
    return result


def is_publication(path: Path) -> bool:
    """Whether ``path`` is a publication folder (it holds ``ptgen.yaml``)."""
    from .load import SETTINGS_FILE
    return (Path(path) / SETTINGS_FILE).is_file()


# How to compare two publications (the diff command's messages about it end with this).
TWO_PUBLICATIONS_HINT = ("例如 ptgen diff content/去年的出版物 content/今年的出版物；"
                         "比较 git 版本时写版本名，例如 ptgen diff HEAD~1。")


def diff_publications(base: Path, head: Path) -> "Diff":
    """What changed from publication ``base`` to publication ``head`` (last year's and this year's,
    say): projects matched by their identity, so a renamed or renumbered project is the same one."""
    from . import gitrev
    from .diff import diff_publications as compare
    pubs = []
    for path in (Path(base), Path(head)):
        if not is_publication(path):
            raise UsageError(f"{path} 不是出版物文件夹（里面没有 ptgen.yaml）：比较两个出版物时，两个参数都要是出版物文件夹。",
                             hint=TWO_PUBLICATIONS_HINT)
        found, issues = gitrev.load_at(path, None, path, path)
        if issues or not found:
            lines = "\n".join(f"  {i.file}:{i.line}:{i.column}  {i.code}  {i.message}" for i in issues)
            raise UserError(f"{path} 有 {len(issues)} 处无法读取的问题，无法比较：\n{lines}",
                            hint="先修正这些问题（ptgen check 会列出同样的问题），再比较。")
        pubs.append(found[0])
    return compare(pubs[0], pubs[1], str(base), str(head))


def redline(path: Path, base: str | None = None, head: str | None = None,
            allow_removed: bool = False) -> tuple["Diff", bytes]:
    """:func:`diff`, and the changed tables as a Word document with tracked changes."""
    from .diff import AnchorKind
    from .redline import redline as draw
    from .render.templates import find_template
    with _revisions(path, base, head) as (result, base_pubs, head_pubs):
        if not (head_pubs or base_pubs):
            raise UserError(f"{path} 在两个版本里都没有出版物（找不到 ptgen.yaml），没有可以对照的表格。")
        pub = (head_pubs or base_pubs)[0]
        data = draw(result, base_pubs, head_pubs, find_template(pub, "docx", layouts.of(pub.settings).word_template))
    if allow_removed:
        result.allow(AnchorKind.REMOVED)
    return result, data


def anchor_issues(path: Path, rev: str, publications: list[Publication]) -> list:
    """Bookmark stability against git revision ``rev`` as report issues (code A01)."""
    from . import gitrev
    from .diff import AnchorKind, diff
    from .report import Issue, Severity
    repo = gitrev.repo_root(Path(path))
    with gitrev.temp_dir() as tmp:
        base, problems = gitrev.load_at(repo, rev, Path(path), Path(tmp))
    # A file unreadable at ``rev`` is reported as check reports it, marked with the revision; a
    # warning, not an error: the change being checked may be the one that repairs it.
    # Named by the same path as in the working tree (the revision's copy is in a temporary folder).
    parents = {r.name: r.parent for r in find_publications(Path(path))}
    issues = []
    for i in problems:
        i = replace(i, severity=Severity.WARNING, message=f"（版本 {rev} 中，无法对比其中的书签）{i.message}")
        parent = parents.get(i.file.split("/", 1)[0])
        issues.extend(locate([i], parent) if parent else [i])
    result = diff(base, publications, rev, "工作区")
    files = {d.project.bookmark: d.source for p in publications for _, _, d in p.projects()}
    roots = {p.root.name: p.source for p in publications}
    loaded = {p.root.name for p in publications}
    broken = {p.root.name for p in publications if p.unreadable} | \
        {r.name for r in find_publications(Path(path)) if r.name not in loaded}  # ptgen.yaml unreadable
    for pd in result.publications:
        for a in pd.anchors:
            if pd.name in broken and a.kind is AnchorKind.REMOVED:
                continue  # its file (or unit) did not load: that error is reported, it is not a removal
            src = files.get(a.bookmark) or roots.get(pd.name)
            line, col = src.pos("bookmark") if src is not None and a.bookmark in files else (1, 1)
            issues.append(Issue(src.rel if src else pd.name, line, col, "A01", Severity.ERROR, a.message, a.bookmark,
                                path=os.path.abspath(src.path) if src else None))
    return issues
