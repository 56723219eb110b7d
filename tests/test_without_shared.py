"""A fresh clone has no ../shared: only tests that read the seed texts themselves may need it.

Run the suite as such a clone would with PTGEN_TEST_HIDE_SHARED=1; this test keeps the rule cheaply:
a test marked ``needs_seeds`` must read the seeds, and no fixture may (build tests use content/)."""
from __future__ import annotations

import ast

from helpers import ROOT

SEED_NAMES = {"SEEDS", "TIANJIN_SEEDS", "SHANGHAI_SEED", "seed_tables"}


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _decorators(fn) -> set[str]:
    out = set()
    for d in fn.decorator_list:
        d = d.func if isinstance(d, ast.Call) else d
        out.add(d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", ""))
    return out


def test_only_tests_that_read_the_seeds_need_shared():
    wrong = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marked = any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
                            and "needs_seeds" in _names(n) for n in tree.body)
        for fn in [n for n in tree.body if isinstance(n, ast.FunctionDef)]:
            decorators = _decorators(fn)
            reads_seeds = bool(_names(fn) & SEED_NAMES)
            if "fixture" in decorators and reads_seeds and not module_marked:
                wrong.append(f"{path.name}::{fn.name} (a fixture reading ../shared: use content/)")
            elif fn.name.startswith("test_") and ("needs_seeds" in decorators or module_marked) and not reads_seeds:
                wrong.append(f"{path.name}::{fn.name} (skips without ../shared but does not read the seeds)")
    assert not wrong, wrong
