"""Split tables in the PDF, page by page, in every built-in layout: what a proof-reader checks.

Each layout's example publication (``content/``), with one project's grid made long enough to run
over pages (more 产出指标 rows after its first one), built to PDF; then every page of the
department PDF is read back (pypdf) and checked: the grid header is on every page holding grid
rows, the 一级 and 二级 labels on every page holding their rows, no page starts or ends with a lone indicator
row, and the header block is on the page where its grid starts."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from ptgen import api
from ptgen.build import build
from ptgen.content import project_yaml
from ptgen.render.layout import grid_columns

from helpers import CONTENT

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")

FOLDERS = {"tianjin": "tianjin-2025", "shanghai": "shanghai-2025", "wuhan-qingshan": "wuhan-qingshan-2020",
           "xiangtan": "xiangtan-2023", "fengjie": "fengjie-2023", "ningxia": "ningxia-2019", "central": "central-2025"}
ADDED = 30  # rows added to one project: its 产出指标 then runs over a page in every layout


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def lengthen(root: Path, rows: int = ADDED) -> str:
    """Add ``rows`` 产出指标 rows after the first one of the publication's first project; its name."""
    [pub] = api.check(root).publications
    doc = next(pub.projects())[2]
    p = doc.project
    inds = list(p.indicators)
    first = next(k for k, i in enumerate(inds) if i.level1 == "产出指标")
    model = inds[first]
    inds[first + 1:first + 1] = [model.model_copy(update={"name": f"{model.name}（第{k}项）", "value": f"≥{k}个"})
                                 for k in range(1, rows + 1)]
    doc.source.path.write_text(project_yaml(p.model_copy(update={"indicators": inds})), encoding="utf-8")
    return p.name


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    out = {}
    for layout, folder in FOLDERS.items():
        shutil.copytree(CONTENT / folder, tmp / folder)
        if layout != "tianjin":  # the Tianjin example has long tables of its own (and the published orphan row)
            lengthen(tmp / folder)
        [pub] = api.check(tmp / folder).publications
        result = build(pub, tmp / "out", ["pdf"])
        [dept] = [o for o in result.outputs if o.path.stem != folder]
        out[layout] = (pub, dept.path)
    return out


def body_pages(pdf: Path) -> list[str]:
    """The text of each table page of a department PDF (its cover and contents left out), squashed."""
    reader = PdfReader(pdf)
    return [squash(page.extract_text()) for page, label in zip(reader.pages, reader.page_labels) if "-" in label]


def row_pages(pages: list[str], project, settings) -> list[int]:
    """The page each indicator row of ``project`` is printed on: each row's text (its cells after
    the merged ones) found in order."""
    fields = [f for _, f, _ in grid_columns(settings) if f not in ("level1", "level2")]
    text = "".join(pages)
    starts = [sum(len(p) for p in pages[:k]) for k in range(len(pages) + 1)]
    at = -1
    out = []
    for ind in project.indicators:
        key = squash("".join(str(getattr(ind, f, None) or ind.extras.get(f) or "") for f in fields))
        at = text.find(key, at + 1)
        assert at >= 0, key
        out.append(max(k for k in range(len(pages)) if starts[k] <= at))
    return out


@pytest.mark.parametrize("layout", list(FOLDERS))
def test_a_split_grid_repeats_its_header_and_merged_labels_on_every_page(built, layout):
    pub, pdf = built[layout]
    pages = body_pages(pdf)
    head = squash("".join(h for h, _, _ in grid_columns(pub.settings)))
    split = 0
    for _, _, doc in pub.projects():
        where = row_pages(pages, doc.project, pub.settings)
        for k in sorted(set(where)):
            assert head in pages[k], f"{doc.project.name}: 第 {k + 1} 页没有表头"
            for i, w in zip(doc.project.indicators, where):  # merged or not, each level's label is on the page
                if w == k:
                    assert i.level1 in pages[k], f"{doc.project.name}: 第 {k + 1} 页没有一级指标“{i.level1}”"
                    assert squash(i.level2) in pages[k], f"{doc.project.name}: 第 {k + 1} 页没有二级指标“{i.level2}”"
        split += len(set(where)) > 1
    assert split >= 1  # the content really runs over pages


@pytest.mark.parametrize("layout", list(FOLDERS))
def test_no_page_starts_or_ends_with_a_lone_row_and_the_header_block_stays_with_its_grid(built, layout):
    pub, pdf = built[layout]
    pages = body_pages(pdf)
    for _, _, doc in pub.projects():
        p = doc.project
        where = row_pages(pages, p, pub.settings)
        if len(where) >= 2:
            assert where[0] == where[1], f"{p.name}: 第一行独自在第 {where[0] + 1} 页页脚"
            assert where[-1] == where[-2], f"{p.name}: 最后一行独自在第 {where[-1] + 1} 页页首"
        title = squash(p.title or p.name)
        assert title in pages[where[0]], f"{p.name}: 表头部分与指标表的前几行不在同一页"


def test_a_document_without_split_merges_is_laid_out_as_weasyprint_does(tmp_path):
    """ptgen lays a department out itself (to lay out again only the pages around a split merge):
    where nothing is split, the PDF is WeasyPrint's own, byte for byte."""
    from helpers import make_publication

    from ptgen.build import compilations
    from ptgen.render import pdf

    [pub] = api.check(make_publication(tmp_path / "pub")).publications
    comps = compilations(pub)
    job = pdf.PdfBuild(pub, comps, tmp_path / "cache", renderer=None)
    d, comp = job.views[0], comps[0][1]
    html = pdf.body_html(pub, comp, [d], front={"title": comp.title, "subtitle": comp.subtitle,
                                                "toc": pdf.toc_entries([d])})
    ours = pdf._laid_out(html, str(tmp_path))
    assert len(ours.pages) == 3  # the table, the cover, the contents
    assert ours.write_pdf() == pdf._document(html, str(tmp_path)).render().write_pdf()
