"""Lint rules: a registry of checks, each with a stable code, a severity and a one-line rationale.

A rule yields :class:`Finding` objects (where, message, offending text); :func:`run` turns them
into issues, applying the publication's ``rules:`` settings (disable a rule, change its severity).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..model import DepartmentDoc, ProjectDoc, Publication, Settings, UnitDoc
from ..report import Issue, Report, Severity


@dataclass
class Finding:
    path: tuple[str | int, ...]  # key path inside the file, for the line number
    message: str
    text: str | None = None
    doc: object | None = None  # the file it is in, when not the project being checked
    at: tuple[int, int] | None = None  # line and column, when more exact than the value's start


# Template markers a clerk must replace (V10).
PLACEHOLDER_RE = re.compile(r"\*\*|XX|xx|……|＊＊")


@lru_cache(maxsize=65536)  # a dozen rules ask about the same cells; the answer depends on the text alone
def unfilled(text: str | None) -> bool:
    """A cell still to fill in: empty (what ``ptgen new project`` writes: ``""``) or holding a
    template marker.  E01 (empty) or V10 (marker) reports it once; every other rule skips it."""
    return not (text or "").strip() or PLACEHOLDER_RE.search(text) is not None


class Rule:
    code: str = ""
    severity: Severity = Severity.WARNING
    title: str = ""  # the one-line rationale shown by `ptgen rules` and in the README
    # "project": check_project sees one project (its findings are cached while its files do not
    # change); "publication": check_publication looks across files and runs on every check.  A
    # rule may have both (run calls both parts of every rule).
    scope: str = "project"

    def check_project(self, doc: ProjectDoc, unit: UnitDoc, dept: DepartmentDoc, settings: Settings) -> Iterator[Finding]:
        return iter(())

    def check_publication(self, pub: Publication) -> Iterator[Finding]:
        return iter(())


REGISTRY: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    assert cls.code and cls.code not in REGISTRY, cls.code
    REGISTRY[cls.code] = cls()
    return cls


def _load_rules() -> None:
    from . import budget, names, quality, structure, text, timing, values  # noqa: F401  (registration side effect)
    from . import years  # noqa: F401  (N01, I01: the yearly cycle)


def rules() -> list[Rule]:
    _load_rules()
    return [REGISTRY[c] for c in sorted(REGISTRY)]


def _config(settings: Settings, report: Report, pub: Publication) -> dict[str, Severity | None]:
    """Effective severity per rule code (None = disabled); unknown codes in ptgen.yaml are reported."""
    effective: dict[str, Severity | None] = {r.code: r.severity for r in rules()}
    for code, setting in settings.rules.items():
        if code not in effective:
            line, col = pub.source.pos("rules", code)
            report.add(Issue(pub.source.rel, line, col, "Y006", Severity.ERROR,
                             f"rules 里的规则代码“{code}”不存在（可用 ptgen rules 查看全部规则）。", code))
            continue
        if isinstance(setting, str):
            effective[code] = None if setting == "off" else Severity(setting)
        elif not setting.enabled:
            effective[code] = None
        elif setting.severity:
            effective[code] = Severity(setting.severity)
    return effective


def run(pub: Publication, select: set[str] | None = None, ignore: set[str] | None = None, cache=None, *,
        scope: str | None = None, docs: list[ProjectDoc] | None = None) -> Report:
    """Run every enabled rule over ``pub``.  With ``cache`` (:class:`ptgen.cache.CheckCache`), the
    per-project rules' findings of a project whose files did not change come from the cache;
    the rules over the whole publication always run.  With ``scope`` ("project" or "publication"),
    only that part of the rules (the ``rules:`` settings are reported with the publication's); with
    ``docs``, the project rules check only those projects (``ptgen serve`` re-checks a saved file)."""
    report = Report()
    effective = _config(pub.settings, report if scope != "project" else Report(), pub)
    active = [(rule, effective[rule.code]) for rule in rules()
              if effective[rule.code] is not None and not (select and not any(rule.code.startswith(s) for s in select))
              and not (ignore and any(rule.code.startswith(s) for s in ignore))]
    only = None if docs is None else {id(d) for d in docs}
    # The per-project findings, by rule: most projects have none, so they are gathered once
    # here rather than asked of every project for every rule.
    per_rule: dict[str, list[tuple]] = {}
    mine = [(rule, severity) for rule, severity in active if type(rule).check_project is not Rule.check_project]
    if scope != "publication":
        for dept, unit, doc in pub.projects():
            if only is None or id(doc) in only:
                for code, hits in _project_issues(dept, unit, doc, pub.settings, mine, cache).items():
                    per_rule.setdefault(code, []).append((doc, hits))
    for rule, severity in active:  # a rule may have both parts: its whole-publication one runs every time
        if scope != "project":
            for f in rule.check_publication(pub):
                source = f.doc.source if f.doc is not None else pub.source
                line, col = f.at or source.pos(*f.path)
                report.add(Issue(source.rel, line, col, rule.code, severity, f.message, f.text))
        for doc, found in per_rule.get(rule.code, ()):
            report.extend(Issue(doc.source.rel, line, col, rule.code, severity, message, text)
                          for line, col, message, text in found)
    from .text import forget
    for _, _, doc in pub.projects():
        forget(doc)
    return report


def _project_issues(dept, unit, doc, settings, active, cache) -> dict[str, list]:
    """The per-project rules' findings for ``doc``: rule code → (line, column, message, text)."""
    found = cache.get_project(doc, unit, dept) if cache is not None else None
    if found is None:
        found = {}
        for rule, _ in active:
            hits = [(*(f.at or doc.source.pos(*f.path)), f.message, f.text)
                    for f in rule.check_project(doc, unit, dept, settings)]
            if hits:
                found[rule.code] = hits
        if cache is not None:
            cache.put_project(doc, unit, dept, found)
    return found
