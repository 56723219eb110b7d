"""The file-set commit: old set or new set, never a mix; leftovers are cleaned up."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from ptgen import output


def test_commit_writes_all_and_removes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.txt").write_text("old")
    output.commit(tmp_path, {tmp_path / "a" / "x.txt": b"1", tmp_path / "b" / "y.txt": b"2"},
                  remove=[tmp_path / "a" / "old.txt"])
    assert (tmp_path / "a" / "x.txt").read_bytes() == b"1"
    assert (tmp_path / "b" / "y.txt").read_bytes() == b"2"
    assert not (tmp_path / "a" / "old.txt").exists()
    assert not (tmp_path / output.JOURNAL).exists()
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def test_failure_while_writing_leaves_the_old_set(tmp_path, monkeypatch):
    (tmp_path / "1.txt").write_text("old1")
    (tmp_path / "2.txt").write_text("old2")
    real = output._write_temp
    calls = []

    def fail_second(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data)
    monkeypatch.setattr(output, "_write_temp", fail_second)
    with pytest.raises(OSError):
        output.commit(tmp_path, {tmp_path / "1.txt": b"new1", tmp_path / "2.txt": b"new2"})
    assert (tmp_path / "1.txt").read_text() == "old1"
    assert (tmp_path / "2.txt").read_text() == "old2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.txt", "2.txt"]


def test_interrupted_renames_are_finished_by_the_next_commit(tmp_path):
    (tmp_path / "1.txt").write_text("old1")
    (tmp_path / "2.txt").write_text("old2")
    # As if killed after the journal was written and the first rename done.
    t2 = output.temp_name(tmp_path / "2.txt")
    t2.write_text("new2")
    (tmp_path / "1.txt").write_text("new1")
    (tmp_path / output.JOURNAL).write_text(json.dumps(
        {"renames": [[".gone.000000000000.ptgen.tmp", "1.txt"], [t2.name, "2.txt"]], "remove": []}))
    output.recover(tmp_path)
    assert (tmp_path / "1.txt").read_text() == "new1"
    assert (tmp_path / "2.txt").read_text() == "new2"
    assert not (tmp_path / output.JOURNAL).exists()


def test_recover_removes_only_ptgen_temporaries(tmp_path):
    mine = output.temp_name(tmp_path / "sub" / "x.pdf")
    mine.parent.mkdir()
    mine.write_text("half")
    theirs = tmp_path / "sub" / "notes.tmp"
    theirs.write_text("keep")
    output.recover(tmp_path)
    assert not mine.exists() and theirs.exists()


def test_a_journal_pointing_outside_is_not_replayed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    root = tmp_path / "root"
    root.mkdir()
    (root / output.JOURNAL).write_text(json.dumps({"renames": [], "remove": ["../outside.txt"]}))
    output.recover(root)
    assert outside.read_text() == "keep"
    assert not (root / output.JOURNAL).exists()


def test_paths_outside_the_root_are_refused(tmp_path):
    with pytest.raises(ValueError):
        output.commit(tmp_path / "root", {tmp_path / "elsewhere.txt": b"x"})
    assert not (tmp_path / "elsewhere.txt").exists()


def test_a_file_given_as_content_is_copied_and_stays_where_it_was(tmp_path):
    """An output can be a file ptgen already wrote (the PDF book, in the PDF cache): the commit
    copies it beside its target, the file itself is left as it was."""
    made = tmp_path / "cache" / "join-1.pdf"
    made.parent.mkdir()
    made.write_bytes(b"%PDF " + bytes(range(256)) * 5000)  # more than one buffer's worth
    root = tmp_path / "out"
    output.commit(root, {root / "pdf" / "book.pdf": made, root / "a.txt": b"1"})
    assert (root / "pdf" / "book.pdf").read_bytes() == made.read_bytes()
    assert made.exists() and not (root / "pdf" / "book.pdf").samefile(made)
    assert output.data_digest(made) == hashlib.sha256(made.read_bytes()).hexdigest()
    assert output.data_size(made) == len(made.read_bytes()) and output.data_bytes(made) == made.read_bytes()
    assert [p.name for p in root.rglob("*.tmp")] == []


def test_a_file_given_as_content_that_cannot_be_read_leaves_the_old_set(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    (root / "1.txt").write_text("old1")
    (root / "2.pdf").write_text("old2")
    with pytest.raises(FileNotFoundError):
        output.commit(root, {root / "1.txt": b"new1", root / "2.pdf": tmp_path / "vanished.pdf"})
    assert (root / "1.txt").read_text() == "old1" and (root / "2.pdf").read_text() == "old2"
    assert sorted(p.name for p in root.iterdir()) == ["1.txt", "2.pdf"]


def test_writing_a_file_piece_by_piece_is_atomic(tmp_path):
    target = tmp_path / "book.pdf"
    target.write_bytes(b"old")
    with pytest.raises(OSError):
        with output.writing(target) as f:
            f.write(b"half")
            raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]
    with output.writing(target) as f:
        f.write(b"new ")
        f.write(b"book")
    assert target.read_bytes() == b"new book" and sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]
