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
