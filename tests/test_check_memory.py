"""What the check keeps after it has run (issue 16: a build renders 10,000 projects after checking them)."""
from __future__ import annotations

from helpers import make_publication


def test_the_rules_text_memo_is_dropped_once_the_check_is_done(tmp_path):
    from ptgen import api
    from ptgen.lint.text import joined, texts
    pub = api.check(make_publication(tmp_path / "pub")).publications[0]
    docs = [doc for _, _, doc in pub.projects()]
    assert docs
    assert all("_texts" not in d.__dict__ and "_joined" not in d.__dict__ for d in docs)
    assert "用于信息系统运行维护" in joined(docs[0]) and texts(docs[0])  # still there when asked again


def test_a_check_keeps_no_positions_until_a_message_needs_them(tmp_path, monkeypatch):
    """Where each value stands is read from the file when a finding needs it (yamlio.FilePositions):
    a check kept every file's positions (a dict of ~100 entries per project) in memory and in its
    cache, and used them only for the few files it had something to say about."""
    from ptgen import api
    from ptgen.yamlio import FilePositions
    monkeypatch.setenv("PTGEN_CACHE_DIR", str(tmp_path / "cache"))
    root = make_publication(tmp_path / "pub")
    for attempt in ("cold", "warm"):
        pub = api.check(root).publications[0]
        sources = [doc.source for _, _, doc in pub.projects()]
        assert sources and all(isinstance(s.positions, FilePositions) for s in sources), attempt
        assert all(s.positions.path is not None and s.positions._read is None for s in sources), attempt
        line, col = sources[0].pos("purpose")
        assert line > 1 and col >= 1  # and there when asked
        text = sources[0].path.read_text(encoding="utf-8").splitlines()
        assert text[line - 1][col - 1:].startswith(pub.departments[0].units[0].projects[0].project.purpose[:4])
