"""Unfilled cells: one clear finding each (E01, or V10 for a template marker), never a cascade.

The convention is what ``ptgen new project`` writes: an empty string, ``""``, is a cell still to
fill in.  A value that still holds a template marker (``XX``, ``**``, ``……``) is unfilled too.
"""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ptgen import api
from ptgen.cli import app

from helpers import GOOD_PROJECT, SETTINGS, make_publication

LAYOUTS = {
    "tianjin-mof2015": SETTINGS,
    "tianjin-mof2021": SETTINGS + "framework: mof2021\n",
    "shanghai": SETTINGS.replace("layout: tianjin", "layout: shanghai").replace("money_unit: 万元", "money_unit: 元"),
}


def findings(root, name):
    return [i for i in api.check(root).report.issues if i.file.endswith("/" + name)]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_fresh_new_project_gives_one_finding_per_cell_to_fill_in(tmp_path, layout):
    root = make_publication(tmp_path / "pub", settings=LAYOUTS[layout])
    r = CliRunner().invoke(app, ["new", "project", str(root / "353" / "353101"), "--name", "新项目"])
    assert r.exit_code == 0, r.output
    lines = (root / "353" / "353101" / "新项目.yaml").read_text(encoding="utf-8").split("\n")
    issues = findings(root, "新项目.yaml")
    assert {i.code for i in issues} == {"E01"}, [(i.code, i.message) for i in issues]
    assert len({i.line for i in issues}) == len(issues)  # one finding per cell
    assert all('""' in lines[i.line - 1] and "待填写" in i.message for i in issues)
    optional = ("fiscal:", "other:") + (("purpose:",) if layout == "shanghai" else ())
    to_fill = [n for n, line in enumerate(lines, 1) if '""' in line and not line.strip().startswith(optional)]
    assert sorted(i.line for i in issues) == to_fill
    assert any("成本指标" in i.message and "指标值" in i.message for i in issues)  # says which cell


def test_value_rules_skip_unfilled_cells(tmp_path):
    project = (GOOD_PROJECT
               .replace("value: ≥99%\n  - level1: 产出指标", 'value: ""\n  - level1: 产出指标', 1)  # 验收合格率 (V06)
               .replace("value: ≤100万元", 'value: ""')                                             # cost (C03)
               .replace("value: ≥95%", 'value: ""')                                                 # satisfaction (S01)
               .replace("    value: ≥99%\n  - level1: 满意度指标", "    value: ≥XX%\n  - level1: 满意度指标")  # V00
               .replace("name: 系统使用者满意度", 'name: ""'))                                       # S03
    root = make_publication(tmp_path / "pub", project)
    got = sorted((i.line, i.code) for i in findings(root, "p.yaml"))
    assert got == [(20, "E01"), (30, "E01"), (35, "V10"), (38, "E01"), (40, "E01")], got
