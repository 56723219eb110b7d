"""Benchmark ``ptgen build`` (or ``ptgen check``) as a whole command on synthetic publications; prints medians.

    .venv/bin/python bench/run.py --format docx --tables 100,1000 --runs 5
    .venv/bin/python bench/run.py --format xlsx --tables 1000 --runs 5 --reference   # target: ≤ 3 s
    .venv/bin/python bench/run.py --format check --tables 1000,3000,10000      # check, empty cache
    .venv/bin/python bench/run.py --format check --tables 1000 --incremental   # warm cache, one file changed
    .venv/bin/python bench/run.py --format docx,html,pdf --tables 1000 --up-to-date   # nothing changed

Each run is a fresh ``ptgen build`` process (start-up, loading, checks, rendering and writing
included), timed from outside; peak memory is the process's maximum resident set size.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

PTGEN = [sys.executable, "-m", "ptgen"]


def run_once(args: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system, its children included) of one command."""
    # As installed, ptgen runs from compiled bytecode: a machine that says PYTHONDONTWRITEBYTECODE
    # (this one does) would otherwise compile ptgen's modules from source on every run (~40 ms).
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0 and not (args[3:4] == ["check"] and proc.returncode == 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(args)}\n{err}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--format", default="docx", help="what ptgen build makes (docx, html, pdf, or several), or check")
    ap.add_argument("--tables", default="100,1000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--extra", default="", help="more ptgen build options, e.g. --update-toc")
    ap.add_argument("--incremental", action="store_true",
                    help="time rebuilds (or checks) after one project changed (the previous output and caches kept)")
    ap.add_argument("--up-to-date", action="store_true", help="time a build in which nothing changed")
    ap.add_argument("--reference", action="store_true",
                    help="also time the 100-table DOCX build before and after: how fast the machine is just then")
    a = ap.parse_args()
    work = HERE / "out"
    if a.reference:
        reference(work)
    what = " (after one change)" if a.incremental else " (nothing changed)" if a.up_to_date else ""
    print(f"| tables | format{what} | median s | min s | max s "
          f"| median CPU s | peak MB | runs |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in [int(x) for x in a.tables.split(",")]:
        pub = work / f"pub-{n}"
        if not (pub / "ptgen.yaml").exists():
            generate(pub, n)
        out = work / f"build-{n}"
        times, mems, cpus = [], [], []
        check = a.format == "check"
        cache = work / f"cache-{n}"  # the check cache (ptgen.cache) of these runs
        env = dict(os.environ, PTGEN_CACHE_DIR=str(cache))
        cmd = PTGEN + (["check", str(pub)] if check else
                       ["build", str(pub), "--out", str(out), "--format", a.format, *a.extra.split()])
        if a.incremental or a.up_to_date:
            shutil.rmtree(out, ignore_errors=True)
            run_once(cmd, env)  # the build (or check) before
        victim = sorted(pub.rglob("p001.yaml"))[len(list(pub.rglob("p001.yaml"))) // 2]
        original = victim.read_text(encoding="utf-8")
        for k in range(a.runs):
            if a.incremental:  # one value changes in one project in the middle of the book, and back
                victim.write_text(original.replace("≥", "≥9", 1) if k % 2 == 0 else original, encoding="utf-8")
            elif not a.up_to_date:
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
            s, m, c = run_once(cmd, env)
            times.append(s)
            mems.append(m)
            cpus.append(c)
        if a.incremental:
            victim.write_text(original, encoding="utf-8")  # the generated content, as it was
        print(f"| {n} | {a.format} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} "
              f"| {statistics.median(cpus):.2f} | {max(mems):.0f} | {a.runs} |", flush=True)
    if a.reference:
        reference(work)


def reference(work: Path) -> None:
    """The machine's speed drifts (a shared host): a cheap, steady build to read the numbers by."""
    pub = generate(work / "pub-100", 100)
    out = work / "build-reference"
    times = []
    for _ in range(5):
        shutil.rmtree(out, ignore_errors=True)
        # --no-update-toc: without LibreOffice's layout of the contents (the default when it is installed)
        times.append(run_once(PTGEN + ["build", str(pub), "--out", str(out), "--format", "docx", "--no-update-toc"])[0])
    print(f"reference: 100-table DOCX build, median {statistics.median(times):.2f} s of 5 "
          "(0.55–0.65 s when the machine is quiet)", flush=True)


if __name__ == "__main__":
    main()
