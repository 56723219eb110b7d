"""Work shared with a forked helper (ptgen.parallel): the same results in the same order as one
process, whatever happens to the helper; the web pages drawn on two cores are the same bytes."""
from __future__ import annotations

import os
import sys

import pytest

from helpers import ROOT
from ptgen import parallel


def test_shared_map_gives_the_results_in_order():
    items = list(range(40))
    parent = os.getpid()
    got = parallel.shared_map(lambda x: (x * x, os.getpid() != parent), items, [1 + x % 7 for x in items],
                              min_weight=1, jobs=2)
    assert [g[0] for g in got] == [x * x for x in items]
    assert any(g[1] for g in got) and not all(g[1] for g in got)  # both processes did a share


def test_below_the_weight_or_on_one_core_nothing_is_forked():
    parent = os.getpid()
    for kwargs in ({"min_weight": 1000, "jobs": 2}, {"min_weight": 1, "jobs": 1}):
        got = parallel.shared_map(lambda x: os.getpid(), list(range(10)), [1] * 10, **kwargs)
        assert set(got) == {parent}


def test_a_helper_that_dies_or_fails_costs_time_not_results():
    parent = os.getpid()

    def dies(x):
        if os.getpid() != parent:
            os._exit(7)
        return x + 1

    def fails(x):
        if os.getpid() != parent:
            raise RuntimeError("in the helper only")
        return x + 1
    for func in (dies, fails):
        assert parallel.shared_map(func, list(range(12)), [1] * 12, min_weight=1, jobs=2) == list(range(1, 13))


def test_an_error_of_the_work_is_raised_here_as_on_one_core():
    def bad(x):
        if x == 9:
            raise ValueError("nine")
        return x
    with pytest.raises(ValueError, match="nine"):
        parallel.shared_map(bad, list(range(12)), [1] * 12, min_weight=1, jobs=2)


def test_web_pages_drawn_on_two_cores_are_the_same_bytes(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from ptgen import api
    from ptgen.build import compilations
    from ptgen.render import html
    root = generate(tmp_path / "pub", 40, departments=4)
    pub = api.check(root).publications[0]
    comps = compilations(pub)
    one = html.render_html(pub, comps, jobs=1)
    forks = []
    real = parallel.Helper.__init__
    monkeypatch.setattr(parallel.Helper, "__init__", lambda self, work: forks.append(1) or real(self, work))
    monkeypatch.setattr(html, "SHARED_FROM_TABLES", 1)
    two = html.render_html(pub, comps, jobs=2)
    assert forks == [1]
    assert [(p.name, p.data) for p in two] == [(p.name, p.data) for p in one]
    assert len(one) == 6  # four departments, the whole book and the index
