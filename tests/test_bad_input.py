"""Bad input gives a clear error with its position, exit 1, no traceback, and nothing written."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import GOOD_PROJECT, make_publication


def run_check(path, *args):
    """``ptgen check`` run next to ``path``, so files are named from there (``pub/353/…``)."""
    env = dict(os.environ, COLUMNS="200")
    path = Path(path)
    return subprocess.run([sys.executable, "-m", "ptgen", "check", path.name, *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=path.parent)


def snapshot(root):
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


BAD = {
    "malformed": ("name: [未闭合\nbookmark: x\n", "Y001", 1),  # the unclosed "["
    "duplicate_key": (GOOD_PROJECT.replace("purpose: 用于信息系统运行维护\n",
                                           "purpose: 用于信息系统运行维护\npurpose: 第二次\n"), "Y002", 8),
    "wrong_type": (GOOD_PROJECT.replace("name: 信息系统运维费\n", "name:\n  - 列表\n"), "Y005", 2),
    "unknown_key": (GOOD_PROJECT.replace("purpose:", "purpse:"), "Y003", 7),
    "missing_field": (GOOD_PROJECT.replace("name: 信息系统运维费\n", ""), "Y004", 1),
    "bad_money": (GOOD_PROJECT.replace('total: "100.00"', 'total: 1,00.00'), "Y005", 4),
    "alias_bomb": ('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                   'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
                   'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
                   'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n', "Y010", 2),
    "empty": ("", "Y009", 1),
    "tab_indent": (GOOD_PROJECT.replace("  total:", "\ttotal:"), "Y001", 4),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_yaml_is_a_clear_error(tmp_path, case):
    text, code, line = BAD[case]
    root = make_publication(tmp_path / "pub", project=text)
    before = snapshot(tmp_path)
    r = run_check(root, "--format", "json")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    issues = json.loads(r.stdout)
    hit = [i for i in issues if i["code"] == code]
    assert hit, issues
    assert hit[0]["file"] == "pub/353/353101/p.yaml" and hit[0]["line"] == line
    assert hit[0]["message"]
    assert snapshot(tmp_path) == before


def test_non_utf8_bytes(tmp_path):
    root = make_publication(tmp_path / "pub")
    (root / "353/353101/p.yaml").write_bytes("name: 信息\nbookmark: x\n".encode("gbk"))
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    issue = [i for i in json.loads(r.stdout) if i["code"] == "Y008"][0]
    assert issue["line"] == 1 and "UTF-8" in issue["message"]


def test_ten_megabyte_file(tmp_path):
    root = make_publication(tmp_path / "pub")
    (root / "353/353101/p.yaml").write_text("name: " + "很长" * (5 * 1024 * 1024 // 3) + "\n", encoding="utf-8")
    assert (root / "353/353101/p.yaml").stat().st_size > 9_000_000
    r = run_check(root, "--format", "json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert [i for i in json.loads(r.stdout) if i["code"] == "Y007"]


def test_human_output_names_file_line_and_code(tmp_path):
    root = make_publication(tmp_path / "pub", project=BAD["duplicate_key"][0])
    r = run_check(root)
    assert r.returncode == 1
    assert "pub/353/353101/p.yaml" in r.stdout and "8:1" in r.stdout and "Y002" in r.stdout
    assert "写了两次" in r.stdout


def test_one_bad_file_does_not_hide_the_others(tmp_path):
    root = make_publication(tmp_path / "pub", extra={
        "353/353101/unit.yaml": 'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n  - q.yaml\n',
        "353/353101/q.yaml": GOOD_PROJECT.replace("≥95%", "≥100%").replace("_0000000004", "_0000000005"),
    })
    (root / "353/353101/p.yaml").write_text("name: [\n", encoding="utf-8")
    issues = json.loads(run_check(root, "--format", "json").stdout)
    assert {(i["file"].split("/")[-1], i["code"]) for i in issues} >= {("p.yaml", "Y001"), ("q.yaml", "S02")}


def test_unlisted_and_missing_files_are_errors(tmp_path):
    root = make_publication(tmp_path / "pub", extra={"353/353101/stray.yaml": GOOD_PROJECT,
                                                     "353/353101/unit.yaml": 'name: 单位\nprojects:\n  - p.yaml\n  - gone.yaml\n'})
    issues = json.loads(run_check(root, "--format", "json").stdout)
    assert {i["code"] for i in issues} >= {"F001", "F002"}


def test_usage_errors_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ptgen", "check", "--format", "xml", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", str(tmp_path), "--format", "odt"],
                       capture_output=True, text=True)
    assert r.returncode == 2


def test_missing_publication_is_a_message_not_a_traceback(tmp_path):
    r = run_check(tmp_path / "nope")
    assert r.returncode == 2 and "找不到" in r.stderr and "Traceback" not in r.stderr


def test_a_listed_name_that_exists_but_cannot_be_that_entry_is_not_called_missing(tmp_path):
    """unit.yaml listed as a project, or a folder where a project file belongs: it is there, so
    "找不到" (not found) sent the clerk looking for a file that exists."""
    root = make_publication(tmp_path / "pub", extra={
        "353/353101/unit.yaml": 'code: "353101"\nname: 单位\nprojects:\n  - p.yaml\n  - unit.yaml\n  - sub\n'})
    (root / "353" / "353101" / "sub").mkdir()
    issues = json.loads(run_check(root, "--format", "json").stdout)
    f001 = {i["text"]: i["message"] for i in issues if i["code"] == "F001"}
    assert set(f001) == {"unit.yaml", "sub"}, issues
    assert all("找不到" not in m and "不能作为" in m for m in f001.values()), f001


@pytest.mark.parametrize("args", [
    ["check", "{p}"],
    ["build", "{p}", "--out", "{out}", "--format", "html"],
    ["import", "{p}/000.txt", "--into", "{out}"],
])
def test_a_missing_path_is_a_usage_error_for_every_command(tmp_path, args):
    """README: exit 2 for a usage mistake, "a missing path" included, for every command."""
    missing = tmp_path / "nope"
    args = [a.format(p=missing, out=tmp_path / "out") for a in args]
    r = subprocess.run([sys.executable, "-m", "ptgen", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert "找不到" in r.stderr and str(missing) in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()
