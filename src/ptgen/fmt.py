"""``ptgen fmt``: rewrite content files into the canonical shape, keeping comments.

The canonical shape is what ``ptgen import`` writes (:func:`ptgen.yamlio.dump`): keys in the
documented order, quotes only where a YAML reader could misread a value, literal blocks for
multi-line text, no line folding.  Values are taken from ptgen's own strict reader (every scalar
as the text typed — ruamel alone would read ``0353`` as a number); comments and the order of
unknown keys come from a ruamel.yaml round trip.  Keys ptgen does not know are kept, at the end,
so ``ptgen check`` can still report them: fmt never drops anything.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import yamlio
from .content import MONEY_KEYS
from .load import DEPARTMENT_FILE, SETTINGS_FILE, UNIT_FILE
from .output import write_bytes

# "*" is where a form's own fields go (those its layout declares: 上海's nature, project_funds …),
# in the order they are written; keys of an indicator row a form adds go after its value.
PROJECT_ORDER = ["name", "title", "bookmark", "id", "*", "budget", "purpose", "goals", "indicators"]
ORDERS: dict[str, dict[tuple, list[str]]] = {
    "project": {(): PROJECT_ORDER, ("budget",): ["total", "fiscal", "carryover", "other"],
                ("indicators", "*"): ["level1", "level2", "name", "description", "value"]},
    "unit": {(): ["code", "name", "projects"]},
    "department": {(): ["code", "name", "units"]},
    "settings": {(): ["title", "title_lines", "issuer", "date", "year", "region", "money_unit", "layout", "numbering", "bookmarks", "framework",
                      "merge_level1", "departments", "templates", "pdf_font", "markdown", "rules"],
                 ("bookmarks",): ["prefix", "digits"]},
}
QUOTED = {"project": MONEY_KEYS, "unit": frozenset({"code"}), "department": frozenset({"code"}), "settings": frozenset()}


def kind_of(path: Path) -> str:
    return {SETTINGS_FILE: "settings", DEPARTMENT_FILE: "department", UNIT_FILE: "unit"}.get(path.name, "project")


def _yaml() -> YAML:
    y = YAML()  # round trip: keeps comments
    y.width = 100000
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    y.preserve_quotes = False
    return y


def _order_for(kind: str, path: tuple) -> list[str]:
    generic = tuple("*" if isinstance(p, int) else p for p in path)
    return ORDERS[kind].get(generic, [])


def _carry(rt: Any, kind: type, out: Any, key: Any = None) -> Any:
    """Copy ruamel's comments from ``rt`` to ``out``: those of ``key``, or (no key) the node's own."""
    if not isinstance(rt, kind):
        return out
    if key is not None:
        if key in rt.ca.items:
            out.ca.items[key] = rt.ca.items[key]
        return out
    out.ca.comment = rt.ca.comment
    if rt.ca.end:
        out.ca.end = rt.ca.end
    return out


def _canonical(value: Any, rt: Any, kind: str, path: tuple, quote: frozenset[str]) -> Any:
    """``value`` (strict strings) in canonical shape, carrying ``rt``'s comments (ruamel node)."""
    if isinstance(value, dict):
        order = _order_for(kind, path)
        others = [k for k in value if k not in order]
        if "*" in order:
            at = order.index("*")
            keys = [k for k in order[:at] if k in value] + others + [k for k in order[at + 1:] if k in value]
        else:
            keys = [k for k in order if k in value] + others
        out = CommentedMap()
        for k in keys:
            sub_rt = rt.get(k) if isinstance(rt, dict) else None
            if isinstance(value[k], str):
                out[k] = yamlio._scalar(value[k], force_quote=k in quote)
            else:
                out[k] = _canonical(value[k], sub_rt, kind, path + (k,), quote)
            _carry(rt, CommentedMap, out, k)
        return _carry(rt, CommentedMap, out)
    if isinstance(value, list):
        out = CommentedSeq()
        for i, item in enumerate(value):
            sub_rt = rt[i] if isinstance(rt, list) and i < len(rt) else None
            out.append(yamlio._scalar(item) if isinstance(item, str) else _canonical(item, sub_rt, kind, path + (i,), quote))
            _carry(rt, CommentedSeq, out, i)
        return _carry(rt, CommentedSeq, out)
    return value


def format_text(text: str, path: Path) -> str:
    """The canonical text of a content file (raises :class:`yamlio.YamlProblem` if it cannot be read)."""
    data, _ = yamlio.parse(text)
    kind = kind_of(path)
    yamlio.check_depth(text)  # ruamel composes recursively: refuse deep nesting before it parses
    rt = _yaml().load(text)
    doc = _canonical(data, rt, kind, (), QUOTED[kind])
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def with_list(text: str, path: Path, key: str, items: list[str]) -> str:
    """``text`` (a settings, department or unit file) with its ``key`` list holding ``items``.

    ``items`` is the old list with entries inserted (never removed or reordered): the new entries
    go in at their places, everything else — comments included — is kept (ruamel.yaml round trip),
    then the file is put into the canonical shape.  Raises :class:`yamlio.YamlProblem`."""
    yamlio.parse(text)  # strict reading first: a broken file is reported, not half-understood
    y = _yaml()
    data = y.load(text)
    if data.get(key) is None:
        data[key] = CommentedSeq()
    seq = data[key]
    for i, item in enumerate(items):
        if item not in seq:
            seq.insert(min(i, len(seq)), item)
    buf = io.StringIO()
    y.dump(data, buf)
    return format_text(buf.getvalue(), path)


@dataclass
class FmtResult:
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, yamlio.YamlProblem]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, why), never touched


def publication_of(f: Path) -> Path | None:
    """The publication folder ``f`` is a content file of, from the publication's structure, or None:
    ``ptgen.yaml``; ``<department>/department.yaml``; ``<department>/<unit>/unit.yaml``; and a project
    file, any other ``.yaml`` in a unit folder (a folder with unit.yaml below a department)."""
    if f.suffix != ".yaml":
        return None
    f = f.absolute()
    if f.name == SETTINGS_FILE:
        return f.parent
    levels = 1 if f.name == DEPARTMENT_FILE else 2
    if len(f.parents) <= levels or not (f.parents[levels] / SETTINGS_FILE).is_file():
        return None
    if levels == 2 and not ((f.parent / UNIT_FILE).is_file() and (f.parent.parent / DEPARTMENT_FILE).is_file()):
        return None
    return f.parents[levels]


def _select(f: Path, skipped: list[tuple[Path, str]], explicit: bool) -> bool:
    """Whether fmt may rewrite ``f``: a content file, no symlink, not reached through one."""
    if f.is_symlink():
        skipped.append((f, "是符号链接，不跟随"))
        return False
    root = publication_of(f)
    if root is None:
        if explicit:
            skipped.append((f, "不是内容文件（ptgen.yaml、department.yaml、unit.yaml 或单位文件夹里的项目文件）"))
        return False
    if not f.resolve().is_relative_to(root.resolve()):
        skipped.append((f, "经过符号链接指向出版物以外，不跟随"))
        return False
    return True


def content_files(paths: list[Path], skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    """The content files under ``paths`` that fmt may rewrite; what it leaves alone and why goes to
    ``skipped`` (YAML that is not content, such as templates/x.yaml, is left alone silently)."""
    skipped = [] if skipped is None else skipped
    files: list[Path] = []
    for p in paths:
        if p.is_dir():  # a folder named on the command line is read even through a link, as check does;
            for dirpath, dirnames, filenames in os.walk(p):  # symlinked folders inside are not followed
                folder = Path(dirpath)
                for d in sorted(dirnames):
                    if (folder / d).is_symlink() and not d.startswith("."):
                        skipped.append((folder / d, "是符号链接，不跟随"))
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                files += [folder / n for n in sorted(filenames)
                          if n.endswith(".yaml") and not n.startswith(".") and _select(folder / n, skipped, False)]
        elif p.exists() or p.is_symlink():
            if _select(p, skipped, True):
                files.append(p)
    return files


def fmt(paths: list[Path], check: bool = False) -> FmtResult:
    """Format every ``*.yaml`` under ``paths``; with ``check``, change nothing and only report."""
    result = FmtResult()
    for f in content_files(paths, result.skipped):
        try:
            text = yamlio.decode(yamlio.read_bytes(f))
            new = format_text(text, f)
        except yamlio.YamlProblem as problem:
            result.problems.append((f, problem))
            continue
        except OSError as exc:  # a FIFO or a device, no permission: named, as check names it (F001)
            result.problems.append((f, yamlio.YamlProblem("F001", f"无法读取文件：{exc.strerror}。")))
            continue
        if new == text:
            result.unchanged.append(f)
            continue
        result.changed.append(f)
        if not check:
            write_bytes(f, new.encode("utf-8"))
    return result
