"""``ptgen init`` and ``ptgen new``: start a publication, a project or an agency file with the right shape.

A new publication is a ``ptgen.yaml`` holding its form's ``defaults:`` (money unit, numbering,
merged first levels, bookmark scheme) and framework, and no departments yet.

A new project gets the next free bookmark name of the publication's scheme (never one a published
table used), the indicator groups of the publication's framework to fill in, and the editor's
schema line.  It is listed in its unit.yaml (a file nobody lists is not published, F002); the list
is edited with a ruamel.yaml round trip so comments stay.  Nothing is overwritten.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import ValidationError

from . import bookmarks, ids, layouts, yamlio
from .content import department_yaml, file_name, project_yaml, settings_yaml, unit_yaml
from .errors import UsageError, UserError
from .fmt import with_list
from .load import DEPARTMENT_FILE, SETTINGS_FILE, UNIT_FILE, load
from .model import CONTROL_RE, BookmarkScheme, Budget, Department, Indicator, Project, Settings, Unit
from .output import commit, describe_os_error

SCHEMA_DIR = "schemas"
_CODE_RE = re.compile(r"[0-9A-Za-z]+")
# ``bookmark: name`` at any indentation, quoted or not: read from the text, not the parsed file.
_BOOKMARK_RE = re.compile(r"""^[ \t]*["']?bookmark["']?[ \t]*:[ \t]*["']?([^\s"'#,{}\[\]]+)""", re.M)


def _publication_root(folder: Path) -> Path:
    for p in [folder, *folder.parents]:
        if (p / SETTINGS_FILE).is_file():
            return p
    raise UserError(f"{folder} 不在任何出版物里（向上找不到 ptgen.yaml）。")


def schema_line(target: Path, kind: str) -> str:
    """``# yaml-language-server: $schema=...`` pointing at the repository's schemas/ folder, if any."""
    for p in [target.parent, *target.parent.parents]:
        candidate = p / SCHEMA_DIR / f"{kind}.schema.json"
        if candidate.is_file():
            return f"# yaml-language-server: $schema={os.path.relpath(candidate, target.parent)}\n"
    return ""


def _listed(path: Path, key: str, item: str) -> bytes:
    """The new text of ``path`` with ``item`` added to its ``key`` list; checks that it can be done."""
    try:
        text = yamlio.decode(path.read_bytes())
        data, positions = yamlio.parse(text)
    except yamlio.YamlProblem as problem:
        raise UserError(f"{path}:{problem.line}:{problem.column}: {problem.code} {problem.message}",
                        hint=f"先修正 {path.name}，再新建；没有写入任何文件。") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}:1:1: 内容应当是“键: 值”的映射（code、name、{key}），现在不是；没有写入任何文件。")
    items = data.get(key)
    if items is None or items == "":
        items = []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        line, col = positions.get((key,), (1, 1))
        raise UserError(f"{path}:{line}:{col}: {key} 应当是一个列表（每行“  - 名称”），现在不是；没有写入任何文件。")
    if item in items:
        raise UserError(f"{path} 的 {key} 里已经有“{item}”。")
    return with_list(text, path, key, [*items, item]).encode("utf-8")  # comments kept, canonical quoting


def _shown(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def component_problem(text: str) -> str | None:
    """Why ``text`` cannot be one folder or file name inside the publication, or None."""
    if not text.strip():
        return "是空的"
    if text in (".", "..") or text.startswith("."):
        return "不能以“.”开头"
    if "/" in text or "\\" in text:
        return "不能含有“/”或“\\”"
    if any(not c.isprintable() for c in text):
        return "含有控制字符"
    if text != text.strip():
        return "首尾不能有空格"
    return None


def _check_code(code: str) -> None:
    if not _CODE_RE.fullmatch(code):
        raise UsageError(f"单位编码“{_shown(code)}”不能用：编码只能由数字和英文字母组成（它也是文件夹名），例如 353217。")


def _check_folder_name(name: str) -> None:
    why = component_problem(name)
    if why:
        raise UsageError(f"名称“{_shown(name)}”不能用作文件夹名：{why}。", hint="请用 --code 给出单位编码（文件夹以它命名）。")


def _used_bookmarks(root: Path) -> list[str]:
    """Every bookmark written in a project file of the publication, read from the raw text, so
    that a file with a YAML error (which the model skips) still keeps its bookmark taken."""
    used: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):  # symlinked folders are not followed
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if UNIT_FILE not in filenames:
            continue
        for name in filenames:
            path = Path(dirpath) / name
            if name.endswith(".yaml") and name != UNIT_FILE and path.is_file():
                used += _BOOKMARK_RE.findall(path.read_bytes().decode("utf-8", errors="replace"))
    return used


def new_project(unit_dir: Path, name: str) -> Path:
    unit_dir = Path(unit_dir)
    if not (unit_dir / UNIT_FILE).is_file():
        raise UserError(f"{unit_dir} 不是预算单位文件夹（里面没有 {UNIT_FILE}）。",
                        hint="先用 ptgen new agency 建立预算单位。")
    root = _publication_root(unit_dir)
    pub, report = load(root)
    if pub is None:
        raise UserError(f"{root} 的 ptgen.yaml 有错误，先运行 ptgen check {root}。")
    used = [d.project.bookmark for _, _, d in pub.projects()] + _used_bookmarks(root)
    bookmark = bookmarks.next_free(used, pub.settings.bookmarks)
    taken = {p.name for p in unit_dir.glob("*.yaml")}
    target = unit_dir / file_name(name, taken)
    if component_problem(target.name) or target.parent.resolve() != unit_dir.resolve():  # odd characters file_name keeps
        raise UsageError(f"项目名称“{_shown(name)}”不能用作文件名。")
    # One row per group to fill in: the framework's ``new_project`` groups, else its first.
    groups = [(g.level1, l2) for g in layouts.framework_of(pub.settings).groups
              for l2 in (g.new_project if g.new_project is not None else g.level2[:1])]
    description = "" if "description" in layouts.grid_fields(layouts.of(pub.settings)) else None
    rows = [Indicator(level1=l1, level2=l2, name="", description=description, value="") for l1, l2 in groups]
    taken_ids = {d.project.id for _, _, d in pub.projects() if d.project.id}
    ident = ids.make(pub.settings.year, unit_dir.resolve().parent.name, unit_dir.resolve().name, bookmark, taken_ids)
    project = Project(name=name, bookmark=bookmark, id=ident, budget=Budget(), purpose="", goals="", indicators=rows)
    text = schema_line(target, "project") + project_yaml(project)
    listing = _listed(unit_dir / UNIT_FILE, "projects", target.name)  # checked before anything is written
    _commit(unit_dir, {target: text.encode("utf-8"), unit_dir / UNIT_FILE: listing})
    return target


def _commit(root: Path, files: dict[Path, bytes]) -> None:
    try:
        commit(root, files)
    except OSError as exc:
        raise UserError(f"写入失败：{describe_os_error(exc)}没有写入任何文件。") from None


def new_agency(parent: Path, code: str | None, name: str) -> Path:
    """A department (``parent`` is the publication folder) or a budget unit (``parent`` is a department)."""
    parent = Path(parent)
    if code is not None:
        _check_code(code)
    else:
        _check_folder_name(name)
    folder = parent / (code or name)
    if folder.exists():
        raise UserError(f"{folder} 已经存在，没有改动。")
    if (parent / SETTINGS_FILE).is_file():
        target, kind, listing, key = folder / DEPARTMENT_FILE, "department", parent / SETTINGS_FILE, "departments"
        text = department_yaml(Department(code=code, name=name, units=[]))
    elif (parent / DEPARTMENT_FILE).is_file():
        target, kind, listing, key = folder / UNIT_FILE, "unit", parent / DEPARTMENT_FILE, "units"
        text = unit_yaml(Unit(code=code, name=name, projects=[]))
    else:
        raise UserError(f"{parent} 既不是出版物文件夹（ptgen.yaml），也不是主管部门文件夹（{DEPARTMENT_FILE}）。")
    listed = _listed(listing, key, folder.name)  # checked before anything is written
    _commit(parent, {target: (schema_line(target, kind) + text).encode("utf-8"), listing: listed})
    return target


def init_publication(folder: Path, layout: str, year: str | int, title: str | None = None,
                     region: str | None = None, issuer: str | None = None, date: str | None = None) -> Path:
    """A publication skeleton in ``folder``: ``ptgen.yaml`` with the form's defaults and no departments
    (the cover's issuer and date as given, else empty, to fill in)."""
    folder = Path(folder)
    known = layouts.builtin_names()
    if layout not in known:
        raise UsageError(f"没有名为“{_shown(layout)}”的版式。已有的版式：{'、'.join(known)}。",
                         hint="ptgen layouts 列出各个版式，ptgen layouts NAME 显示它的表样。")
    target = folder / SETTINGS_FILE
    if target.exists() or target.is_symlink():
        raise UserError(f"{target} 已经存在：{folder} 已经是一个出版物，没有改动。",
                        hint="要新建出版物，请换一个文件夹。")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} 是一个文件，不是文件夹；没有写入任何文件。")
    if not re.fullmatch(r"\d{4}", str(year)) or not 1990 <= int(year) <= 2100:
        raise UsageError(f"--year“{_shown(str(year))}”不是预算年度：要写 1990 到 2100 之间的四位数年份，例如 2026。")
    year = int(year)
    for option, text in (("--title", title), ("--region", region), ("--issuer", issuer), ("--date", date)):
        if text and CONTROL_RE.search(text):
            raise UsageError(f"{option}“{_shown(text)}”含有不可见的控制字符，请删除；没有写入任何文件。")
    form = layouts.get(layout)
    d = form.defaults
    region = (region or "").strip()
    try:
        settings = Settings(
            title=title or f"{region}{year}年部门预算项目支出绩效目标表", year=year, region=region,
            issuer=(issuer or "").strip(), date=(date or "").strip(),
            money_unit=d.money_unit, layout=layout, numbering=d.numbering,
            bookmarks=BookmarkScheme(prefix=d.bookmarks.prefix, digits=d.bookmarks.digits),
            framework=form.framework, merge_level1=list(d.merge_level1), departments=[])
    except ValidationError as exc:  # the form's defaults do not fit ptgen.yaml: a definition's bug
        where = "、".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise UserError(f"版式 {layout} 的 defaults 不能写进 ptgen.yaml（{where}）；没有写入任何文件。") from None
    text = schema_line(target, "publication") + settings_yaml(settings)
    existed = folder.exists()
    try:
        _commit(folder, {target: text.encode("utf-8")})
    except UserError:
        if not existed and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # leave no empty folder behind
        raise
    return target


def new_workbook(folder: Path, target: Path | None = None) -> Path:
    """An empty workbook of the shape ``build --format xlsx`` writes and ``import`` reads, for a
    unit (``folder`` a unit folder; a department's or the publication's folder gives the lists
    of all their units) to fill in: the headings, the 一级/二级 lists of the publication's
    framework, the unit's codes and names as lists, the settings sheet.  Never overwrites."""
    from .render.xlsx import workbook
    folder = Path(folder)
    root = _publication_root(folder)
    pub, report = load(root)
    if pub is None:
        raise UserError(f"{root} 的 ptgen.yaml 有错误，先运行 ptgen check {root}。")
    here = folder.resolve()
    units = [(d, u) for d in pub.departments for u in d.units
             if here in (root.resolve(), (root / d.folder).resolve(), (root / d.folder / u.folder).resolve())]
    if not units:
        raise UserError(f"{folder} 不是出版物、主管部门或预算单位的文件夹（或其中还没有登记预算单位）。",
                        hint="预算单位文件夹里有 unit.yaml，并列在上一级的 department.yaml 里。")
    if target is None:
        target = Path(f"{units[0][1].folder if len(units) == 1 else pub.name}.xlsx")
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"--output {target} 要以 .xlsx 结尾。")
    if target.exists() or target.is_symlink():
        raise UserError(f"{target} 已经存在，没有改动。", hint="换一个文件名，或先移走它。")
    _commit(target.absolute().parent, {target.absolute(): workbook(pub.settings, units, [], [])})
    return target
