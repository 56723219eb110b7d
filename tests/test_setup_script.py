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


def run_without_packages(tmp_path, *args):
    """The script as a user (not root) on a machine with none of the Debian packages installed:
    stand-ins for ``dpkg-query`` (nothing installed) and ``id`` (uid 1000) come first on PATH."""
    (tmp_path / "scripts").mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    for name, body in (("dpkg-query", "exit 1"), ("id", "echo 1000"), ("apt-get", "echo apt-get ran >&2; exit 9")):
        (bin_ / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_ / name).chmod(0o755)
    return subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh"), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}", "PYTHON": sys.executable})


def test_building_needs_no_browser_the_tests_do(tmp_path):
    """`setup.sh` asks for what building needs; `setup.sh --test` also for the tests' headless browser
    (Debian's chromium and its chromedriver); without root it stops and names them, installing nothing."""
    plain = run_without_packages(tmp_path)
    assert plain.returncode == 3 and "apt-get ran" not in plain.stderr
    assert "poppler-utils" in plain.stderr and "chromium" not in plain.stderr
    test = run_without_packages(tmp_path, "--test")
    assert test.returncode == 3 and "apt-get ran" not in test.stderr
    assert "poppler-utils chromium chromium-driver" in test.stderr
    assert "sudo apt-get install -y" in test.stderr.splitlines()[-1] and "chromium-driver" in test.stderr.splitlines()[-1]
    assert not (tmp_path / ".venv").exists()


def test_an_unknown_option_is_a_usage_error(tmp_path):
    r = run_without_packages(tmp_path, "--tests")
    assert r.returncode == 2 and "--test" in r.stderr and "--tests" in r.stderr
    assert r.stdout == ""


def test_the_test_command_and_ci_set_up_the_browser():
    """README's command 2 and .ci/run install the test-only packages; command 1 (building) does not."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/setup.sh && .venv/bin/ptgen build content" in readme
    assert "bash scripts/setup.sh --test && .venv/bin/python -m pytest" in readme
    assert "bash scripts/setup.sh --test && .venv/bin/python -m pytest" in (ROOT / ".ci" / "run").read_text()
