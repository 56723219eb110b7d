"""Merge imported sources into a publication folder: plan every file first, then write or refuse."""
from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .. import bookmarks, content, ids, layouts, output, yamlio
from ..errors import UsageError, UserError
from ..fmt import with_list
from ..load import DEPARTMENT_FILE, SETTINGS_FILE, UNIT_FILE, _zh_error, load
from ..model import BookmarkScheme, Department, Settings, Unit
from ..output import describe_os_error
from . import ImportedSource, ImportProblem, known_layouts

_TREE_SUFFIX = ".ptgen-import"
DEFAULT_YEAR = 2025  # a source that shows no year
_TREE_RE = re.compile(r"^\..+\.[0-9a-f]{12}\.ptgen-import$")


@dataclass
class ImportResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    projects: int = 0
    notes: list[str] = field(default_factory=list)


# Office files of a kind ptgen does not read (binary, or WPS's own), with what they are.
OLD_FORMATS = {".xls": "旧的 Excel 格式（.xls）", ".xlsb": "Excel 二进制工作簿（.xlsb）", ".et": "WPS 表格格式（.et）",
               ".doc": "旧的 Word 格式（.doc）", ".wps": "WPS 文字格式（.wps）"}


def read_source(path: Path, own: list = ()) -> ImportedSource:
    """Read one source by its kind (.docx, or extracted text), in a built-in form or one of ``own``
    (the definitions in the publication's ``layouts/`` folder)."""
    if not path.is_file():
        raise UsageError(f"找不到要导入的文件：{path}")  # a missing path is a usage mistake (exit 2)
    suffix = path.suffix.lower()
    if suffix in OLD_FORMATS:
        raise UserError(f"无法导入 {path}：{OLD_FORMATS[suffix]}，ptgen 读不了；请在 Excel 或 WPS 里另存为 "
                        f"{'.docx' if suffix in ('.doc', '.wps') else '.xlsx'} 再导入。")
    try:
        if suffix == ".docx":
            from .docx import read_docx
            return read_docx(path, own)
        if suffix in (".xlsx", ".xlsm"):  # .xlsm: the same workbook with macros allowed (never run)
            from .xlsx import read_xlsx
            return read_xlsx(path, own)
        from .text import read_text
        return read_text(path, own)
    except ImportProblem as exc:
        raise UserError(f"无法导入 {exc}") from None


def _folder(code: str | None, name: str) -> str:
    return code or content.file_name(name, set()).removesuffix(".yaml")


def import_sources(paths: list[Path], into: Path, *, force: bool = False, department_name: str | None = None,
                   title: str | None = None) -> ImportResult:
    """Import ``paths`` into the publication at ``into``; nothing is written if anything conflicts."""
    into = Path(into)
    try:  # a publication's own forms can be imported into it, as they can be built
        own = layouts.own(into) if into.is_dir() else []
    except layouts.LayoutError as e:
        raise UserError(f"无法导入：{e.file}:{e.line}:{e.column} {e.message}") from None
    forms = {layout.name: layout for layout in known_layouts(own)}
    sources = [read_source(Path(p), own) for p in paths]
    result = ImportResult(notes=[n for s in sources for n in s.notes])
    names = sorted({s.layout for s in sources})
    if len(names) > 1:
        shown = "、".join(f"{forms[n].title}（{n}）" for n in names)
        raise UserError(f"这些文件的版式不同（{shown}），不能导入同一个出版物；请分别导入到不同的文件夹。")
    first = sources[0]
    for s in sources[1:]:
        if (s.money_unit, s.year) != (first.money_unit, first.year):
            raise UserError(f"{s.path} 的金额单位或年度与 {first.path} 不同，不能导入同一个出版物。")

    existing_settings: Settings | None = None
    departments: dict[str, Department] = {}
    units: dict[tuple[str, str], Unit] = {}
    used_bookmarks: dict[str, str] = {}
    bookmark_names: dict[str, str] = {}
    bookmark_ids: dict[str, str] = {}  # a project already in the publication keeps its identity
    if into.exists() and not into.is_dir():
        raise UserError(f"{into} 是一个文件，不是文件夹：--into 要给出出版物文件夹。")
    if into.is_dir():
        output.recover(into)  # finish an import that was killed among its renames
    if (into / SETTINGS_FILE).exists():
        pub, report = load(into)
        if pub is None or report.errors and any(i.code.startswith(("Y", "F")) for i in report.errors):
            raise UserError(f"{into} 中已有的内容有格式错误，请先运行 ptgen check {into} 并修正，再导入。")
        existing_settings = pub.settings
        st = pub.settings
        if (st.layout, st.money_unit, st.year) != (first.layout, first.money_unit, first.year or st.year):
            raise UserError(
                f"{into} 是 {st.year} 年、{st.layout} 版式、金额单位 {st.money_unit} 的出版物，"
                f"要导入的是 {first.year} 年、{first.layout} 版式、金额单位 {first.money_unit}：不能合并。",
                hint="请导入到一个新的文件夹。")
        for d in pub.departments:
            departments[d.folder] = d.department
            for u in d.units:
                units[(d.folder, u.folder)] = u.unit
                for p in u.projects:
                    # named from the publication folder on both sides (``--into .`` too)
                    used_bookmarks[p.project.bookmark] = Path(os.path.relpath(p.source.path, into)).as_posix()
                    bookmark_names[p.project.bookmark] = p.project.name
                    if p.project.id:
                        bookmark_ids[p.project.bookmark] = p.project.id
    all_names = [p.bookmark for s in sources for u in s.units for p in u.projects if p.bookmark]
    if existing_settings is not None:
        scheme = existing_settings.bookmarks
    else:
        default = forms[first.layout].defaults.bookmarks  # what a new publication of the form starts with
        scheme = bookmarks.guess_scheme(all_names) or BookmarkScheme(prefix=default.prefix, digits=default.digits)

    planned: dict[Path, str] = {}
    conflicts: list[str] = []
    dept_order = list(existing_settings.departments) if existing_settings else []
    taken_names = set(used_bookmarks)
    taken_ids = set(bookmark_ids.values())
    year = existing_settings.year if existing_settings else (first.year or DEFAULT_YEAR)
    for s in sources:
        for iu in s.units:
            dcode = iu.department_code
            # A department without a code names its folder after the department, as it is named
            # below: the name the import was told (--department-name), else the one the file gives.
            dfolder = _folder(dcode, department_name or iu.department_name or "主管部门")
            dept = departments.get(dfolder)
            if dept is None:
                name = department_name or iu.department_name or _guess_department_name(sources, dcode)
                if not (department_name or iu.department_name):
                    result.notes.append(f"部门 {dcode} 的名称取自本级单位“{name}”，如不对请修改 {dfolder}/{DEPARTMENT_FILE}。")
                dept = Department(code=dcode, name=name, units=[])
            ufolder = _folder(iu.unit_code, iu.unit_name)
            unit = units.get((dfolder, ufolder)) or Unit(code=iu.unit_code, name=iu.unit_name, projects=[])
            if unit.name != iu.unit_name:
                conflicts.append(f"{dfolder}/{ufolder}/{UNIT_FILE}：已有单位名称“{unit.name}”，导入的是“{iu.unit_name}”。")
            project_files = list(unit.projects)
            taken_files = set(project_files)
            for project in iu.projects:
                if not project.bookmark:
                    project = project.model_copy(update={"bookmark": bookmarks.next_free(taken_names, scheme)})
                known = bookmark_names.get(project.bookmark)
                if known is not None and known != project.name:
                    conflicts.append(f"书签 {project.bookmark} 已被 {used_bookmarks[project.bookmark]}（“{known}”）使用，"
                                     f"不能再给导入的“{project.name}”。")
                    continue
                ident = bookmark_ids.get(project.bookmark) or project.id or \
                    ids.make(year, dfolder, ufolder, project.bookmark, taken_ids)
                taken_ids.add(ident)
                project = project.model_copy(update={"id": ident})
                fname = _existing_file_for(project.bookmark, used_bookmarks, dfolder, ufolder)
                if fname is None:
                    fname = content.file_name(project.name, taken_files)
                    project_files.append(fname)
                elif fname not in project_files:
                    project_files.append(fname)
                taken_files.add(fname)
                path = into / dfolder / ufolder / fname
                rel = f"{dfolder}/{ufolder}/{fname}"
                owner = used_bookmarks.get(project.bookmark)
                if owner is not None and owner != rel:
                    conflicts.append(f"书签 {project.bookmark} 已被 {owner} 使用，不能再给“{project.name}”。")
                used_bookmarks[project.bookmark] = rel
                taken_names.add(project.bookmark)
                planned[path] = content.project_yaml(project)
                result.projects += 1
            unit = unit.model_copy(update={"projects": project_files})
            units[(dfolder, ufolder)] = unit
            if ufolder not in dept.units:
                dept = dept.model_copy(update={"units": _insert_sorted(dept.units, ufolder)})
            departments[dfolder] = dept
            if dfolder not in dept_order:
                dept_order = _insert_sorted(dept_order, dfolder)
    for dfolder, dept in departments.items():
        planned[into / dfolder / DEPARTMENT_FILE] = content.department_yaml(dept)
    for (dfolder, ufolder), unit in units.items():
        planned[into / dfolder / ufolder / UNIT_FILE] = content.unit_yaml(unit)
    settings = existing_settings or _new_settings(sources, scheme, title, forms[first.layout])
    settings = settings.model_copy(update={"departments": dept_order})
    planned[into / SETTINGS_FILE] = content.settings_yaml(settings)

    listings = {into / SETTINGS_FILE: ("departments", settings.departments)}
    listings.update({into / dfolder / DEPARTMENT_FILE: ("units", dept.units) for dfolder, dept in departments.items()})
    listings.update({into / d / u / UNIT_FILE: ("projects", unit.projects) for (d, u), unit in units.items()})
    to_write: dict[Path, str] = {}
    for path, text in planned.items():
        if not path.exists():
            to_write[path] = text
            continue
        old = path.read_text(encoding="utf-8", errors="replace")
        if path in listings and existing_settings is not None:
            # A settings file of the publication: only new list entries are added, comments and
            # everything else kept, and only with --force.
            key, items = listings[path]
            data, _ = yamlio.parse(old)  # it loaded without Y/F errors, so it parses
            had = (data.get(key) or []) if isinstance(data, dict) else []
            added = [i for i in items if i not in had]
            if not added:
                result.unchanged.append(path)
            elif not force:
                conflicts.append(f"{path} 会被改动：要在 {key} 列表里加入 {'、'.join(added)}"
                                 "（加 --force 允许改动；注释和其他内容都保留）。")
            else:
                to_write[path] = with_list(old, path, key, items)
            continue
        if old == text:
            result.unchanged.append(path)
        elif not force:
            conflicts.append(f"{path} 已存在且内容不同（加 --force 覆盖）。")
        else:
            to_write[path] = text
    if conflicts:
        raise UserError("导入已取消，没有写入任何文件：\n" + "\n".join(f"  - {c}" for c in conflicts),
                        hint="如确实要改动或覆盖已有文件，请加 --force。")
    try:
        if into.exists():
            output.commit(into, {path: text.encode("utf-8") for path, text in to_write.items()})
        else:
            _write_new_tree(into, to_write)
    except OSError as exc:
        raise UserError(f"写入失败：{describe_os_error(exc)}导入已取消，没有写入任何文件。",
                        hint="请检查磁盘空间和文件夹权限，再重新导入。") from None
    result.written = sorted(to_write)
    return result


def _write_new_tree(into: Path, files: dict[Path, str | bytes]) -> None:
    """A new publication: the whole tree goes to a hidden sibling folder, then one rename puts it in
    place, so an import that is killed leaves no publication folder at all, never half of one."""
    parent = into.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f".{glob.escape(into.name)}.*{_TREE_SUFFIX}"):  # left by a killed import
        if _TREE_RE.match(stale.name) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = parent / f".{into.name}.{secrets.token_hex(6)}{_TREE_SUFFIX}"
    tmp.mkdir()
    try:
        for path, text in sorted(files.items()):
            output.write_bytes(tmp / path.relative_to(into), text if isinstance(text, bytes) else text.encode("utf-8"))
        os.rename(tmp, into)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _existing_file_for(bookmark: str, used: dict[str, str], dfolder: str, ufolder: str) -> str | None:
    rel = used.get(bookmark)
    if rel is None:
        return None
    parts = rel.split("/")
    return parts[-1] if parts[-3:-1] == [dfolder, ufolder] else None


def _insert_sorted(items: list[str], new: str) -> list[str]:
    """Insert ``new`` by code order, leaving the existing (explicit) order of the others alone."""
    out = list(items)
    pos = next((i for i, x in enumerate(out) if x > new), len(out))
    out.insert(pos, new)
    return out


def _guess_department_name(sources: list[ImportedSource], dcode: str | None) -> str:
    for s in sources:
        for u in s.units:
            if dcode and u.unit_code == f"{dcode}101":
                return u.unit_name
    return f"主管部门{dcode}" if dcode else "主管部门"


def _new_settings(sources: list[ImportedSource], scheme: BookmarkScheme, title: str | None, layout) -> Settings:
    first = sources[0]
    year = first.year or DEFAULT_YEAR
    region = next((s.region for s in sources if s.region), "") or ""
    # Per-unit numbering restarts at 1 in every unit; continuous numbering restarts less often.
    restarts = sum(s.numbers.count(1) for s in sources)
    n_units = sum(len(s.units) for s in sources)
    continuous = any(s.numbers for s in sources) and restarts < n_units
    defaults = layout.defaults
    numbering = ("continuous" if continuous else "per_unit") if any(s.numbers for s in sources) else \
        defaults.numbering or "per_unit"
    optional = {"framework": first.framework} if first.framework else {}
    values = dict(title=title or first.title or f"{region}{year}年部门预算项目支出绩效目标表", year=year, region=region or "—",
                  money_unit=first.money_unit, layout=first.layout, numbering=numbering,
                  bookmarks=scheme, departments=[], merge_level1=list(defaults.merge_level1 or []), **optional)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise UserError(f"无法导入 {first.path}：按它的表格新建的 {SETTINGS_FILE} 不合格："
                        f"{_zh_error(exc.errors()[0], Settings)}") from None
