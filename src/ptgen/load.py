"""Load a publication folder into the model, collecting every problem as an :class:`Issue`.

Layout of a publication folder::

    ptgen.yaml                 settings; ``departments:`` lists the department folders in order
    <dept>/department.yaml     code, name; ``units:`` lists the unit folders in order
    <dept>/<unit>/unit.yaml    code, name; ``projects:`` lists the project files in order
    <dept>/<unit>/<name>.yaml  one project

One bad file never hides the problems of the others: each is reported and loading goes on.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from . import layouts, yamlio
from .cache import Damaged, Later, digest
from .errors import UserError
from .layouts import Layout
from .model import (BookmarkScheme, Budget, Department, DepartmentDoc, Indicator, Money, Project,
                    ProjectDoc, Publication, Settings, Source, Unit, UnitDoc)
from .report import Issue, Report, Severity

SETTINGS_FILE = "ptgen.yaml"
DEPARTMENT_FILE = "department.yaml"
UNIT_FILE = "unit.yaml"
META_FILES = {SETTINGS_FILE, DEPARTMENT_FILE, UNIT_FILE}

_MODELS: list[type[BaseModel]] = [Indicator, Budget, Project, Unit, Department, Settings, BookmarkScheme]
TITLES: dict[str, str] = {}
for _m in _MODELS:
    for _name, _f in _m.model_fields.items():
        TITLES.setdefault(_name, _f.title or _name)

_TYPE_NAMES = {"str": "文字", "list": "列表", "dict": "键值映射"}


def _kind(value: Any) -> str:
    return _TYPE_NAMES.get(type(value).__name__, type(value).__name__)


def _zh_error(err: dict, model: type[BaseModel]) -> str:
    loc = err["loc"]
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    title = TITLES.get(key, key)
    label = f"“{key}”（{title}）" if title != key else f"“{key}”"
    typ = err["type"]
    value = err.get("input")
    if typ == "missing":
        return f"缺少必填字段{label}。"
    if typ == "extra_forbidden":
        allowed = "、".join(_allowed_keys(model, loc[:-1]))
        return f"不认识的字段“{key}”：ptgen 不会使用它的内容（是不是拼错了？）。这里可以写的字段有：{allowed}。"
    if typ == "string_type":
        return f"{label}应该是一段文字，这里写成了{_kind(value)}。"
    if typ == "list_type":
        return f"{label}应该是列表（每项以“- ”开头），这里写成了{_kind(value)}。"
    if typ in ("model_type", "dict_type", "model_attributes_type"):
        return f"{label}应该是键值映射（“字段: 值”），这里写成了{_kind(value)}。"
    if typ in ("int_parsing", "int_type", "int_from_float"):
        return f"{label}应该是整数，这里是“{value}”。"
    if typ in ("bool_parsing", "bool_type"):
        return f"{label}应该是 true 或 false，这里是“{value}”。"
    if typ in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        return f"{label}只能是 {expected} 之一，这里是“{value}”。"
    if typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{label}超出允许范围：{err['msg']}，这里是“{value}”。"
    if typ == "value_error":
        return f"{label}：{str(err['msg']).removeprefix('Value error, ')}"
    if typ == "union_tag_invalid" or typ.startswith("union"):
        return f"{label}的写法不对。"
    return f"{label}：{err['msg']}"


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            break
        ann = field.annotation
        for cand in (ann, *getattr(ann, "__args__", ())):
            for inner in (cand, *getattr(cand, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    current = inner
                    break
    return list(getattr(current, "model_fields", {}))


def _validate(model: type[BaseModel], data: Any, source: Source, report: Report):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
            # A union reports each alternative; the extra loc part names the alternative tried.
            loc = tuple(p for p in loc if p not in ("RuleSetting", "literal['off','error','warning','info']"))
            line, col = source.pos(*loc)
            code = {"missing": "Y004", "extra_forbidden": "Y003"}.get(err["type"], "Y005")
            text = err.get("input") if isinstance(err.get("input"), str) else None
            report.add(Issue(source.rel, line, col, code, Severity.ERROR, _zh_error(err, model), text))
        return None


def _read(path: Path, root: Path, report: Report, raw: bytes | None = None) -> tuple[Any, Source] | None:
    # The positions are read again from the file if a message needs them (yamlio.FilePositions).
    source = Source(path, _rel(path, root), yamlio.FilePositions(path))
    try:
        data = yamlio.parse_data(yamlio.decode(yamlio.read_bytes(path) if raw is None else raw))
    except yamlio.YamlProblem as p:
        report.add(Issue(source.rel, p.line, p.column, p.code, Severity.ERROR, p.message, p.text))
        return None
    except OSError as exc:
        report.add(Issue(source.rel, 1, 1, "F001", Severity.ERROR, f"无法读取文件：{exc.strerror}。"))
        return None
    return data, source


def _rel(path: Path | str, root: Path) -> str:
    """``path`` as messages name it: from the publication folder's parent (``pub/301/…``)."""
    s, base = str(path), _base(root)
    if s.startswith(base):  # every file loaded: cut as text (pathlib's relative_to was 10% of a warm check)
        return s[len(base):].replace(os.sep, "/")
    path = Path(path)
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()


_BASES: dict[Path, str] = {}


def _base(root: Path) -> str:
    base = _BASES.get(root)
    if base is None:
        parent = str(root.parent)
        base = _BASES[root] = "" if parent == "." else parent.rstrip(os.sep) + os.sep
    return base


def load_file(path: Path, model: type[BaseModel], root: Path, report: Report, layout: Layout | None = None,
              cache=None):
    """Read one file and validate it against ``model`` (a project against its ``layout``'s declared
    extra fields too); ``(object or None, source)``.  With ``cache`` (:class:`ptgen.cache.CheckCache`),
    a file whose bytes did not change is not read again: its object and problems come from the cache."""
    if cache is None:
        return _load_file(path, model, root, report, layout)
    rel = _rel(path, root)
    hit = cache.get_file(path, rel, model.__name__, later=model is Project)
    if hit is not None:
        obj, issues = hit
        report.extend(issues)
        return obj, Source(path, rel, yamlio.FilePositions(path))
    start = len(report.issues)
    raw = cache.take_bytes(path)
    if raw is None:  # hashed earlier (the share of ptgen.checkpool): what is parsed is kept by its own hash
        try:
            raw = yamlio.read_bytes(path)
        except (OSError, yamlio.YamlProblem):
            raw = None  # _read reads it again and says what is wrong
    obj, source = _load_file(path, model, root, report, layout, raw)
    facts = ProjectDoc.facts(obj) if model is Project and obj is not None else None
    cache.put_file(path, rel, model.__name__, obj, report.issues[start:], raw, facts)
    return obj, source


def _load_file(path: Path, model: type[BaseModel], root: Path, report: Report, layout: Layout | None = None,
               raw: bytes | None = None):
    got = _read(path, root, report, raw)
    if got is None:
        return None, Source(path, _rel(path, root))
    data, source = got
    if model is Project and layout is not None:
        data = _with_extras(data, layout, source, report)
    return _validate(model, data, source, report), source


# --- the fields a form has beyond the common ones ------------------------------------------------

_MONEY = TypeAdapter(Money, config=ConfigDict(defer_build=True))  # built when a form's money field is first read


def with_extras(data: dict, layout: Layout) -> tuple[dict, list[str]]:
    """``data`` (a project in the file's shape, from an importer) with the fields its layout declares
    moved into ``extras``, and what is wrong with them, as messages."""
    report = Report()
    out = _with_extras(data, layout, Source(Path("-"), "-"), report)
    return out, [i.message for i in report.issues]


def _with_extras(data: Any, layout: Layout, source: Source, report: Report) -> Any:
    """``data`` with the keys the layout declares moved into ``extras`` (checked: text as text,
    money parsed), and keys nobody declared reported at their position (Y003) and dropped."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    data["extras"] = _split(data, (), Project, layout.fields, "项目文件", source, report)
    rows = data.get("indicators")
    if isinstance(rows, list):
        data["indicators"] = [dict(r, extras=_split(dict(r), ("indicators", i), Indicator, layout.indicator_fields,
                                                     "指标行", source, report, r))
                              if isinstance(r, dict) else r for i, r in enumerate(rows)]
    return data


_COMMON: dict[type, tuple[list[str], frozenset[str]]] = {}  # a model's own fields, in order and as a set


def _split(data: dict, at: tuple, model: type[BaseModel], declared, what: str, source: Source, report: Report,
           original: dict | None = None) -> dict:
    got = _COMMON.get(model)
    if got is None:
        names = [k for k in model.model_fields if k != "extras"]
        got = _COMMON[model] = (names, frozenset(names))
    common, known = got
    if known.issuperset(data):
        return {}  # the usual row: nothing beyond the common fields
    fields = {f.key: f for f in declared}
    extras: dict[str, Any] = {}
    for key in list(data):
        if key in known:
            continue
        value = data.pop(key)
        if original is not None:
            original.pop(key, None)
        line, col = source.pos(*at, key)
        f = fields.get(key) if key != "extras" else None
        if f is None:
            allowed = "、".join(common + list(fields))
            report.add(Issue(source.rel, line, col, "Y003", Severity.ERROR,
                             f"不认识的字段“{key}”：这个版式的{what}里没有它，ptgen 不会使用它的内容（是不是拼错了？）。"
                             f"这里可以写的字段有：{allowed}。", key))
            continue
        got = _extra_value(f, value, at + (key,), source, report)
        if got is not _BAD:
            extras[key] = got
    return {f.key: extras[f.key] for f in declared if f.key in extras}  # in the form's order


_BAD = object()


def _extra_value(f, value: Any, at: tuple, source: Source, report: Report):
    def bad(where: tuple, message: str):
        line, col = source.pos(*where)
        report.add(Issue(source.rel, line, col, "Y005", Severity.ERROR, message, value if isinstance(value, str) else None))
        return _BAD

    if f.kind in ("text", "date"):
        return value if isinstance(value, str) else bad(at, f"“{f.key}”（{f.title}）应该是一段文字。")
    if not f.parts:
        return _money(value, at, f.title, bad)
    if not isinstance(value, dict):
        return bad(at, f"“{f.key}”（{f.title}）应该是键值映射，写 {'、'.join(f.parts)} 各项金额。")
    out = {}
    for part, amount in value.items():
        if part not in f.parts:
            bad(at + (part,), f"“{f.key}”里不认识的“{part}”：这里可以写 {'、'.join(f.parts)}。")
            continue
        title = f.part_titles[f.parts.index(part)] if f.part_titles else part
        got = _money(amount, at + (part,), title, bad)
        if got is _BAD:
            continue
        out[part] = got
    return {p: out.get(p) for p in f.parts}


def _money(value: Any, at: tuple, title: str, bad):
    try:
        return _MONEY.validate_python(value)
    except ValidationError as exc:
        return bad(at, f"{title}：{str(exc.errors()[0]['msg']).removeprefix('Value error, ')}")


def _layout(settings: Settings, source: Source, root: Path, report: Report) -> Layout | None:
    """The definition ``layout:`` names: the publication's own ``layouts/NAME.yaml`` (inside the
    publication, read with the same limits as content), else a built-in one."""
    name = settings.layout
    own = root / layouts.PUBLICATION_FOLDER / f"{name}.yaml"
    line, col = source.pos("layout")
    if own.exists() or own.is_symlink():
        rel = _rel(own, root)
        if not _inside(own, root.resolve()):
            report.add(Issue(rel, 1, 1, "F004", Severity.ERROR,
                             "版式定义是指向出版物文件夹以外的链接（符号链接）：ptgen 不会读取它。"))
            return None
        try:
            text = yamlio.decode(yamlio.read_bytes(own))
            return layouts.parse(text, rel)
        except yamlio.YamlProblem as p:
            report.add(Issue(rel, p.line, p.column, p.code, Severity.ERROR, p.message, p.text))
        except layouts.LayoutError as e:
            report.add(Issue(rel, e.line, e.column, "Y005", Severity.ERROR, e.message))
        except OSError as exc:
            report.add(Issue(rel, 1, 1, "F001", Severity.ERROR, f"无法读取版式定义：{exc.strerror}。"))
        return None
    try:
        return layouts.builtin(name)
    except KeyError:
        known = "、".join(layouts.names(root))
        report.add(Issue(source.rel, line, col, "Y005", Severity.ERROR,
                         f"没有名为“{name}”的版式。可以用的版式：{known}；也可以在出版物的 "
                         f"{layouts.PUBLICATION_FOLDER}/{name}.yaml 里自己定义（格式见 README）。", name))
        return None


def _inside(path: Path, root: Path) -> bool:
    """True when ``path``, every link followed, stays inside the publication folder ``root`` (resolved)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one file or folder name inside its folder, or None."""
    if name in ("", ".", ".."):
        return "不是文件或文件夹的名字"
    if "/" in name or "\\" in name:
        return "含有路径分隔符“/”或“\\”，不能写路径"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "含有控制字符"
    return None


def _project_files(folder: Path) -> tuple[set[str], set[str]]:
    """The names of the project files in a unit's ``folder`` (YAML files, links to files included),
    and the names there that are symbolic links: one directory read, no call per file."""
    files, links = set(), set()
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_symlink():
                links.add(e.name)
            try:
                is_file = e.is_file()
            except OSError:  # a link in a loop (ELOOP) is no file, as for Path.is_file
                is_file = False
            if is_file and e.name.endswith((".yaml", ".yml")) and e.name not in META_FILES:
                files.add(e.name)
    return files, links


def _listed(names: list[str], source: Source, key: str, folder: Path, present: set[str], what: str,
            root: Path, report: Report, meta: str | None = None, links: set[str] | None = None) -> list[tuple[int, str]]:
    """Check an explicit order list against what is on disk; return the usable entries.

    Each entry must be one name inside ``folder`` (never a path), and the entry (and its ``meta``
    file, for a folder) must not lead out of the publication through a symbolic link: such an
    entry is reported at its line and never read.  ``links``: the names in ``folder`` known to be
    links (the others are not looked at again)."""
    usable: list[tuple[int, str]] = []
    seen: set[str] = set()
    inside = root.resolve()
    for i, name in enumerate(names):
        def problem(code: str, message: str, text: str, i: int = i) -> None:
            line, col = source.pos(key, i)  # looked up only for a problem: it may read the file again
            report.add(Issue(source.rel, line, col, code, Severity.ERROR, message, text))
        why = _name_problem(name)
        if why:
            shown = name.encode("unicode_escape").decode("ascii") if "控制字符" in why else name
            problem("F005", f"列表中的{what}“{shown}”{why}：这里只能写 {_rel(folder, root)} 里的一个名字。", shown)
            continue
        if name in seen:
            problem("F003", f"{what}“{name}”在列表中出现了两次。", name)
            continue
        seen.add(name)
        target = folder / name
        # ``folder`` is inside (checked when it was listed): so is an entry in it that is no link.
        maybe_links = ([target] if links is None or name in links else []) + ([target / meta] if meta else [])
        if any(os.path.islink(p) and not _inside(p, inside) for p in maybe_links):
            problem("F004", f"列表中的{what}“{name}”是指向出版物文件夹以外的链接（符号链接）：ptgen 不会读取它。"
                            "请把文件本身放进出版物文件夹，不要用链接。", name)
            continue
        if name not in present:
            message = (f"列表中的{what}“{name}”在 {_rel(folder, root)} 里有，但不能作为{what}：它是 ptgen 的设置文件、"
                       "以“.”开头的隐藏项，或者类型不对（文件与文件夹弄反，或不是 .yaml 文件）。"
                       if os.path.lexists(target) else f"列表中的{what}“{name}”在文件夹 {_rel(folder, root)} 里找不到。")
            problem("F001", message, name)
            continue
        usable.append((i, name))
    for name in sorted(present - seen):
        line, col = source.pos(key)
        report.add(Issue(source.rel, line, col, "F002", Severity.ERROR,
                         f"{what}“{name}”没有列在“{key}”里，不会被发布：请把它加到列表中应在的位置，或者删除它。", name))
    return usable


def _templates_inside(templates: str, source: Source, root: Path, report: Report) -> bool:
    """The publication's template folder must be inside it, and so must every file in it (templates
    are rendered into the build, so a link out would publish what it points at)."""
    line, col = source.pos("templates")
    parts = Path(templates).parts
    if not parts or Path(templates).is_absolute() or ".." in parts or _name_problem(templates.replace("/", "_")):
        report.add(Issue(source.rel, line, col, "F005", Severity.ERROR,
                         f"模板文件夹“{templates}”要写出版物文件夹里的相对路径（例如 templates），不能是绝对路径或含“..”。",
                         templates))
        return False
    inside = root.resolve()
    folder = root / templates
    bad = [folder] if not _inside(folder, inside) else \
        ([p for p in sorted(folder.rglob("*")) if not _inside(p, inside)] if folder.is_dir() else [])
    if bad:
        report.add(Issue(source.rel, line, col, "F004", Severity.ERROR,
                         f"模板文件夹里的 {_rel(bad[0], root)} 是指向出版物文件夹以外的链接（符号链接）：ptgen 不会读取它，"
                         "改用自带的模板。请把文件本身放进出版物文件夹。", templates))
        return False
    return True


def load(root: Path, cache=None, only: set[str] | None = None) -> tuple[Publication | None, Report]:
    """Load the publication in folder ``root``: the model (None if unusable) and every problem found
    (``cache``: see :func:`load_file`; ``only``: just these department folders, as a share of the
    work made ready in the cache by :mod:`ptgen.checkpool`)."""
    root = Path(root)
    report = Report()
    if not _inside(root / SETTINGS_FILE, root.resolve()):
        report.add(Issue(_rel(root / SETTINGS_FILE, root), 1, 1, "F004", Severity.ERROR,
                         f"{SETTINGS_FILE} 是指向出版物文件夹以外的链接（符号链接）：ptgen 不会读取它。"))
        return None, report
    settings, source = load_file(root / SETTINGS_FILE, Settings, root, report)  # the cache's own key
    if settings is None:
        return None, report
    dept_dirs = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    if settings.templates:  # the publication's own template folder is not a department
        dept_dirs.discard(Path(settings.templates).parts[0] if Path(settings.templates).parts else "")
        if not _templates_inside(settings.templates, source, root, report):
            settings = settings.model_copy(update={"templates": None})  # never read: ptgen's own templates
    dept_dirs.discard(layouts.PUBLICATION_FOLDER)  # the publication's own form definitions
    layout = _layout(settings, source, root, report)
    if layout is None:
        return None, report
    settings._layout = layout
    texts = ["purpose", "goals"] + [f.key for f in layout.fields if f.kind == "text"]
    for i, key in enumerate(settings.markdown):  # only text cells of this form can be Markdown
        if key not in texts:
            line, col = source.pos("markdown", i)
            report.add(Issue(source.rel, line, col, "Y005", Severity.ERROR,
                             f"“markdown”里的“{key}”不是这个版式的文字字段：可以写 {'、'.join(texts)}。", key))
    pub = Publication(root=root, settings=settings, source=source)
    for _, dname in _listed(settings.departments, source, "departments", root, dept_dirs, "部门文件夹", root, report,
                            DEPARTMENT_FILE):
        if only is not None and dname not in only:
            continue
        ddir = root / dname
        dept, dsrc = load_file(ddir / DEPARTMENT_FILE, Department, root, report, cache=cache)
        if dept is None:
            continue
        ddoc = DepartmentDoc(dname, dept, dsrc)
        pub.departments.append(ddoc)
        unit_dirs = {p.name for p in ddir.iterdir() if p.is_dir() and not p.name.startswith(".")}
        for _, uname in _listed(dept.units, dsrc, "units", ddir, unit_dirs, "预算单位文件夹", root, report,
                                UNIT_FILE):
            udir = ddir / uname
            unit, usrc = load_file(udir / UNIT_FILE, Unit, root, report, cache=cache)
            if unit is None:
                continue
            udoc = UnitDoc(uname, unit, usrc)
            ddoc.units.append(udoc)
            files, links = _project_files(udir)
            for _, fname in _listed(unit.projects, usrc, "projects", udir, files, "项目文件", root, report,
                                    links=links):
                project, psrc = load_file(udir / fname, Project, root, report, layout, cache)
                if isinstance(project, Later):  # still pickled in the cache: read when first asked for
                    udoc.projects.append(ProjectDoc.later(_Reread(project, psrc, root, layout), psrc, project.facts))
                elif project is not None:
                    udoc.projects.append(ProjectDoc(project, psrc))
    pub.unreadable = len(report.errors)
    return pub, report


class _Reread:
    """A project's model from the cache (:class:`ptgen.cache.Later`); if the cache's copy turns
    out damaged when it is read, the project's file again, as long as it is still what was checked."""

    def __init__(self, later: Later, source: Source, root: Path, layout: Layout | None):
        self.later, self.source, self.root, self.layout = later, source, root, layout

    def __call__(self) -> Project:
        try:
            return self.later()
        except Damaged:
            pass
        changed = UserError(f"{self.source.rel} 在检查之后改动了（或无法读取）：请重新运行。")
        try:
            raw = yamlio.read_bytes(self.source.path)
        except (OSError, yamlio.YamlProblem):
            raise changed from None
        if digest(raw) != self.later.digest:
            raise changed
        project, _ = _load_file(self.source.path, Project, self.root, Report(), self.layout, raw)
        if project is None:  # the same bytes were a valid project when checked
            raise changed
        return project


def find_publications(path: Path) -> list[Path]:
    """``path`` itself if it holds ptgen.yaml, else every folder below it that does."""
    path = Path(path)
    if (path / SETTINGS_FILE).is_file():
        return [path]
    return sorted(p.parent for p in path.rglob(SETTINGS_FILE))
