"""The region forms (issue 11, point 5): the indicator frameworks they publish."""
from __future__ import annotations

from ptgen import api

from helpers import GOOD_PROJECT, SETTINGS, make_publication


def test_the_older_framework_puts_satisfaction_under_benefit(tmp_path):
    """武汉 and 湘潭 publish 社会公众或服务对象满意度指标 as a 二级 under 效益指标 (no 满意度指标 一级):
    framework mof2013 accepts that shape; mof2015 reports it (H01, and H02: no 满意度指标)."""
    project = GOOD_PROJECT.replace("  - level1: 满意度指标\n    level2: 服务对象满意度指标",
                                   "  - level1: 效益指标\n    level2: 社会公众或服务对象满意度指标")
    assert project != GOOD_PROJECT
    codes = {}
    for fw in ("mof2013", "mof2015"):
        root = make_publication(tmp_path / fw, project=project, settings=SETTINGS + f"framework: {fw}\n")
        codes[fw] = {i.code for i in api.check(root).report.issues}
    assert not codes["mof2013"] & {"H01", "H02", "H03", "Y005"}, codes["mof2013"]
    assert {"H01", "H02"} <= codes["mof2015"]
