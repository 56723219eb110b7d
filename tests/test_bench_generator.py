"""bench/generate.py makes publications that ptgen reads without a schema error (the benchmark
measures building, so its content must load; a model change once broke it unnoticed)."""
from __future__ import annotations

import sys

from helpers import ROOT

from ptgen import api


def test_the_generated_publication_loads_and_checks(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    pub = generate(tmp_path / "pub", 12)
    result = api.check(pub)
    assert len(result.publications) == 1
    assert not [i for i in result.report.errors if i.code.startswith(("Y", "F"))], result.report.errors[:3]
    assert sum(1 for _ in result.publications[0].projects()) == 12
