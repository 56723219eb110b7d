"""`ptgen init`: a publication skeleton with its form's defaults, from which `new` and `check` work."""
from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from helpers import SETTINGS
from test_import_safety import snapshot

from ptgen import layouts
from ptgen.cli import app


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], prog_name="ptgen")


@pytest.mark.parametrize("layout", ["tianjin", "shanghai"])
def test_init_writes_the_forms_defaults(tmp_path, layout):
    r = run("init", tmp_path / "pub", "--layout", layout, "--year", "2026", "--title", "测试出版物", "--region", "某市")
    assert r.exit_code == 0, r.output
    data = yaml.safe_load((tmp_path / "pub" / "ptgen.yaml").read_text(encoding="utf-8"))
    form = layouts.get(layout)
    d = form.defaults
    assert data == {"title": "测试出版物", "issuer": "", "date": "", "year": "2026", "region": "某市", "money_unit": d.money_unit,
                    "layout": layout, "numbering": d.numbering,
                    "bookmarks": {"prefix": d.bookmarks.prefix, "digits": str(d.bookmarks.digits)},
                    "framework": form.framework, "merge_level1": d.merge_level1, "departments": []}
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == ["ptgen.yaml"]  # one change, nothing left over


@pytest.mark.parametrize("layout", ["tianjin", "shanghai"])
def test_init_then_new_agency_unit_project_then_check_reports_only_the_cells_to_fill(tmp_path, layout):
    pub = tmp_path / "pub"
    assert run("init", pub, "--layout", layout).exit_code == 0
    r = run("check", pub)
    assert r.exit_code == 0 and "0 个错误，0 个警告，0 个提示" in r.output, r.output
    for args in (("agency", pub, "--code", "353", "--name", "测试局"),
                 ("agency", pub / "353", "--code", "353101", "--name", "测试单位"),
                 ("project", pub / "353" / "353101", "--name", "测试项目")):
        r = run("new", *args)
        assert r.exit_code == 0, r.output
    r = run("check", pub, "--format", "json", "--verbose")
    assert r.exit_code == 1, r.output
    issues = json.loads(r.stdout)
    assert issues and all(i["code"] == "E01" and i["message"].endswith("待填写。") for i in issues), issues
    assert {i["file"].split("/pub/")[-1] for i in issues} == {"353/353101/测试项目.yaml"}


def test_init_refuses_a_folder_that_holds_a_publication(tmp_path):
    pub = tmp_path / "pub"
    pub.mkdir()
    (pub / "ptgen.yaml").write_text(SETTINGS, encoding="utf-8")
    before = snapshot(tmp_path)
    r = run("init", pub, "--layout", "shanghai")
    assert r.exit_code == 1 and "已经存在" in r.output and "内部错误" not in r.output, r.output
    assert snapshot(tmp_path) == before


def test_init_into_a_folder_with_other_files_keeps_them(tmp_path):
    (tmp_path / "README.md").write_text("说明", encoding="utf-8")
    assert run("init", tmp_path, "--layout", "tianjin").exit_code == 0
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "说明"
    assert (tmp_path / "ptgen.yaml").is_file()


def test_init_with_an_unknown_layout_is_a_usage_error_listing_the_known_ones(tmp_path):
    r = run("init", tmp_path / "pub", "--layout", "nope")
    assert r.exit_code == 2 and "nope" in r.output and "内部错误" not in r.output, r.output
    assert all(name in r.output for name in layouts.builtin_names()), r.output
    assert not (tmp_path / "pub").exists()


@pytest.mark.parametrize("args, words", [
    (("--year", "3000"), "1990 到 2100"),
    (("--year", "二〇二六"), "1990 到 2100"),
    (("--title", "标题\x0b"), "控制字符"),
])
def test_init_refuses_bad_values_in_chinese_and_writes_nothing(tmp_path, args, words):
    r = run("init", tmp_path / "pub", "--layout", "tianjin", *args)
    assert r.exit_code == 2 and words in r.output and "内部错误" not in r.output, r.output
    assert not (tmp_path / "pub").exists()


def test_init_where_a_file_stands_writes_nothing(tmp_path):
    (tmp_path / "pub").write_text("x", encoding="utf-8")
    r = run("init", tmp_path / "pub", "--layout", "tianjin")
    assert r.exit_code == 1 and "是一个文件" in r.output and "内部错误" not in r.output, r.output
    assert (tmp_path / "pub").read_text(encoding="utf-8") == "x"
