"""A check of many new files on two cores (ptgen.checkpool) says exactly what a check on one core
says, in the same order, and makes the same model; a helper that dies costs time, never findings."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from ptgen import api, cache, checkpool, parallel


def _generate(out: Path, tables: int, departments: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return generate(out, tables, departments)


@pytest.fixture
def pub(tmp_path, monkeypatch) -> Path:
    """Four departments, with mistakes in files of different departments: a YAML error, a
    schema error, a rule's finding and an unreadable value."""
    root = _generate(tmp_path / "pub", 24, 4)
    projects = sorted(p for p in root.rglob("p[0-9]*.yaml"))
    firsts = {p.parts[-3]: p for p in reversed(projects)}  # one project of each department
    a, b, c, d = (firsts[k] for k in sorted(firsts))
    a.write_text(a.read_text(encoding="utf-8").replace("name: ", "name：", 1), encoding="utf-8")
    b.write_text(b.read_text(encoding="utf-8") + "remarks: 多写的字段\n", encoding="utf-8")
    c.write_text(c.read_text(encoding="utf-8").replace("value: ", "value: ≥≥", 1), encoding="utf-8")
    text = d.read_text(encoding="utf-8")
    d.write_text(text.replace("description: ", "description: 2024年度", 1), encoding="utf-8")
    monkeypatch.setattr(checkpool, "MIN_NEW_FILES", 1)
    monkeypatch.setenv("PTGEN_CACHE_DIR", str(tmp_path / "cache"))
    return root


def _said(result) -> list[tuple]:
    """Every finding, in the order the check reports them."""
    return [(i.file, i.line, i.column, i.code, i.severity.value, i.message, i.text) for i in result.report.issues]


def _model(result) -> list:
    return [(doc.source.rel, doc.project.model_dump(), dict(doc.source.positions))
            for pub in result.publications for _, _, doc in pub.projects()]


def _shared(root: Path, store, **kwargs) -> bool:
    """Whether the work was shared, the helper heard from (the shares ready as the check finds them)."""
    with checkpool.sharing(root, store, **kwargs) as shared:
        if shared:
            store.wait_for_helper()
    return shared


def _one_core(root: Path, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("PTGEN_CACHE_DIR", "off")
        return api.check(root)


def test_two_cores_say_what_one_core_says_in_the_same_order(pub, monkeypatch):
    one = _one_core(pub, monkeypatch)
    assert {"Y001", "Y003", "V00", "N01"} <= {i.code for i in one.report.issues}, _said(one)
    calls = []
    real = checkpool._start
    monkeypatch.setattr(checkpool, "_start", lambda *a, **k: calls.append(real(*a, **k)) or calls[-1])
    two = api.check(pub, jobs=2)
    assert len(calls) == 1 and calls[0] is not None  # the work was shared
    assert _said(two) == _said(one)
    assert _model(two) == _model(one)
    files = sum(1 for _ in pub.rglob("*.yaml")) - 1  # ptgen.yaml is read apart from the cache
    assert (cache.stats.files_parsed, cache.stats.files_hit) == (files, 0)
    assert cache.stats.projects_linted == 23 and cache.stats.projects_hit == 0  # one project cannot be read
    again = api.check(pub, jobs=2)  # what both processes made is in the cache
    assert _said(again) == _said(one)
    assert cache.stats.files_parsed == 0 and cache.stats.files_hit == files


def test_this_process_takes_the_departments_read_first_up_to_about_half():
    counts = {"a": 50, "b": 10, "c": 30, "d": 25, "e": 5, "x": 7}
    mine, theirs = checkpool.split_in_order(counts, ["c", "a", "e", "b", "d"])  # x is not listed: last
    assert (mine, theirs) == ({"c", "a"}, {"e", "b", "d", "x"})
    assert checkpool.split_in_order({"a": 90, "b": 1}, ["a", "b"]) == ({"a"}, {"b"})  # never an empty share here


def test_the_shares_are_balanced_by_new_files_and_always_the_same():
    counts = {"a": 50, "b": 10, "c": 30, "d": 25, "e": 5}
    mine, theirs = parallel.balance(counts)
    assert mine | theirs == set(counts) and not mine & theirs
    assert abs(sum(counts[k] for k in mine) - sum(counts[k] for k in theirs)) <= 10
    assert parallel.balance(dict(reversed(counts.items()))) == [mine, theirs]


def test_few_new_files_are_read_by_this_process_alone(pub, monkeypatch):
    monkeypatch.setattr(checkpool, "MIN_NEW_FILES", 400)
    store = cache.open_check(pub)
    assert _shared(pub, store) is False
    monkeypatch.setattr(checkpool, "MIN_NEW_FILES", 1)
    assert _shared(pub, store, jobs=1) is False  # one core: nothing to share


def test_a_helper_that_dies_costs_time_not_findings(pub, monkeypatch):
    one = _one_core(pub, monkeypatch)
    parent = os.getpid()
    real = checkpool._fill

    def dying(*args):
        if os.getpid() != parent:
            os._exit(3)  # as if killed mid-way: nothing sent back
        real(*args)
    monkeypatch.setattr(checkpool, "_fill", dying)
    two = api.check(pub, jobs=2)
    assert _said(two) == _said(one)
    assert _model(two) == _model(one)
    assert cache.stats.files_hit == 0


def test_a_helper_cut_short_is_not_trusted(pub, monkeypatch):
    one = _one_core(pub, monkeypatch)
    parent = os.getpid()
    real_dumps = parallel.pickle.dumps

    def cut(obj, *args, **kwargs):
        data = real_dumps(obj, *args, **kwargs)
        return data[: len(data) // 2] if os.getpid() != parent else data
    monkeypatch.setattr(parallel.pickle, "dumps", cut)
    two = api.check(pub, jobs=2)
    assert _said(two) == _said(one)


def test_each_process_reads_its_share_and_the_check_finds_both_ready(pub):
    store = cache.open_check(pub)
    assert _shared(pub, store, jobs=2)
    files = sum(1 for _ in pub.rglob("*.yaml")) - 1
    helper = {k for k in store._adopted if k in store._old_files}
    here = set(store.live)
    assert here and helper and not here & helper
    assert len(here) + len(helper) == files
    assert {k[0].split("/")[1] for k in here}.isdisjoint({k[0].split("/")[1] for k in helper})  # by department


def test_a_file_changed_while_its_share_is_read_is_kept_by_what_was_read(pub, monkeypatch):
    """The shares are counted (and, with a cache, hashed) before the helper starts; a file saved
    meanwhile was parsed in its new form but kept under its old hash, and every later check, the
    edit undone, read the new text from the cache (found by a second read of the diff)."""
    api.check(pub, jobs=2)  # a cache to start from
    projects = sorted(p for p in pub.rglob("p[0-9]*.yaml"))
    for p in projects:  # every department has new files again
        p.write_text(p.read_text(encoding="utf-8") + "# 修改\n", encoding="utf-8")
    victim = projects[-1]  # in the helper's share (read last)
    before = victim.read_text(encoding="utf-8")
    real = checkpool._new_files

    def counted_then_saved(*args):
        counts = real(*args)
        victim.write_text(before.replace("description: ", "description: 编辑中", 1), encoding="utf-8")
        return counts
    monkeypatch.setattr(checkpool, "_new_files", counted_then_saved)
    api.check(pub, jobs=2)
    monkeypatch.setattr(checkpool, "_new_files", real)
    victim.write_text(before, encoding="utf-8")  # the edit undone
    again = api.check(pub, jobs=2)
    assert _model(again) == _model(_one_core(pub, monkeypatch))
    assert "编辑中" not in str(_model(again))


def test_a_helper_that_cannot_be_started_costs_time_not_findings(pub, monkeypatch):
    one = _one_core(pub, monkeypatch)
    fds = len(os.listdir("/proc/self/fd"))

    def no_fork():
        raise OSError(12, "Cannot allocate memory")
    monkeypatch.setattr(parallel.os, "fork", no_fork)
    two = api.check(pub, jobs=2)
    assert _said(two) == _said(one)
    assert len(os.listdir("/proc/self/fd")) == fds  # the pipe closed


def test_two_cores_count_cache_hits_as_one_core(pub, monkeypatch):
    api.check(pub, jobs=2)
    firsts = {}
    for p in sorted(pub.rglob("p[0-9]*.yaml")):
        firsts.setdefault(p.parts[-3], p)
    for p in firsts.values():  # one changed file per department: every department has new files
        p.write_text(p.read_text(encoding="utf-8") + "# 修改\n", encoding="utf-8")
    api.check(pub, jobs=2)
    two = (cache.stats.files_hit, cache.stats.projects_hit, cache.stats.files_parsed, cache.stats.projects_linted)
    for p in firsts.values():
        p.write_text(p.read_text(encoding="utf-8") + "# 又改\n", encoding="utf-8")
    api.check(pub, jobs=1)
    one = (cache.stats.files_hit, cache.stats.projects_hit, cache.stats.files_parsed, cache.stats.projects_linted)
    assert two == one and one[0] > 0


def test_counting_the_new_files_reads_nothing_outside_the_publication(pub, tmp_path, monkeypatch):
    """The count hashes the files it can (with a cache); a link out of the publication, a listed
    department that is a link or a path, are the check's to refuse: the count must not read them."""
    monkeypatch.setattr(cache, "SETTLED", 3600)  # no file known by its stat: the count reads to hash
    api.check(pub, jobs=2)  # a cache: the count hashes
    outside = tmp_path / "outside"
    (outside / "u").mkdir(parents=True)
    (outside / "u" / "secret.yaml").write_text("name: 机密\n", encoding="utf-8")
    first = sorted(pub.rglob("p[0-9]*.yaml"))[0]
    (first.parent / "linked.yaml").symlink_to(outside / "u" / "secret.yaml")
    (pub / "999").symlink_to(outside)
    read = []
    real = cache.yamlio.read_bytes
    monkeypatch.setattr(cache.yamlio, "read_bytes", lambda p: read.append(Path(p)) or real(p))
    store = cache.open_check(pub)
    order = checkpool._reading_order(pub) + ["999", "../outside", "/etc"]
    counts = checkpool._new_files(pub, store, order)
    assert read and all(Path(p).resolve().is_relative_to(pub.resolve()) for p in read), read
    assert set(counts) == {first.parts[-3]}  # the link counted as new, without reading it


def test_a_warm_check_of_the_current_folder_counts_no_new_file(pub, monkeypatch):
    """``ptgen check .``: the count names files as the check does (``301/…``, not ``./301/…``), so
    a check whose files did not change finds them all in the cache and starts no helper."""
    monkeypatch.chdir(pub)
    api.check(Path("."), jobs=2)
    store = cache.open_check(Path("."))
    assert cache.stats.loaded
    assert checkpool._new_files(Path("."), store, checkpool._reading_order(Path("."))) == {}
