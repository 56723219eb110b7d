from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
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
