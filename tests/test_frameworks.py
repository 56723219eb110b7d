"""Indicator frameworks are package data, each form names its framework and the defaults a new
publication of it starts with, and a publication's framework is read through one function."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from helpers import CONTENT, ROOT, SETTINGS, make_publication
from test_import_safety import ptgen
from test_layouts import GOOD

from ptgen import api, layouts
from ptgen.model import Settings

# The frameworks as lint/structure.py held them before they became data (golden copy, written once).
OLD_FRAMEWORKS = {
    # (mof2013 was added on the regions' branch as a dict beside these; the same golden copy)
    "mof2013": {
        "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
        "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "社会公众或服务对象满意度指标"],
    },
    "mof2015": {
        "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
        "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
        "满意度指标": ["服务对象满意度指标"],
    },
    "mof2021": {
        "成本指标": ["经济成本指标", "社会成本指标", "生态环境成本指标"],
        "产出指标": ["数量指标", "质量指标", "时效指标"],
        "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
        "满意度指标": ["服务对象满意度指标"],
    },
}


def test_frameworks_load_from_package_data_and_equal_the_old_lists():
    assert layouts.framework_names() == tuple(OLD_FRAMEWORKS)
    for name, tree in OLD_FRAMEWORKS.items():
        assert (ROOT / "layouts" / "frameworks" / f"{name}.yaml").is_file()
        fw = layouts.framework(name)
        assert fw.tree == tree and list(fw.tree) == list(tree)  # the order too (H03 reads it)
        assert list(map(list, fw.tree.values())) == list(map(list, tree.values()))


def test_the_frameworks_are_shipped_in_the_wheel():
    import tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "frameworks/*.yaml" in data["tool"]["setuptools"]["package-data"]["ptgen.forms"]


def test_nothing_imports_the_old_frameworks_dict():
    for path in (ROOT / "src" / "ptgen").rglob("*.py"):
        assert "FRAMEWORKS" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("name", ["tianjin", "shanghai"])
def test_each_builtin_form_starts_a_publication_as_its_example_was_published(name):
    form = layouts.get(name)
    published = yaml.safe_load((CONTENT / f"{name}-2025" / "ptgen.yaml").read_text(encoding="utf-8"))
    assert form.framework == published["framework"]
    d = form.defaults
    assert (d.money_unit, d.numbering, d.merge_level1) == \
        (published["money_unit"], published["numbering"], published["merge_level1"])
    assert (d.bookmarks.prefix, str(d.bookmarks.digits)) == \
        (published["bookmarks"]["prefix"], published["bookmarks"]["digits"])


def test_the_publication_framework_is_its_forms_unless_ptgen_yaml_names_one():
    base = {"title": "t", "year": 2025, "region": "r"}
    assert layouts.framework_of(Settings(**base, layout="shanghai")).name == "mof2021"
    assert layouts.framework_of(Settings(**base, layout="tianjin")).name == "mof2015"
    assert layouts.framework_of(Settings(**base, layout="shanghai", framework="mof2015")).name == "mof2015"


def _issues(root):
    return [(i.file, i.line, i.code, i.message) for i in api.check(root).report.issues]


def test_h01_on_a_shanghai_publication_without_framework_uses_mof2021(tmp_path):
    root = tmp_path / "shanghai-2025"
    shutil.copytree(CONTENT / "shanghai-2025", root)
    settings = root / "ptgen.yaml"
    with_framework = _issues(root)
    settings.write_text("".join(l for l in settings.read_text(encoding="utf-8").splitlines(True)
                                if not l.startswith("framework:")), encoding="utf-8")
    without = _issues(root)
    assert not [i for i in without if i[2] in ("H01", "H02", "H03")], without
    assert without == with_framework  # the form's framework (mof2021) is the one ptgen.yaml named
    # a value in ptgen.yaml still overrides the form's
    settings.write_text(settings.read_text(encoding="utf-8") + "framework: mof2015\n", encoding="utf-8")
    assert "H01" in {i[2] for i in _issues(root)}


def test_an_empty_framework_in_ptgen_yaml_is_the_forms(tmp_path):
    from ptgen.content import settings_yaml
    settings = Settings(title="t", year=2025, region="r", layout="shanghai")
    assert "framework" not in settings_yaml(settings)  # an unset framework is left out (the form's)
    root = make_publication(tmp_path / "pub", settings=SETTINGS + "framework:\n")
    assert _issues(root) == []


def test_an_unknown_framework_in_ptgen_yaml_is_an_error_at_its_position(tmp_path):
    root = make_publication(tmp_path / "pub", settings=SETTINGS + "framework: mof2099\n")
    r = ptgen("check", root, "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and "内部错误" not in r.stderr, r.stderr
    issues = json.loads(r.stdout)
    line = SETTINGS.count("\n") + 1
    assert [(i["file"], i["line"], i["column"], i["code"]) for i in issues] == [("pub/ptgen.yaml", line, 12, "Y005")]
    assert "mof2099" in issues[0]["message"] and "mof2015、mof2021" in issues[0]["message"], issues[0]["message"]


GOOD_FORM = GOOD.replace("title: 测试版式\n", "title: 测试版式\nframework: mof2021\ndefaults:\n  merge_level1: [成本指标]\n")


def test_a_definition_names_a_known_framework_and_merges_only_its_first_levels():
    form = layouts.parse(GOOD_FORM, "layouts/mini.yaml")
    assert (form.framework, form.defaults.merge_level1, form.defaults.money_unit) == ("mof2021", ["成本指标"], "万元")
    assert layouts.parse(GOOD_FORM.replace("framework: mof2021\n", "").replace("[成本指标]", "[]"), "x").framework \
        == "mof2021"  # not written: the current national framework
    for old, new, line, words in [("framework: mof2021", "framework: nope", 3, "mof2015、mof2021"),
                                  ("[成本指标]", "[产出指标, 奇怪指标]", 5, "奇怪指标"),
                                  ("[成本指标]", "[成本指标]\n  money_unit: 美元", 6, "money_unit")]:
        with pytest.raises(layouts.LayoutError) as exc:
            layouts.parse(GOOD_FORM.replace(old, new), "layouts/mini.yaml")
        assert (exc.value.file, exc.value.line) == ("layouts/mini.yaml", line), exc.value
        assert words in exc.value.message, exc.value.message


@pytest.mark.parametrize("framework, rows", [
    ("mof2015", [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
                 ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]),
    ("mof2021", [("成本指标", "经济成本指标"), ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
                 ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]),
])
def test_new_project_lays_out_the_frameworks_groups(tmp_path, framework, rows):
    root = make_publication(tmp_path / "pub", settings=SETTINGS + f"framework: {framework}\n")
    r = ptgen("new", "project", root / "353" / "353101", "--name", "新项目")
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load((root / "353" / "353101" / "新项目.yaml").read_text(encoding="utf-8"))
    assert [(i["level1"], i["level2"]) for i in data["indicators"]] == rows


def test_the_cell_map_names_the_forms_framework_and_defaults():
    from test_layouts import run
    r = run("layouts", "shanghai")
    assert r.exit_code == 0, r.output
    assert "指标体系：mof2021" in r.stdout and "成本指标（经济成本指标、社会成本指标、生态环境成本指标）" in r.stdout
    assert "金额单位 元" in r.stdout and "_Toc_pt_ 加 6 位序号" in r.stdout
