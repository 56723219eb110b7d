"""A build in which nothing changed renders and writes nothing, and says that the outputs are up
to date; anything that changes an output (content, options, the outputs themselves) builds again."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import make_publication

UP_TO_DATE = "输出已是最新"


def ptgen(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)


def state(out: Path) -> dict[str, tuple[int, int]]:
    """Each file under ``out``: (inode, modification time): unchanged means not written again."""
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != ".ptgen-lock"}


def test_a_second_build_of_the_same_content_writes_nothing_and_says_so(tmp_path):
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    first = ptgen("build", root, "--out", out, "--format", "docx,html,pdf")
    assert first.returncode == 0, first.stderr
    assert UP_TO_DATE not in first.stdout
    before = state(out)
    second = ptgen("build", root, "--out", out, "--format", "docx,html,pdf", "--verify")
    assert second.returncode == 0, second.stderr
    assert UP_TO_DATE in second.stdout and "写入" not in second.stdout
    assert "核对通过" in second.stdout  # --verify reads back the files that are there
    assert state(out) == before
    inputs = json.loads((out / ".ptgen-manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert sorted(inputs) == ["docx/pub", "html/pub", "pdf/pub"]


def test_a_changed_project_builds_again(tmp_path):
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    assert ptgen("build", root, "--out", out, "--format", "docx,html").returncode == 0
    book = (out / "html" / "pub" / "pub.html").read_text(encoding="utf-8")
    p = root / "353" / "353101" / "p.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("用于信息系统运行维护", "用于信息系统运行与维护"), encoding="utf-8")
    r = ptgen("build", root, "--out", out, "--format", "docx,html")
    assert r.returncode == 0 and UP_TO_DATE not in r.stdout, r.stdout
    assert (out / "html" / "pub" / "pub.html").read_text(encoding="utf-8") != book
    assert "运行与维护" in (out / "html" / "pub" / "pub.html").read_text(encoding="utf-8")


def test_an_output_edited_or_removed_is_made_again(tmp_path):
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    assert ptgen("build", root, "--out", out, "--format", "docx,html").returncode == 0
    page = out / "html" / "pub" / "353.html"
    made = page.read_bytes()
    page.write_text("edited", encoding="utf-8")
    r = ptgen("build", root, "--out", out, "--format", "docx,html")
    assert r.returncode == 0 and UP_TO_DATE not in r.stdout
    assert page.read_bytes() == made
    (out / "docx" / "pub" / "pub.docx").unlink()
    r = ptgen("build", root, "--out", out, "--format", "docx,html")
    assert r.returncode == 0 and UP_TO_DATE not in r.stdout
    assert (out / "docx" / "pub" / "pub.docx").exists()


def test_other_options_or_another_date_build_again(tmp_path):
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    assert ptgen("build", root, "--out", out, "--format", "docx").returncode == 0
    r = ptgen("build", root, "--out", out, "--format", "docx,html")  # HTML not built yet
    assert r.returncode == 0 and UP_TO_DATE not in r.stdout
    r = ptgen("build", root, "--out", out, "--format", "docx")
    assert r.returncode == 0 and UP_TO_DATE in r.stdout
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    r = ptgen("build", root, "--out", out, "--format", "docx", env=env)
    assert r.returncode == 0 and UP_TO_DATE not in r.stdout


def test_a_changed_template_of_the_publication_builds_again(tmp_path):
    from helpers import CONTENT  # noqa: F401  (the shipped templates)
    from ptgen.render.templates import BUILTIN_TEMPLATES
    root = make_publication(tmp_path / "pub")
    (root / "templates" / "html").mkdir(parents=True)
    css = BUILTIN_TEMPLATES / "html" / "style.css"
    (root / "templates" / "html" / "style.css").write_text(css.read_text(encoding="utf-8"), encoding="utf-8")
    settings = root / "ptgen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "templates: templates\n", encoding="utf-8")
    out = tmp_path / "out"
    assert ptgen("build", root, "--out", out, "--format", "html").returncode == 0
    (root / "templates" / "html" / "style.css").write_text(css.read_text(encoding="utf-8") + "\nh1 { color: red; }\n",
                                                           encoding="utf-8")
    r = ptgen("build", root, "--out", out, "--format", "html")
    assert r.returncode == 0 and UP_TO_DATE not in r.stdout, r.stdout + r.stderr
