"""``ptgen new``: start a project or an agency file with the right shape.

A new project gets the next free bookmark name of the publication's scheme (never one a published
table used), the indicator groups of the publication's framework to fill in, and the editor's
schema line.  It is listed in its unit.yaml (a file nobody lists is not published, F002); the list
is edited with a ruamel.yaml round trip so comments stay.  Nothing is overwritten.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import bookmarks
from .content import file_name, project_yaml
from .errors import UserError
from .fmt import _yaml
from .lint.structure import FRAMEWORKS
from .load import DEPARTMENT_FILE, SETTINGS_FILE, UNIT_FILE, load
from .model import Budget, Department, Indicator, Project, Unit
from .output import write_bytes

SCHEMA_DIR = "schemas"


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


def _append_to_list(path: Path, key: str, item: str) -> None:
    y = _yaml()
    data = y.load(path.read_text(encoding="utf-8"))
    if data.get(key) is None:
        data[key] = []
    if item in data[key]:
        raise UserError(f"{path} 的 {key} 里已经有“{item}”。")
    data[key].append(item)
    import io

    from .fmt import format_text
    buf = io.StringIO()
    y.dump(data, buf)
    write_bytes(path, format_text(buf.getvalue(), path).encode("utf-8"))  # canonical quoting, comments kept


def new_project(unit_dir: Path, name: str) -> Path:
    unit_dir = Path(unit_dir)
    if not (unit_dir / UNIT_FILE).is_file():
        raise UserError(f"{unit_dir} 不是预算单位文件夹（里面没有 {UNIT_FILE}）。",
                        hint="先用 ptgen new agency 建立预算单位。")
    root = _publication_root(unit_dir)
    pub, report = load(root)
    if pub is None:
        raise UserError(f"{root} 的 ptgen.yaml 有错误，先运行 ptgen check {root}。")
    used = [d.project.bookmark for _, _, d in pub.projects()]
    bookmark = bookmarks.next_free(used, pub.settings.bookmarks)
    taken = {p.name for p in unit_dir.glob("*.yaml")}
    target = unit_dir / file_name(name, taken)
    fw = FRAMEWORKS[pub.settings.framework]
    # One row per group to fill in: every 产出 group, 社会效益, and the first group of the others.
    groups = [(l1, l2) for l1, l2s in fw.items()
              for l2 in (l2s if l1 == "产出指标" else ["社会效益指标"] if l1 == "效益指标" else l2s[:1])]
    description = "" if pub.settings.layout == "tianjin" else None
    rows = [Indicator(level1=l1, level2=l2, name="", description=description, value="") for l1, l2 in groups]
    project = Project(name=name, bookmark=bookmark, budget=Budget(), purpose="", goals="", indicators=rows)
    text = schema_line(target, "project") + project_yaml(project)
    write_bytes(target, text.encode("utf-8"))
    _append_to_list(unit_dir / UNIT_FILE, "projects", target.name)
    return target


def new_agency(parent: Path, code: str | None, name: str) -> Path:
    """A department (``parent`` is the publication folder) or a budget unit (``parent`` is a department)."""
    parent = Path(parent)
    folder = parent / (code or name)
    if folder.exists():
        raise UserError(f"{folder} 已经存在，没有改动。")
    if (parent / SETTINGS_FILE).is_file():
        target, kind, listing, key = folder / DEPARTMENT_FILE, "department", parent / SETTINGS_FILE, "departments"
        from .content import department_yaml
        text = department_yaml(Department(code=code, name=name, units=[]))
    elif (parent / DEPARTMENT_FILE).is_file():
        target, kind, listing, key = folder / UNIT_FILE, "unit", parent / DEPARTMENT_FILE, "units"
        from .content import unit_yaml
        text = unit_yaml(Unit(code=code, name=name, projects=[]))
    else:
        raise UserError(f"{parent} 既不是出版物文件夹（ptgen.yaml），也不是主管部门文件夹（{DEPARTMENT_FILE}）。")
    folder.mkdir(parents=True)
    write_bytes(target, (schema_line(target, kind) + text).encode("utf-8"))
    _append_to_list(listing, key, folder.name)
    return target
