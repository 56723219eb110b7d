"""The cache of parsed and checked content (ptgen.cache): reused while a file's bytes stay the
same, and never trusted when it is cut short, garbled, or made by another version."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import CONTENT
from ptgen import api, cache


def _issues(result) -> list[tuple]:
    return sorted((i.file, i.line, i.column, i.code, i.severity.value, i.message, i.text) for i in result.report.issues)


@pytest.fixture
def tianjin(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PTGEN_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "tianjin-2025"
    shutil.copytree(CONTENT / "tianjin-2025", root)
    return root


def _cold(root: Path, monkeypatch) -> list[tuple]:
    """What a check without any cache says."""
    with monkeypatch.context() as m:
        m.setenv("PTGEN_CACHE_DIR", "off")
        return _issues(api.check(root))


def _cache_file(tmp_path: Path) -> Path:
    files = list((tmp_path / "cache" / "check").glob("*.pickle"))
    assert len(files) == 1, files
    return files[0]


def _projects(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.name not in ("ptgen.yaml", "department.yaml", "unit.yaml"))


def test_unchanged_files_come_from_the_cache_with_the_same_findings(tianjin, monkeypatch):
    cold = _cold(tianjin, monkeypatch)
    assert any(i[4] == "error" for i in cold)  # the seeds' mistakes: something to keep
    first = _issues(api.check(tianjin))
    assert first == cold
    assert cache.stats.files_parsed > 29 and cache.stats.files_hit == 0
    second = _issues(api.check(tianjin))
    assert second == cold
    assert cache.stats.loaded and cache.stats.files_parsed == 0 and cache.stats.projects_linted == 0
    assert cache.stats.files_hit > 29


def test_one_changed_file_is_read_and_checked_again(tianjin, monkeypatch):
    api.check(tianjin)
    victim = _projects(tianjin)[3]
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("value: ", "value: ≥≥", 1), encoding="utf-8")
    got = _issues(api.check(tianjin))
    assert cache.stats.files_parsed == 1 and cache.stats.projects_linted == 1
    assert got == _cold(tianjin, monkeypatch)
    assert any(i[0].endswith(victim.name) and i[3] == "V00" for i in got)


def test_rules_across_files_still_see_every_file(tianjin, monkeypatch):
    """A duplicate bookmark (P04) and identity (I01) made by changing one file: the other file,
    unchanged, comes from the cache, and the cross-file rules still compare the two."""
    api.check(tianjin)
    a, b = _projects(tianjin)[:2]
    import re
    mark = re.search(r"^bookmark: (\S+)", a.read_text(encoding="utf-8"), re.M).group(1)
    ident = re.search(r"^id: (\S+)", a.read_text(encoding="utf-8"), re.M).group(1)
    text = b.read_text(encoding="utf-8")
    text = re.sub(r"^bookmark: \S+", f"bookmark: {mark}", text, flags=re.M)
    b.write_text(re.sub(r"^id: \S+", f"id: {ident}", text, flags=re.M), encoding="utf-8")
    got = _issues(api.check(tianjin))
    assert cache.stats.files_parsed == 1
    codes = {i[3] for i in got if i[0].endswith((a.name, b.name))}  # at whichever comes second
    assert {"P04", "I01"} <= codes
    assert got == _cold(tianjin, monkeypatch)


def test_changed_settings_drop_the_whole_cache(tianjin, monkeypatch):
    api.check(tianjin)
    settings = tianjin / "ptgen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "rules:\n  X01: off\n", encoding="utf-8")
    got = _issues(api.check(tianjin))
    assert not cache.stats.loaded and cache.stats.files_hit == 0
    assert "X01" not in {i[3] for i in got}
    assert got == _cold(tianjin, monkeypatch)


@pytest.mark.parametrize("damage", ["truncate-payload", "truncate-header", "garbage", "empty"])
def test_a_damaged_cache_is_ignored_and_rebuilt(tianjin, tmp_path, monkeypatch, damage):
    cold = _cold(tianjin, monkeypatch)
    api.check(tianjin)
    path = _cache_file(tmp_path)
    blob = path.read_bytes()
    path.write_bytes({"truncate-payload": blob[:len(blob) // 2], "truncate-header": blob[:20],
                      "garbage": bytes(range(256)) * 64, "empty": b""}[damage])
    assert _issues(api.check(tianjin)) == cold
    assert not cache.stats.loaded and cache.stats.files_hit == 0
    assert _issues(api.check(tianjin)) == cold  # rebuilt: whole again, and used
    assert cache.stats.loaded and cache.stats.files_parsed == 0


def _forged(tianjin: Path, tmp_path: Path, key: str) -> Path:
    """A well-formed cache, for ``key``, that says no file has any problem."""
    api.check(tianjin)
    path = _cache_file(tmp_path)
    store = cache.CheckCache(tianjin, None, None)
    payload = cache.read(path, store.key)
    assert payload is not None
    import pickle
    payload["files"] = {k: pickle.dumps(pickle.loads(v)[:2] + ([],)) for k, v in payload["files"].items()}
    payload["lint"] = {k: pickle.dumps({}) for k in payload["lint"]}
    cache.write(path, key, payload)
    return path


def test_a_cache_made_by_another_version_is_not_trusted(tianjin, tmp_path, monkeypatch):
    cold = _cold(tianjin, monkeypatch)
    with monkeypatch.context() as m:
        m.setattr("ptgen.__version__", "0.0.1-other")
        m.setattr(cache, "_code_key", None)
        other_key = cache.CheckCache(tianjin, None, None).key
    monkeypatch.setattr(cache, "_code_key", None)
    _forged(tianjin, tmp_path, other_key)
    assert _issues(api.check(tianjin)) == cold
    assert not cache.stats.loaded


def test_the_forged_cache_of_this_version_would_be_used(tianjin, tmp_path, monkeypatch):
    """The counterpart of the test above: what makes the cache trusted is its key, so the test
    above can fail."""
    _forged(tianjin, tmp_path, cache.CheckCache(tianjin, None, None).key)
    got = api.check(tianjin)
    assert cache.stats.loaded
    assert not [i for i in got.report.issues if i.code.startswith(("Y", "V", "X03"))]


def test_no_cache_when_switched_off(tianjin, tmp_path, monkeypatch):
    monkeypatch.setenv("PTGEN_CACHE_DIR", "off")
    api.check(tianjin)
    assert not (tmp_path / "cache").exists()


def test_the_cli_check_is_the_same_with_a_warm_cache(tianjin):
    from typer.testing import CliRunner

    from ptgen.cli import app
    runner = CliRunner()
    first = runner.invoke(app, ["check", str(tianjin), "--format", "json"])
    second = runner.invoke(app, ["check", str(tianjin), "--format", "json"])
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout
    assert cache.stats.files_parsed == 0


def test_selected_rules_are_part_of_the_key(tianjin, monkeypatch):
    """A check of some rules never answers for a check of all of them (or the other way round)."""
    full = _issues(api.check(tianjin))
    only_x = _issues(api.check(tianjin, select={"X"}))
    assert {i[3][0] for i in only_x} <= {"X", "Y", "F"} and any(i[3].startswith("X") for i in only_x)
    assert _issues(api.check(tianjin)) == full
    assert cache.stats.projects_linted == 0  # the full check's findings were kept beside the selected ones'
    assert _issues(api.check(tianjin, ignore={"X"})) == _cold_ignoring(tianjin, monkeypatch)


def _cold_ignoring(root: Path, monkeypatch) -> list[tuple]:
    with monkeypatch.context() as m:
        m.setenv("PTGEN_CACHE_DIR", "off")
        return _issues(api.check(root, ignore={"X"}))


def test_entries_of_another_shape_are_made_again(tianjin, tmp_path, monkeypatch):
    """A whole, well-keyed cache whose entries unpickle to something else than this version writes
    (a file's (model, problems), a project's findings by rule) is read and checked again, never unpacked."""
    cold = _cold(tianjin, monkeypatch)
    api.check(tianjin)
    path = _cache_file(tmp_path)
    key = cache.CheckCache(tianjin, None, None).key
    payload = cache.read(path, key)
    import pickle
    payload["files"] = {k: pickle.dumps(pickle.loads(v) + ([],)) for k, v in payload["files"].items()}
    payload["lint"] = {k: pickle.dumps([]) for k in payload["lint"]}
    cache.write(path, key, payload)
    assert _issues(api.check(tianjin)) == cold
    assert cache.stats.loaded and cache.stats.files_hit == 0 and cache.stats.projects_hit == 0


# --- files known by their stat, projects unpickled when read ---------------------------------------

def test_settled_files_are_known_by_their_stat_and_not_read(tianjin, monkeypatch):
    monkeypatch.setattr(cache, "SETTLED", 0)  # the copied files count as settled at once
    cold = _cold(tianjin, monkeypatch)
    api.check(tianjin)
    assert _issues(api.check(tianjin)) == cold
    assert cache.stats.files_hashed == 0 and cache.stats.files_hit > 29


def test_a_file_changed_within_the_same_size_and_time_is_still_read(tianjin, monkeypatch):
    """Same size, modification time put back: the change time (and so the stat) still differs."""
    import os
    monkeypatch.setattr(cache, "SETTLED", 0)
    api.check(tianjin)
    victim = next(p for p in _projects(tianjin) if "value: ≥" in p.read_text(encoding="utf-8"))
    before = victim.stat()
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("value: ≥", "value: ≤", 1), encoding="utf-8")  # both 3 bytes in UTF-8
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (victim.stat().st_size, victim.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    result = api.check(tianjin)
    assert cache.stats.files_parsed == 1
    doc = next(d for _, _, d in result.publications[0].projects() if d.source.path == victim)
    assert any(ind.value.startswith("≤") for ind in doc.project.indicators)
    assert _issues(result) == _cold(tianjin, monkeypatch)


def test_files_changed_just_now_are_hashed_again(tianjin, monkeypatch):
    """A file modified less than SETTLED seconds before it was hashed is not known by its stat:
    a second change within the clock's granularity could leave the stat the same."""
    monkeypatch.setattr(cache, "SETTLED", 3600)  # every file was changed "just now" (however slow the machine)
    api.check(tianjin)
    api.check(tianjin)
    assert cache.stats.files_hashed > 29 and cache.stats.files_parsed == 0


def test_a_warm_check_unpickles_no_project_and_each_is_the_same_when_read(tianjin, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("PTGEN_CACHE_DIR", "off")
        cold = api.check(tianjin).publications[0]
    api.check(tianjin)
    warm = api.check(tianjin).publications[0]
    docs = [doc for _, _, doc in warm.projects()]
    assert len(docs) == len(list(cold.projects())) > 20
    assert all("project" not in doc.__dict__ for doc in docs)  # still pickled after the whole check
    assert [(d.bookmark, d.ident) for d in docs] == [(p.project.bookmark, p.project.id) for _, _, p in cold.projects()]
    assert [d.project for d in docs] == [p.project for _, _, p in cold.projects()]  # read now
    assert all("project" in doc.__dict__ and "_facts" not in doc.__dict__ for doc in docs)


# --- the file of models ------------------------------------------------------------------------

def _models_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "check").glob("*.models"))


def _change_every_project(root: Path, mark: str) -> None:
    for p in _projects(root):
        p.write_text(p.read_text(encoding="utf-8") + f"# {mark}\n", encoding="utf-8")


def test_one_change_appends_one_model_and_rewrites_only_the_small_index(tianjin, tmp_path):
    api.check(tianjin)
    [pack] = _models_files(tmp_path)
    size, index = pack.stat().st_size, _cache_file(tmp_path).stat().st_size
    assert index < size  # the models are most of the cache
    victim = _projects(tianjin)[3]
    victim.write_text(victim.read_text(encoding="utf-8").replace("value: ", "value: ≥", 1), encoding="utf-8")
    api.check(tianjin)
    assert _models_files(tmp_path) == [pack]  # the same file, grown by one model
    assert 500 < pack.stat().st_size - size < 20000


@pytest.mark.parametrize("damage", ["cut", "gone", "other"])
def test_a_file_of_models_cut_short_or_missing_is_not_trusted(tianjin, tmp_path, monkeypatch, damage):
    cold = _cold(tianjin, monkeypatch)
    api.check(tianjin)
    [pack] = _models_files(tmp_path)
    if damage == "cut":
        pack.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])
    elif damage == "gone":
        pack.unlink()
    else:  # a file of models, but not the one the cache names
        pack.rename(pack.with_name(pack.name.replace(pack.name.split(".")[1], "0" * 16)))
    result = api.check(tianjin)
    assert _issues(result) == cold
    assert cache.stats.files_parsed > 0
    assert [d.project for _, _, d in result.publications[0].projects()] == \
        [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]
    api.check(tianjin)
    assert cache.stats.files_parsed == 0 and cache.stats.files_hit > 29  # made whole again


def _from_cache(result) -> list:
    """Each project's model as the cache holds it (never read again from its file)."""
    return [d.__dict__["_read"].later() for _, _, d in result.publications[0].projects()]


def _cold_pub(root: Path, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("PTGEN_CACHE_DIR", "off")
        return api.check(root).publications[0]


def test_a_damaged_model_is_read_again_from_its_file(tianjin, tmp_path, monkeypatch):
    """The check itself does not read the models; a project whose model turns out damaged when
    it is read is read from its file again (the same bytes as were checked)."""
    api.check(tianjin)
    [pack] = _models_files(tmp_path)
    data = bytearray(pack.read_bytes())
    for i in range(100, len(data), 97):  # garble every model
        data[i] ^= 0x55
    pack.write_bytes(bytes(data))
    result = api.check(tianjin)
    assert cache.stats.files_hit > 29  # the check needed none of them
    docs = [d for _, _, d in result.publications[0].projects()]
    assert [d.project for d in docs] == [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]
    assert not pack.exists()  # found damaged: never trusted again
    api.check(tianjin)
    assert cache.stats.files_parsed >= len(docs)  # every project's entry made again
    result = api.check(tianjin)
    assert cache.stats.files_parsed == 0
    assert _from_cache(result) == [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]


def test_a_damaged_model_of_a_file_changed_since_the_check_is_an_error(tianjin, tmp_path):
    from ptgen.errors import UserError
    api.check(tianjin)
    [pack] = _models_files(tmp_path)
    data = bytearray(pack.read_bytes())
    for i in range(100, len(data), 97):
        data[i] ^= 0x55
    pack.write_bytes(bytes(data))
    result = api.check(tianjin)
    doc = next(d for _, _, d in result.publications[0].projects())
    doc.source.path.write_text(doc.source.path.read_text(encoding="utf-8") + "# 改了\n", encoding="utf-8")
    with pytest.raises(UserError, match="在检查之后改动了"):
        doc.project


def test_models_appended_by_another_check_meanwhile_keep_their_places(tianjin, tmp_path, monkeypatch):
    """Another check appended to the file of models after this one opened it: this check's new
    models still land where its cache says they are."""
    api.check(tianjin)
    [pack] = _models_files(tmp_path)
    store = cache.open_check(tianjin)
    with open(pack, "ab") as f:
        f.write(b"x" * 12345)  # what the other check appended
    victim = _projects(tianjin)[5]
    victim.write_text(victim.read_text(encoding="utf-8") + "# 另一处改动\n", encoding="utf-8")
    from ptgen import lint
    from ptgen.load import load
    pub, _ = load(tianjin, store)
    lint.run(pub, None, None, store)
    store.save()
    result = api.check(tianjin)
    assert cache.stats.files_parsed == 0
    assert _from_cache(result) == [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]


def test_a_file_of_models_mostly_unused_is_written_anew(tianjin, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "PACK_SLACK", 0)
    monkeypatch.setattr(cache, "STALE_PACK", -1)  # the old file goes at once (no other check is running)
    api.check(tianjin)
    [first] = _models_files(tmp_path)
    _change_every_project(tianjin, "一")
    api.check(tianjin)  # as many models appended as are used: not yet more than twice
    assert _models_files(tmp_path) == [first]
    _change_every_project(tianjin, "二")
    result = api.check(tianjin)  # now it would be: written anew, the old one removed
    [second] = _models_files(tmp_path)
    assert second != first and not first.exists()
    assert _issues(result) == _cold(tianjin, monkeypatch)
    result = api.check(tianjin)
    assert cache.stats.files_parsed == 0
    assert _from_cache(result) == [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]


def _begun(root: Path, change: Path):
    """A check that has opened the cache and checked (``change`` changed first), not yet saved."""
    from ptgen import lint
    from ptgen.load import load
    change.write_text(change.read_text(encoding="utf-8") + "# 改动\n", encoding="utf-8")
    store = cache.open_check(root)
    pub, _ = load(root, store)
    lint.run(pub, None, None, store)
    return store


def test_a_check_saving_after_another_wrote_a_new_file_of_models_keeps_its_own(tianjin, tmp_path, monkeypatch):
    """Check B opened the file of models; check A, started later, wrote a new one and its cache
    file; B then appends to the file it opened and names it: that file must still be there."""
    api.check(tianjin)
    b = _begun(tianjin, _projects(tianjin)[0])
    with monkeypatch.context() as m:
        m.setattr(cache, "PACK_SLACK", -10**9)  # A writes its models anew
        other = _projects(tianjin)[1]
        other.write_text(other.read_text(encoding="utf-8") + "# A\n", encoding="utf-8")
        api.check(tianjin)
    assert len(_models_files(tmp_path)) == 2  # A's and the one B opened, kept for B
    b.save()
    result = api.check(tianjin)
    assert cache.stats.loaded and cache.stats.files_parsed <= 1  # A's change only (B's cache file won)
    mine = next(result.publications[0].projects())[2]
    assert mine.__dict__["_read"].later() == next(_cold_pub(tianjin, monkeypatch).projects())[2].project


def test_a_file_of_models_removed_while_a_check_ran_is_not_named(tianjin, tmp_path, monkeypatch):
    api.check(tianjin)
    b = _begun(tianjin, _projects(tianjin)[0])
    [pack] = _models_files(tmp_path)
    pack.unlink()  # another check removed it meanwhile
    b.save()
    [new] = _models_files(tmp_path)
    assert new != pack
    result = api.check(tianjin)
    assert cache.stats.files_parsed == 0
    assert _from_cache(result) == [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]


def test_files_of_models_are_removed_only_when_the_cache_file_naming_another_is_written(tianjin, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "STALE_PACK", -1)
    monkeypatch.setattr(cache, "PACK_SLACK", -10**9)
    api.check(tianjin)
    [first] = _models_files(tmp_path)
    monkeypatch.setattr(cache, "write", lambda *a: False)  # the disk full when the cache file is written
    _change_every_project(tianjin, "满")
    api.check(tianjin)
    assert first.exists()  # the cache file still names it


def test_a_copy_of_a_lazy_project_does_not_share_the_open_file_of_models(tianjin, monkeypatch):
    import copy
    import gc
    api.check(tianjin)
    result = api.check(tianjin)
    docs = [d for _, _, d in result.publications[0].projects()]
    cold = [d.project for _, _, d in _cold_pub(tianjin, monkeypatch).projects()]
    copies = [copy.deepcopy(d) for d in docs]
    assert [c.project for c in copies[:3]] == cold[:3]
    del copies
    gc.collect()  # the copies gone: the originals still read their models from the cache
    assert [d.__dict__["_read"].later() for d in docs] == cold
