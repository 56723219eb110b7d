"""JSON Schemas of the content files, for editors (VS Code's YAML extension) — ``ptgen schema``.

Generated from the same pydantic models ``ptgen check`` validates with, so the two cannot drift.
Content YAML is read as text (``year: "2025"``), so numeric and boolean fields also accept their
text form here; indicator groups get enums from both national frameworks so the editor offers them.
"""
from __future__ import annotations

import json
from typing import Any

from .lint.structure import FRAMEWORKS
from .model import Department, Project, Settings, Unit

KINDS = {"project": Project, "unit": Unit, "department": Department, "publication": Settings}
TITLES = {"project": "ptgen 项目文件（绩效目标表）", "unit": "ptgen 预算单位文件 unit.yaml",
          "department": "ptgen 主管部门文件 department.yaml", "publication": "ptgen 出版物设置 ptgen.yaml"}


def _textual(node: Any) -> Any:
    """Let integer and boolean fields also be written as text, as content files do."""
    if isinstance(node, dict):
        node = {k: _textual(v) for k, v in node.items()}
        if node.get("type") == "integer":
            rest = {k: v for k, v in node.items() if k not in ("type", "minimum", "maximum")}
            return {**rest, "anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\d+$"}]}
        if node.get("type") == "boolean":
            rest = {k: v for k, v in node.items() if k != "type"}
            return {**rest, "anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]}
        return node
    if isinstance(node, list):
        return [_textual(v) for v in node]
    return node


def schema(kind: str = "project") -> dict:
    if kind == "agency":  # a unit.yaml or a department.yaml
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "ptgen 预算单位或主管部门文件",
                "anyOf": [schema("unit"), schema("department")]}
    model = KINDS[kind]
    out = _textual(model.model_json_schema(mode="validation"))
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = TITLES[kind]
    if kind == "project":
        level1 = sorted({k for fw in FRAMEWORKS.values() for k in fw})
        level2 = sorted({v for fw in FRAMEWORKS.values() for vs in fw.values() for v in vs})
        props = out["$defs"]["Indicator"]["properties"]
        props["level1"]["enum"] = level1
        props["level2"]["enum"] = level2
    return out


def schema_json(kind: str = "project") -> str:
    return json.dumps(schema(kind), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
