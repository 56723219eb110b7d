"""Checking a big publication's new files on two cores.

A check reads each content file not in the cache (:mod:`ptgen.cache`), validates it and runs the
per-project rules on it: ~1 ms a project on one core, 10 s for a province's 10,000 tables.  When
many files are new (the first check, a new year, CI without a cache), the departments are split
in two shares of about as many new files; a forked process reads and lints one share while this
process does the other, each into the check cache.  The helper sends its entries back through a
pipe (pickled, as the cache keeps them), and the check then runs as it always does, finding
everything ready: the same model, findings and order as a check on one core, since the shares only
fill the cache.  This process takes the departments read first, so the check reads its share
while the helper is still at work, and waits for the helper where it first misses a file.

If the helper fails or is killed, what it would have made is simply not there: the check reads
those files itself.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from . import lint, parallel, yamlio
from .load import DEPARTMENT_FILE, SETTINGS_FILE, UNIT_FILE, _name_problem, _rel, load

MIN_NEW_FILES = 400  # below this, a second process costs more (fork, pickling, unpickling) than it saves
# This process's part of the new files: a little over half, since the helper also pickles and sends
# its share (10,000 tables, halves: the helper finished ~0.2 s after this process, which waited).
MY_SHARE = 0.51


def _new_files(root: Path, store, departments: list[str]) -> dict[str, int]:
    """Each listed department folder's number of content files (its own, its units') that are not
    in the cache.  Links are counted without being read: the check reads only those that stay in
    the publication, and this count must not read the others either."""
    known = store._old_files
    counts: dict[str, int] = {}
    for dept in dict.fromkeys(departments):
        folder = str(root / dept)  # as load names it (Path(".") / "301" is "301", not "./301")
        if _name_problem(dept) or os.path.islink(folder):  # the check refuses these; nothing is read here
            continue
        n = 0
        for entry in _content_files(folder):
            if not known or entry.is_symlink():
                n += 1
                continue
            model = {DEPARTMENT_FILE: "Department", UNIT_FILE: "Unit"}.get(entry.name, "Project")
            # paths as text: a Path made for each file was two thirds of this count with a warm cache
            if (_rel(entry.path, root), model, store._digest(entry.path)) not in known:
                n += 1
        if n:
            counts[dept] = n
    return counts


def _content_files(dept: str):
    """The YAML files of a department folder and of its unit folders (``os.DirEntry``)."""
    try:
        with os.scandir(dept) as entries:
            top = list(entries)
    except OSError:  # not there, or not a folder: the check says so
        return
    for e in top:
        if e.name.startswith("."):
            continue
        if e.name.endswith((".yaml", ".yml")):
            yield e
        elif e.is_dir(follow_symlinks=False):
            try:
                with os.scandir(e.path) as files:
                    yield from [f for f in files if f.name.endswith((".yaml", ".yml"))]
            except OSError:
                continue


def _fill(root: Path, store, only: set[str], select, ignore) -> None:
    pub, _ = load(root, store, only=only)
    if pub is not None:
        lint.run(pub, select, ignore, store, scope="project")


def _reading_order(root: Path) -> list[str]:
    """The department folders in the order ``ptgen.yaml`` lists them: the order the check reads them."""
    try:
        data = yamlio.parse_data(yamlio.decode(yamlio.read_bytes(root / SETTINGS_FILE)))
    except (OSError, yamlio.YamlProblem):
        return []
    listed = data.get("departments") if isinstance(data, dict) else None
    return [d for d in listed if isinstance(d, str)] if isinstance(listed, list) else []


def split_in_order(counts: dict[str, int], order: list[str]) -> tuple[set[str], set[str]]:
    """The departments read first (in ``order``; those not listed after them, by name) up to about
    :data:`MY_SHARE` of the new files for this process, the rest for the helper: the check that
    follows reads this process's share (its objects at hand) while the helper is still at work."""
    ordered = [d for d in dict.fromkeys(order) if d in counts]
    ordered += sorted(set(counts) - set(ordered))
    total, done, mine = sum(counts.values()), 0, set()
    for d in ordered:
        if done + counts[d] / 2 > total * MY_SHARE and mine:
            break
        mine.add(d)
        done += counts[d]
    return mine, set(ordered) - mine


def _start(root: Path, store, select, ignore, jobs: int | None) -> parallel.Helper | None:
    """The helper started on its share and this process's share read, when worth it."""
    if store is None or not parallel.can_share(jobs):
        return None
    order = _reading_order(root)
    counts = _new_files(root, store, order)
    if sum(counts.values()) < MIN_NEW_FILES or len(counts) < 2:
        return None
    mine, theirs = split_in_order(counts, order)
    if not theirs:
        return None

    def theirs_into_the_cache():  # in the helper: its share into its copy of the cache, sent back
        known = set(store.digests)
        _fill(root, store, theirs, select, ignore)
        hashed = {k: v for k, v in store.digests.items() if k not in known}  # not read again by the check
        return (*store.made_here(), hashed, {k: v for k, v in store.sigs.items() if k in hashed})

    helper = parallel.Helper(theirs_into_the_cache)
    try:
        store.keep_live = True  # this share's objects stay for the check: not unpickled again
        try:
            _fill(root, store, mine, select, ignore)
        finally:
            store.keep_live = False
    except BaseException:
        helper.stop()
        raise
    return helper


@contextlib.contextmanager
def sharing(root: Path, store, select=None, ignore=None, jobs: int | None = None) -> Iterator[bool]:
    """Share the new files of ``root`` with a helper (when there are enough of them), then let the
    check run inside: ``store`` waits for the helper's entries where it first misses one (after
    this process's share, which comes first in reading order).  True if the work was shared."""
    helper = _start(root, store, select, ignore, jobs)
    if helper is not None:
        store.helper = helper
    try:
        yield helper is not None
    finally:
        if helper is not None:
            store.helper = None
            helper.stop()  # already heard from, or the check was interrupted: it goes
