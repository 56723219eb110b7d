"""A plain (not editable) install of ptgen can build: the templates are package data."""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from helpers import CONTENT, ROOT


def run(*args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, (args, r.stdout[-3000:], r.stderr[-3000:])
    return r


def test_wheel_installed_elsewhere_builds_the_example(tmp_path):
    # Build the wheel from a copy of the sources, so the work tree gets no build/ or egg-info.
    src = tmp_path / "src"
    for name in ("pyproject.toml", "README.md"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    for name in ("src", "templates", "layouts"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
        "-w", tmp_path / "dist", src)
    [wheel] = (tmp_path / "dist").glob("ptgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "ptgen").rglob("*.py")}
    assert modules <= names, sorted(modules - names)  # the explicit package list misses none
    templates = {"ptgen/templates/" + p.relative_to(ROOT / "templates").as_posix()
                 for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert templates and templates <= names, sorted(templates - names)
    forms = {"ptgen/forms/" + p.relative_to(ROOT / "layouts").as_posix() for p in (ROOT / "layouts").rglob("*.yaml")}
    assert forms and forms <= names, sorted(forms - names)  # the layout definitions and frameworks

    # A fresh environment that sees the test environment's libraries (after its own), not ptgen's sources.
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (purelib / "zz_ptgen_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel)

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(CONTENT, elsewhere / "content")
    where = run(python, "-c", "import ptgen.build as b; print(b.__file__); print(b.BUILTIN_TEMPLATES)",
                cwd=elsewhere).stdout.split()
    assert all(w.startswith(str(purelib)) for w in where), where  # the installed copy, not the sources
    r = run(venv / "bin" / "ptgen", "build", "content", "--out", "out", "--format", "docx,html", "--force",
            cwd=elsewhere)
    assert "找不到模板" not in r.stdout + r.stderr
    built = {p.relative_to(elsewhere / "out").as_posix() for p in (elsewhere / "out").rglob("*") if p.is_file()}
    assert {"docx/tianjin-2025/353.docx", "docx/shanghai-2025/shanghai-2025.docx",
            "html/tianjin-2025/index.html", "html/tianjin-2025/353.html"} <= built, sorted(built)
