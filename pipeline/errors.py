"""The one base class for errors a user can fix.

Every user-facing error says what went wrong and how to fix it, in one line. The CLI
catches :class:`UserError` (and only that) and prints its first line; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: bad input, a bad option, a database in the wrong state.

    ``hint`` (optional) says how to fix it; it is appended to the one-line message.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        msg = (str(self).splitlines() or [type(self).__name__])[0]
        return f"{msg} ({self.hint})" if self.hint else msg
