"""Work shared with one forked helper process, on a machine with two cores or more.

A check of many new files (:mod:`ptgen.checkpool`) and the web pages of a big publication
(:mod:`ptgen.render.html`) are pure Python on one core; ``fork`` gives a helper that starts with
everything loaded.  The helper computes its share, sends the results back pickled through a pipe
and leaves with ``os._exit``; this process does the other share meanwhile.  A helper that fails,
dies or sends half is ignored: its share is then done here, so the results (and any error, which
is then raised here) are those of one process.
"""
from __future__ import annotations

import os
import pickle
from typing import Callable, Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_share(jobs: int | None = None) -> bool:
    return (jobs or cores()) >= 2 and hasattr(os, "fork")


def balance(weights: dict[K, int], n: int = 2) -> list[set[K]]:
    """``n`` shares of about the same weight: the heaviest first (ties by key), each to the lightest
    share so far (ties to the first), so the same weights always give the same shares."""
    shares: list[set[K]] = [set() for _ in range(n)]
    load = [0] * n
    for key, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        k = min(range(n), key=lambda i: (load[i], i))
        shares[k].add(key)
        load[k] += w
    return shares


class Helper:
    """``work()`` started in a forked helper at once; :meth:`result` waits for what it returns
    (None if it failed, died or sent something cut short), :meth:`stop` ends it unheard."""

    def __init__(self, work: Callable[[], object]):
        self._pid, self._pipe = 0, None
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no memory or no process left for a helper: the work is done here
            os.close(r)
            os.close(w)
            return
        if pid == 0:
            code = 1
            try:
                os.close(r)
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(w, "wb") as f:
                    f.write(data)
                code = 0
            finally:
                os._exit(code)  # never back into the caller's code (nor its atexit handlers)
        os.close(w)
        self._pid, self._pipe = pid, os.fdopen(r, "rb")

    def result(self):
        if self._pipe is None:  # never started
            return None
        try:
            data = self._pipe.read()
            _, status = os.waitpid(self._pid, 0)
        except BaseException:
            self.stop()
            raise
        self._pid = 0
        self._pipe.close()
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - cut short
            return None

    def stop(self) -> None:
        """Interrupted (Ctrl-C, an error here): the helper goes too."""
        if self._pid:
            try:
                os.kill(self._pid, 9)
                os.waitpid(self._pid, 0)
            except OSError:
                pass
            self._pid = 0
        if self._pipe is not None:
            self._pipe.close()


def shared_map(func: Callable[[T], object], items: list[T], weights: Iterable[int], *, min_weight: int,
               jobs: int | None = None) -> list:
    """``[func(x) for x in items]``, the items split by ``weights`` between this process and a
    forked helper when their total is at least ``min_weight``."""
    weights = list(weights)
    if len(items) < 2 or sum(weights) < min_weight or not can_share(jobs):
        return [func(x) for x in items]
    mine, theirs = balance(dict(enumerate(weights)))
    theirs_order = sorted(theirs)
    helper = Helper(lambda: [func(items[k]) for k in theirs_order])
    try:
        here = {k: func(items[k]) for k in sorted(mine)}
        got = helper.result()
    except BaseException:
        helper.stop()
        raise
    there = dict(zip(theirs_order, got)) if isinstance(got, list) and len(got) == len(theirs_order) else \
        {k: func(items[k]) for k in theirs_order}  # the helper failed: its share here
    return [here[k] if k in here else there[k] for k in range(len(items))]
