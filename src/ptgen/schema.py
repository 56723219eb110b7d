"""JSON Schemas of the content files, for editors (VS Code's YAML extension) — ``ptgen schema``.

Generated from the same pydantic models ``ptgen check`` validates with, so the two cannot drift.
Content YAML is read as text (``year: "2025"``), so numeric and boolean fields also accept their
text form here; indicator groups get enums from both national frameworks so the editor offers them.
"""
from __future__ import annotations

import json
from typing import Any

from . import layouts
from .layouts import Layout
from .model import Department, Project, Settings, Unit

KINDS = {"project": Project, "unit": Unit, "department": Department, "publication": Settings, "layout": Layout}
TITLES = {"project": "ptgen 项目文件（绩效目标表）", "unit": "ptgen 预算单位文件 unit.yaml",
          "department": "ptgen 主管部门文件 department.yaml", "publication": "ptgen 出版物设置 ptgen.yaml",
          "layout": "ptgen 版式定义（layouts/NAME.yaml）"}
# What editors show on hover, in Chinese: pydantic would take the models' English docstrings and
# class or field names. Keyed by model name (the root or a ``$defs`` entry): (title, description).
MODEL_TEXT = {
    "Project": (None, "一个项目的绩效目标表：表中的每一项都在这里，一个项目一个文件。"),
    "Indicator": ("绩效指标", "指标表的一行（一级、二级、三级指标，描述，指标值），按发布顺序排列。"),
    "Budget": ("预算", "预算数及其构成（财政资金、上年结转资金、其他资金），以出版物的金额单位填写，空白写 \"\"。"),
    "ProjectFunds": ("项目资金", "上海版式的项目资金总额及其中的财政资金、其他资金。"),
    "Unit": (None, "预算单位：它的文件夹里的 unit.yaml，列出单位编码、名称和项目文件的顺序。"),
    "Department": (None, "主管部门：它的文件夹里的 department.yaml，列出部门编码、名称和预算单位的顺序。"),
    "Settings": (None, "出版物设置 ptgen.yaml：标题、年度、版式、金额单位、编号方式和主管部门的顺序。"),
    "BookmarkScheme": ("书签命名方式", "新书签名的生成方式：前缀加补零到指定位数的序号。"),
    "RuleSetting": ("规则设置", "本出版物对一条检查规则的设置：是否启用、严重程度。"),
    "Layout": (None, "一种发布版式（一个地区的表样）：每个项目的表格、单元格、合并方式、金额和标题的写法。"),
    "TableDef": ("表格", "一张表格：列宽、表头各行，以及（可选的）指标表；或者两张表之间的一个空段落。"),
    "RowDef": ("行", "表格的一行：从左到右的单元格。"),
    "CellDef": ("单元格", "一个单元格：label、text、value、amount、merged 五者写且只写一个。"),
    "GridDef": ("指标表", "指标表：各列显示指标的哪一项、是否纵向合并，以及可选的侧边标签。"),
    "ColumnDef": ("指标表的列", "指标表的一列：表头文字、显示的指标字段、横跨列数和合并方式。"),
    "HeadingDef": ("表格标题", "表格标题“N.<项目名称>”的写法。"),
    "MoneyDef": ("金额写法", "金额印出的样子。"),
    "ExtraField": ("版式特有的字段", None),
    "DefaultsDef": ("新出版物的设置", "新建出版物（init 命令）时写进 ptgen.yaml 的设置：金额单位、编号方式、合并的一级指标、书签命名。"),
    "BookmarkDef": ("书签命名方式", "新书签名的生成方式：前缀加补零到指定位数的序号。"),
    "RecogniseDef": ("导入时的识别", None),
}
# Properties whose model field has no Chinese title: (model, property) → title.
PROPERTY_TITLES = {("BookmarkScheme", "prefix"): "书签名前缀", ("BookmarkScheme", "digits"): "序号位数",
                   ("RuleSetting", "enabled"): "启用", ("RuleSetting", "severity"): "严重程度"}


def _chinese(node: dict, model: str) -> None:
    """Replace pydantic's English title and description of ``model`` (and its properties') in place."""
    title, description = MODEL_TEXT.get(model, (None, None))
    if title:
        node["title"] = title
    if description:
        node["description"] = description
    for prop, title in PROPERTY_TITLES.items():
        if prop[0] == model and prop[1] in node.get("properties", {}):
            node["properties"][prop[1]]["title"] = title


def _textual(node: Any) -> Any:
    """Let integer, number and boolean fields also be written as text, as content files do."""
    if isinstance(node, dict):
        node = {k: _textual(v) for k, v in node.items()}
        if node.get("type") in ("integer", "number"):
            rest = {k: v for k, v in node.items() if k not in ("type", "minimum", "maximum")}
            pattern = r"^\d+$" if node["type"] == "integer" else r"^\d+(\.\d+)?$"
            return {**rest, "anyOf": [{"type": node["type"]}, {"type": "string", "pattern": pattern}]}
        if node.get("type") == "boolean":
            rest = {k: v for k, v in node.items() if k != "type"}
            return {**rest, "anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]}
        return node
    if isinstance(node, list):
        return [_textual(v) for v in node]
    return node


def _form_fields(out: dict) -> None:
    """A form's own fields are written as keys of the project file (or of an indicator row), not
    under ``extras``: offer those of every built-in layout, with their Chinese names."""
    from . import layouts
    money = {"type": "string", "pattern": r"^(-?\d{1,12}(\.\d{1,6})?)?$"}

    def prop(f) -> dict:
        note = f"版式特有的字段（{'、'.join(sorted(f.layouts))}版式）"
        if f.kind == "money" and f.parts:
            titles = f.part_titles or f.parts
            return {"type": "object", "title": f.title, "description": note, "additionalProperties": False,
                    "properties": {p: {**money, "title": t} for p, t in zip(f.parts, titles)}}
        return {**(money if f.kind == "money" else {"type": "string"}), "title": f.title, "description": note}

    for target, attr in ((out, "fields"), (out["$defs"]["Indicator"], "indicator_fields")):
        target["properties"].pop("extras", None)
        seen: dict[str, object] = {}
        for name in layouts.builtin_names():
            for f in getattr(layouts.builtin(name), attr):
                if f.key not in seen:
                    seen[f.key] = type("F", (), {**f.model_dump(), "layouts": set()})
                seen[f.key].layouts.add(layouts.builtin(name).title.split()[0])
        for key, f in seen.items():
            target["properties"][key] = prop(f)


def schema(kind: str = "project") -> dict:
    if kind == "agency":  # a unit.yaml or a department.yaml
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "ptgen 预算单位或主管部门文件",
                "anyOf": [schema("unit"), schema("department")]}
    model = KINDS[kind]
    out = _textual(model.model_json_schema(mode="validation"))
    _chinese(out, model.__name__)
    for name, node in out.get("$defs", {}).items():
        _chinese(node, name)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = TITLES[kind]
    if kind == "project":
        _form_fields(out)
        frameworks = [layouts.framework(n).tree for n in layouts.framework_names()]
        level1 = sorted({k for fw in frameworks for k in fw})
        level2 = sorted({v for fw in frameworks for vs in fw.values() for v in vs})
        props = out["$defs"]["Indicator"]["properties"]
        props["level1"]["enum"] = level1
        props["level2"]["enum"] = level2
    if kind == "publication":
        out["properties"]["framework"]["anyOf"] = [{"type": "string", "enum": list(layouts.framework_names())},
                                                   {"type": "null"}]
    return out


def schema_json(kind: str = "project") -> str:
    return json.dumps(schema(kind), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
