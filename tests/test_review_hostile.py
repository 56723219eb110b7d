"""A hostile second read of the day's merges (rollover, diff, spreadsheets, serve, the rule
catalogue): each user mistake found gives a clear Chinese message and loses nothing."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CONTENT


def ptgen(cwd: Path, *args, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def clean(r) -> None:
    """A user's mistake: exit 1 or 2, a message, no traceback, no internal error."""
    assert r.returncode in (1, 2), (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert "错误：" in r.stderr, r.stderr


@pytest.fixture
def central(tmp_path) -> Path:
    shutil.copytree(CONTENT / "central-2025", tmp_path / "central-2025")
    return tmp_path


@pytest.mark.parametrize("report", ["central-2026/ptgen.yaml", "central-2026", "central-2025/ptgen.yaml"])
def test_rollover_report_inside_the_new_or_old_publication_is_refused_before_writing(central, report):
    """--report central-2026/ptgen.yaml overwrote the publication rollover had just written (without
    --force); --report central-2026 failed only after the publication was written; with --force the
    source's own ptgen.yaml was replaced by the report."""
    source = (central / "central-2025" / "ptgen.yaml").read_bytes()
    r = ptgen(central, "rollover", "central-2025", "central-2026", "--report", report, "--force")
    clean(r)
    assert "--report" in r.stderr and report in r.stderr, r.stderr
    assert not (central / "central-2026").exists()
    assert (central / "central-2025" / "ptgen.yaml").read_bytes() == source
