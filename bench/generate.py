"""Synthetic publication for benchmarks: departments × units × projects, ~15 indicator rows each.

    .venv/bin/python bench/generate.py --tables 1000 --out bench/out/pub-1000

The text is realistic Chinese (names, descriptions and values in the published styles) and the
content passes ``ptgen check`` without errors, so the benchmark times a real build.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ptgen.content import department_yaml, project_yaml, settings_yaml, unit_yaml  # noqa: E402
from ptgen.model import Budget, Department, Indicator, Project, Settings, Unit  # noqa: E402

SUBJECTS = ["信息系统运维", "就业创业指导", "职业技能提升", "人才引进", "社会保险经办", "档案数字化", "劳动保障监察",
            "公共实训基地", "技能竞赛", "人事考试", "专家咨询", "农民工权益保障", "公益性岗位", "高校毕业生就业"]
KINDS = ["专项经费", "运行维护费", "补助资金", "能力提升项目", "服务采购"]
QUANTITY = [("完成{s}服务人次", "≥{n}人次"), ("采购{s}设备数量", "≥{n}台（套）"), ("开展{s}培训场次", "≥{n}场"),
            ("{s}覆盖单位数", "≥{n}家"), ("编印{s}资料数量", "≥{n}册")]
QUALITY = [("{s}验收合格率", "≥{p}%"), ("{s}服务规范率", "≥{p}%"), ("{s}数据准确率", "≥{p}%")]
TIMELY = [("{s}完成时间", "{y}年12月31日前"), ("{s}响应时间", "≤{m}分钟")]
BENEFIT = [("{s}运行稳定率", "≥{p}%"), ("{s}政策知晓率", "≥{p}%"), ("{s}社会影响", "持续扩大")]
SATISFY = [("{s}服务对象满意度", "≥{p}%"), ("{s}参与人员满意度", "≥{p}%")]


def project(rng: random.Random, name: str, bookmark: str, year: int) -> Project:
    s = rng.choice(SUBJECTS)
    total = (Decimal(rng.randint(1000, 500000)) / 100).quantize(Decimal("0.01"))
    rows: list[Indicator] = []

    def add(level1, level2, pool, k):
        for tpl_name, tpl_value in rng.sample(pool, min(k, len(pool))):
            n = tpl_name.format(s=s)
            v = tpl_value.format(n=rng.randint(2, 900), p=rng.choice([90, 95, 98, 99]), y=year, m=rng.choice([30, 60]))
            rows.append(Indicator(level1=level1, level2=level2, name=n, description=f"反映{n}情况。", value=v))

    add("产出指标", "数量指标", QUANTITY, 4)
    add("产出指标", "质量指标", QUALITY, 3)
    add("产出指标", "时效指标", TIMELY, 2)
    cost = total  # the cost rows add up to the budget (rule C07)
    rows.append(Indicator(level1="产出指标", level2="成本指标", name=f"{s}服务费用", description="反映项目成本控制情况。",
                          value=f"≤{cost}万元"))
    add("效益指标", "社会效益指标", BENEFIT, 3)
    add("满意度指标", "服务对象满意度指标", SATISFY, 2)
    goals = (f"1.通过开展{s}相关工作，保障本单位{s}业务正常运转，提升服务质量和效率。\n"
             f"2.完成{year}年度{s}各项任务，按期完成采购、验收和结算工作。")
    return Project(name=name, bookmark=bookmark, budget=Budget(total=total, fiscal=total, other=None),
                   purpose=f"用于{s}{rng.choice(['日常运行', '设备购置', '服务采购', '培训组织'])}等支出。", goals=goals,
                   indicators=rows)


def generate(out: Path, tables: int, departments: int | None = None, units_per_department: int = 5,
             seed: int = 2025) -> Path:
    rng = random.Random(seed)
    departments = departments or max(1, tables // 50)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    per_unit = [0] * (departments * units_per_department)
    for i in range(tables):
        per_unit[i % len(per_unit)] += 1
    dept_codes = [str(301 + d) for d in range(departments)]
    settings = Settings(title="基准测试2025年部门预算 项目支出绩效目标表", year=2025, region="天津市", layout="tianjin",
                        framework="mof2015", departments=dept_codes)
    (out / "ptgen.yaml").write_text(settings_yaml(settings), encoding="utf-8")
    seq = 4
    for d, dcode in enumerate(dept_codes):
        ddir = out / dcode
        unit_codes = [f"{dcode}{u + 101:03d}" for u in range(units_per_department)]
        ddir.mkdir()
        (ddir / "department.yaml").write_text(department_yaml(Department(code=dcode, name=f"基准测试第{d + 1}局", units=unit_codes)),
                                              encoding="utf-8")
        for u, ucode in enumerate(unit_codes):
            udir = ddir / ucode
            udir.mkdir()
            files = []
            for k in range(per_unit[d * units_per_department + u]):
                name = f"{rng.choice(SUBJECTS)}{rng.choice(KINDS)}{k + 1}"
                p = project(rng, name, f"_Toc_4_4_{seq:010d}", 2025)
                seq += 1
                fname = f"p{k + 1:03d}.yaml"
                (udir / fname).write_text(project_yaml(p), encoding="utf-8")
                files.append(fname)
            (udir / "unit.yaml").write_text(unit_yaml(Unit(code=ucode, name=f"基准测试第{d + 1}局第{u + 1}单位", projects=files)),
                                            encoding="utf-8")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=100)
    ap.add_argument("--departments", type=int)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    print(generate(a.out, a.tables, a.departments))
