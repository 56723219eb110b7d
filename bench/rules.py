"""Time the lint rules alone (``ptgen check``'s rule pass, loading excluded) on synthetic publications.

    .venv/bin/python bench/rules.py --tables 1000 --runs 7

Each run loads the publication afresh (the rules' per-project caches start empty, the value parser's
cache is cleared) and times ``lint.run`` over it, wall and CPU; prints the median, min and max, then
each rule's CPU time in one more run (the slowest first).  The budget: 1,000 projects under 0.6 s of
rule time.  On a busy machine read the CPU column (wall time there counts other processes' turns).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))
from generate import generate  # noqa: E402

from ptgen import lint, values  # noqa: E402
from ptgen.lint import timing  # noqa: E402
from ptgen.load import load  # noqa: E402


def fresh(pub_dir: Path):
    values.parse.cache_clear()
    timing.shape.cache_clear()
    pub, report = load(pub_dir)
    assert pub is not None, [i.message for i in report.issues]
    return pub


def time_rules(pub_dir: Path, runs: int) -> tuple[list[float], list[float], list[tuple[float, str]]]:
    """Wall and CPU seconds of ``lint.run`` per run, and each rule's CPU share in one more run."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        pub = fresh(pub_dir)
        start, cpu = time.perf_counter(), time.process_time()
        lint.run(pub)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    pub = fresh(pub_dir)  # the rules in registry order, as lint.run calls them (a rule fills caches for the next)
    projects = list(pub.projects())
    shares = []
    for rule in lint.rules():
        cpu = time.process_time()
        if rule.scope == "publication":
            list(rule.check_publication(pub))
        else:
            for dept, unit, doc in projects:
                list(rule.check_project(doc, unit, dept, pub.settings))
        shares.append((time.process_time() - cpu, rule.code))
    return walls, cpus, sorted(shares, reverse=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", default="1000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--top", type=int, default=10, help="how many of the slowest rules to list")
    a = ap.parse_args()
    print("| tables | rule time, median s | min s | max s | median CPU s | runs |")
    print("|---:|---:|---:|---:|---:|---:|")
    slow = {}
    for n in [int(x) for x in a.tables.split(",")]:
        pub_dir = generate(HERE / "out" / f"pub-{n}", n)
        walls, cpus, shares = time_rules(pub_dir, a.runs)
        print(f"| {n} | {statistics.median(walls):.3f} | {min(walls):.3f} | {max(walls):.3f} "
              f"| {statistics.median(cpus):.3f} | {a.runs} |", flush=True)
        slow[n] = shares[:a.top]
    for n, rows in slow.items():
        print(f"\nslowest rules, {n} tables (CPU s, one run; the first rule to read the values also parses them): "
              + ", ".join(f"{code} {s:.3f}" for s, code in rows))


if __name__ == "__main__":
    main()
