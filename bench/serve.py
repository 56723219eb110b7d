"""Benchmark ``ptgen serve``: from saving one project to the new value on screen; prints medians.

    .venv/bin/python bench/serve.py --tables 100,1000 --runs 7

For each size, a synthetic publication (bench/generate.py) is served by a real ``ptgen serve``
process and its first department's page is open in headless Debian chromium (Selenium with
/usr/bin/chromedriver, as the tests use). Each run saves one project file with a new indicator
value (written and renamed over the old file, as editors do) and times until the browser's DOM
shows that value: watching, re-reading, checking, laying out, drawing the page, the push and the
browser's reload, everything the person at the screen waits for.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


FOUND = "return Array.from(document.querySelectorAll('table.pt td')).some(e => e.textContent === arguments[0])"


def measure(tables: int, runs: int, work: Path, driver) -> list[float]:
    pub = generate(work / f"serve-{tables}", tables)
    dept = sorted(p for p in pub.iterdir() if p.is_dir())[0]
    project = sorted((sorted(d for d in dept.iterdir() if d.is_dir())[0]).glob("p*.yaml"))[0]
    proc = subprocess.Popen([sys.executable, "-m", "ptgen", "serve", str(pub), "--port", "0", "--out", str(work / "build")],
                            stdout=subprocess.PIPE, text=True)
    try:
        start = time.perf_counter()
        line = proc.stdout.readline()
        url = re.search(r"(http://\S+?/)", line).group(1)
        print(f"  {tables} tables: serving after {time.perf_counter() - start:.1f} s", file=sys.stderr)
        driver.get(url + f"{dept.name}.html")
        text = project.read_text(encoding="utf-8")
        first = re.search(r"^    value: (.+)$", text, re.M)
        times = []
        for k in range(runs + 1):
            value = f"≥{9000 + k}项"
            changed = text[:first.start(1)] + value + text[first.end(1):]
            tmp = project.with_name(f".{project.name}.tmp")
            tmp.write_text(changed, encoding="utf-8")
            t0 = time.perf_counter()
            os.replace(tmp, project)
            while True:
                try:
                    if driver.execute_script(FOUND, value):
                        break
                except Exception:  # noqa: BLE001 - the page is being replaced just then
                    pass
                if time.perf_counter() - t0 > 30:
                    raise SystemExit(f"{value} never appeared")
                time.sleep(0.005)
            if k:  # the first run warms up the browser's and the server's caches
                times.append(time.perf_counter() - t0)
            time.sleep(0.5)
        return times
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", default="100,1000")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    work = HERE / "out"
    work.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        print("| tables | save → screen, median s | min s | max s | runs |")
        print("|---:|---:|---:|---:|---:|")
        for n in [int(x) for x in a.tables.split(",")]:
            t = measure(n, a.runs, work, driver)
            print(f"| {n} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} | {len(t)} |", flush=True)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
