"""The golden report: every finding `ptgen check content` makes on the example publications, reviewed
one by one (tests/golden/README.md).  A finding that appears or disappears fails this test, so a rule
change shows its effect on real tables in the diff of tests/golden/check-content.txt.

Refresh on purpose (then review the diff and the table in tests/golden/README.md):

    PTGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden_check.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

from helpers import ROOT

GOLDEN = ROOT / "tests" / "golden" / "check-content.txt"


def report_lines() -> list[str]:
    r = subprocess.run([sys.executable, "-m", "ptgen", "check", "content", "--format", "json"], capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert r.returncode in (0, 1), r.stderr
    issues = json.loads(r.stdout)
    return sorted(f"{i['file']}:{i['line']}:{i['column']}  {i['code']} {i['severity']}  {i['message']}" for i in issues)


def test_golden_report_of_the_example_content():
    lines = report_lines()
    if os.environ.get("PTGEN_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    golden = GOLDEN.read_text(encoding="utf-8").splitlines()
    appeared = sorted(Counter(lines) - Counter(golden))
    gone = sorted(Counter(golden) - Counter(lines))
    assert not appeared and not gone, (
        "ptgen check content 的结果与 tests/golden/check-content.txt 不同"
        "（有意的改动：PTGEN_UPDATE_GOLDEN=1 重新生成，逐条复核后更新 tests/golden/README.md 的统计表）\n"
        + "".join(f"+ {x}\n" for x in appeared) + "".join(f"- {x}\n" for x in gone))


def test_golden_readme_counts_match_the_report():
    """The reviewed table (findings per rule) is the golden report's, not an older one's."""
    golden = GOLDEN.read_text(encoding="utf-8").splitlines()
    counts = Counter(line.split()[1] for line in golden)
    table = {}
    for row in (ROOT / "tests" / "golden" / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if row.startswith("| ") and len(cells) >= 4 and cells[0][:1].isalpha() and cells[2].isdigit() and int(cells[2]):
            table[cells[0]] = int(cells[2])  # rules without a finding on the examples are listed with 0
    assert table == dict(counts)
