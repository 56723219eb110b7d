"""The web pages in a real browser: Debian's chromium, headless, driven by Selenium through Debian's
chromedriver (``bash scripts/setup.sh --test`` installs both; nothing is downloaded).

Each example publication's index and department page are shown at desktop (1280 px) and phone
(390 px) width. The tests assert on what the browser measured — the page is no wider than the
screen, the tables scroll sideways inside their own box on a phone — and keep the screenshots and
printed pages in <basetemp>/screenshots/ (``pytest --basetemp DIR`` puts them where you like) to
look at. They
are not compared with reference pictures: Debian's chromium follows upstream's major releases in
its security updates, each of which may draw text a pixel differently, and a test of ptgen must not
fail because the browser was upgraded (the PDF and DOCX pictures, made by the pinned WeasyPrint and
Debian's stable poppler and LibreOffice, are compared: tests/test_golden_pages.py).

Printing from the browser (the page's ``@media print`` rules) is checked on the printed PDF itself:
every cell of the page's tables is in its text, and the grid's header row stands in one row with a
border between every two columns and around it.
"""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from helpers import CONTENT, GOOD_PROJECT, make_publication

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason="Debian's chromium and chromium-driver are not installed (bash scripts/setup.sh --test)"),
    pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")), reason="poppler-utils not installed"),
]

PUBLICATIONS = sorted(p.name for p in CONTENT.iterdir() if (p / "ptgen.yaml").is_file())
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Every example publication built to HTML (build/html/<publication>/)."""
    from ptgen import api
    tmp = tmp_path_factory.mktemp("site")
    shutil.copytree(CONTENT, tmp / "content")
    run = api.build(tmp / "content", tmp / "out", ["html"], force=True)
    assert len(run.built) == len(PUBLICATIONS)
    return tmp / "out" / "html"


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots and the printed pages are kept to look at: <basetemp>/screenshots/."""
    return tmp_path_factory.mktemp("screenshots", numbered=False)


def department_page(site: Path, pub: str) -> Path:
    [page] = [p for p in (site / pub).glob("*.html") if p.stem not in ("index", pub)]  # one department each
    return page


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # with both paths given, Selenium Manager looks nothing up
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def show(browser, page: Path, width: str) -> None:
    """``page`` as a desktop browser window, or as a phone shows it (mobile viewport, meta viewport honoured)."""
    w, h = WIDTHS[width]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": width == "phone"})
    browser.get(page.as_uri())
    browser.execute_async_script("document.fonts.ready.then(arguments[arguments.length - 1])")


# What sticks out to the right of the screen, other than inside a box that scrolls (or clips) it.
MEASURE = """
const inBox = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
                       if (getComputedStyle(a).overflowX !== 'visible') return true;
                     return false; };
const wide = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5 && !inBox(e))
  .map(e => e.tagName.toLowerCase() + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '') + ' '
            + Math.round(e.getBoundingClientRect().right) + 'px');
const wraps = [...document.querySelectorAll('.table-wrap')].map(w => ({
  table: w.querySelector('table').className, scroll: w.scrollWidth, client: w.clientWidth,
  overflow: getComputedStyle(w).overflowX, right: w.getBoundingClientRect().right}));
return {inner: innerWidth, page: document.documentElement.scrollWidth, wide: wide, wraps: wraps};
"""


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("which", ["index", "department"])
@pytest.mark.parametrize("pub", PUBLICATIONS)
def test_page_fits_the_screen(browser, site, pub, which, width, shots):
    page = site / pub / "index.html" if which == "index" else department_page(site, pub)
    show(browser, page, width)
    browser.save_screenshot(str(shots / f"{pub}-{which}-{width}.png"))
    m = browser.execute_script(MEASURE)
    assert m["inner"] == WIDTHS[width][0], m  # the screen is as wide as asked: the page did not zoom out
    assert m["page"] <= m["inner"] and not m["wide"], f"the page is wider than the screen: {m}"
    for w in m["wraps"]:
        assert w["right"] <= m["inner"] + 0.5 and w["overflow"] == "auto", w
        if width == "desktop":
            assert w["scroll"] <= w["client"], f"a table needs sideways scrolling on a desktop: {w}"
    if which == "department":  # and the first table, as the screen shows it
        browser.execute_script("document.querySelector('section.pt-entry').scrollIntoView()")
        browser.save_screenshot(str(shots / f"{pub}-{which}-{width}-table.png"))


@pytest.mark.parametrize("pub", PUBLICATIONS)
def test_tables_scroll_sideways_inside_their_box_on_a_phone(browser, site, pub, shots):
    show(browser, department_page(site, pub), "phone")
    m = browser.execute_script(MEASURE)
    forms = [w for w in m["wraps"] if w["table"].startswith("pt ")]
    assert forms, m
    for w in forms:  # each form is wider than a phone: its box scrolls, the page does not
        assert w["overflow"] == "auto" and w["scroll"] > w["client"], w
    assert m["page"] <= m["inner"] == WIDTHS["phone"][0], m
    moved = browser.execute_script("""
        const w = document.querySelector('table.pt').parentElement; w.scrollIntoView(); w.scrollLeft = 10000;
        return [w.scrollLeft, w.scrollWidth - w.clientWidth, window.scrollX];""")
    assert moved[0] == moved[1] > 0 and moved[2] == 0, moved  # the box scrolled to its end, the page stayed
    browser.save_screenshot(str(shots / f"{pub}-phone-scrolled.png"))


@pytest.mark.parametrize("pub", PUBLICATIONS)
def test_the_chart_is_legible_on_a_phone(browser, site, pub, shots):
    """The index's bar chart keeps its labels at a readable size on a phone (the chart is drawn for
    a desktop: squeezed to a phone's width its 13 px labels shrank to 5 px) and scrolls sideways
    inside its own box instead."""
    show(browser, site / pub / "index.html", "phone")
    m = browser.execute_script("""
        const f = document.querySelector('figure.chart'), svg = f.querySelector('svg');
        f.parentElement.scrollIntoView();  // its section, heading included
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return {label: scale * parseFloat(svg.querySelector('text').getAttribute('font-size')),
                scroll: f.scrollWidth, client: f.clientWidth, overflow: getComputedStyle(f).overflowX,
                page: document.documentElement.scrollWidth, inner: innerWidth};""")
    browser.save_screenshot(str(shots / f"{pub}-index-phone-chart.png"))
    assert m["label"] >= 12, m
    assert m["overflow"] == "auto" and m["scroll"] > m["client"], m
    assert m["page"] <= m["inner"] == WIDTHS["phone"][0], m


def test_large_amounts_do_not_widen_a_phone_page(browser, tmp_path, shots):
    """A department's totals (预算合计) with amounts of twelve digits: their table scrolls inside
    its box, as the forms do, instead of widening the phone's page."""
    from ptgen import api
    big = GOOD_PROJECT.replace('total: "100.00"', 'total: "999999999999.00"').replace(
        'fiscal: "100.00"', 'fiscal: "888888888888.00"').replace('other: ""', 'other: "111111111111.00"')
    make_publication(tmp_path / "big", project=big)
    run = api.build(tmp_path / "big", tmp_path / "out", ["html"], force=True)
    assert run.built
    show(browser, department_page(tmp_path / "out" / "html", "big"), "phone")
    m = browser.execute_script(MEASURE)
    browser.execute_script("document.querySelector('table.totals').scrollIntoView()")
    browser.save_screenshot(str(shots / "big-amounts-department-phone.png"))
    assert m["page"] <= m["inner"] == WIDTHS["phone"][0] and not m["wide"], m


def test_a_table_without_its_box_would_widen_the_phone_page(browser, site):
    """The measurement can fail: with the box's sideways scrolling switched off, the same page is
    wider than the phone, and the phone zooms out to show it all (its viewport grows past 390 px)."""
    show(browser, department_page(site, "tianjin-2025"), "phone")
    browser.execute_script("const s = document.createElement('style');"
                           "s.textContent = '.table-wrap { overflow-x: visible !important; }';"
                           "document.head.appendChild(s);")
    m = browser.execute_script(MEASURE)
    assert m["page"] > WIDTHS["phone"][0] and m["inner"] > WIDTHS["phone"][0], m


# --- printing from the browser ------------------------------------------------------------------------

A4 = {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True}  # inches


def print_page(browser, page: Path, out: Path) -> Path:
    """The page printed by chromium on A4 (its @media print rules), as print preview would."""
    show(browser, page, "desktop")
    out.write_bytes(base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", A4)["data"]))
    return out


def words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (points), as pdftotext -bbox reads them."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def header_row(page_words, heads: list[str]):
    """The boxes of the grid's header cells, left to right in one row, or None: the first word of
    each head (a head may wrap inside its cell) on the line of the first head."""
    for x0, y0, x1, y1, w in page_words:
        if not heads[0].startswith(w) or len(w) < 2:
            continue
        row, right = [(x0, y0, x1, y1)], x1
        for head in heads[1:]:
            nxt = [(a, b, c, d) for a, b, c, d, t in page_words
                   if len(t) >= 2 and head.startswith(t) and a > right and abs(b - y0) < 12]
            if not nxt:
                break
            row.append(min(nxt))
            right = row[-1][2]
        if len(row) == len(heads):
            return row
    return None


def missing_cells(page: Path, pdf: Path) -> list[str]:
    """The titles and cells of the page's tables that the printed text lacks: titles in order, each
    table's cells after its title (whitespace ignored; pdftotext -raw keeps a cell's lines together)."""
    from ptgen.verify import html_items, squash

    text = squash(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout)
    pos, missing = 0, []
    for is_title, cell in html_items(page.read_bytes()):
        found = text.find(squash(cell), pos)
        if found < 0:
            missing.append(cell)
        elif is_title:
            pos = found
    return missing


def missing_borders(heads: list[str], pdf: Path, keep: Path) -> list[str]:
    """The grid as printed: its header row's cells side by side in one row, with a border left and
    right of each and above and below the row. Read from the printed page at 144 dpi (two pixels a
    point, so that a 0.75 pt rule has a dark pixel wherever it falls), kept as ``keep``-N.png."""
    found = [(n, row) for n, ws in enumerate(words(pdf), 1) if (row := header_row(ws, heads))]
    if not found:
        return [f"no row {heads} on any printed page"]
    n, row = found[0]
    png = keep.with_name(f"{keep.name}-{n}.png")
    subprocess.run(["pdftoppm", "-r", "144", "-gray", "-png", "-f", str(n), "-l", str(n), "-singlefile", str(pdf),
                    str(png.with_suffix(""))], check=True)
    im = Image.open(png).convert("L")
    px = im.load()
    row = [tuple(round(2 * v) for v in box) for box in row]  # points → pixels
    y = sum(y0 + y1 for _, y0, _, y1 in row) // 2 // len(row)  # the middle of the row's first line
    left, right = row[0][0], row[-1][2]

    def vertical(xs) -> bool:  # a rule through the row's middle (10 pt of it) somewhere in xs
        return any(all(px[x, yy] < 160 for yy in range(y - 10, y + 11)) for x in xs)

    def horizontal(ys) -> bool:  # a rule over (or under) nine tenths of the row's width somewhere in ys
        return any(sum(px[x, yy] < 160 for x in range(left, right)) >= 0.9 * (right - left) for yy in ys)

    problems = []
    if not vertical(range(0, left)):
        problems.append(f"no border left of {heads[0]}")
    for (_, _, x1, _), (x0, _, _, _), a, b in zip(row, row[1:], heads, heads[1:]):
        if not vertical(range(x1, x0)):
            problems.append(f"no border between {a} and {b}")
    if not vertical(range(right, im.width)):
        problems.append(f"no border right of {heads[-1]}")
    if not horizontal(range(y - 120, y - 12)):
        problems.append("no border above the header row")
    if not horizontal(range(y + 12, y + 120)):
        problems.append("no border below the header row")
    return [f"{p} (page {n}: {png})" for p in problems]


GRID_HEADS = """
for (const tr of document.querySelectorAll('table.pt tr')) {
  const h = [...tr.querySelectorAll('.r-head')].map(c => c.textContent.replace(/\\s+/g, ''));
  if (h.length >= 3) return h;
}"""


@pytest.mark.parametrize("pub", PUBLICATIONS)
def test_printing_gives_the_same_grid(browser, site, pub, shots):
    """Printed from the browser (its @media print rules, A4): every cell of the page's tables is on
    paper, and the grid is drawn — its header cells side by side, ruled around and between."""
    page = department_page(site, pub)
    pdf = print_page(browser, page, shots / f"{pub}-printed.pdf")
    missing = missing_cells(page, pdf)
    assert not missing, f"printed without: {missing[:5]} ({len(missing)} cells; {pdf})"
    heads = browser.execute_script(GRID_HEADS)
    assert heads, "no grid header row on the page"
    problems = missing_borders(heads, pdf, shots / f"{pub}-printed")
    assert not problems, f"{pdf}: {problems}"


def test_a_grid_printed_without_rules_fails(browser, site, tmp_path):
    """The check can fail: the same page printed with its cells' borders made invisible."""
    page = department_page(site, "ningxia-2019")
    show(browser, page, "desktop")
    heads = browser.execute_script(GRID_HEADS)
    browser.execute_script("const s = document.createElement('style');"
                           "s.textContent = 'table.pt td, table.pt th { border-color: transparent !important; }';"
                           "document.head.appendChild(s);")
    pdf = tmp_path / "unruled.pdf"
    pdf.write_bytes(base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", A4)["data"]))
    problems = missing_borders(heads, pdf, tmp_path / "unruled")
    assert len(problems) == len(heads) + 3, problems  # every rule of the row is missing
    assert not missing_cells(page, pdf)


TITLES = "return [...document.querySelectorAll('section.pt-entry h3')].map(h => h.textContent.replace(/\\s+/g, ''));"


@pytest.mark.parametrize("pub", ["shanghai-2025", "tianjin-2025", "fengjie-2023"])
def test_printing_repeats_the_grid_header_on_every_page_a_table_runs_over(browser, site, pub, shots):
    """A table that runs over pages when printed from the browser carries its grid header on the
    next page too, as in ptgen's PDF: the grid's header row is in <thead> in every form, those
    whose side label (绩效指标) spans the grid included."""
    page = department_page(site, pub)
    pdf = print_page(browser, page, shots / f"{pub}-printed-pages.pdf")
    heads, titles = browser.execute_script(GRID_HEADS), browser.execute_script(TITLES)
    pages = words(pdf)
    titled = [any(t in "".join(w for *_, w in ws) for t in titles) for ws in pages]
    first = titled.index(True)  # (the pages before the first table: the page's heading, totals, contents)
    continued = [n for n, ws in enumerate(pages, 1) if n > first + 1 and ws and not titled[n - 1]]
    assert continued, f"{pub}: no table runs onto a second printed page ({pdf})"
    bare = [n for n in continued if header_row(pages[n - 1], heads) is None]
    assert not bare, f"{pub}: printed pages {bare} continue a table without its header {heads} ({pdf})"
