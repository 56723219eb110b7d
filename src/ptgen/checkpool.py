"""Checking a big publication's new files on two cores.

A check reads each content file not in the cache (:mod:`ptgen.cache`), validates it and runs the
per-project rules on it: ~1 ms a project on one core, 10 s for a province's 10,000 tables.  When
many files are new (the first check, a new year, CI without a cache), the departments are split
in two shares of about as many new files; a forked process reads and lints one share while this
process does the other, each into the check cache.  The helper sends its entries back through a
pipe (pickled, as the cache keeps them), and the check then runs as it always does, finding
everything ready: the same model, findings and order as a check on one core, since the shares only
fill the cache.

If the helper fails or is killed, what it would have made is simply not there: the check reads
those files itself.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import lint, parallel
from .load import DEPARTMENT_FILE, UNIT_FILE, _rel, load

MIN_NEW_FILES = 400  # below this, a second process costs more (fork, pickling, unpickling) than it saves


def _new_files(root: Path, store) -> dict[str, int]:
    """Each department folder's number of content files that are not in the cache."""
    known = store._old_files
    counts: dict[str, int] = {}
    for dept in os.scandir(root):
        if not dept.is_dir(follow_symlinks=False) or dept.name.startswith("."):
            continue
        n = 0
        for dirpath, dirnames, filenames in os.walk(dept.path):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.endswith((".yaml", ".yml")):
                    continue
                if not known:
                    n += 1
                    continue
                path = Path(dirpath, name)
                model = {DEPARTMENT_FILE: "Department", UNIT_FILE: "Unit"}.get(name, "Project")
                if (_rel(path, root), model, store._digest(path)) not in known:
                    n += 1
        if n:
            counts[dept.name] = n
    return counts


def _fill(root: Path, store, only: set[str], select, ignore) -> None:
    pub, _ = load(root, store, only=only)
    if pub is not None:
        lint.run(pub, select, ignore, store, scope="project")


def prepare(root: Path, store, select=None, ignore=None, jobs: int | None = None) -> bool:
    """Fill ``store`` with this check's new files on two cores, when there are enough of them.
    True if it did."""
    if store is None or not parallel.can_share(jobs):
        return False
    counts = _new_files(root, store)
    if sum(counts.values()) < MIN_NEW_FILES or len(counts) < 2:
        return False
    mine, theirs = parallel.split(counts)

    def theirs_into_the_cache():  # in the helper: its share into its copy of the cache, sent back
        known = set(store.digests)
        _fill(root, store, theirs, select, ignore)
        hashed = {k: v for k, v in store.digests.items() if k not in known}  # not read again by the check
        return (*store.made_here(), hashed)

    helper = parallel.Helper(theirs_into_the_cache)
    try:
        store.keep_live = True  # this share's objects stay for the check: not unpickled again
        try:
            _fill(root, store, mine, select, ignore)
        finally:
            store.keep_live = False
        got = helper.result()
    except BaseException:
        helper.stop()
        raise
    if got is not None:  # else the check reads those files itself
        store.adopt(*got)
    return True
