"""The PDF render server: one child per document, failures reported with their message, and
nothing left running when it is closed."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ptgen.errors import UserError
from ptgen.render.forkserver import Renderer


def work(html: str, out: Path) -> None:
    """A stand-in for the PDF renderer: the real one is tested through the builds."""
    if html == "fail":
        raise UserError("排版失败", hint="改一下")
    if html == "crash":
        os._exit(3)
    if html == "slow":
        time.sleep(30)
    out.write_text(f"{html} by {os.getpid()}", encoding="utf-8")


def wait_all(r: Renderer, timeout: float = 20) -> dict:
    done, end = {}, time.monotonic() + timeout
    while not r.idle and time.monotonic() < end:
        done.update({d.key: d.error for d in r.poll(0.05)})
    assert r.idle
    return done


def test_each_document_in_its_own_child_at_most_limit_at_once(tmp_path):
    with Renderer(work, jobs=2) as r:
        for k in range(5):
            r.submit(k, f"doc{k}", tmp_path / f"{k}.txt")
        assert len(r._running) == 2  # the rest wait for a free slot
        assert wait_all(r) == {k: None for k in range(5)}
    texts = [(tmp_path / f"{k}.txt").read_text(encoding="utf-8") for k in range(5)]
    assert [t.split(" by ")[0] for t in texts] == [f"doc{k}" for k in range(5)]
    assert len({t.split(" by ")[1] for t in texts}) == 5  # five processes
    assert str(os.getpid()) not in " ".join(texts)


def test_failures_come_back_with_their_message(tmp_path):
    with Renderer(work, jobs=2) as r:
        r.submit("a", "fail", tmp_path / "a")
        r.submit("b", "crash", tmp_path / "b")
        r.submit("c", "ok", tmp_path / "c")
        done = wait_all(r)
    assert done["a"] == ("排版失败", "改一下")
    assert "异常退出" in done["b"][0]
    assert done["c"] is None


def test_closing_after_an_error_stops_the_running_documents(tmp_path):
    start = time.monotonic()
    try:
        with Renderer(work, jobs=2) as r:
            r.submit("s", "slow", tmp_path / "s")
            time.sleep(0.5)
            server = r.pid
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert time.monotonic() - start < 10
    assert not (tmp_path / "s").exists()
    try:
        os.kill(server, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
