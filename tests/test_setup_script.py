"""scripts/setup.sh says what it is doing, one line per step."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from helpers import ROOT


def test_setup_says_each_step(tmp_path):
    # A copy of the script with a stand-in .venv whose python only records how pip was called.
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls"\n')
    fake.chmod(0o755)
    r = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHON": sys.executable})
    if r.returncode == 3 and "Debian packages" in r.stderr:  # a machine without the renderers' packages
        assert "apt-get install" in r.stderr
        return
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line[:5] for line in lines[:3]] == ["[1/3]", "[2/3]", "[3/3]"], lines
    assert "Debian packages" in lines[0] and ".venv" in lines[1] and "pip" in lines[2] and "ptgen" in lines[2]
    assert lines[-1].startswith("done") and len(lines) == 4  # a line per step, no flood
    assert (fake.parent / "calls").read_text().split()[:3] == ["-m", "pip", "install"]
