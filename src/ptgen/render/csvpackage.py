"""The publication as CSV (UTF-8 with a byte-order mark, so Excel and WPS open it right) and a
Frictionless Data Package: ``projects.csv``, ``indicators.csv`` and ``datapackage.json`` with a
Table Schema for each.  The columns are :mod:`ptgen.sheets`' (the same as the workbook's); amounts
are written exactly as in the YAML (``154.00``), text exactly as written.
"""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Iterable

from .. import layouts, sheets
from ..model import Publication
from .formats import FormatRenderer, RenderContext, Rendered

FILES = ("projects.csv", "indicators.csv", "datapackage.json")
_NAME_RE = re.compile(r"[^-a-z0-9._]+")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)  # a Decimal prints as written: 154.00


def table(columns: list[sheets.Column], rows: Iterable[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.title for c in columns])
    for row in rows:
        w.writerow([_text(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _schema(columns: list[sheets.Column]) -> dict:
    fields = []
    for c in columns:
        numeric = c.kind == "money" or c.key == "value.number"
        f = {"name": c.title, "type": "number" if numeric else "string"}
        if c.kind == "money":
            f["description"] = "金额，照 YAML 的写法（小数位数不变）"
        fields.append(f)
    return {"fields": fields, "missingValues": [""]}


def package(pub: Publication) -> dict[str, bytes]:
    """The three files, by name."""
    layout = layouts.of(pub.settings)
    entries = list(pub.projects())
    pcols = sheets.project_columns(layout, [p.project for _, _, p in entries])
    icols = sheets.indicator_columns(layout)
    files = {
        "projects.csv": table(pcols, (sheets.project_row(d, u, p.project, pcols) for d, u, p in entries)),
        "indicators.csv": table(icols, (r for d, u, p in entries for r in sheets.indicator_rows(d, u, p.project, icols))),
    }
    name = _NAME_RE.sub("-", pub.name.lower()).strip("-") or "publication"
    resources = [{"name": stem, "path": f"{stem}.csv", "profile": "tabular-data-resource", "format": "csv",
                  "mediatype": "text/csv", "encoding": "utf-8-sig", "schema": _schema(cols)}
                 for stem, cols in (("projects", pcols), ("indicators", icols))]
    meta = {"profile": "tabular-data-package", "name": name, "title": pub.settings.title,
            "resources": resources}
    files["datapackage.json"] = (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files


class CsvRenderer(FormatRenderer):
    """The whole publication's projects and indicators, with ``datapackage.json``."""

    name = "csv"
    needs_layout = False

    @classmethod
    def files(cls, pub: Publication) -> list[str]:
        return list(FILES)

    @classmethod
    def steps(cls, pub: Publication) -> int:
        return 1

    def render(self, pub: Publication, comps, ctx: RenderContext) -> list[Rendered]:
        whole = comps[-1][1]
        if not ctx.wanted(pub.name):  # the publication's files belong to one part (--shard)
            return []
        files = package(pub)
        ctx.step(pub.name)
        return [Rendered(name, files[name], whole) for name in FILES]

