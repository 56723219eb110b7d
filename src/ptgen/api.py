"""The library API that the CLI (and the tests) call: check, build, import."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import lint
from .errors import UsageError, UserError
from .load import find_publications, load
from .model import Publication
from .report import Report, locate


@dataclass
class CheckResult:
    publications: list[Publication] = field(default_factory=list)
    report: Report = field(default_factory=Report)


def check(path: Path, select: set[str] | None = None, ignore: set[str] | None = None) -> CheckResult:
    """Load and lint every publication at or below ``path``."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"找不到文件夹 {path}。")  # a missing path is a usage mistake (exit 2)
    roots = find_publications(path)
    if not roots:
        raise UserError(f"{path} 里没有出版物（找不到 ptgen.yaml）。",
                        hint="出版物文件夹要有 ptgen.yaml；可以先用 ptgen import 从已发布的表格生成。")
    result = CheckResult()
    for root in roots:
        pub, report = load(root)
        if pub is not None:
            result.publications.append(pub)
            report.extend(lint.run(pub, select, ignore).issues)
        result.report.extend(locate(report.issues, root.parent))  # file names are relative to root.parent
    return result


def import_sources(sources: list[Path], into: Path, force: bool = False, department_name: str | None = None,
                   title: str | None = None):
    """Import published tables into the publication folder ``into`` (see :mod:`ptgen.importers.merge`)."""
    from .importers.merge import import_sources as _import
    return _import(sources, into, force=force, department_name=department_name, title=title)


@dataclass
class BuildPlan:
    publication: Publication
    outputs: list[tuple[str, str]]  # (format, relative path)
    tables: int


def plan_build(pub: Publication, formats: list[str]) -> BuildPlan:
    """What ``build`` produces for ``pub``: one compilation per department and one for the whole publication."""
    from .build import planned
    outputs = [(rel.split("/", 1)[0], rel) for rel in planned(pub, formats)]
    tables = sum(1 for _ in pub.projects())
    return BuildPlan(pub, outputs, tables)


def anchor_issues(path: Path, rev: str, publications: list[Publication]) -> list:
    """Bookmark stability against git revision ``rev`` as report issues (code A01)."""
    from . import gitrev
    from .diff import diff
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
            if pd.name in broken and "不见了" in a.message:
                continue  # its file (or unit) did not load: that error is reported, it is not a removal
            src = files.get(a.bookmark) or roots.get(pd.name)
            line, col = src.pos("bookmark") if src is not None and a.bookmark in files else (1, 1)
            issues.append(Issue(src.rel if src else pd.name, line, col, "A01", Severity.ERROR, a.message, a.bookmark,
                                path=os.path.abspath(src.path) if src else None))
    return issues
