"""The JSON Schemas editors show on hover speak Chinese (titles and descriptions), and the committed ones are current."""
from __future__ import annotations

from helpers import ROOT


def test_schema_titles_and_descriptions_are_chinese():
    import json
    import re

    from ptgen.schema import KINDS, schema
    two_english_words = re.compile(r"\b[A-Za-z]{2,}\s+[a-z]{2,}\b")  # a phrase, not a name like ptgen.yaml
    for kind in [*KINDS, "agency"]:
        texts = []

        def walk(node, where):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("title", "description") and isinstance(value, str):
                        texts.append((where + "/" + key, value))
                    elif key == "properties":
                        for name, prop in value.items():
                            assert "title" in prop, f"{kind}: {where}/properties/{name} has no title"
                    walk(value, f"{where}/{key}")
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{where}[{i}]")
        walk(schema(kind), kind)
        assert texts
        for where, text in texts:
            assert re.search("[\u4e00-\u9fff]", text) and not two_english_words.search(text), (where, text)
        committed = ROOT / "schemas" / f"{kind}.schema.json"
        if committed.exists():
            assert json.loads(committed.read_text(encoding="utf-8")) == schema(kind), f"regenerate {committed.name}"
