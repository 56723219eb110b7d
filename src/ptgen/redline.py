"""``ptgen diff --format docx``: the changed tables as a Word document with real tracked changes.

Each affected project's table is drawn from HEAD (BASE for a removed project) with the published
layout's header block; a changed cell holds the old text as a deletion and the new text as an
insertion (``w:del`` / ``w:ins``, author "ptgen"), added and removed indicator rows are inserted or
deleted rows.  Reviewers who live in Word or WPS can read them and accept or reject each change.
The indicator grid is drawn without vertical merges here, so that deleted rows stand on their own.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

from .diff import Diff, Entry, STATUS_ZH, project_index
from .model import Project, Publication, Settings
from .render.docx import render_docx, source_date
from .render.layout import Cell, Compilation, Heading, Row, Spacer, Table, form_tables, grid_columns
from .render.richtext import Paragraph, Run, plain


def _marked(cell: Cell, change: str) -> Cell:
    paras = tuple(Paragraph(tuple(Run(r.text, r.bold, r.italic, change) for r in p.runs)) for p in cell.paras)
    return cell._replace(paras=paras)


def _changed(old: Cell, new: Cell) -> Cell:
    if old.text == new.text:
        return new
    runs = []
    if old.text:
        runs.append(Run(old.text.replace("\n", " "), change="del"))
    if new.text:
        runs.append(Run(new.text.replace("\n", " "), change="ins"))
    return new._replace(paras=(Paragraph(tuple(runs)),))


def _compare_rows(old_rows, new_rows) -> tuple[Row, ...]:
    out = []
    for o, n in zip(old_rows, new_rows):
        if len(o.cells) == len(n.cells):
            out.append(n._replace(cells=tuple(_changed(a, b) for a, b in zip(o.cells, n.cells))))
        else:
            out.append(n)
    return tuple(out)


def _grid(old: Project | None, new: Project | None, settings: Settings) -> Table:
    columns = grid_columns(settings)
    rows = [Row(tuple(Cell(plain(h), "head") for h, _, _ in columns), header=True)]

    def cells(i):
        return [Cell(plain(getattr(i, f)), "level" if f in ("level1", "level2") else "value") for _, f, _ in columns]
    old_rows = list(old.indicators) if old else []
    new_rows = list(new.indicators) if new else []
    # Pair rows by (一级, 二级, 三级) as ptgen diff does; unpaired rows are inserted or deleted.
    remaining = list(range(len(old_rows)))
    for n in new_rows:
        match = next((k for k in remaining if (old_rows[k].level1, old_rows[k].level2, old_rows[k].name)
                      == (n.level1, n.level2, n.name)), None)
        if match is None:
            rows.append(Row(tuple(_marked(c, "ins") for c in cells(n)), change="ins"))
            continue
        # Rows of BASE that vanished before this one are shown where they stood.
        for k in [k for k in remaining if k < match]:
            rows.append(Row(tuple(_marked(c, "del") for c in cells(old_rows[k])), change="del"))
            remaining.remove(k)
        remaining.remove(match)
        rows.append(Row(tuple(_changed(a, b) for a, b in zip(cells(old_rows[match]), cells(n)))))
    for k in remaining:
        rows.append(Row(tuple(_marked(c, "del") for c in cells(old_rows[k])), change="del"))
    return Table("diff-grid", tuple(w for _, _, w in columns), tuple(rows), caption="绩效指标")


def _header(pub: Publication, entry: Entry) -> Table:
    """The form's header block (its first table, without the indicator grid's rows)."""
    tables = form_tables(entry.department, entry.unit, entry.project, pub.settings, grid=False)
    return next(t for t in tables if isinstance(t, Table))


def redline(diff: Diff, base_pubs: list[Publication], head_pubs: list[Publication], template: Path) -> bytes:
    old_pubs = {p.root.name: p for p in base_pubs}
    new_pubs = {p.root.name: p for p in head_pubs}
    comp = Compilation("ptgen diff：修订对照", f"{diff.base} → {diff.head}", "diff")
    for pd in diff.publications:
        old_pub, new_pub = old_pubs.get(pd.name), new_pubs.get(pd.name)
        old_ix = project_index(old_pub) if old_pub else {}
        new_ix = project_index(new_pub) if new_pub else {}
        comp.blocks.append(Heading(1, pd.name, f"_ptgen_diff_{len(comp.blocks)}"))
        for c in pd.projects:
            o, n = old_ix.get(c.bookmark), new_ix.get(c.bookmark)
            pub = new_pub if n else old_pub
            project = (n or o).project
            head = _header(pub, n or o)
            head_rows = list(head.rows)
            if c.status == "added":
                head_rows = [r._replace(cells=tuple(_marked(x, "ins") for x in r.cells), change="ins") for r in head_rows]
            elif c.status == "removed":
                head_rows = [r._replace(cells=tuple(_marked(x, "del") for x in r.cells), change="del") for r in head_rows]
            else:
                head_rows = list(_compare_rows(_header(old_pub, o).rows, head_rows))
            title = f"{project.name}绩效目标表（{STATUS_ZH[c.status]}）"
            comp.blocks.append(Heading(3, title, c.bookmark))
            comp.blocks.append(Table("diff-head", head.widths, tuple(head_rows), caption=title))
            comp.blocks.append(Spacer())
            comp.blocks.append(_grid(o.project if o else None, n.project if n else None, pub.settings))
    when = os.environ.get("SOURCE_DATE_EPOCH")
    date = (source_date() if when else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    cache = {"track": {"ids": itertools.count(1), "date": date.strftime("%Y-%m-%dT%H:%M:%SZ")}}
    pub = (head_pubs or base_pubs)[0]
    context = {"title": comp.title, "subtitle": comp.subtitle, "year": pub.settings.year, "region": pub.settings.region}
    data, _ = render_docx(comp, template, context, cache=cache, sections=False)  # one body section: pages 1, 2, …
    return data
