"""What a build leaves in --out: names that never collide or escape it, one complete set of
outputs (manifest, lock, interrupted builds), escaped attributes, environment errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ptgen import api

from helpers import SETTINGS, make_publication, write_tree


def ptgen(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=env)


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def department_folder(root: Path, folder: str) -> Path:
    """The test publication with its department folder renamed to ``folder``."""
    (root / "353").rename(root / folder)
    (root / "ptgen.yaml").write_text(SETTINGS.replace('- "353"', f'- "{folder}"'), encoding="utf-8")
    return root


# --- 1. names that never collide or escape --out --------------------------------------------------

def test_a_department_named_index_is_a_check_error_at_its_line_and_the_build_refuses(tmp_path):
    root = department_folder(make_publication(tmp_path / "pub"), "index")
    issues = [i for i in api.check(root).report.issues if i.code == "O01"]
    assert [(i.file, i.line, i.severity.value) for i in issues] == [("pub/ptgen.yaml", 7, "error")]
    assert "index.html" in issues[0].message
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx,html", "--force")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert "index" in r.stderr and "改名" in r.stderr
    assert not (tmp_path / "out" / "html").exists() and not (tmp_path / "out" / "docx").exists()


def test_a_department_named_like_its_publication_never_overwrites_the_book(tmp_path):
    root = department_folder(make_publication(tmp_path / "pub"), "pub")
    assert [i.line for i in api.check(root).report.issues if i.code == "O01"] == [7]
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx", "--force")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert not (tmp_path / "out" / "docx").exists()


def test_build_dot_names_the_outputs_after_the_folder(tmp_path):
    root = make_publication(tmp_path / "pub")
    r = ptgen("build", ".", "--out", tmp_path / "out", "--format", "docx,html", cwd=root)
    assert r.returncode == 0, r.stderr
    assert files_under(tmp_path / "out" / "docx") == ["pub/353.docx", "pub/pub.docx"]
    assert "pub/pub.html" in files_under(tmp_path / "out" / "html")


def test_build_dotdot_stays_inside_out(tmp_path):
    root = make_publication(tmp_path / "pub")
    r = ptgen("build", "..", "--out", tmp_path / "out", "--format", "docx", cwd=root / "353")
    assert r.returncode == 0, r.stderr
    assert files_under(tmp_path / "out" / "docx") == ["pub/353.docx", "pub/pub.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pub"]


def test_out_inside_the_publication_is_refused_before_it_pollutes_the_content(tmp_path):
    """`ptgen build .` run in the publication (or `..` in a department) wrote build/ into the
    content: the next check called it an unlisted folder (F002) and every build refused."""
    root = make_publication(tmp_path / "pub")
    for cwd, args in ((root, ["."]), (root / "353", [".."]), (tmp_path, ["pub", "--out", "pub/353/out"])):
        r = ptgen("build", *args, "--format", "docx", cwd=cwd)
        assert r.returncode == 2 and "--out" in r.stderr and "出版物" in r.stderr, r.stdout + r.stderr
        assert "内部错误" not in r.stderr
    assert [p for p in root.rglob("*") if p.is_dir()] == [root / "353", root / "353" / "353101"]
    assert ptgen("check", root).returncode == 0
    assert ptgen("build", ".", "--out", "../out", "--format", "docx", cwd=root).returncode == 0


def test_two_publications_with_the_same_folder_name_are_refused(tmp_path):
    make_publication(tmp_path / "content" / "a" / "pub")
    make_publication(tmp_path / "content" / "b" / "pub")
    r = ptgen("build", tmp_path / "content", "--out", tmp_path / "out", "--format", "docx")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert "pub" in r.stderr
    assert not (tmp_path / "out" / "docx").exists()


# --- 2. the outputs of one build are a set, with a manifest ---------------------------------------

def two_departments(root: Path) -> Path:
    """The test publication plus a second department, 354, with one project."""
    project = (root / "353" / "353101" / "p.yaml").read_text(encoding="utf-8")
    write_tree(root, {
        "354/department.yaml": 'code: "354"\nname: 第二个部门\nunits:\n  - "354101"\n',
        "354/354101/unit.yaml": 'code: "354101"\nname: 第二个单位\nprojects:\n  - q.yaml\n',
        "354/354101/q.yaml": project.replace("_Toc_4_4_0000000004", "_Toc_4_4_0000000005"),
    })
    (root / "ptgen.yaml").write_text(SETTINGS + '  - "354"\n', encoding="utf-8")
    return root


def many_projects(root: Path, n: int) -> Path:
    """The test publication with ``n`` projects in its unit (a PDF that takes a few seconds)."""
    unit = root / "353" / "353101"
    project = (unit / "p.yaml").read_text(encoding="utf-8")
    names = [f"p{k}.yaml" for k in range(n)]
    for k, name in enumerate(names):
        (unit / name).write_text(project.replace("_Toc_4_4_0000000004", f"_Toc_4_4_{k + 100:010d}")
                                 .replace("信息系统运维费", f"信息系统运维费{k}"), encoding="utf-8")
    (unit / "p.yaml").unlink()
    (unit / "unit.yaml").write_text('code: "353101"\nname: 测试单位\nprojects:\n' + "".join(f"  - {n}\n" for n in names),
                                    encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in files_under(root)}


def test_a_failed_write_leaves_the_previous_complete_set(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ptgen import output
    from ptgen.cli import app
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    runner = CliRunner()
    r = runner.invoke(app, ["build", str(root), "--out", str(out), "--format", "docx,html"])
    assert r.exit_code == 0, r.output
    before = snapshot(out)
    p = root / "353" / "353101" / "p.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("信息系统运维费", "信息系统运行维护费"), encoding="utf-8")
    real, calls = output._write_temp, []

    def disk_full_at_the_third_file(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real(path, data)
    monkeypatch.setattr(output, "_write_temp", disk_full_at_the_third_file)
    r = runner.invoke(app, ["build", str(root), "--out", str(out), "--format", "docx,html"])
    assert r.exit_code == 1 and "磁盘已满" in r.output and "内部错误" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert snapshot(out) == before  # every file as it was: not DOCX new and HTML old, no temporary file
    monkeypatch.setattr(output, "_write_temp", real)
    r = runner.invoke(app, ["build", str(root), "--out", str(out), "--format", "docx,html"])
    assert r.exit_code == 0
    assert all(before[rel] != data for rel, data in snapshot(out).items() if rel.endswith((".docx", "353.html")))


def test_a_later_build_removes_what_a_killed_one_left(tmp_path):
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    assert ptgen("build", root, "--out", out, "--format", "docx").returncode == 0
    from ptgen.output import temp_name
    left = temp_name(out / "docx" / "pub" / "353.docx")
    left.write_bytes(b"half a docx")
    assert ptgen("build", root, "--out", out, "--format", "docx").returncode == 0
    assert not left.exists()
    assert [p for p in files_under(out) if p.endswith(".tmp")] == []


def test_the_manifest_removes_a_gone_departments_files_and_nothing_else(tmp_path):
    root = two_departments(make_publication(tmp_path / "pub"))
    out = tmp_path / "out"
    (out / "docx" / "pub").mkdir(parents=True)
    (out / "docx" / "pub" / "mine.docx").write_bytes(b"the clerk's own file")
    (out / "notes.txt").write_text("keep", encoding="utf-8")
    r = ptgen("build", root, "--out", out, "--format", "docx,html")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / ".ptgen-manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["docx/pub/353.docx", "docx/pub/354.docx", "docx/pub/pub.docx",
                                         "html/pub/353.html", "html/pub/354.html", "html/pub/index.html",
                                         "html/pub/pub.html"]
    # Department 354 is dropped; a build of DOCX only leaves the HTML as it was.
    (root / "ptgen.yaml").write_text(SETTINGS, encoding="utf-8")
    import shutil
    shutil.rmtree(root / "354")
    r = ptgen("build", root, "--out", out, "--format", "docx")
    assert r.returncode == 0, r.stderr
    assert files_under(out / "docx") == ["pub/353.docx", "pub/mine.docx", "pub/pub.docx"]
    assert "html/pub/354.html" in files_under(out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep"
    # A file ptgen wrote but somebody changed since is theirs now: kept.
    (out / "html" / "pub" / "354.html").write_text("edited by hand", encoding="utf-8")
    assert ptgen("build", root, "--out", out, "--format", "html").returncode == 0
    assert (out / "html" / "pub" / "354.html").read_text(encoding="utf-8") == "edited by hand"
    assert "html/pub/354.html" not in json.loads((out / ".ptgen-manifest.json").read_text(encoding="utf-8"))["files"]


# --- 3. two builds into one folder ---------------------------------------------------------------

def test_a_second_build_waits_for_the_first_ones_lock(tmp_path):
    import fcntl
    import time
    root = make_publication(tmp_path / "pub")
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".ptgen-lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(out), "--format", "docx"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        assert proc.poll() is None  # still waiting
        assert not (out / "docx").exists()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert stderr.count("另一个 ptgen build 正在写入") == 1
    assert files_under(out / "docx") == ["pub/353.docx", "pub/pub.docx"]


def test_two_pdf_builds_at_once_both_succeed(tmp_path):
    root = many_projects(make_publication(tmp_path / "pub"), 12)
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(out), "--format", "pdf"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert files_under(out / "pdf") == ["pub/353.pdf", "pub/pub.pdf"]
    assert [p for p in files_under(out) if p.endswith(".tmp")] == []


def test_the_pdf_cache_prune_never_removes_a_temporary_file(tmp_path):
    from ptgen.output import temp_name
    from ptgen.render.pdf import ChunkCache
    cache = ChunkCache(tmp_path / "cache")
    kept = cache.path("<html>used</html>")
    kept.write_bytes(b"%PDF")
    stale = tmp_path / "cache" / ("0" * 32 + ".pdf")
    stale.write_bytes(b"%PDF")
    stale.with_suffix(".json").write_text("{}")
    theirs = temp_name(tmp_path / "cache" / ("1" * 32 + ".pdf"))  # another render still writing
    theirs.write_bytes(b"%PDF-half")
    cache.prune()
    assert kept.exists() and theirs.exists()
    assert not stale.exists() and not stale.with_suffix(".json").exists()


# --- 6. environment problems ---------------------------------------------------------------------

def test_out_that_is_a_file_is_explained(tmp_path):
    root = make_publication(tmp_path / "pub")
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx")
    assert r.returncode == 1 and "内部错误" not in r.stderr and "Traceback" not in r.stderr
    assert "是一个文件，不是文件夹" in r.stderr and str(tmp_path / "out") in r.stderr
    assert (tmp_path / "out").read_text(encoding="utf-8") == "not a folder"


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_read_only_out_and_a_full_disk_are_explained(tmp_path):
    import pytest
    root = make_publication(tmp_path / "pub")
    ro, full = tmp_path / "ro", tmp_path / "full"
    if os.geteuid() != 0 or not _mount_tmpfs(ro, "size=1m,ro"):
        pytest.skip("needs root to mount a tmpfs")
    try:
        assert _mount_tmpfs(full, "size=24k")
        r = ptgen("build", root, "--out", ro / "out", "--format", "docx")
        assert r.returncode == 1 and "内部错误" not in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "只读" in r.stderr and str(ro / "out") in r.stderr
        r = ptgen("build", root, "--out", full / "out", "--format", "docx,html")
        assert r.returncode == 1 and "内部错误" not in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "磁盘已满" in r.stderr
        assert [p for p in files_under(full) if not p.startswith("out/.ptgen-")] == []  # nothing half-written
        r = ptgen("build", root, "--out", full / "out", "--format", "pdf")  # the PDF cache fills it
        assert r.returncode == 1 and "内部错误" not in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "磁盘已满" in r.stderr
        assert not (full / "out" / "pdf").exists()
        assert [p for p in files_under(full) if p.endswith(".tmp")] == []
    finally:
        subprocess.run(["umount", str(ro)])
        subprocess.run(["umount", str(full)])


# --- 7. progress in a log ------------------------------------------------------------------------

def test_without_a_terminal_each_phase_and_department_prints_a_timed_line(tmp_path):
    import re
    root = two_departments(make_publication(tmp_path / "pub"))
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx,html,pdf")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if re.match(r"^\[\s*\d+\.\ds\] pub ", line)]
    names = [re.sub(r"^\[\s*\d+\.\ds\] pub (.*) 完成$", r"\1", line) for line in lines]
    assert names[:4] == ["docx 353", "docx 354", "docx pub", "html"], r.stderr
    assert sorted(names[4:6]) == ["pdf 353 排版", "pdf 354 排版"] and names[6:] == ["pdf 353", "pdf 354", "pdf pub"]


# --- 4. SIGTERM and Ctrl-C ------------------------------------------------------------------------

def processes_of(marker: str, also: str = "") -> list[int]:
    """Processes whose command line holds ``marker`` (and ``also``): ptgen's render processes are
    forked, so they carry the command line of the build; LibreOffice carries its profile's path."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and also.encode() in cmdline and state != "Z" and int(proc.name) != os.getpid():
            found.append(int(proc.name))
    return found


def interrupt_a_build(tmp_path, signum, ready, *options):
    """Start a build, wait until ``ready()`` says it is at work, send ``signum``; return the process,
    its output and how long everything of it took to go after the signal."""
    import time
    root = many_projects(make_publication(tmp_path / "pub"), 12)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(tmp_path / "out"), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=str(tmp)))
    deadline = time.monotonic() + 90
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    time.sleep(0.3)
    start = time.monotonic()
    proc.send_signal(signum)
    while processes_of(str(tmp_path)) and time.monotonic() < start + 10:
        time.sleep(0.05)
    gone = time.monotonic() - start
    stdout, stderr = proc.communicate(timeout=30)
    return proc, stderr, gone


def test_sigterm_and_ctrl_c_stop_the_pdf_renders_within_a_second_and_leave_nothing(tmp_path):
    import signal
    for k, (signum, code) in enumerate(((signal.SIGTERM, 143), (signal.SIGINT, 130))):
        here = tmp_path / str(k)
        here.mkdir()
        # the build, the render server and at least one render
        proc, stderr, gone = interrupt_a_build(here, signum, lambda: len(processes_of(str(here))) >= 3,
                                               "--format", "pdf")
        assert proc.returncode == code, stderr
        assert gone < 1.5 and processes_of(str(here)) == []
        assert "已中断" in stderr and "Traceback" not in stderr and "内部错误" not in stderr
        assert list((here / "tmp").iterdir()) == []  # /tmp/ptgen-pdf-* removed
        out = here / "out"
        assert not (out / "pdf").exists()
        assert [p for p in files_under(out) if ".ptgen.tmp" in p or p.endswith(".tmp")] == []


def test_sigterm_during_update_toc_stops_libreoffice_and_removes_its_folder(tmp_path):
    import shutil
    import signal

    import pytest
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice not installed")
    proc, stderr, gone = interrupt_a_build(tmp_path, signal.SIGTERM, lambda: processes_of(str(tmp_path), "soffice"),
                                           "--format", "docx", "--update-toc")
    assert proc.returncode == 143, stderr
    assert gone < 2 and processes_of(str(tmp_path)) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # ptgen-lo-* removed
    assert not (tmp_path / "out" / "docx").exists()


# --- 5. every attribute escaped ------------------------------------------------------------------

def test_quotes_and_markup_in_bookmarks_codes_and_folders_stay_text_in_every_format(tmp_path):
    """``check`` rejects such names; the writers must still be right for any string (``--force``)."""
    import shutil
    import zipfile

    import lxml.html
    from lxml import etree
    from pypdf import PdfReader

    from helpers import GOOD_PROJECT, W_NS
    # A code like '35"3<&>' is a schema error now (the department is not loaded, even with --force),
    # so only the bookmark (a lint finding, P03) and the folder name reach the writers unchecked.
    bookmark, code, folder = '_Toc_4" x="1<&', "353", "部门 #1?"
    root = make_publication(tmp_path / "pub", GOOD_PROJECT.replace("bookmark: _Toc_4_4_0000000004", f"bookmark: '{bookmark}'"))
    (root / "353" / "department.yaml").write_text(f"code: '{code}'\nname: 部门\nunits:\n  - \"353101\"\n", encoding="utf-8")
    department_folder(root, folder)
    r = ptgen("build", root, "--out", tmp_path / "out", "--force")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    for name in (f"{folder}.docx", "pub.docx"):
        with zipfile.ZipFile(out / "docx" / "pub" / name) as zf:
            xml = etree.fromstring(zf.read("word/document.xml"))  # well-formed
        marks = [b.attrib for b in xml.iter(W_NS + "bookmarkStart")]
        assert all(set(a) == {W_NS + "id", W_NS + "name"} for a in marks)
        assert {a[W_NS + "name"] for a in marks} == {bookmark, f"_ptgen_{code}", "_ptgen_353101"}
        assert {h.get(W_NS + "anchor") for h in xml.iter(W_NS + "hyperlink")} == {bookmark, f"_ptgen_{code}", "_ptgen_353101"}
        assert ' PAGEREF "_Toc_4\\" x=\\"1<&" \\h ' in [t.text for t in xml.iter(W_NS + "instrText")]
    import docx
    assert "部门" in "".join(p.text for p in docx.Document(str(out / "docx" / "pub" / "pub.docx")).paragraphs)
    page = lxml.html.fromstring((out / "html" / "pub" / "pub.html").read_bytes())
    assert page.get_element_by_id(bookmark).tag == "section"
    assert page.get_element_by_id(f"_ptgen_{code}").tag == "section"
    index = lxml.html.fromstring((out / "html" / "pub" / "index.html").read_bytes())
    links = [a.get("href") for a in index.iter("a")]
    assert "部门%20%231%3F.html" in links and (out / "html" / "pub" / f"{folder}.html").exists()
    if shutil.which("pdftotext"):
        reader = PdfReader(out / "pdf" / "pub" / "pub.pdf")
        assert {bookmark, f"_ptgen_{code}"} <= set(reader.named_destinations)


# --- 6. the formats: one renderer each, registered by name -----------------------------------------

class TextRenderer:
    """A format made for the test: one .txt per compilation, listing its table titles."""

    name = "txt"

    @classmethod
    def service(cls, jobs):
        return None

    @classmethod
    def files(cls, pub):
        return [f"{d.folder}.txt" for d in pub.departments] + [f"{pub.name}.txt"]

    @classmethod
    def steps(cls, pub):
        return len(pub.departments) + 1

    def start(self, pub, comps, ctx):
        self.started = [stem for stem, _ in comps]

    def render(self, pub, comps, ctx):
        from ptgen.render.formats import Rendered
        out = []
        for stem, comp in comps:
            assert stem in self.started
            out.append(Rendered(f"{stem}.txt", "\n".join(e.heading.text for e in comp.entries).encode("utf-8"), comp))
            ctx.step(f"txt {stem}")
        return out


def test_a_new_format_is_one_renderer_and_one_registration(tmp_path, monkeypatch):
    from contextlib import contextmanager

    from ptgen.render import formats
    monkeypatch.setitem(formats.REGISTRY, "txt", f"{__name__}:TextRenderer")
    root = make_publication(tmp_path / "pub")
    heard = []

    @contextmanager
    def progress(pub, steps):
        heard.append(steps)
        yield heard.append
    run = api.build(root, tmp_path / "out", ["txt", "docx"], progress=progress)
    assert not run.blocked and [b.publication.name for b in run.built] == ["pub"]
    outputs = [o.path.relative_to(tmp_path / "out").as_posix() for o in run.built[0].result.outputs]
    assert outputs == ["docx/pub/353.docx", "docx/pub/pub.docx", "txt/pub/353.txt", "txt/pub/pub.txt"]
    assert (tmp_path / "out" / "txt" / "pub" / "pub.txt").read_text(encoding="utf-8") == "1.信息系统运维费绩效目标表"
    manifest = json.loads((tmp_path / "out" / ".ptgen-manifest.json").read_text(encoding="utf-8"))["files"]
    assert "txt/pub/353.txt" in manifest and "docx/pub/pub.docx" in manifest
    assert heard == [4, "docx 353", "docx pub", "txt 353", "txt pub"]
    r = ptgen("build", root, "--out", tmp_path / "out2", "--format", "odt")
    assert r.returncode == 2 and "不支持的格式 odt；可选 docx、html、pdf、xlsx、csv。" in r.stderr


def test_a_format_named_twice_is_built_once(tmp_path):
    root = make_publication(tmp_path / "pub")
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx, DOCX,html")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("pub/pub.docx") == 1
    assert files_under(tmp_path / "out" / "docx") == ["pub/353.docx", "pub/pub.docx"]
