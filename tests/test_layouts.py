"""Layout definitions: the built-in forms load, are described to the publisher, and a malformed
definition is reported with its position (never half-used)."""
from __future__ import annotations

import json

import pytest

from typer.testing import CliRunner

from helpers import ROOT

from ptgen import layouts
from ptgen.cli import app


def run(*args):
    return CliRunner().invoke(app, list(args), prog_name="ptgen")


def test_builtin_layouts_load_and_list():
    assert set(layouts.builtin_names()) >= {"tianjin", "shanghai"}
    r = run("layouts", "--format", "json")
    assert r.exit_code == 0
    items = json.loads(r.stdout)
    assert {i["name"] for i in items} == set(layouts.builtin_names())
    assert all(set(i) == {"name", "title", "description"} and i["title"] and i["description"] for i in items)


def test_cell_map_shows_the_form():
    r = run("layouts", "tianjin")
    assert r.exit_code == 0
    text = r.stdout
    for label in ("项目名称", "预算规模及资金用途 ↓2", "其中：财政    资金", "‹¥budget.total›", "绩效目标", "‹goals› ×6",
                  "一级指标", "绩效指标描述", "‹level1›"):
        assert label in text, label
    assert "空段落" in text  # the spacer between the header block and the grid
    r = run("layouts", "shanghai")
    assert "绩效指标 ↓（表头和每个指标）" in r.stdout and "‹¥project_funds.total›" in r.stdout


def test_unknown_layout_name_is_a_usage_error_listing_the_known_ones():
    r = run("layouts", "hubei")
    assert r.exit_code == 2
    assert "hubei" in r.output and "tianjin" in r.output and "shanghai" in r.output


def test_the_schema_accepts_every_builtin_definition():
    import jsonschema

    from ptgen.schema import schema
    from ptgen.yamlio import parse
    validator = jsonschema.Draft202012Validator(schema("layout"))
    for name in layouts.builtin_names():
        text = (ROOT / "layouts" / f"{name}.yaml").read_text(encoding="utf-8")
        data, _ = parse(text)
        assert not list(validator.iter_errors(json.loads(json.dumps(data)))), name
    committed = json.loads((ROOT / "schemas" / "layout.schema.json").read_text(encoding="utf-8"))
    assert committed == schema("layout"), "regenerate schemas/layout.schema.json"


GOOD = """\
name: mini
title: 测试版式
tables:
  - kind: mini
    widths: [1, 1]
    rows:
      - cells:
          - {label: 项目名称}
          - {value: name}
    grid:
      columns:
        - {head: 三级指标, field: name}
        - {head: 指标值, field: value}
"""


def test_a_good_definition_parses():
    layout = layouts.parse(GOOD, "mini.yaml")
    assert layouts.grid_fields(layout) == ["name", "value"]


@pytest.mark.parametrize("old, new, line, words", [
    ("widths: [1, 1]", "widths: [1, 1, 1]", 7, "3 列"),                      # a row narrower than the table
    ("{label: 项目名称}", "{label: 项目名称, value: name}", 8, "只写"),          # two kinds in one cell
    ("{label: 项目名称}", "{text: '{project.__class__}'}", 8, "花括号"),        # no reaching into Python
    ("{label: 项目名称}", "{text: '{os.environ}'}", 8, "对象"),
    ("{head: 指标值, field: value}", "{head: 指标值, field: price}", 13, "field"),
    ("title: 测试版式\n", "title: 测试版式\ncolour: red\n", 3, "colour"),        # an unknown key
])
def test_a_malformed_definition_is_reported_at_its_position(old, new, line, words):
    with pytest.raises(layouts.LayoutError) as exc:
        layouts.parse(GOOD.replace(old, new), "layouts/mini.yaml")
    e = exc.value
    assert (e.file, e.line) == ("layouts/mini.yaml", line), (e.line, e.message)
    assert words in e.message and "版式定义" in e.message


def test_an_unset_field_prints_empty_and_private_names_are_never_read():
    from ptgen.model import Budget, Project
    p = Project(name="x", bookmark="_Toc1", budget=Budget(), goals="g", indicators=[])
    assert layouts.field_value(p, "project_funds.total") is None
    assert layouts.field_value(p, "__class__") is None


def test_a_definition_names_its_word_template():
    # A new form reuses a shipped Word template instead of needing a copy named after it.
    assert layouts.builtin("tianjin").word_template == "tianjin.docx"
    assert layouts.builtin("xiangtan").word_template == "shanghai.docx"
    text = (ROOT / "layouts" / "tianjin.yaml").read_text(encoding="utf-8")
    mine = text.replace("name: tianjin", "name: hebei").replace("word_template: tianjin.docx", "")
    assert layouts.parse(mine, "hebei.yaml").word_template == "standard.docx"  # a form of one's own
    with pytest.raises(layouts.LayoutError) as e:
        layouts.parse(text.replace("word_template: tianjin.docx", "word_template: ../x.docx"), "hebei.yaml")
    assert e.value.line == 16 and "word_template" in e.value.message
