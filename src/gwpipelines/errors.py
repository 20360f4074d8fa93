"""The project's exception tree. Each class knows its exit code (see DESIGN.md: 0/1/2/3)."""

from __future__ import annotations


class GwError(Exception):
    """Base of every error gwpipelines raises on purpose."""

    exit_code = 3


class UserError(GwError):
    """Bad input: usage, configuration, an unparseable file, an unknown ref. One line, says how to fix it."""

    exit_code = 2


class ParseError(UserError):
    """A file that cannot be parsed; the message names the file and line."""

    def __init__(self, path: str, line: int | None, what: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {what}")
        self.path = path
        self.line = line


class GitError(UserError):
    """git refused: unknown ref, not a repository, shallow clone missing a commit."""


class RunFailed(GwError):
    """A job or a run failed; the results were still reported."""

    exit_code = 1
