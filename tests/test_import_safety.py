"""Nothing is lost: import, new, fmt and schema never overwrite, half-write or escape the folder."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ptgen import output
from ptgen.cli import app
from ptgen.load import load

from test_import_cli import PROJECT, make_docx


def ptgen(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included), by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def visible(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root).items() if not any(part.startswith(".") for part in Path(k).parts)}


def first_docx(path: Path) -> Path:
    make_docx(path, [("1.测试活动经费绩效目标表", "_Toc_4_4_0000000105", "353216测试单位", PROJECT)])
    return path


def more_docx(path: Path) -> Path:
    """A second project of unit 353216, a new unit 353217 and a new department 354."""
    make_docx(path, [("1.第二个项目绩效目标表", "_Toc_4_4_0000000106", "353216测试单位", dict(PROJECT, name="第二个项目")),
                     ("1.新单位项目绩效目标表", "_Toc_4_4_0000000107", "353217新单位", dict(PROJECT, name="新单位项目")),
                     ("1.外部门项目绩效目标表", "_Toc_4_4_0000000108", "354101外部门单位", dict(PROJECT, name="外部门项目"))])
    return path


def many_docx(path: Path, n: int = 12) -> Path:
    make_docx(path, [(f"{i}.项目{i}绩效目标表", f"_Toc_4_4_{200 + i:010d}", "353216测试单位", dict(PROJECT, name=f"项目{i}"))
                     for i in range(1, n + 1)])
    return path


# --- 1. settings files are never rewritten behind the user's back ---------------------------------

def test_import_refuses_to_change_settings_files_without_force_and_keeps_comments_with_it(tmp_path):
    into = tmp_path / "pub"
    assert ptgen("import", first_docx(tmp_path / "a.docx"), "--into", into, "--department-name", "测试部门").returncode == 0
    comments = {"ptgen.yaml": "# 我的出版物设置注释\n", "353/department.yaml": "# 部门注释\n",
                "353/353216/unit.yaml": "# 单位注释\n"}
    for rel, comment in comments.items():
        p = into / rel
        p.write_text(comment + p.read_text(encoding="utf-8") + "# 结尾注释\n",
                     encoding="utf-8")
    before = snapshot(into)
    src = more_docx(tmp_path / "b.docx")
    r = ptgen("import", src, "--into", into)
    assert r.returncode == 1 and "没有写入任何文件" in r.stderr and "--force" in r.stderr, r.stderr
    for rel in comments:
        assert str(into / rel) in r.stderr, (rel, r.stderr)
    assert "353217" in r.stderr and "354" in r.stderr and "第二个项目.yaml" in r.stderr  # what would be added
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert snapshot(into) == before
    r = ptgen("import", src, "--into", into, "--force")
    assert r.returncode == 0, r.stderr
    for rel, comment in comments.items():
        text = (into / rel).read_text(encoding="utf-8")
        assert comment in text and "# 结尾注释" in text, (rel, text)
    pub, _ = load(into)
    assert pub.settings.departments == ["353", "354"]
    assert [u.folder for u in pub.departments[0].units] == ["353216", "353217"]
    assert pub.departments[0].units[0].unit.projects == ["测试活动经费.yaml", "第二个项目.yaml"]
    assert [d.project.bookmark for _, _, d in pub.projects()] == [f"_Toc_4_4_{n:010d}" for n in (105, 106, 107, 108)]
    # Importing the same again changes nothing: not even the comments' files are rewritten.
    after = snapshot(into)
    r = ptgen("import", src, "--into", into)
    assert r.returncode == 0 and snapshot(into) == after, r.stderr


# --- 2. an interrupted import leaves the old tree or the complete new one -------------------------

KILLER = """
import os, signal, sys
from ptgen import output
count = {{"n": 0}}
real = getattr(os, {func!r})
def killing(*args, **kwargs):
    count["n"] += 1
    if count["n"] > {after}:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
setattr(os, {func!r}, killing)
from ptgen.cli import main
sys.argv = ["ptgen"] + sys.argv[1:]
main()
"""


def killed_ptgen(func: str, after: int, *args):
    return subprocess.run([sys.executable, "-c", KILLER.format(func=func, after=after), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_import_killed_while_writing_a_new_publication_leaves_nothing(tmp_path):
    src = many_docx(tmp_path / "many.docx")
    into = tmp_path / "pub"
    r = killed_ptgen("fsync", 5, "import", src, "--into", into)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not into.exists()
    r = ptgen("import", src, "--into", into)
    assert r.returncode == 0, r.stderr
    pub, _ = load(into)
    assert sum(1 for _ in pub.projects()) == 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.docx", "pub"]  # no temporary folder left


def test_import_killed_in_an_existing_publication_leaves_the_old_or_the_new_tree(tmp_path):
    into = tmp_path / "pub"
    assert ptgen("import", first_docx(tmp_path / "a.docx"), "--into", into).returncode == 0
    old = visible(into)
    src = more_docx(tmp_path / "b.docx")
    # Killed while the new files are written: the old tree, untouched.
    r = killed_ptgen("fsync", 2, "import", src, "--into", into, "--force")
    assert r.returncode == -signal.SIGKILL
    assert visible(into) == old
    # Killed among the renames: the journal finishes them at the next command (here: the next import).
    r = killed_ptgen("replace", 2, "import", src, "--into", into, "--force")
    assert r.returncode == -signal.SIGKILL
    assert (into / output.JOURNAL).exists() and visible(into) != old
    r = ptgen("import", src, "--into", into, "--force")
    assert r.returncode == 0, r.stderr
    pub, report = load(into)
    assert sum(1 for _ in pub.projects()) == 4
    assert not [i for i in report.errors if i.code.startswith(("Y", "F"))]
    assert not [k for k in snapshot(into) if output.is_temp_name(Path(k).name) or k == output.JOURNAL]


@pytest.mark.parametrize("existing", [False, True])
def test_disk_full_during_import_writes_nothing_and_says_so(tmp_path, monkeypatch, existing):
    into = tmp_path / "pub"
    if existing:
        assert ptgen("import", first_docx(tmp_path / "a.docx"), "--into", into).returncode == 0
    before = snapshot(into) if existing else None
    src = many_docx(tmp_path / "many.docx")
    real, calls = os.fsync, []

    def full(fd):
        calls.append(fd)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)
    monkeypatch.setattr(os, "fsync", full)
    r = CliRunner().invoke(app, ["import", str(src), "--into", str(into), "--force"])
    monkeypatch.undo()
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "没有写入任何文件" in r.output and "磁盘已满" in r.output and "内部错误" not in r.output
    if existing:
        assert snapshot(into) == before
    else:
        assert not into.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["many.docx"]




def test_import_into_a_file_is_a_clear_error(tmp_path):
    into = tmp_path / "pub"
    into.write_text("x", encoding="utf-8")
    r = ptgen("import", first_docx(tmp_path / "a.docx"), "--into", into)
    assert r.returncode == 1 and "不是文件夹" in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert into.read_text(encoding="utf-8") == "x"
