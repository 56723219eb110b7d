"""The PDF book is joined straight into a file (never whole in memory) and the build's outputs carry
that file, which the commit copies: the same bytes as the book joined in memory, and a join that
fails leaves neither a half-written file nor a temporary one."""
from __future__ import annotations

import errno
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest

from ptgen import api
from ptgen.build import MANIFEST, build
from ptgen.output import is_temp_name
from ptgen.render import pdf

from helpers import CONTENT


class NoRenderer:
    """Nothing to render: every document is in the cache already."""
    limit = 2

    def submit(self, *args):
        raise AssertionError("rendered again")

    def poll(self, timeout):
        return []


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    """A fresh Tianjin PDF build (the joins made in the render server's children), and what each
    of its PDFs is joined from, worked out here from the build's cache."""
    from ptgen.build import compilations
    from ptgen.render.layout import printable

    tmp = tmp_path_factory.mktemp("tj")
    shutil.copytree(CONTENT / "tianjin-2025", tmp / "tianjin-2025")
    pub = api.check(tmp / "tianjin-2025").publications[0]
    result = build(pub, tmp / "out", ["pdf"])
    pub = printable(pub)[0]
    job = pdf.PdfBuild(pub, compilations(pub), tmp / "out" / ".cache" / "pdf" / pub.name, NoRenderer())
    job.start()
    assert job._front()
    return result, job.joins(), tmp / "out"


def in_memory(front, pages, parts, title, author, when) -> bytes:
    """The PDF as the build joined it before: in this process, from the publication's own views,
    saved into memory."""
    import warnings

    from pikepdf import ObjectStreamMode, PageCopyWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PageCopyWarning)
        out, sources = pdf._joined(front, pages, parts, title, author, when)
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True, object_stream_mode=ObjectStreamMode.generate)
    for p in (out, *sources):
        p.close()
    return buf.getvalue()


def test_the_outputs_are_the_joined_files_byte_for_byte_as_joined_in_memory(joined):
    result, joins, out = joined
    pdfs = [o for o in result.outputs if o.format == "pdf"]
    assert [o.path.name for o in pdfs] == [f"{stem}.pdf" for stem, _, _ in joins] == ["353.pdf", "tianjin-2025.pdf"]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    for o, (_, _, args) in zip(pdfs, joins):
        assert isinstance(o.data, Path)  # the outputs hold the files, not their bytes
        written = o.path.read_bytes()
        assert written == in_memory(*args)
        assert written == o.data.read_bytes()  # the cache keeps the joined file for the next build
        assert manifest[o.path.relative_to(out).as_posix()] == hashlib.sha256(written).hexdigest()


def test_a_join_described_for_the_server_is_the_same_join(joined, tmp_path):
    _, joins, _ = joined
    *_, (_, _, args) = joins  # the book: the departments' outline goes through the description
    pdf.join_described(pdf.describe_join(*args), tmp_path / "book.pdf")
    assert (tmp_path / "book.pdf").read_bytes() == in_memory(*args)


def test_a_failed_join_leaves_the_old_file_and_no_temporary_file(joined, tmp_path, monkeypatch):
    import pikepdf

    _, joins, _ = joined
    *_, (_, _, args) = joins  # the book
    dest = tmp_path / "book.pdf"
    dest.write_bytes(b"the old book")

    def disk_full(self, f, **kwargs):
        f.write(b"%PDF-1.7 half a book")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(pikepdf.Pdf, "save", disk_full)
    with pytest.raises(OSError):
        pdf.join(*args, dest)
    assert dest.read_bytes() == b"the old book"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]
    assert not any(is_temp_name(p.name) for p in tmp_path.iterdir())


def test_a_join_that_fails_in_the_server_is_reported_and_nothing_is_written(tmp_path, monkeypatch):
    """The joins run in the render server's children: a full disk there reaches the user in
    Chinese, naming the file, and the build writes nothing."""
    from helpers import make_publication

    from ptgen.errors import UserError

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[-1]))
    monkeypatch.setattr(pdf, "join", disk_full)  # the server is started by the build: its children see this
    root = make_publication(tmp_path / "pub")
    with pytest.raises(UserError) as exc:
        build(api.check(root).publications[0], tmp_path / "out", ["pdf"])
    assert exc.value.message.startswith("生成 PDF 失败：磁盘已满") and "join-" in exc.value.message
    assert not (tmp_path / "out" / "pdf").exists()
    assert not any(is_temp_name(p.name) for p in (tmp_path / "out").rglob("*"))
