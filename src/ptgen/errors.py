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
