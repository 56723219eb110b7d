"""A warm process that renders documents, each in a child of its own.

WeasyPrint takes ~0.5 s to import and lays out one document on one thread, in memory.  So a build
that makes PDFs starts this server first: it imports WeasyPrint while the caller is still loading
and checking the content, then forks one child per document — each child starts with WeasyPrint
already imported, renders, and leaves with ``os._exit`` (tearing down a big layout costs seconds).
The caller hands over documents as they are ready (``submit``), at most ``limit`` rendering at a
time, and collects what finished with ``poll``.

Only the server forks (the caller may be running threads, e.g. rich's progress bar), and it is
forked before any of them start.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import select
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import PtgenError, SetupError

Work = Callable[[str, Path], object]  # (HTML, output path) → anything; raises PtgenError for the user


def import_weasyprint():
    """Import WeasyPrint, quickly, or stop with the Debian packages to install.

    WeasyPrint opens Pango & co. by trying a list of library names for every platform.  On Linux
    each name that is not a file makes cffi ask ``ctypes.util.find_library``, which runs ldconfig
    and gcc: ~0.3 s for nothing, since the Linux sonames (``libpango-1.0.so.0``, …) are in the list
    and the dynamic loader finds them directly.  So try once without that search; if that fails,
    import the ordinary way."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    if sys.platform.startswith("linux"):
        import ctypes.util
        real = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints its advice on failure
                import weasyprint
            return weasyprint
        except OSError:
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
        finally:
            ctypes.util.find_library = real
    try:
        import weasyprint
    except OSError as exc:
        raise SetupError(f"WeasyPrint 找不到它需要的系统库（{exc}），无法生成 PDF。",
                         hint="安装 Debian 软件包 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
                              "（scripts/setup.sh 会安装）。") from exc
    return weasyprint


@dataclass
class Done:
    """A finished document: ``error`` is (message, hint) when it failed."""
    key: object
    error: tuple[str, str | None] | None


class Renderer:
    """The server process and the caller's queue of documents for it."""

    def __init__(self, work: Work, jobs: int = 2):
        self.limit = max(1, jobs)
        self._tmp = Path(tempfile.mkdtemp(prefix="ptgen-pdf-"))
        self._queue: list[tuple[object, str, Path]] = []
        self._running: dict[int, object] = {}  # request number → key
        self._n = 0
        self._buf = b""
        self.closed = False
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the server
            os.close(req_w)
            os.close(rep_r)
            code = 0
            try:
                _serve(work, req_r, rep_w)
            except BaseException:  # noqa: BLE001 - the caller sees the pipe close
                code = 1
            os._exit(code)
        with contextlib.suppress(OSError):  # also here, so that a close() right away can stop it
            os.setpgid(self.pid, self.pid)
        os.close(req_r)
        os.close(rep_w)
        self._requests = req_w
        self._replies = rep_r

    # -- the caller's side ------------------------------------------------------------------------

    def submit(self, key: object, html: str, out: Path) -> None:
        """Render ``html`` into ``out`` (by ``work``) when a slot is free; ``key`` comes back in ``poll``."""
        self._queue.append((key, html, out))
        self._pump()

    @property
    def idle(self) -> bool:
        return not self._queue and not self._running

    def poll(self, timeout: float) -> list[Done]:
        """What finished within ``timeout`` seconds (waiting at most that long)."""
        ready, _, _ = select.select([self._replies], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(self._replies, 65536)
        if not chunk:
            raise SetupError("PDF 渲染进程意外退出。", hint="再运行一次；如果还出错，请报告这个问题。")
        self._buf += chunk
        done = []
        *lines, self._buf = self._buf.split(b"\n")
        for line in lines:
            reply = json.loads(line)
            if "fatal" in reply:
                message, hint = reply["fatal"]
                raise SetupError(message, hint=hint)
            key = self._running.pop(reply["n"])
            done.append(Done(key, tuple(reply["error"]) if reply["error"] else None))
        self._pump()
        return done

    def cancel(self) -> None:
        """Drop what has not started (after a failure: the running ones finish)."""
        self._queue.clear()

    def close(self, abort: bool = False) -> None:
        """Stop the server once the running documents finish; with ``abort``, stop them too."""
        if self.closed:
            return
        self.closed = True
        os.close(self._requests)
        if abort:  # leaving because of an error or an interrupt: don't wait for the renders
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self._replies)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, kind, *_) -> None:
        self.close(abort=kind is not None)

    def _pump(self) -> None:
        while self._queue and len(self._running) < self.limit:
            key, html, out = self._queue.pop(0)
            self._n += 1
            src = self._tmp / f"{self._n}.html"
            src.write_text(html, encoding="utf-8")
            request = {"n": self._n, "html": str(src), "out": str(out), "err": str(self._tmp / f"{self._n}.err")}
            os.write(self._requests, (json.dumps(request) + "\n").encode("utf-8"))
            self._running[self._n] = key


# -- the server's side ----------------------------------------------------------------------------

def _serve(work: Work, requests: int, replies: int) -> None:
    os.setpgid(0, 0)  # its own process group, so the caller can stop it and its children at once
    children: dict[int, dict] = {}

    def stop(signum, frame) -> None:
        # The caller is leaving (an error, Ctrl-C, SIGTERM): end the renders now and reap them, so
        # that none is still writing when the caller cleans up after them.
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        os._exit(128 + signum)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which stops us with SIGTERM
    out = os.fdopen(replies, "w", buffering=1, encoding="utf-8")
    try:
        import_weasyprint()
    except PtgenError as exc:
        out.write(json.dumps({"fatal": [exc.message, exc.hint]}) + "\n")
        return
    with contextlib.suppress(ImportError):
        import pikepdf  # noqa: F401 - the children join the PDFs too (~50 ms each otherwise)
    buf = b""
    eof = False
    while not eof or children:
        ready, _, _ = select.select([] if eof else [requests], [], [], 0.01 if children else None)
        if ready:
            chunk = os.read(requests, 65536)
            eof = not chunk
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # killed at once, wherever it is
                    os._exit(_child(work, request))
                children[pid] = request
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            request = children.pop(pid)
            error = None
            if os.waitstatus_to_exitcode(status) != 0:
                err = Path(request["err"])
                error = json.loads(err.read_text(encoding="utf-8")) if err.exists() else \
                    [f"渲染进程异常退出（{os.waitstatus_to_exitcode(status)}）", None]
            out.write(json.dumps({"n": request["n"], "error": error}) + "\n")


def _child(work: Work, request: dict) -> int:
    err = Path(request["err"])
    try:
        work(Path(request["html"]).read_text(encoding="utf-8"), Path(request["out"]))
    except PtgenError as exc:
        err.write_text(json.dumps([exc.message, exc.hint]), encoding="utf-8")
        return 1
    except OSError as exc:  # a full disk, say: what is wrong with the machine, in Chinese
        from ..output import environment_error
        e = environment_error(exc, request["out"])
        err.write_text(json.dumps([e.message, e.hint]), encoding="utf-8")
        return 1
    except BaseException as exc:  # noqa: BLE001 - reported by the caller
        err.write_text(json.dumps([f"{type(exc).__name__}: {exc}", None]), encoding="utf-8")
        return 2
    return 0
