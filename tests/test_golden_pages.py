"""Pages that look right: four pages of every built-in layout's example publication — the cover, a
contents page, the first table page and a continuation page (a page whose table started on an
earlier page) — of the department PDF and of LibreOffice's rendering of the department DOCX, each
compared with its committed reference picture in tests/golden/pages/<publication>/<format>-<page>.png
within a tolerance (tests/golden.py).

The references change only on purpose:

    .venv/bin/python -m pytest tests/test_golden_pages.py --update-golden

rewrites them; look at each changed picture (git diff shows which) before committing them.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

import golden
from helpers import CONTENT, SC_FONT, pdffonts

pytestmark = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
                                reason="poppler-utils not installed")

PUBLICATIONS = sorted(p.name for p in CONTENT.iterdir() if (p / "ptgen.yaml").is_file())
FORMATS = {"pdf": "the department PDF", "docx": "LibreOffice's PDF of the department DOCX"}
PAGES = ("cover", "contents", "table", "continuation")
# Publications none of whose tables runs onto a second page in that format: there is no
# continuation page to compare (test_no_continuation_page_is_missed checks that there still is none).
NO_CONTINUATION = {(pub, fmt) for pub in ("central-2025", "ningxia-2019", "wuhan-qingshan-2020", "xiangtan-2023")
                   for fmt in FORMATS}


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


# The page number at the foot of a page, as pdftotext -layout gives it: "353-4", "1-2", "ii", "- 3 -".
FOOTER = re.compile(r"\s*(\S*-\d+|-\s*\d+\s*-|[ivxlc]+|\d+)\s*")


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, whitespace removed, without the page number at its foot."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in out.split("\f")[:-1]:
        lines = [line for line in page.splitlines() if line.strip()]
        if lines and len(lines[-1].strip()) <= 30 and FOOTER.fullmatch(lines[-1]):
            lines.pop()
        pages.append(squash("".join(lines)))
    return pages


def outline_pages(pdf: Path) -> dict[str, int]:
    """Each outline entry's title → its page (1-based, first occurrence)."""
    from pypdf import PdfReader
    reader = PdfReader(pdf)
    found: dict[str, int] = {}

    def walk(items):
        for it in items:
            if isinstance(it, list):
                walk(it)
            else:
                found.setdefault(squash(str(it.title)), reader.get_destination_page_number(it) + 1)
    walk(reader.outline)
    return found


def pick_pages(pdf: Path, title: str, headings: list) -> dict[str, int | None]:
    """The page numbers (1-based) of the four pages, found by the PDF's text and outline:
    the cover holds the title, the contents start with 目录, the first table page is where the
    outline puts the first table's title, and the continuation page is the first page after it
    that does not start with a title (department, unit or table), or that no outline entry points
    to (were a title repeated on top of a continued table): its table began on an earlier page."""
    texts = page_texts(pdf)
    starts = [squash(h.text) for h in headings]
    first_table = squash(next(h.text for h in headings if h.level == 3))
    outline = outline_pages(pdf)
    table = outline.get(first_table)
    pages: dict[str, int | None] = {
        "cover": next((i for i, t in enumerate(texts, 1) if squash(title) in t), None),
        "contents": next((i for i, t in enumerate(texts, 1) if t.startswith("目录")), None),
        "table": table,
        "continuation": None,
    }
    if table:
        landed = set(outline.values())
        pages["continuation"] = next((i for i, t in enumerate(texts[table:], table + 1)
                                      if t and (i not in landed or not any(t.startswith(s) for s in starts))), None)
    return pages


class Built:
    """The example publications the selected tests need (``-k tianjin``: one), built once per
    session: the DOCX first, so that LibreOffice renders them (two at a time, in threads) while
    the PDF is built."""

    def __init__(self, tmp: Path, names: list[str]):
        from concurrent.futures import ThreadPoolExecutor

        from ptgen import api
        from ptgen.build import compilations
        from ptgen.render.libreoffice import docx_to_pdf

        self.tmp, self.info, self.picked = tmp, {}, {}
        for name in names:
            shutil.copytree(CONTENT / name, tmp / "content" / name)
        docx = api.build(tmp / "content", tmp / "docx", ["docx"], force=True)
        self.pool = ThreadPoolExecutor(2)
        self.lo = {}
        for b in docx.built:
            pub = b.publication
            [(dept, comp), _book] = compilations(pub)  # each example publication has one department
            self.info[pub.name] = (dept, pub.settings.title, comp.headings)
            (tmp / "lo" / pub.name).mkdir(parents=True)
            data = (tmp / "docx" / "docx" / pub.name / f"{dept}.docx").read_bytes()
            self.lo[pub.name] = self.pool.submit(docx_to_pdf, data, tmp / "lo" / pub.name)
        api.build(tmp / "content", tmp / "pdf", ["pdf"], force=True)

    def pdf(self, name: str, fmt: str) -> Path:
        """The department PDF, or LibreOffice's PDF of the department DOCX."""
        dept = self.info[name][0]
        return self.lo[name].result() if fmt == "docx" else self.tmp / "pdf" / "pdf" / name / f"{dept}.pdf"

    def pages(self, name: str, fmt: str) -> dict[str, int | None]:
        if (name, fmt) not in self.picked:
            _, title, headings = self.info[name]
            self.picked[name, fmt] = pick_pages(self.pdf(name, fmt), title, headings)
        return self.picked[name, fmt]


@pytest.fixture(scope="session")
def built_pages(request, tmp_path_factory):
    names = sorted({item.callspec.params["pub"] for item in request.session.items
                    if "built_pages" in getattr(item, "fixturenames", ()) and hasattr(item, "callspec")})
    built = Built(tmp_path_factory.mktemp("golden"), names)
    yield built
    built.pool.shutdown(wait=True)


def cases():
    for pub in PUBLICATIONS:
        for fmt in FORMATS:
            for page in PAGES:
                if page == "continuation" and (pub, fmt) in NO_CONTINUATION:
                    yield pytest.param(pub, fmt, page, id=f"{pub}-{fmt}-continuation-none(no table runs onto a second page)",
                                       marks=pytest.mark.skip(reason=f"{pub}: no table of its {fmt} runs onto a second "
                                                                     "page, so it has no continuation page"))
                else:
                    yield pytest.param(pub, fmt, page, id=f"{pub}-{fmt}-{page}")


@pytest.mark.parametrize("pub, fmt, page", list(cases()))
def test_page_looks_as_its_reference(built_pages, pub, fmt, page, update_golden, tmp_path):
    pdf, number = built_pages.pdf(pub, fmt), built_pages.pages(pub, fmt)[page]
    assert number, f"{pub}: {FORMATS[fmt]} has no {page} page ({pdf})"
    golden.check(golden.render_page(pdf, number), f"{pub}/{fmt}-{page}", update_golden, tmp_path)


@pytest.mark.parametrize("pub, fmt", sorted(NO_CONTINUATION))
def test_no_continuation_page_is_missed(built_pages, pub, fmt):
    pages = built_pages.pages(pub, fmt)
    assert pages["table"] and pages["continuation"] is None, (
        f"{pub}: {FORMATS[fmt]} now has a continuation page (page {pages['continuation']}): "
        f"take ({pub!r}, {fmt!r}) out of NO_CONTINUATION in {Path(__file__).name} and run --update-golden")


@pytest.mark.parametrize("pub", PUBLICATIONS)
def test_libreoffice_names_only_simplified_chinese_fonts(built_pages, pub):
    """Every built-in layout: LibreOffice's PDF of the DOCX embeds the SC faces of Noto CJK under
    their own names (issue 12 req. 5; not NotoSerifCJKjp-…, the name of their collection's CFF table)."""
    fonts = pdffonts(built_pages.pdf(pub, "docx"))
    assert fonts and all(re.fullmatch(SC_FONT, f) for f in fonts), fonts


def test_every_built_in_layout_has_an_example_publication():
    """Golden pages cover every built-in form: each has an example publication in content/."""
    from ptgen import api
    from ptgen.layouts import builtin_names
    used = {api.check(CONTENT / name).publications[0].settings.layout for name in PUBLICATIONS}
    assert set(builtin_names()) <= used, f"layouts without an example publication: {set(builtin_names()) - used}"


# --- the comparison itself -----------------------------------------------------------------------------

def reference(pub: str, fmt: str, page: str) -> Image.Image:
    path = golden.GOLDEN / pub / f"{fmt}-{page}.png"
    if not path.exists():
        pytest.skip(f"no reference {path.name} yet (--update-golden)")
    return Image.open(path).convert("L")


def test_a_reference_matches_itself_and_is_small():
    for path in sorted(golden.GOLDEN.glob("*/*.png")):
        im = Image.open(path)
        assert im.mode == "L" and len(im.getcolors()) <= golden.LEVELS, path
        assert path.stat().st_size < 16_000, f"{path}: {path.stat().st_size} bytes"
        d = golden.difference(im, im)
        assert d.pixels == 0 and not d.fails()


def test_every_reference_belongs_to_a_page():
    """No picture is left over from a page no longer compared (or missing for one that is)."""
    compared = {f"{pub}/{fmt}-{page}" for pub in PUBLICATIONS for fmt in FORMATS for page in PAGES
                if not (page == "continuation" and (pub, fmt) in NO_CONTINUATION)}
    stored = {str(p.relative_to(golden.GOLDEN).with_suffix("")) for p in golden.GOLDEN.glob("**/*.png")}
    assert stored == compared, {"left over": sorted(stored - compared), "missing": sorted(compared - stored)}


def test_a_missing_border_fails_a_page(tmp_path):
    """One table border taken away (a vertical line of the grid, as a page foot left open) is beyond
    the tolerance, and the failure names the actual and the diff picture, which are written."""
    ref = reference("tianjin-2025", "pdf", "table")
    # The longest vertical dark run: a column border of the grid.
    px = ref.load()
    best = max(((x, sum(1 for y in range(ref.height) if px[x, y] < 100)) for x in range(ref.width)), key=lambda t: t[1])
    x = best[0]
    changed = ref.copy()
    ImageDraw.Draw(changed).line([(x, 0), (x, ref.height)], fill=255)
    d = golden.difference(changed, ref)
    assert d.fails(), f"{d.pixels} pixels"
    golden.save(ref, tmp_path / "refs" / "page.png")
    golden.check(ref, "page", False, tmp_path, root=tmp_path / "refs")  # the same picture passes
    with pytest.raises(AssertionError) as err:
        golden.check(changed, "page", False, tmp_path, root=tmp_path / "refs")
    msg = str(err.value)
    assert f"actual: {tmp_path / 'page.actual.png'}" in msg and f"diff:   {tmp_path / 'page.diff.png'}" in msg
    assert "--update-golden" in msg
    assert Image.open(tmp_path / "page.actual.png").size == ref.size
    assert Image.open(tmp_path / "page.diff.png").getpixel((2 * (ref.width + golden.GAP) + x, ref.height // 2)) == 0


def test_an_open_page_foot_fails_a_page():
    """The defect the pictures are for: the first column's bottom border missing at the page foot
    (one cell wide, ~1/8 of the grid) is beyond the tolerance."""
    ref = reference("tianjin-2025", "pdf", "continuation")
    px = ref.load()
    dark_in_col = [sum(1 for y in range(ref.height) if px[x, y] < 100) for x in range(ref.width)]
    borders = [x for x, n in enumerate(dark_in_col) if n > max(dark_in_col) / 2]
    left, right = borders[0], next(x for x in borders if x > borders[0] + 2)  # the first column's sides
    dark_in_row = [sum(1 for x in range(ref.width) if px[x, y] < 100) for y in range(ref.height)]
    bottom = max(y for y, n in enumerate(dark_in_row) if n > max(dark_in_row) / 2)  # the grid's last rule
    changed = ref.copy()
    ImageDraw.Draw(changed).line([(left + 1, bottom), (right - 1, bottom)], fill=255)
    d = golden.difference(changed, ref)
    assert 0 < d.pixels <= right - left and d.fails(), f"{d.pixels} pixels"


def test_another_page_or_size_fails():
    first, cont = reference("tianjin-2025", "pdf", "table"), reference("tianjin-2025", "pdf", "continuation")
    assert golden.difference(cont, first).fails()
    assert golden.difference(first.crop((0, 0, first.width, first.height - 1)), first).size_changed
