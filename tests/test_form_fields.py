"""A publication's own form: a layout definition in its layouts/ folder, with fields the common
content lacks (项目负责人; 度量单位 and 权重 columns), used by check, build and fmt — no Python."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import GOOD_PROJECT, SETTINGS, W_NS, docx_xml, make_publication

MINI = """\
# A county's form: 项目负责人 in the header, 度量单位 and 权重 columns in the grid.
name: mini
title: 某县 项目支出绩效目标表
description: 测试用的版式
framework: mof2015
heading: {suffix: 绩效目标表}
fields:
  - {key: leader, title: 项目负责人, required: true}
indicator_fields:
  - {key: unit_of_measure, title: 度量单位}
  - {key: weight, title: 权重}
tables:
  - kind: mini-form
    caption: "{project.name}：绩效目标"
    widths: [2, 2, 4, 2, 1, 1]
    rows:
      - cells:
          - {label: 项目名称}
          - {value: name, span: 3}
          - {label: 项目负责人}
          - {value: leader}
      - cells:
          - {label: 预算数（万元）}
          - {amount: budget.total, span: 5}
      - can_split: true
        cells:
          - {label: 绩效目标}
          - {value: goals, span: 5}
    grid:
      columns:
        - {head: 一级指标, field: level1, merge: level1}
        - {head: 二级指标, field: level2}
        - {head: 三级指标, field: name}
        - {head: 指标值, field: value}
        - {head: 度量单位, field: unit_of_measure}
        - {head: 权重, field: weight}
"""

PROJECT = GOOD_PROJECT.replace("bookmark: _Toc_4_4_0000000004\n", "bookmark: _Toc_4_4_0000000004\nleader: 张三\n") \
    .replace("    value: ≥10个\n", "    value: ≥10个\n    unit_of_measure: 个\n    weight: \"20\"\n")


def ptgen(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


def docx_rows(path):
    """Each table row of a built DOCX as its cells' texts."""
    xml = docx_xml(path)
    return [["".join(t.text or "" for t in tc.iter(W_NS + "t")) for tc in tr.iter(W_NS + "tc")]
            for tr in xml.iter(W_NS + "tr")]


def mini_publication(root, project=PROJECT, layout=MINI):
    return make_publication(root, project, SETTINGS.replace("layout: tianjin", "layout: mini"),
                            extra={"layouts/mini.yaml": layout})


def issues(r):
    return json.loads(r.stdout)


def test_a_publication_defines_its_own_form_and_builds_it(tmp_path):
    root = mini_publication(tmp_path / "pub")
    r = ptgen("check", root, "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not [i for i in issues(r) if i["code"].startswith(("Y", "F", "E"))]
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx,html", "--verify")
    assert r.returncode == 0, r.stderr
    rows = docx_rows(tmp_path / "out" / "docx" / "pub" / "353.docx")
    assert ["项目名称", "信息系统运维费", "项目负责人", "张三"] in rows
    assert ["一级指标", "二级指标", "三级指标", "指标值", "度量单位", "权重"] in rows
    assert ["产出指标", "数量指标", "运维系统数量", "≥10个", "个", "20"] in rows
    html = (tmp_path / "out" / "html" / "pub" / "353.html").read_text(encoding="utf-8")
    assert "<th" in html and "度量单位" in html and "张三" in html
    # fmt keeps the form's fields where they are (after the bookmark; after the value) and drops none
    r = ptgen("fmt", root)
    assert r.returncode == 0, r.stdout + r.stderr
    text = (root / "353" / "353101" / "p.yaml").read_text(encoding="utf-8")
    assert "bookmark: _Toc_4_4_0000000004\nleader: 张三\nbudget:" in text
    assert "    value: ≥10个\n    unit_of_measure: 个\n    weight: \"20\"\n" in text


def test_fields_the_form_does_not_declare_are_errors_at_their_line(tmp_path):
    project = PROJECT.replace("leader: 张三\n", "leader: 张三\nmanager: 李四\n").replace(
        "    weight: \"20\"\n", "    weight: \"20\"\n    score: \"5\"\n")
    root = mini_publication(tmp_path / "pub", project)
    r = ptgen("check", root, "--format", "json")
    y003 = {(i["line"], i["text"]) for i in issues(r) if i["code"] == "Y003"}
    assert y003 == {(4, "manager"), (20, "score")}, issues(r)
    assert any("leader" in i["message"] for i in issues(r) if i["text"] == "manager")  # says what may be written
    # and the same keys are unknown to a form that does not declare them
    r = ptgen("check", make_publication(tmp_path / "tj", PROJECT), "--format", "json")
    assert {i["text"] for i in issues(r) if i["code"] == "Y003"} == {"leader", "unit_of_measure", "weight"}


def test_a_required_form_field_left_out_is_one_finding(tmp_path):
    root = mini_publication(tmp_path / "pub", PROJECT.replace("leader: 张三\n", ""))
    found = [i for i in issues(ptgen("check", root, "--format", "json")) if i["severity"] == "error"]
    assert [(i["code"], i["message"]) for i in found] == [("E01", "项目负责人是空的，待填写。")]


def test_unknown_layout_name_lists_the_known_ones_at_its_line(tmp_path):
    root = make_publication(tmp_path / "pub", settings=SETTINGS.replace("layout: tianjin", "layout: hubei"))
    [i] = [i for i in issues(ptgen("check", root, "--format", "json")) if i["code"] == "Y005"]
    assert i["line"] == 5 and "hubei" in i["message"] and "tianjin" in i["message"] and "shanghai" in i["message"]


def test_a_malformed_definition_is_reported_in_its_file_and_nothing_is_built(tmp_path):
    root = mini_publication(tmp_path / "pub", layout=MINI.replace("widths: [2, 2, 4, 2, 1, 1]", "widths: [2, 2, 4, 2, 1]"))
    r = ptgen("check", root, "--format", "json")
    [i] = issues(r)
    assert i["file"].endswith("layouts/mini.yaml") and i["line"] == 17 and "5 列" in i["message"]
    r = ptgen("build", root, "--out", tmp_path / "out", "--force")
    assert r.returncode == 1 and not (tmp_path / "out" / "docx").exists()


def test_a_definition_linked_from_outside_is_never_read(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    root = mini_publication(tmp_path / "pub")
    (root / "layouts" / "mini.yaml").unlink()
    (root / "layouts" / "mini.yaml").symlink_to(secret)
    r = ptgen("check", root, "--format", "json")
    assert "hunter2" not in r.stdout + r.stderr
    assert [i["code"] for i in issues(r)] == ["F004"]


@pytest.mark.parametrize("value, words", [
    ("project_funds:\n  total: \"1.00\"\n  extra: \"2\"\n", "extra"),   # a part the form does not have
    ("project_funds: \"1.00\"\n", "键值映射"),                            # a group written as one amount
    ("project_funds:\n  total: 一百\n", "金额"),                          # not an amount
])
def test_shanghai_money_fields_are_checked(tmp_path, value, words):
    from pathlib import Path
    src = next(Path(__file__).resolve().parents[1].glob("content/shanghai-2025/*/*/技能评价业务经费.yaml"))
    text = src.read_text(encoding="utf-8")
    start = text.index("project_funds:")
    end = text.index("long_term_goal:")
    root = tmp_path / "sh"
    import shutil
    shutil.copytree(src.parents[2], root)
    (root / src.relative_to(src.parents[2])).write_text(text[:start] + value + text[end:], encoding="utf-8")
    found = [i for i in issues(ptgen("check", root, "--format", "json")) if i["code"] == "Y005"]
    assert found and words in found[0]["message"], found


def test_markdown_names_only_text_fields_of_the_form(tmp_path):
    settings = SETTINGS + "markdown: [goals, long_term_goal]\n"
    r = ptgen("check", make_publication(tmp_path / "pub", settings=settings), "--format", "json")
    [i] = [i for i in issues(r) if i["code"] == "Y005"]
    assert i["text"] == "long_term_goal" and i["line"] == 8


def test_a_form_of_ones_own_imports_back_too(tmp_path):
    """Adding a form needs no Python: the same definition that builds it reads it back, byte for
    byte, when the import goes into a publication whose layouts/ folder holds it."""
    import shutil
    root = mini_publication(tmp_path / "pub")
    unit = root / "353" / "353101"
    (unit / "p.yaml").rename(unit / "信息系统运维费.yaml")  # the file name import gives a project
    (unit / "unit.yaml").write_text((unit / "unit.yaml").read_text(encoding="utf-8").replace("p.yaml", "信息系统运维费.yaml"),
                                    encoding="utf-8")
    from ptgen import api, content
    [pub] = api.check(root).publications  # every file in the canonical shape import writes
    [dept] = pub.departments
    (root / "353" / "department.yaml").write_text(content.department_yaml(dept.department), encoding="utf-8")
    (unit / "unit.yaml").write_text(content.unit_yaml(dept.units[0].unit), encoding="utf-8")
    project = dept.units[0].projects[0].project  # every row has the form's columns ("" where empty)
    rows = [i.model_copy(update={"description": None,  # the form has no 描述 column
                                 "extras": {k: i.extras.get(k, "") for k in ("unit_of_measure", "weight")}})
            for i in project.indicators]
    from ptgen import ids  # and the identity import gives a project it makes
    shown = project.model_copy(update={"indicators": rows, "purpose": None,  # what the form prints, no more
                                       "budget": project.budget.model_copy(update={"fiscal": None}),
                                       "id": ids.make(pub.settings.year, "353", "353101", project.bookmark)})
    (unit / "信息系统运维费.yaml").write_text(content.project_yaml(shown), encoding="utf-8")
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx")
    assert r.returncode == 0, r.stderr
    again = tmp_path / "again" / "pub"
    (again / "layouts").mkdir(parents=True)
    shutil.copy(root / "layouts" / "mini.yaml", again / "layouts" / "mini.yaml")
    settings = (root / "ptgen.yaml").read_text(encoding="utf-8")
    (again / "ptgen.yaml").write_text(settings.replace('departments:\n  - "353"\n', "departments: []\n"),
                                      encoding="utf-8")
    r = ptgen("import", tmp_path / "out" / "docx" / "pub" / "353.docx", "--into", again, "--force",
              "--department-name", "天津市人力资源和社会保障局")
    assert r.returncode == 0, r.stdout + r.stderr
    first = {p.relative_to(root): p.read_text(encoding="utf-8") for p in root.rglob("*.yaml")}
    back = {p.relative_to(again): p.read_text(encoding="utf-8") for p in again.rglob("*.yaml")}
    assert sorted(back) == sorted(first)
    for rel in first:
        assert back[rel] == first[rel], rel
    # without the definition, the same file is no known form
    r = ptgen("import", tmp_path / "out" / "docx" / "pub" / "353.docx", "--into", tmp_path / "elsewhere")
    assert r.returncode == 1 and "版式" in r.stderr and not (tmp_path / "elsewhere").exists()


def test_how_a_form_prints_an_empty_amount_is_data_and_reads_back_empty(tmp_path):
    """money.empty: a form that prints "—" in an empty money cell; the import reads "—" as empty."""
    import shutil
    layout = MINI.replace("tables:\n", "money: {empty: —}\ntables:\n", 1).replace(
        "          - {label: 预算数（万元）}\n          - {amount: budget.total, span: 5}\n",
        "          - {label: 预算数（万元）}\n          - {amount: budget.total, span: 3}\n"
        "          - {label: 其他资金}\n          - {amount: budget.other}\n")
    root = mini_publication(tmp_path / "pub", layout=layout)
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx,html", "--verify")
    assert r.returncode == 0, r.stderr
    rows = docx_rows(tmp_path / "out" / "docx" / "pub" / "353.docx")
    assert ["预算数（万元）", "100.00", "其他资金", "—"] in rows
    again = tmp_path / "again"
    (again / "layouts").mkdir(parents=True)
    shutil.copy(root / "layouts" / "mini.yaml", again / "layouts" / "mini.yaml")
    r = ptgen("import", tmp_path / "out" / "docx" / "pub" / "353.docx", "--into", again)
    assert r.returncode == 0, r.stdout + r.stderr
    [project] = [p for p in again.rglob("*.yaml") if p.parent.name == "353101" and p.name != "unit.yaml"]
    assert 'other: ""' in project.read_text(encoding="utf-8")


def test_reimporting_into_dot_from_inside_the_publication(tmp_path):
    """``ptgen import X.docx --into .`` from inside the publication: its own bookmarks are its own
    (the folder's real name, not "" for ".")."""
    import shutil
    from helpers import CONTENT
    root = tmp_path / "central-2025"
    shutil.copytree(CONTENT / "central-2025", root)
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx")
    assert r.returncode == 0, r.stderr
    r = ptgen("import", tmp_path / "out" / "docx" / "central-2025" / "central-2025.docx", "--into", ".", "--force",
              cwd=root)
    assert r.returncode == 0 and "已被" not in r.stderr, r.stdout + r.stderr


def test_a_folder_named_like_a_definition_is_a_clear_error(tmp_path):
    """``layouts/x.yaml`` that is a folder: a message naming it, not a traceback."""
    root = mini_publication(tmp_path / "pub")
    r = ptgen("build", root, "--out", tmp_path / "out", "--format", "docx")
    (root / "layouts" / "x.yaml").mkdir()
    r = ptgen("import", tmp_path / "out" / "docx" / "pub" / "353.docx", "--into", root)
    assert r.returncode == 1 and "layouts/x.yaml" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr
