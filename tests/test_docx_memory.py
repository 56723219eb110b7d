"""The Word book's memory (issue 16): its ``word/document.xml`` is streamed into the package piece by
piece, never held as one string or one bytes, and the package is byte for byte what writing the
spliced part in one piece gave."""
from __future__ import annotations

import io
import sys
import tracemalloc
import zipfile

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The book of a 200-table publication, rendered once (its tables' XML then in the cache)."""
    from ptgen import api, layouts
    from ptgen.build import compilations, find_template
    from ptgen.render.docx import render_docx, template_context
    root = generate(tmp_path_factory.mktemp("mem") / "pub", 200, departments=4)
    pub = api.check(root).publications[0]
    comp = compilations(pub)[-1][1]
    template = find_template(pub, "docx", layouts.of(pub.settings).word_template)
    cache: dict = {}

    def render() -> bytes:
        return render_docx(comp, template, template_context(pub, comp), cache=cache)[0]

    return render, render()


def test_the_books_body_is_never_held_whole_while_it_is_written(book):
    render, first = book
    body = zipfile.ZipFile(io.BytesIO(first)).getinfo("word/document.xml").file_size
    assert body > 3_000_000  # big enough for the measure to mean something
    tracemalloc.start()
    try:
        again = render()  # the tables' XML already drawn: what is left is assembling and writing the book
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert again == first
    # The body as one string, then encoded, then spliced into the template's part were three copies
    # of it at once; streamed, the compressed package (a tenth of it) is the largest thing made.
    assert peak < body / 2, (peak, body)


def test_the_streamed_package_is_what_writing_each_part_whole_gives(book):
    _, data = book
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            again = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            again.compress_type = info.compress_type
            again.external_attr = info.external_attr
            zf.writestr(again, src.read(info.filename), compresslevel=6)
    assert buf.getvalue() == data



def test_spooled_tables_give_the_same_book_and_are_not_kept_in_memory(tmp_path):
    """The build's renderer keeps the drawn tables in a temporary file (render.docx.Spool): the
    book is byte for byte the one drawn from memory, the cache holds only where each piece is,
    and the file is gone when the renderer is done."""
    from ptgen import api, layouts
    from ptgen.build import compilations, find_template
    from ptgen.render.docx import Spool, SpooledPiece, render_docx, template_context
    root = generate(tmp_path / "pub", 60, departments=2)
    pub = api.check(root).publications[0]
    comp = compilations(pub)[-1][1]
    template = find_template(pub, "docx", layouts.of(pub.settings).word_template)
    in_memory = render_docx(comp, template, template_context(pub, comp), cache={})[0]
    spool = Spool()
    cache: dict = {"spool": spool}
    try:
        spooled = render_docx(comp, template, template_context(pub, comp), cache=cache)[0]
        again = render_docx(comp, template, template_context(pub, comp), cache=cache)[0]  # every piece read back
        pieces = [v[0] for k, v in cache.items() if isinstance(k, tuple)]
        assert pieces and all(isinstance(p, SpooledPiece) for p in pieces)
        assert sum(map(len, pieces)) > 500_000
    finally:
        spool.close()
    assert spooled == in_memory and again == in_memory
    assert spool._file.closed
