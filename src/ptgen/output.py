"""Writing files safely: one file atomically, or a set of files as one change.

A single file goes to a temporary file beside its target, then ``os.replace``: readers see the
old file or the new one, never half of one.

A *set* of files (a build's outputs, an import's content files) is committed in two phases, as a
database commits a transaction:

1. every new file is written in full to a temporary name beside its target (this is where a full
   disk or a crash can stop us; the old files are untouched, and the temporary files are removed);
   a file's content is bytes, or a file already written elsewhere (:data:`Data`: the PDF book, too
   big to hold in memory), copied from there;
2. a journal (``.ptgen-commit.json`` in the set's root folder) lists every rename and removal,
   then the renames and removals are done and the journal removed.

Phase 2 is only renames, milliseconds long, with SIGINT and SIGTERM held off.  If the process is
killed inside it anyway (SIGKILL, power loss), the journal is still there, and :func:`recover` —
which every commit into the same root runs first — finishes the renames.  So a root holds the old
complete set or the new complete set once any ptgen command has touched it, and no temporary file
of ptgen's survives a later commit.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import signal
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Union

JOURNAL = ".ptgen-commit.json"
# Temporary names are ``.<target name>.<random>.ptgen.tmp``: recognisably ptgen's, so a later run
# removes leftovers without ever touching a file somebody else made.
_TMP_RE = re.compile(r"^\..+\.[0-9a-f]{12}\.ptgen\.tmp$")


# A file's content: its bytes, or the path of a complete file holding them (made by ptgen, e.g. in a
# cache; read, copied, never moved or changed).  The 10,000-page PDF book is ~100 MB: held as bytes
# until the commit, it and the departments' PDFs were a third of a province's build's memory.
Data = Union[bytes, Path]


def data_bytes(data: Data) -> bytes:
    return data.read_bytes() if isinstance(data, Path) else data


def data_size(data: Data) -> int:
    return data.stat().st_size if isinstance(data, Path) else len(data)


def data_digest(data: Data) -> str:
    """SHA-256 (hex) of the content, a file read a megabyte at a time."""
    import hashlib
    if not isinstance(data, Path):
        return hashlib.sha256(data).hexdigest()
    with open(data, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_name(path: Path) -> Path:
    """A unique temporary name beside ``path`` (two writers never share one)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.ptgen.tmp")


def is_temp_name(name: str) -> bool:
    return bool(_TMP_RE.match(name))


@contextlib.contextmanager
def _temp_file(path: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A new temporary file beside ``path``, open for writing; synced to the disk once written,
    removed if writing fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
    try:
        with os.fdopen(fd, "wb") as f:
            yield tmp, f
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        _unlink(tmp)
        raise


def _write_temp(path: Path, data: Data) -> Path:
    with _temp_file(path) as (tmp, f):
        if isinstance(data, Path):
            with open(data, "rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
        else:
            f.write(data)
    return tmp


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half of one."""
    with writing(path) as f:
        f.write(data)


@contextlib.contextmanager
def writing(path: Path) -> Iterator[BinaryIO]:
    """A file object whose content becomes ``path`` once the block ends, as :func:`write_bytes`
    writes (for what is written piece by piece: never whole in memory).  If the block raises,
    ``path`` is untouched and no temporary file is left."""
    with _temp_file(path) as (tmp, f):
        yield f
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM off for a few milliseconds of renames (main thread only)."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not on this platform
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _inside(root: Path, path: Path) -> str:
    """``path`` relative to ``root``; a path outside ``root`` is a bug in the caller."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    # Links followed too: a folder inside ``root`` that is a link out of it must not carry a write
    # or a removal out (a journal can come with the content, from somebody else).
    real = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    for r in (rel, real):
        if r == os.curdir or r.startswith(os.pardir + os.sep) or r == os.pardir or os.path.isabs(r):
            raise ValueError(f"{path} is not inside {root}")
    return rel


def commit(root: Path, files: dict[Path, Data], remove: Iterable[Path] = ()) -> None:
    """Write ``files`` and delete ``remove`` under ``root`` as one change (see the module docstring).

    Every path must lie inside ``root``.  Raises whatever writing raised (``OSError`` for a full
    disk, say) after removing its temporary files; the old files are then untouched."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    recover(root)
    renames: list[tuple[str, str]] = []
    try:
        for path, data in sorted(files.items()):
            rel = _inside(root, path)
            # The temporary file goes into the nearest folder that already exists: a folder the set
            # adds is made only in phase 2, so a commit that never got there leaves no empty folder.
            tmp = _write_temp(_existing_folder(root, Path(path)) / Path(path).name, data)
            renames.append((os.path.relpath(tmp, root), rel))
        removals = [_inside(root, p) for p in sorted(remove)]
        journal = {"renames": renames, "remove": removals}
        write_bytes(root / JOURNAL, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
    except BaseException:
        for tmp, _ in renames:
            _unlink(root / tmp)
        raise
    with _signals_held():
        _apply(root, journal)


def _existing_folder(root: Path, path: Path) -> Path:
    """The nearest folder of ``path`` that exists (at the latest ``root``, which does)."""
    folder = path.parent
    while not folder.is_dir():
        if folder.exists() or folder.is_symlink():  # a file where a folder must go: fail in phase 1
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        folder = folder.parent
    return folder


def _apply(root: Path, journal: dict) -> None:
    for tmp, final in journal.get("renames", []):
        if (root / tmp).exists():
            (root / final).parent.mkdir(parents=True, exist_ok=True)
            os.replace(root / tmp, root / final)
    for rel in journal.get("remove", []):
        _unlink(root / rel)
    _unlink(root / JOURNAL)


def recover(root: Path) -> None:
    """Finish a commit that was interrupted after its journal was written, and remove any other
    temporary file ptgen left under ``root`` (a build killed while writing, say)."""
    root = Path(root)
    path = root / JOURNAL
    if path.is_file() and not path.is_symlink():
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = None
        if isinstance(journal, dict) and _journal_ok(root, journal):
            _apply(root, journal)
        else:  # unreadable: the commit never started its renames (the journal is written atomically)
            _unlink(path)
    if root.is_dir():
        for dirpath, dirnames, filenames in os.walk(root):  # os.walk does not follow symlinked folders
            for name in filenames:
                if is_temp_name(name):
                    _unlink(Path(dirpath) / name)


def _journal_ok(root: Path, journal: dict) -> bool:
    """Only renames of ptgen's own temporary files to paths inside ``root`` are ever replayed."""
    try:
        for tmp, final in journal.get("renames", []):
            _inside(root, root / final)
            _inside(root, root / tmp)
            if not is_temp_name(Path(tmp).name):
                return False
        for rel in journal.get("remove", []):
            _inside(root, root / rel)
    except (TypeError, ValueError):
        return False
    return True


def describe_os_error(exc: OSError) -> str:
    """A Chinese sentence for an operating-system error (disk full, read-only, no permission, …):
    the path it is about and what is wrong with it — the environment, not ptgen, is at fault."""
    path = exc.filename2 or exc.filename
    if not isinstance(path, (str, bytes, os.PathLike)):
        path = None  # os.fdopen gives the descriptor's number, not a name
    if path is not None and exc.filename2 is None and is_temp_name(Path(os.fsdecode(path)).name):
        # name the file being written, not ptgen's temporary copy of it (.<name>.<random>.ptgen.tmp)
        path = Path(os.fsdecode(path)).with_name(Path(os.fsdecode(path)).name[1:].rsplit(".", 3)[0])
    elif path is not None and exc.filename2 is None:
        from .importers.merge import _TREE_RE  # a new publication's hidden folder (.<name>.<random>.ptgen-import)
        name = Path(os.fsdecode(path)).name
        if _TREE_RE.match(name):
            path = Path(os.fsdecode(path)).with_name(name[1:].rsplit(".", 2)[0])
    p = str(path) if path is not None else "目标位置"
    messages = {
        errno.EACCES: f"没有权限访问 {p}：请检查文件或文件夹的权限，或换一个位置。",
        errno.EPERM: f"操作系统不允许操作 {p}：请检查文件或文件夹的权限。",
        errno.EROFS: f"{p} 所在的磁盘是只读的，不能写入：请换一个可以写入的位置。",
        errno.ENOSPC: f"磁盘已满，无法写入 {p}：请清理磁盘空间后重试。",
        errno.EDQUOT: f"磁盘配额已用完，无法写入 {p}：请清理空间后重试。",
        errno.EISDIR: f"{p} 是一个文件夹，这里需要的是文件。",
        errno.ENOTDIR: f"{p} 的路径里有一段是文件，而这里需要的是文件夹。",
        errno.EEXIST: f"{p} 已经存在（可能是同名的文件挡住了要建的文件夹）。",
        errno.ENOENT: f"找不到 {p}。",
        errno.ENAMETOOLONG: f"文件名太长：{p}。",
        errno.EMFILE: "同时打开的文件太多：请关闭其他程序后重试。",
        errno.EIO: f"读写 {p} 时磁盘出错（输入/输出错误）：请检查磁盘。",
    }
    default = f"读写 {p} 时操作系统报错（{errno.errorcode.get(exc.errno, exc.errno)}）。"
    return messages.get(exc.errno, default)


@contextlib.contextmanager
def machine_errors(out_dir: Path | str):
    """Inside, an OSError of the machine (a full disk or quota, a read-only or forbidden folder: in
    writing --out, the PDF cache, LibreOffice's folder …) becomes :func:`environment_error`'s
    sentence about ``out_dir``; any other propagates as it is (a bug, not the machine)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        raise environment_error(exc, out_dir) from exc


def environment_error(exc: OSError, path: Path | str):
    """What is wrong with the machine when writing into ``path`` (a build's ``--out``) failed: the
    shared sentence of :func:`describe_os_error`, and what to do about it."""
    from .errors import UserError
    if exc.filename is None and exc.filename2 is None:
        exc.filename = str(path)
    hints = {
        errno.ENOSPC: "腾出磁盘空间（或用 --out 换一个空间足够的文件夹）后再生成。",
        errno.EDQUOT: "腾出磁盘空间（或用 --out 换一个空间足够的文件夹）后再生成。",
        errno.EROFS: "用 --out 指定一个可以写入的文件夹。",
        errno.EACCES: "用 --out 指定一个可以写入的文件夹，或请管理员修改这个文件夹的权限。",
        errno.EPERM: "用 --out 指定一个可以写入的文件夹，或请管理员修改这个文件夹的权限。",
        errno.ENOTDIR: "--out 要指向一个文件夹：换一个名字，或移走挡在路上的文件。",
        errno.EEXIST: "--out 要指向一个文件夹：换一个名字，或移走挡在路上的文件。",
    }
    return UserError(describe_os_error(exc) + "原有的输出没有改动。",
                     hint=hints.get(exc.errno, "检查这个文件夹是否存在、可写、空间足够。"))
