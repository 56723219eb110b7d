from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# PTGEN_TEST_HIDE_SHARED=1 runs the tests as a fresh clone without ../shared would (only the
# comparisons with the seed texts themselves skip).
SEEDS = ROOT.parent / "shared" / "seeds" if not os.environ.get("PTGEN_TEST_HIDE_SHARED") else ROOT / ".no-shared"
TIANJIN_SEEDS = sorted(SEEDS.glob("00[012]_*.txt"))
SHANGHAI_SEED = next(iter(sorted(SEEDS.glob("003_*.txt"))), None)
CONTENT = ROOT / "content"

needs_seeds = pytest.mark.skipif(not TIANJIN_SEEDS or SHANGHAI_SEED is None, reason="../shared/seeds not present")


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


GOOD_PROJECT = """\
name: 信息系统运维费
bookmark: _Toc_4_4_0000000004
budget:
  total: "100.00"
  fiscal: "100.00"
  other: ""
purpose: 用于信息系统运行维护
goals: |
  1.保障系统稳定运行。
indicators:
  - level1: 产出指标
    level2: 数量指标
    name: 运维系统数量
    description: 反映运维的系统数量
    value: ≥10个
  - level1: 产出指标
    level2: 质量指标
    name: 运维服务验收合格率
    description: 反映验收合格情况
    value: ≥99%
  - level1: 产出指标
    level2: 时效指标
    name: 运维服务完成时间
    description: 反映完成时间
    value: 2025年12月31日前
  - level1: 产出指标
    level2: 成本指标
    name: 运维服务费
    description: 反映成本控制情况
    value: ≤100万元
  - level1: 效益指标
    level2: 社会效益指标
    name: 系统运行稳定率
    description: 反映系统稳定运行情况
    value: ≥99%
  - level1: 满意度指标
    level2: 服务对象满意度指标
    name: 系统使用者满意度
    description: 反映使用者的认可程度
    value: ≥95%
"""

SETTINGS = """\
title: 测试出版物
year: "2025"
region: 天津市
money_unit: 万元
layout: tianjin
departments:
  - "353"
"""


def make_publication(root: Path, project: str = GOOD_PROJECT, settings: str = SETTINGS,
                     extra: dict[str, str] | None = None) -> Path:
    files = {
        "ptgen.yaml": settings,
        "353/department.yaml": 'code: "353"\nname: 天津市人力资源和社会保障局\nunits:\n  - "353101"\n',
        "353/353101/unit.yaml": 'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n',
        "353/353101/p.yaml": project,
    }
    files.update(extra or {})
    return write_tree(root, files)


@pytest.fixture
def pub(tmp_path) -> Path:
    return make_publication(tmp_path / "pub")


def naive_tables(text: str):
    """Independent reading: split at headings; every tab line starts a cell, other lines join it; trim."""
    tables = []
    for line in text.split("\n"):
        if not line.startswith("\t") and re.search(r"\d+\..*绩效目标表\s*$", line):
            tables.append({"bookmarks": re.findall(r"\[bookmark: ([^\]]+)\]", line),
                           "title": re.sub(r"\[bookmark: [^\]]+\]", "", line).strip(), "cells": []})
        elif line.startswith("\t"):
            tables[-1]["cells"].append(line[1:])
        elif tables and tables[-1]["cells"]:
            tables[-1]["cells"][-1] += "\n" + line
    for t in tables:
        t["cells"] = [c.strip() for c in t["cells"]]
    return tables


def project_cells(number: int, unit_code: str, unit_name: str, p) -> list[str]:
    cells = [unit_code + unit_name, "单位：万元", "项目名称", p.name, "预算规模及资金用途", "预算数",
             str(p.budget.total or ""), "其中：财政    资金", str(p.budget.fiscal or ""), "其他资金",
             str(p.budget.other or ""), "", p.purpose, "绩效目标", p.goals,
             "一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值"]
    previous = None
    for ind in p.indicators:
        # The seeds merge the 产出指标 run: an empty first-level cell continues the one above.
        l1 = "" if ind.level1 == previous == "产出指标" else ind.level1
        previous = ind.level1
        cells += [l1, ind.level2, ind.name, ind.description, ind.value]
    return [c.strip() for c in cells]


W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_xml(path: Path, member: str = "word/document.xml"):
    import zipfile

    from lxml import etree
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(member))


def _para_text(p) -> str:
    out = []
    for el in p.iter(W_NS + "t", W_NS + "tab", W_NS + "br", W_NS + "instrText"):
        if el.tag == W_NS + "t":
            out.append(el.text or "")
        elif el.tag == W_NS + "tab" and el.getparent().tag == W_NS + "r":
            out.append("\t")
        elif el.tag == W_NS + "br":
            out.append("\n")
    return "".join(out)


def read_docx_tables(path: Path, title_style: str = "Heading3") -> list[dict]:
    """An independent reading of a built DOCX: after each title paragraph, the cells of the tables
    that follow, each ``w:tc`` once, its paragraphs joined with newlines, trimmed."""
    body = docx_xml(path).find(W_NS + "body")
    tables: list[dict] = []
    for el in body:
        if el.tag == W_NS + "p":
            style = el.find(f"{W_NS}pPr/{W_NS}pStyle")
            if style is not None and style.get(W_NS + "val") == title_style:
                tables.append({"title": _para_text(el), "cells": [], "rows": [],
                               "bookmarks": [b.get(W_NS + "name") for b in el.iter(W_NS + "bookmarkStart")]})
        elif el.tag == W_NS + "tbl" and tables:
            for tr in el.iter(W_NS + "tr"):
                row = ["\n".join(_para_text(p) for p in tc.findall(W_NS + "p")).strip() for tc in tr.findall(W_NS + "tc")]
                tables[-1]["rows"].append(row)
                tables[-1]["cells"].extend(row)
    return tables


SC_FONT = r"Noto(Serif|Sans)CJKsc-(Regular|Bold)(-\w+)?"  # the SC faces, named as themselves (issue 12 req. 5)


def pdffonts(pdf: Path) -> list[str]:
    """The fonts ``pdffonts`` lists, without their subset prefixes (ABCDEF+)."""
    import subprocess
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [line.split()[0].split("+")[-1] for line in out]
