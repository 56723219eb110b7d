"""Exceptions that end a command with a message for the user, never a traceback."""
from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_SETUP = 3


class PtgenError(Exception):
    """Base class of ptgen's own errors."""

    exit_code = EXIT_INVALID


class UserError(PtgenError):
    """A mistake the user can fix; ``message`` is shown as is, ``hint`` below it."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(UserError):
    exit_code = EXIT_USAGE


class SetupError(UserError):
    exit_code = EXIT_SETUP


def describe_os_error(exc: OSError) -> str:
    """A Chinese sentence for an operating-system error (disk full, read-only, no permission, …):
    the path it is about and what is wrong with it — the environment, not ptgen, is at fault."""
    import errno
    from pathlib import Path

    from .output import is_temp_name

    path = exc.filename2 or exc.filename
    if path is not None and exc.filename2 is None and is_temp_name(Path(path).name):
        # name the file being written, not ptgen's temporary copy of it (.<name>.<random>.ptgen.tmp)
        path = Path(path).with_name(Path(path).name[1:].rsplit(".", 3)[0])
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

