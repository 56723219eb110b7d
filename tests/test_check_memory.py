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


def test_a_cold_check_leaves_each_files_positions_packed_until_asked(tmp_path, monkeypatch):
    """Positions are kept pickled (a tenth of the dict's memory) until a finding needs them; a cold
    check (nothing cached yet) unpacked every file's by asking whether the packed ones were empty."""
    from ptgen import api
    from ptgen.cache import LazyPositions
    monkeypatch.setenv("PTGEN_CACHE_DIR", str(tmp_path / "cache"))
    pub = api.check(make_publication(tmp_path / "pub")).publications[0]
    sources = [doc.source for _, _, doc in pub.projects()]
    assert sources and all(isinstance(s.positions, LazyPositions) for s in sources)
    assert all(s.positions._blob is not None for s in sources)
    line, col = sources[0].pos("purpose")
    assert line > 1 and col >= 1  # and there when asked
