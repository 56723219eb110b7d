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

