"""Errors that end a command with exit code 2 and one clear message."""

from __future__ import annotations


class UserError(Exception):
    """Bad input (configuration, template, policy, arguments, credentials).

    The message names the file, the field and the fix. The CLI prints it and exits 2.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 fix: str | None = None):
        self.message = message
        self.file = file
        self.field = field
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.field:
            parts.append(f"field {self.field}")
        parts.append(self.message)
        text = ": ".join(parts)
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class UserErrors(UserError):
    """Several input errors found at once (each still names its file, field and fix)."""

    def __init__(self, errors: list[UserError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)
