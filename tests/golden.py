"""Reference images of pages ("golden" pages): render a PDF page small and grey, compare it with the
committed picture in ``tests/golden/pages/`` within a tolerance, and rewrite the picture only when
pytest runs with ``--update-golden``.

The pictures are low resolution on purpose: they catch what a proof-reader sees on a page (a border
missing, a label wrapped differently, a row on another page, a header not repeated, a cover laid
out anew), not a glyph's hinting. Grey levels are reduced to 16 so that a picture is a few KB.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops

from helpers import ROOT

GOLDEN = ROOT / "tests" / "golden" / "pages"
DPI = 30
LEVELS = 16            # grey levels kept in a picture
GREY_THRESHOLD = 64    # a pixel differs when its grey differs by more than this (of 255)
TOLERANCE = 0.0002     # ... and a page differs when more than this fraction of its pixels do (0.02%:
                       # 17 pixels of an A4 page: a cell's border is ~30, a changed glyph ~4)
GAP = 4                # between the panels of a diff picture


def render_page(pdf: Path, page: int, dpi: int = DPI) -> Image.Image:
    """Page ``page`` (1-based) of ``pdf`` as a grey picture of LEVELS levels."""
    png = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(page), "-l", str(page),
                          "-singlefile", str(pdf)], capture_output=True, check=True).stdout
    import io
    im = Image.open(io.BytesIO(png)).convert("L")
    step = 255 / (LEVELS - 1)
    return im.point([round(round(v / step) * step) for v in range(256)])


def save(im: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "PNG", optimize=True)


@dataclass
class Difference:
    pixels: int            # pixels that differ by more than GREY_THRESHOLD
    total: int             # pixels of the larger of the two pictures
    size_changed: bool
    diff: Image.Image      # reference | actual | the differing pixels in black on the reference, faded

    @property
    def fraction(self) -> float:
        return self.pixels / self.total

    def fails(self, tolerance: float = TOLERANCE) -> bool:
        return self.size_changed or self.fraction > tolerance


def difference(actual: Image.Image, reference: Image.Image) -> Difference:
    """How far ``actual`` is from ``reference``: both are put on a white canvas of the larger size
    (so the differing area of a changed size is counted too), a changed size always fails."""
    w, h = max(actual.width, reference.width), max(actual.height, reference.height)

    def canvas(im: Image.Image) -> Image.Image:
        c = Image.new("L", (w, h), 255)
        c.paste(im, (0, 0))
        return c

    a, r = canvas(actual), canvas(reference)
    mask = ImageChops.difference(a, r).point(lambda v: 255 if v > GREY_THRESHOLD else 0)
    pixels = mask.histogram()[255]
    # The diff picture, three panels: the reference, the actual page, and the reference faded to
    # light grey with the differing pixels in black.
    marked = r.point(lambda v: 200 + v * 55 // 255)
    marked.paste(0, mask=mask)
    diff = Image.new("L", (3 * w + 2 * GAP, h), 128)
    for i, im in enumerate((r, a, marked)):
        diff.paste(im, (i * (w + GAP), 0))
    return Difference(pixels, w * h, actual.size != reference.size, diff)


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def check(actual: Image.Image, name: str, update: bool, out_dir: Path, root: Path = GOLDEN) -> None:
    """Compare ``actual`` with the reference ``<root>/<name>.png``; with ``update`` rewrite it instead.
    On a failure the actual picture and a diff picture are written to ``out_dir`` and named."""
    ref_path = root / f"{name}.png"
    if update:
        save(actual, ref_path)
        return
    got = out_dir / (re.sub(r"[^\w.-]", "_", name) + ".actual.png")
    if not ref_path.exists():
        save(actual, got)
        raise AssertionError(f"no reference picture {_shown(ref_path)} (actual: {got}); "
                             "make the references with: .venv/bin/python -m pytest tests/test_golden_pages.py --update-golden")
    d = difference(actual, Image.open(ref_path).convert("L"))
    if d.fails():
        save(actual, got)
        diff_path = got.with_name(got.name.replace(".actual.png", ".diff.png"))
        save(d.diff, diff_path)
        what = (f"size {actual.size} instead of {Image.open(ref_path).size}" if d.size_changed
                else f"{d.pixels} pixels ({d.fraction:.3%}) differ, more than {TOLERANCE:.3%}")
        raise AssertionError(f"{name}: the page no longer looks like {_shown(ref_path)}: {what}.\n"
                             f"  actual: {got}\n  diff:   {diff_path} (reference | actual | differing pixels in black)\n"
                             "If the change is intended, rewrite the references: "
                             ".venv/bin/python -m pytest tests/test_golden_pages.py --update-golden")
