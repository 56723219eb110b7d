"""`ptgen check` output formats and exit codes, and what it finds in the example content."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import CONTENT, GOOD_PROJECT, make_publication


def ptgen(*args):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_json_format_fields_and_exit_codes(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace('fiscal: "100.00"', 'fiscal: "90.00"'))
    r = ptgen("check", root, "--format", "json")
    assert r.returncode == 1
    [issue] = json.loads(r.stdout)
    assert set(issue) >= {"file", "line", "column", "code", "severity", "message"}
    assert (issue["code"], issue["severity"], issue["line"]) == ("B01", "error", 4)
    ok = make_publication(tmp_path / "ok")
    assert ptgen("check", ok).returncode == 0


def test_warnings_exit_0_unless_strict(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace("≥95%", "≥80%"))
    assert ptgen("check", root).returncode == 0
    assert ptgen("check", root, "--strict").returncode == 1


def test_github_annotations(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace('fiscal: "100.00"', 'fiscal: "90.00"'))
    r = subprocess.run([sys.executable, "-m", "ptgen", "check", "pub", "--format", "github"], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)  # not in git: files relative to the current folder
    assert r.stdout.startswith("::error file=pub/353/353101/p.yaml,line=4,col=10,title=B01::")


def test_select_and_ignore(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace("≥95%", "≥80%").replace(
        'fiscal: "100.00"', 'fiscal: "90.00"'))
    assert {i["code"] for i in json.loads(ptgen("check", root, "-f", "json", "--select", "S").stdout)} == {"S02"}
    assert {i["code"] for i in json.loads(ptgen("check", root, "-f", "json", "--ignore", "B01").stdout)} == {"S02"}


def test_rules_lists_every_code():
    r = ptgen("rules")
    assert r.returncode == 0 and "B01" in r.stdout and "X07" in r.stdout


def test_build_writes_the_compilations_and_says_what_it_wrote(tmp_path):
    ok = make_publication(tmp_path / "pub")
    r = ptgen("build", ok, "--out", tmp_path / "out", "--format", "docx")
    assert r.returncode == 0, r.stderr
    assert "353.docx" in r.stdout and "pub.docx" in r.stdout and "1 张表" in r.stdout
    assert sorted(p.name for p in (tmp_path / "out" / "docx" / "pub").iterdir()) == ["353.docx", "pub.docx"]


def test_build_with_errors_writes_nothing_unless_forced(tmp_path):
    bad = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace('fiscal: "100.00"', 'fiscal: "90.00"'))
    r = ptgen("build", bad, "--out", tmp_path / "out", "--format", "docx")
    assert r.returncode == 1 and "B01" in r.stdout and "没有生成任何文件" in r.stderr
    assert not (tmp_path / "out").exists()
    r = ptgen("build", bad, "--out", tmp_path / "out", "--format", "docx", "--force")
    assert r.returncode == 0 and (tmp_path / "out" / "docx" / "pub" / "pub.docx").exists()
    assert "1 个错误" in r.stdout
    r = ptgen("build", bad, "--out", tmp_path / "out", "--format", "odt")
    assert r.returncode == 2 and "odt" in r.stderr and "Traceback" not in r.stderr


# What the seeds really contain: every error and warning `ptgen check content/` must report.
EXPECTED_SEED_FINDINGS = {
    ("B01", 0), ("X07", 1), ("V09", 1), ("X03", 10), ("X05", 6), ("V11", 4), ("S02", 1), ("S01", 3), ("S03", 1),
    ("V06", 2), ("C05", 5), ("C07", 1), ("C03", 3), ("V02", 3), ("C04", 7), ("H03", 3), ("H08", 1), ("V04", 2), ("V08", 11),
    ("T01", 2), ("T02", 3), ("V03", 5), ("H04", 9), ("H05", 6), ("H06", 1), ("D02", 2), ("X02", 2), ("X04", 3), ("X06", 1),
}


def test_example_content_reports_the_seeds_real_mistakes():
    r = ptgen("check", CONTENT, "--format", "json")
    issues = json.loads(r.stdout)
    counts: dict[str, int] = {}
    for i in issues:
        if i["severity"] != "info":
            counts[i["code"]] = counts.get(i["code"], 0) + 1
    for code, n in EXPECTED_SEED_FINDINGS:
        assert counts.get(code, 0) == n, (code, counts.get(code, 0))
    assert r.returncode == 1  # the seeds hold real errors (unbalanced quotes, raw <p> markup, value = name)
    assert not [i for i in issues if i["code"].startswith(("Y", "F"))]


def test_github_format_writes_the_full_report_to_the_job_summary(tmp_path):
    import os
    summary = tmp_path / "summary.md"
    r = subprocess.run([sys.executable, "-m", "ptgen", "check", str(CONTENT), "--format", "github"], capture_output=True,
                       text=True, env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}, timeout=120)
    text = summary.read_text(encoding="utf-8")
    assert r.returncode == 1 and text.startswith("### ptgen check：12 个错误，105 个警告")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    rows = [row for row in rows if "| 错误 |" in row or "| 警告 |" in row]
    assert len(rows) == 12 + 105  # every error and warning, beyond GitHub's 10 annotations per kind


def test_build_verify_reads_the_outputs_back(tmp_path):
    ok = make_publication(tmp_path / "pub")
    r = ptgen("build", ok, "--out", tmp_path / "out", "--format", "docx,html", "--verify")
    assert r.returncode == 0 and "核对通过：4 个文件" in r.stdout, r.stdout + r.stderr


def test_build_pdf_from_the_command_line_and_no_render_process_is_left(tmp_path):
    """The CLI starts the PDF render server before it loads the content; it stops with the command,
    whether the build succeeds or the content has errors."""
    ok = make_publication(tmp_path / "pub")
    r = ptgen("build", ok, "--out", tmp_path / "out", "--format", "pdf")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "pdf" / "pub").iterdir()) == ["353.pdf", "pub.pdf"]
    bad = make_publication(tmp_path / "bad", project=GOOD_PROJECT.replace('fiscal: "100.00"', 'fiscal: "90.00"'))
    r = ptgen("build", bad, "--out", tmp_path / "out2", "--format", "pdf")
    assert r.returncode == 1 and "B01" in r.stdout and "Traceback" not in r.stderr
    assert not (tmp_path / "out2").exists()
    left = []
    for proc in Path("/proc").iterdir():  # render processes carry the command line they were forked from
        try:
            if str(tmp_path).encode() in (proc / "cmdline").read_bytes():
                left.append(proc.name)
        except OSError:
            pass
    assert left == []
