"""`ptgen new`: codes and names stay one path component; bookmarks from the raw text; check first."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ptgen.cli import app

from helpers import GOOD_PROJECT, make_publication
from test_import_safety import ptgen, snapshot


# --- 4. codes and names that would become paths outside the publication --------------------------

@pytest.mark.parametrize("code", ["../x", "/abs", "a/b", "a\\b", ".", "..", ".hidden", "", "35\x01", "353 1", "中文"])
def test_new_agency_refuses_codes_that_are_not_one_safe_path_component(tmp_path, code):
    root = make_publication(tmp_path / "pub")
    before = snapshot(tmp_path)
    r = ptgen("new", "agency", root / "353", "--code", code, "--name", "新单位")
    assert r.returncode == 2 and "编码" in r.stderr and "内部错误" not in r.stderr, (code, r.stderr)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".隐藏", "x\x00y", "  "])
def test_new_agency_without_code_refuses_names_that_are_not_one_safe_path_component(tmp_path, name):
    root = make_publication(tmp_path / "pub")
    before = snapshot(tmp_path)
    r = CliRunner().invoke(app, ["new", "agency", str(root), "--name", name])
    assert r.exit_code == 2 and "名称" in r.output and "内部错误" not in r.output, (name, r.output)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["../../../x", "/etc/x", "..", "a/../../b"])
def test_new_project_file_stays_in_its_unit_folder(tmp_path, name):
    root = make_publication(tmp_path / "pub")
    unit = root / "353" / "353101"
    r = ptgen("new", "project", unit, "--name", name)
    assert r.returncode == 0, r.stderr
    new = [p for p in unit.iterdir() if p.name not in ("unit.yaml", "p.yaml")]
    assert len(new) == 1 and new[0].parent == unit and not new[0].name.startswith(".")
    outside = set(snapshot(tmp_path)) - {str(p.relative_to(tmp_path)) for p in (root.rglob("*"))}
    assert not outside


# --- 5. new project: bookmarks from the raw text, check everything first -------------------------

def test_new_project_never_reuses_a_bookmark_of_a_file_with_a_yaml_error(tmp_path):
    broken = GOOD_PROJECT.replace("_Toc_4_4_0000000004", "_Toc_4_4_0000000009") + "oops: [\n"
    root = make_publication(tmp_path / "pub", extra={
        "353/353101/broken.yaml": broken,
        "353/353101/unit.yaml": 'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n  - broken.yaml\n'})
    r = ptgen("new", "project", root / "353" / "353101", "--name", "新项目")
    assert r.returncode == 0, r.stderr
    text = (root / "353" / "353101" / "新项目.yaml").read_text(encoding="utf-8")
    assert "bookmark: _Toc_4_4_0000000010" in text


@pytest.mark.parametrize("unit_text", ["code: \"353101\"\nname: 测试单位\nprojects: [p.yaml\n",
                                       "code: \"353101\"\nname: 测试单位\nprojects: p.yaml\n",
                                       "- 353101\n"])
def test_new_project_with_a_broken_unit_file_writes_nothing(tmp_path, unit_text):
    root = make_publication(tmp_path / "pub", extra={"353/353101/unit.yaml": unit_text})
    before = snapshot(tmp_path)
    r = ptgen("new", "project", root / "353" / "353101", "--name", "新项目")
    assert r.returncode == 1 and "unit.yaml" in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert snapshot(tmp_path) == before


