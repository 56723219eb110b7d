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


_OS_ERRORS_ZH = {"ENOSPC": "磁盘已满", "EDQUOT": "磁盘配额已用完", "EACCES": "没有权限", "EPERM": "没有权限",
                 "EROFS": "磁盘是只读的", "EEXIST": "已经存在", "ENOENT": "找不到", "ENOTDIR": "不是文件夹",
                 "EISDIR": "是一个文件夹", "EIO": "读写出错（磁盘故障？）", "ENAMETOOLONG": "文件名太长"}


def os_error_text(exc: OSError) -> str:
    """``exc`` in Chinese for the user: what went wrong, and the file it happened to."""
    import errno
    what = _OS_ERRORS_ZH.get(errno.errorcode.get(exc.errno or 0, ""), exc.strerror or str(exc))
    return f"{what}（{exc.filename}）" if exc.filename else what
