"""The content tree is a security boundary (CI runs ptgen on other people's pull requests): links
out of the publication and path-like names are refused at the line that lists them and never read;
sizes, nesting depth and amounts have limits checked before anything can crash; YAML problems
are reported in Chinese where they start."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from helpers import GOOD_PROJECT, make_publication
from test_bad_input import run_check
from test_review import git, ptgen

from ptgen import yamlio

SECRET = "AKIA-SECRET-TOKEN-0123456789"
UNIT = "353/353101/unit.yaml"


def outside_secret(tmp_path: Path) -> Path:
    """A "credentials file" outside the publication; it also parses as YAML text."""
    secret = tmp_path / "outside" / "credentials"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(f"{SECRET}\n", encoding="utf-8")
    return secret


def issues_of(r) -> list[dict]:
    assert "Traceback" not in r.stdout + r.stderr and "内部错误" not in r.stdout + r.stderr, r.stderr
    return json.loads(r.stdout)


def only(issues: list[dict], code: str) -> dict:
    hit = [i for i in issues if i["code"] == code]
    assert len(hit) == 1, issues
    return hit[0]


# --- 1. links out of the publication -----------------------------------------------------------

def test_project_file_linked_outside_is_f004_at_its_listing_line_and_never_echoed(tmp_path):
    root = make_publication(tmp_path / "pub")
    (root / "353/353101/p.yaml").unlink()
    (root / "353/353101/p.yaml").symlink_to(outside_secret(tmp_path))
    r = run_check(root, "--format", "json")
    assert r.returncode == 1
    assert SECRET not in r.stdout + r.stderr
    issue = only(issues_of(r), "F004")
    assert (issue["file"], issue["line"], issue["column"]) == (f"pub/{UNIT}", 4, 5)
    assert "链接" in issue["message"]
    human = run_check(root)
    assert SECRET not in human.stdout + human.stderr and "F004" in human.stdout


@pytest.mark.parametrize("what", ["unit_folder", "unit_file", "department_file", "department_folder"])
def test_folders_and_meta_files_linked_outside_are_refused(tmp_path, what):
    root = make_publication(tmp_path / "pub")
    secret = outside_secret(tmp_path)
    elsewhere = make_publication(tmp_path / "elsewhere", project=GOOD_PROJECT.replace("信息系统运维费", SECRET))
    listing = {"unit_folder": ("353/department.yaml", 4), "unit_file": ("353/department.yaml", 4),
               "department_file": ("ptgen.yaml", 7), "department_folder": ("ptgen.yaml", 7)}[what]
    if what == "unit_folder":
        target, link = elsewhere / "353/353101", root / "353/353101"
    elif what == "unit_file":
        target, link = secret, root / UNIT
    elif what == "department_file":
        target, link = secret, root / "353/department.yaml"
    else:
        target, link = elsewhere / "353", root / "353"
    shutil.rmtree(link) if link.is_dir() else link.unlink()
    link.symlink_to(target)
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and SECRET not in r.stdout + r.stderr
    issue = only(issues_of(r), "F004")
    assert (issue["file"], issue["line"]) == (f"pub/{listing[0]}", listing[1])


def test_settings_file_linked_outside_is_refused_before_reading(tmp_path):
    root = make_publication(tmp_path / "pub")
    (root / "ptgen.yaml").unlink()
    (root / "ptgen.yaml").symlink_to(outside_secret(tmp_path))
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and SECRET not in r.stdout + r.stderr
    assert only(issues_of(r), "F004")["file"] == "pub/ptgen.yaml"


def test_a_link_inside_the_publication_stays_allowed(tmp_path):
    root = make_publication(tmp_path / "pub")
    (root / "353/353101/shared").mkdir()
    (root / "353/353101/p.yaml").rename(root / "353/353101/shared/real.yaml")
    (root / "353/353101/p.yaml").symlink_to("shared/real.yaml")
    r = run_check(root, "--format", "json")
    assert r.returncode == 0, r.stdout
    assert not [i for i in issues_of(r) if i["code"].startswith("F")]


def test_a_link_in_a_loop_and_a_dotted_yaml_name_in_a_unit_folder_are_reported_not_fatal(tmp_path):
    """A unit folder is read with one os.scandir: a link in a loop (ELOOP) made the whole check stop,
    and "..yaml" was not taken for a YAML file (os.path.splitext) so it went unreported (a second
    read of the diff found both)."""
    root = make_publication(tmp_path / "pub")
    (root / "353/353101/loop.yaml").symlink_to("loop.yaml")
    (root / "353/353101/..yaml").write_text("name: 漏列的项目\n", encoding="utf-8")
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and "错误：" not in r.stderr, r.stderr
    assert [(i["code"], i["text"]) for i in issues_of(r) if i["code"].startswith("F")] == [("F002", "..yaml")]


@pytest.mark.parametrize("templates", ["../outside", "/tmp", "linked_folder", "linked_file"])
def test_templates_outside_the_publication_are_refused_and_never_rendered(tmp_path, templates):
    settings = 'title: 测试出版物\nyear: "2025"\nregion: 天津市\ndepartments:\n  - "353"\ntemplates: {}\nlayout: tianjin\n'
    root = make_publication(tmp_path / "pub", settings=settings.format(
        "tpl" if templates.startswith("linked") else templates))
    secret = outside_secret(tmp_path)
    (tmp_path / "outside" / "html").mkdir()
    (tmp_path / "outside" / "html" / "base.html").symlink_to(secret)
    if templates == "linked_folder":
        (root / "tpl").symlink_to(tmp_path / "outside")
    elif templates == "linked_file":
        (root / "tpl" / "html").mkdir(parents=True)
        (root / "tpl" / "html" / "base.html").symlink_to(secret)
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and SECRET not in r.stdout + r.stderr
    issue = [i for i in issues_of(r) if i["code"].startswith("F")]
    assert [(i["file"], i["line"]) for i in issue] == [("pub/ptgen.yaml", 6)], issue
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(out), "--format", "html",
                        "--force"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    pages = [p.read_text(encoding="utf-8") for p in out.rglob("*.html")]
    assert pages and not [p for p in pages if SECRET in p]


ESCAPE = "{{ cycler.__init__.__globals__.os.system('touch %s') }}"


def _docx_template_with(path: Path, tag: str) -> None:
    """The shipped Word template with ``tag`` in a paragraph of its own before ``{{p body }}``."""
    import zipfile

    from ptgen.build import BUILTIN_TEMPLATES
    src = BUILTIN_TEMPLATES / "docx" / "tianjin.docx"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                at = text.index("<w:p>", text.index("<w:body>")) if "<w:p>" in text else text.index("<w:body>") + 8
                text = text[:at] + f"<w:p><w:r><w:t>{tag}</w:t></w:r></w:p>" + text[at:]
                data = text.encode("utf-8")
            zout.writestr(info, data)


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_a_template_in_the_publication_cannot_run_code(tmp_path, fmt):
    """A pull request may add templates to the publication, and CI builds it: Jinja in them runs in a
    sandbox, so reaching Python's internals (here: to run a command) is a clear error, never done."""
    settings = 'title: 测试出版物\nyear: "2025"\nregion: 天津市\ndepartments:\n  - "353"\ntemplates: tpl\nlayout: tianjin\n'
    root = make_publication(tmp_path / "pub", settings=settings)
    pwned = tmp_path / "pwned"
    if fmt == "html":
        from ptgen.build import BUILTIN_TEMPLATES
        page = (BUILTIN_TEMPLATES / "html" / "base.html").read_text(encoding="utf-8")
        (root / "tpl" / "html").mkdir(parents=True)
        (root / "tpl" / "html" / "base.html").write_text(page + ESCAPE % pwned, encoding="utf-8")
    else:
        _docx_template_with(root / "tpl" / "docx" / "tianjin.docx", ESCAPE % pwned)
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(tmp_path / "out"),
                        "--format", fmt], capture_output=True, text=True, timeout=300)
    assert not pwned.exists(), "a template ran a command"
    assert r.returncode == 1 and "模板" in r.stderr, r.stdout + r.stderr
    assert "内部错误" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "out" / fmt).exists()


def test_a_template_in_the_publication_cannot_fetch_files_or_urls_into_the_pdf(tmp_path):
    """WeasyPrint fetches what a page links to: a template could attach any file of the CI machine
    to the PDF (``<link rel=attachment href=file:///…>``) or make it fetch a URL.  It fetches nothing
    but ``data:`` URLs."""
    settings = 'title: 测试出版物\nyear: "2025"\nregion: 天津市\ndepartments:\n  - "353"\ntemplates: tpl\nlayout: tianjin\n'
    root = make_publication(tmp_path / "pub", settings=settings)
    secret = outside_secret(tmp_path)
    from ptgen.build import BUILTIN_TEMPLATES
    page = (BUILTIN_TEMPLATES / "html" / "base.html").read_text(encoding="utf-8")
    links = (f'<link rel="attachment" href="{secret.as_uri()}" />'
             f'<link rel="stylesheet" href="{secret.as_uri()}" /></head>')
    (root / "tpl" / "html").mkdir(parents=True)
    (root / "tpl" / "html" / "base.html").write_text(page.replace("</head>", links, 1), encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(out), "--format", "pdf"],
                       capture_output=True, text=True, timeout=300)
    assert "内部错误" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    import pikepdf
    pdfs = list(out.rglob("*.pdf"))
    assert pdfs, r.stdout + r.stderr
    for pdf in pdfs:  # the parts in .cache/ included
        with pikepdf.open(pdf) as doc:
            assert not doc.attachments, (pdf, list(doc.attachments))
    assert not [p for p in out.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]


# --- 2. listed names are single safe path components ------------------------------------------

@pytest.mark.parametrize("entry", ['"../../outside"', '"/etc"', '"a/b"', '"."', '".."', '"a\\0b"', '"a\\\\b"'])
def test_unit_and_project_entries_must_be_plain_names(tmp_path, entry):
    root = make_publication(tmp_path / "pub", extra={
        "353/department.yaml": f'code: "353"\nname: 部门\nunits:\n  - "353101"\n  - {entry}\n',
        UNIT: f'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n  - {entry}\n'})
    outside_secret(tmp_path)
    (tmp_path / "outside" / "department.yaml").write_text(f"name: {SECRET}\n", encoding="utf-8")
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and SECRET not in r.stdout + r.stderr
    hits = sorted((i["file"], i["line"], i["column"]) for i in issues_of(r) if i["code"] == "F005")
    assert hits == [("pub/353/353101/unit.yaml", 5, 5), ("pub/353/department.yaml", 5, 5)]


def test_department_entry_escaping_the_publication_is_never_followed(tmp_path):
    root = make_publication(tmp_path / "pub", settings=(
        'title: 测试出版物\nyear: "2025"\nregion: 天津市\ndepartments:\n  - "353"\n  - "../outside"\nlayout: tianjin\n'))
    outside_secret(tmp_path)
    (tmp_path / "outside" / "department.yaml").write_text(f"name: {SECRET}\nunits: []\n", encoding="utf-8")
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and SECRET not in r.stdout + r.stderr
    issue = only(issues_of(r), "F005")
    assert (issue["file"], issue["line"]) == ("pub/ptgen.yaml", 6)


# --- 3. and 4. diff and check --against --------------------------------------------------------

def committed(tmp_path: Path) -> tuple[Path, Path]:
    """A git repository with the publication content/pub, committed; (repo, publication)."""
    repo = tmp_path / "repo"
    root = make_publication(repo / "content" / "pub")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo, root


@pytest.fixture
def linked_repo(tmp_path):
    """A committed publication whose project file is a link to an absolute path outside it."""
    repo, root = committed(tmp_path)
    secret = outside_secret(tmp_path)
    (root / "353/353101/p.yaml").unlink()
    (root / "353/353101/p.yaml").symlink_to(secret)  # absolute target
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    return repo


def test_diff_reports_a_link_out_of_the_publication_at_its_listing_line(linked_repo):
    for args in (["diff", "HEAD~1", "HEAD"], ["diff", "HEAD"], ["diff", "HEAD", "HEAD~1"]):
        r = ptgen(linked_repo, *args, "--path", "content")
        out = r.stdout + r.stderr
        assert r.returncode == 1, out
        assert "Traceback" not in out and "内部错误" not in out and "AbsoluteLinkError" not in out
        assert SECRET not in out
        assert f"pub/{UNIT}:4:5" in out and "F004" in out
        assert "删除" not in out


def test_check_against_a_revision_with_such_a_link(linked_repo):
    r = ptgen(linked_repo, "check", "content", "--format", "json", "--against", "HEAD")
    assert SECRET not in r.stdout + r.stderr
    f004 = [i for i in issues_of(r) if i["code"] == "F004"]
    assert r.returncode == 1
    # the working tree's link, and the same one at HEAD, both at the listing line, named from the current folder
    assert len(f004) == 2 and all((i["file"], i["line"]) == (f"content/pub/{UNIT}", 4) for i in f004)
    assert sorted((i["severity"], "HEAD" in i["message"]) for i in f004) == [("error", False), ("warning", True)]


@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_diff_never_reads_a_content_folder_that_a_revision_links_out_of_the_repository(tmp_path, link):
    """A pull request may replace content/ (or a publication) by a link; diff and check --against
    read that revision from git, and must not follow the link to whatever the CI machine holds."""
    repo, root = committed(tmp_path)
    elsewhere = make_publication(tmp_path / "elsewhere" / "pub")
    p = elsewhere / "353" / "353101" / "p.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("信息系统运维费", SECRET), encoding="utf-8")
    shutil.rmtree(repo / "content")
    target = tmp_path / "elsewhere"  # relative: up to / from anywhere (in the repository or an extracted copy)
    target = target if link == "absolute" else Path("../" * 40 + str(target).lstrip("/"))
    (repo / "content").symlink_to(target)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "content is a link")
    git(repo, "checkout", "-q", "HEAD~1")  # the working tree: the real content
    for args in (["diff", "HEAD", "main", "--path", "content"], ["diff", "main", "HEAD", "--path", "content"],
                 ["check", "content", "--against", "main"]):
        r = ptgen(repo, *args)
        out = r.stdout + r.stderr
        assert SECRET not in out, (args, out)
        assert "Traceback" not in out and "内部错误" not in out, out
        assert r.returncode == 1 and "符号链接" in out and "main" in out, (args, out)


def test_a_huge_file_at_a_revision_is_y007_without_being_read(tmp_path):
    """git archive's output was held in memory whole: a pull request committing a big (and well
    compressed) file made diff and check --against hold it all. Like the working tree, its size is
    what is checked; it is never read."""
    repo, root = committed(tmp_path)
    big = root / "353" / "353101" / "p.yaml"
    with open(big, "r+b") as f:
        f.truncate(300 << 20)  # zeros: tiny in git, 300 MB when read
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "huge")
    big.write_text(GOOD_PROJECT, encoding="utf-8")
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run([sys.executable, '-m', 'ptgen', 'diff', 'HEAD~1', 'HEAD', '--path', 'content'],"
            " capture_output=True, text=True)\n"
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
            "sys.stderr.write(r.stdout + r.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=300)
    returncode, peak_mb = map(int, r.stdout.split())
    assert returncode == 1 and "Y007" in r.stderr and "p.yaml" in r.stderr, r.stderr
    assert peak_mb < 150, peak_mb


def test_diff_reports_a_yaml_error_at_head_instead_of_a_removed_project(tmp_path):
    repo, root = committed(tmp_path)
    p = root / "353/353101/p.yaml"
    p.write_text(GOOD_PROJECT.replace("purpose: 用于", "purpose: [用于"), encoding="utf-8")
    r = ptgen(repo, "diff", "HEAD")  # the working tree (HEAD of the comparison) is broken
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "Traceback" not in out
    assert "删除" not in out and f"pub/353/353101/p.yaml:7:" in out and "Y001" in out
    git(repo, "commit", "-qam", "broken")
    r = ptgen(repo, "diff", "HEAD~1", "HEAD")
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "删除" not in out and "p.yaml:7:" in out and "HEAD" in out
    r = ptgen(repo, "diff", "HEAD", "HEAD~1")  # broken in BASE: not "新增" either
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "新增" not in out and "p.yaml:7:" in out


def test_check_against_does_not_call_an_unreadable_project_removed(tmp_path):
    repo, root = committed(tmp_path)
    (root / "353/353101/p.yaml").write_text(GOOD_PROJECT.replace("purpose: ", "purpose："), encoding="utf-8")
    r = ptgen(repo, "check", "content", "--format", "json", "--against", "HEAD")
    issues = issues_of(r)
    assert r.returncode == 1 and [(i["line"], i["column"]) for i in issues if i["code"] == "Y001"] == [(7, 8)]
    assert not [i for i in issues if i["code"] == "A01"], issues
    (root / "ptgen.yaml").write_text("title: [\n", encoding="utf-8")  # the whole publication unreadable
    issues = issues_of(ptgen(repo, "check", "content", "--format", "json", "--against", "HEAD"))
    assert [i["code"] for i in issues] == ["Y001"], issues


def test_check_against_a_revision_that_this_change_repairs_passes(tmp_path):
    repo, root = committed(tmp_path)
    p = root / "353/353101/p.yaml"
    good = p.read_text(encoding="utf-8")
    p.write_text(good.replace("purpose: ", "purpose："), encoding="utf-8")
    git(repo, "commit", "-qam", "broken")
    p.write_text(good, encoding="utf-8")
    r = ptgen(repo, "check", "content", "--format", "json", "--against", "HEAD")
    issues = issues_of(r)
    assert r.returncode == 0, issues
    assert [(i["code"], i["severity"], i["line"]) for i in issues if i["code"] == "Y001"] == [("Y001", "warning", 7)]


# --- 5. size before reading --------------------------------------------------------------------

def test_a_huge_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(yamlio.YamlProblem) as exc:
            yamlio.read(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.value.code == "Y007" and "64.0 MB" in exc.value.message
    assert peak < 2 * 1024 * 1024, peak


def test_four_gigabytes_is_a_y007_report(tmp_path):
    root = make_publication(tmp_path / "pub")
    with open(root / "353/353101/p.yaml", "r+b") as f:
        f.truncate(4 * 1024 ** 3)
    r = run_check(root, "--format", "json")
    assert r.returncode == 1
    issue = only(issues_of(r), "Y007")
    assert issue["file"] == "pub/353/353101/p.yaml" and "4096.0 MB" in issue["message"]


# --- 6. deep nesting ---------------------------------------------------------------------------

DEEP = {
    "flow": ("name: x\nbookmark: " + "[" * 500 + "]" * 500 + "\n", 2, 11 + 19),
    "mappings": ("name: x\nbudget:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 500)) + " " * 500 + "v: 1\n",
                 2 + 20, 21),
}


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_nesting_is_a_positioned_error_in_check_fmt_and_build(tmp_path, case):
    text, line, col = DEEP[case]
    assert len(text.encode()) < 300_000
    root = make_publication(tmp_path / "pub", project=text)
    issue = only(issues_of(run_check(root, "--format", "json")), "Y011")
    assert (issue["file"], issue["line"], issue["column"]) == ("pub/353/353101/p.yaml", line, col)
    for args in (["fmt", root / "353/353101/p.yaml"], ["build", root, "--out", tmp_path / "out", "--format", "html"]):
        r = subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, COLUMNS="200"))
        out = r.stdout + r.stderr
        assert r.returncode == 1, out
        assert "Traceback" not in out and "内部错误" not in out and "RecursionError" not in out
        assert "Y011" in out and "p.yaml" in out and re.search(rf"(?<!\d){line}:{col}(?!\d)", out), out
    assert yamlio.parse("a:\n  - b:\n      - c: [d, {e: f}]\n")[0] == {"a": [{"b": [{"c": ["d", {"e": "f"}]}]}]}


# --- 7. amounts --------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["1234567890123.00", "1" * 28, "1" * 30, "1.1234567", "-" + "9" * 13])
def test_amounts_beyond_the_limit_are_positioned_errors(tmp_path, amount):
    project = GOOD_PROJECT.replace('total: "100.00"', f'total: "{amount}"')
    r = run_check(make_publication(tmp_path / "pub", project=project), "--format", "json")
    assert r.returncode == 1
    issues = issues_of(r)
    issue = only(issues, "Y005")
    assert (issue["line"], issue["column"]) == (4, 10) and "位数太多" in issue["message"]
    assert not [i for i in issues if i["code"] == "B01"]


def test_the_largest_accepted_amounts_build_and_sum(tmp_path):
    big = "999999999999.999999"
    project = (GOOD_PROJECT.replace('total: "100.00"', f'total: "{big}"').replace('fiscal: "100.00"', f'fiscal: "{big}"')
               .replace("≤100万元", f"≤{big}万元"))
    root = make_publication(tmp_path / "pub", project=project, extra={
        UNIT: 'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n  - q.yaml\n',
        "353/353101/q.yaml": project.replace("_0000000004", "_0000000005").replace("信息系统运维费", "第二个项目")})
    r = run_check(root, "--format", "json")
    issues = issues_of(r)
    assert r.returncode == 0 and not [i for i in issues if i["code"] in ("B01", "C01", "C02", "Y005")], issues
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(out), "--format", "docx,html"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    index = (out / "html/pub/index.html").read_text(encoding="utf-8")
    assert "2000000000000.00" in index  # the two projects' sum (1999999999999.999998), to the cent
    assert big in (out / "html/pub/353.html").read_text(encoding="utf-8")  # each amount as written


def test_a_cost_value_of_a_million_digits_does_not_crash_the_checks(tmp_path):
    project = GOOD_PROJECT.replace("≤100万元", "≤" + "9" * 500_000 + "万元")
    r = run_check(make_publication(tmp_path / "pub", project=project), "--format", "json")
    issues_of(r)


# --- 8. codes and bookmarks --------------------------------------------------------------------

@pytest.mark.parametrize("code", ['353101\\" x=\\"1', "353<1>", "353&amp;", "353 101", "353101\\n"])
@pytest.mark.parametrize("level", ["unit", "department"])
def test_unsafe_unit_and_department_codes_are_errors(tmp_path, code, level):
    file = UNIT if level == "unit" else "353/department.yaml"
    listing = "projects:\n  - p.yaml\n" if level == "unit" else 'units:\n  - "353101"\n'
    root = make_publication(tmp_path / "pub", extra={file: f'code: "{code}"\nname: 名称\n{listing}'})
    r = run_check(root, "--format", "json")
    assert r.returncode == 1
    issue = only(issues_of(r), "Y005")
    assert (issue["file"], issue["line"], issue["column"]) == (f"pub/{file}", 1, 7)
    assert "数字和英文字母" in issue["message"]


@pytest.mark.parametrize("bookmark", ['_Toc\\" x=\\"1', "_Toc<1>", "_Toc&1", "_Toc_1\\n", "_Toc_1\\r"])
def test_unsafe_bookmarks_are_p03_at_the_bookmark(tmp_path, bookmark):
    project = GOOD_PROJECT.replace("bookmark: _Toc_4_4_0000000004", f'bookmark: "{bookmark}"')
    r = run_check(make_publication(tmp_path / "pub", project=project), "--format", "json")
    assert r.returncode == 1
    issue = only(issues_of(r), "P03")
    assert (issue["line"], issue["column"]) == (2, 11)


# --- 9. YAML problems in Chinese, where they start ---------------------------------------------

ENGLISH = re.compile(r"(?<![A-Za-z])(?!YAML|Tab|UTF)[A-Za-z]{3,}")
PROBLEMS = {  # text → (line, column) where the problem starts
    "tab": ("name: x\nbudget:\n\ttotal: 1\n", 3, 1),
    "colon_in_value": ("name: x\npurpose: 用途: 说明\n", 2, 12),
    "unclosed_bracket": ("name: [未闭合\nbookmark: x\n", 1, 7),
    "unclosed_brace": ("name: {a: 1\nbookmark: x\n", 1, 7),
    "unclosed_double_quote": ('name: x\npurpose: "用途\ngoals: y\nbookmark: z\n', 2, 10),
    "unclosed_single_quote": ("name: x\npurpose: '用途\ngoals: y\n", 2, 10),
    "fullwidth_colon": ("name: x\npurpose：值\ngoals: y\n", 2, 8),
    "fullwidth_colon_last": ("name: x\npurpose：值\n", 2, 8),
    "fullwidth_colon_in_row": ("name: x\nindicators:\n  - level1：产出\n    level2: y\n", 3, 11),
    "bad_indent": ("name: x\nbudget:\n  total: 1\n fiscal: 2\n", 4, 2),
    "missing_dash": ("indicators:\n  - name: a\n  value: b\n", 3, 3),
    "text_after_quote": ('name: "x" y\n', 1, 11),
    "at_sign": ("name: @x\n", 1, 7),
    "backtick": ("name: `x\n", 1, 7),
    "escape": ('name: "a\\qb"\n', 1, 9),
    "hex_escape": ('name: "\\u12"\n', 1, 10),
    "block_indicator": ("goals: |x\n  a\n", 1, 9),
    "zero_indent": ("goals: |0\n  a\n", 1, 9),
    "two_documents": ("name: x\n---\nname: y\n", 2, 1),
    "dots": ("name: x\n...\nname: y\n", 3, 1),
    "directive": ("%FOO\n---\nname: x\n", 1, 5),
    "dash_in_value": ("name: - x\n", 1, 7),
    "anchor": ("name: &\n", 1, 8),
    "tag": ("name: !<x 1\n", 1, 10),
    "nul": ("name: 信息\npurpose: a\x00b\n", 2, 11),
    "bell": ("name: 信息\npurpose: 用途\x07\n", 2, 12),
}


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_yaml_problems_are_chinese_and_where_they_start(tmp_path, case):
    text, line, col = PROBLEMS[case]
    with pytest.raises(yamlio.YamlProblem) as exc:
        yamlio.parse(text)
    p = exc.value
    assert p.code == "Y001", p
    assert not ENGLISH.search(p.message), p.message
    assert (p.line, p.column) == (line, col), p.message
    if case.startswith("fullwidth"):
        assert "：" in p.message and "“: ”" in p.message
    if case.startswith("unclosed") and "quote" in case:
        assert "引号" in p.message


def test_every_pyyaml_and_libyaml_problem_has_a_chinese_text():
    """Each problem string of PyYAML's scanner/parser/composer/reader and of libyaml."""
    lib = Path(yaml_module_dir())
    said = set()
    for name in ("scanner.py", "parser.py", "composer.py", "reader.py"):
        said |= set(re.findall(r'"((?:expected|found|mapping|sequence|could not|did not|special)[^"]*)"',
                               (lib / name).read_text(encoding="utf-8")))
    said |= set(LIBYAML)
    untranslated = [s for s in sorted(said) if yamlio._zh_problem(s) == yamlio._zh_problem("?? nothing ??")]
    assert not untranslated


def yaml_module_dir() -> str:
    import yaml
    return os.path.dirname(yaml.__file__)


LIBYAML = [  # libyaml's scanner/parser problems (the C loader's texts)
    "block sequence entries are not allowed in this context", "control characters are not allowed",
    "could not find expected ':'", "could not find expected directive name", "did not find URI escaped octet",
    "did not find expected '!'", "did not find expected ',' or ']'", "did not find expected ',' or '}'",
    "did not find expected '-' indicator", "did not find expected <document start>",
    "did not find expected alphabetic or numeric character", "did not find expected comment or line break",
    "did not find expected digit or '.' character", "did not find expected hexdecimal number",
    "did not find expected key", "did not find expected node content", "did not find expected tag URI",
    "did not find expected version number", "did not find expected whitespace",
    "did not find expected whitespace or line break", "did not find the expected '>'",
    "exceeded maximum nesting depth", "found a tab character that violates indentation",
    "found a tab character where an indentation space is expected", "found an indentation indicator equal to 0",
    "found character that cannot start any token", "found duplicate %TAG directive",
    "found duplicate %YAML directive", "found extremely long version number", "found incompatible YAML document",
    "found invalid Unicode character escape code", "found undefined tag handle", "found unexpected ':'",
    "found unexpected document indicator", "found unexpected end of stream",
    "found unexpected non-alphabetical character", "found unknown directive name", "found unknown escape character",
    "incompatible %YAML directive", "mapping keys are not allowed in this context",
    "mapping values are not allowed in this context", "found duplicate anchor; first occurrence",
    "found undefined alias", "expected a single document in the stream", "but found another document",
]


def test_yaml_problems_reach_check_in_chinese(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace("purpose: ", "purpose："))
    issue = only(issues_of(run_check(root, "--format", "json")), "Y001")
    assert (issue["line"], issue["column"]) == (7, 8) and "中文冒号" in issue["message"]


@pytest.mark.parametrize("expression", [
    "departments[0].units[0].entries[0].department.source.path.parent.joinpath('{secret}').read_text()",
    "departments[0].units[0].entries[0].department.source.path.parent.joinpath('{pwned}').write_text('x')",
])
def test_a_template_in_the_publication_cannot_reach_files_through_the_pages_paths(tmp_path, expression):
    """Jinja's sandbox still allows public methods: the pages' objects carry their files' paths, and
    a ``Path`` reads and writes files.  A publication's own template gets nothing of a path."""
    settings = 'title: 测试出版物\nyear: "2025"\nregion: 天津市\ndepartments:\n  - "353"\ntemplates: tpl\nlayout: tianjin\n'
    root = make_publication(tmp_path / "pub", settings=settings)
    secret, pwned = outside_secret(tmp_path), tmp_path / "pwned"
    (root / "tpl" / "html").mkdir(parents=True)
    (root / "tpl" / "html" / "index.html").write_text(
        "{{ " + expression.format(secret=secret, pwned=pwned) + " }}", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(root), "--out", str(tmp_path / "out"),
                        "--format", "html"], capture_output=True, text=True, timeout=300)
    assert not pwned.exists(), "a template wrote a file"
    assert SECRET not in r.stdout + r.stderr
    assert not [p for p in (tmp_path / "out").rglob("*.html") if SECRET in p.read_text(encoding="utf-8")]
    assert r.returncode == 1 and "模板" in r.stderr and "内部错误" not in r.stderr, r.stdout + r.stderr


def test_a_journal_cannot_reach_out_through_a_linked_folder(tmp_path):
    """A ``.ptgen-commit.json`` that comes with the content names a file through a link to a folder
    outside: the removal (or rename) is never done."""
    import json

    from ptgen import output
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("important", encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "esc").symlink_to(outside)
    planted = output.temp_name(root / "x")
    planted.write_text("attacker", encoding="utf-8")
    (root / output.JOURNAL).write_text(json.dumps(
        {"renames": [[planted.name, "esc/victim2.txt"]], "remove": ["esc/victim.txt"]}), encoding="utf-8")
    output.recover(root)
    assert (outside / "victim.txt").read_text(encoding="utf-8") == "important"
    assert not (outside / "victim2.txt").exists()
    with pytest.raises(ValueError):
        output.commit(root, {root / "esc" / "new.txt": b"x"})
    assert not (outside / "new.txt").exists()
