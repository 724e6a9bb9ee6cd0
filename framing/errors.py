"""The one error type for bad input: it names the place, what was expected, and the fix.

The CLI turns it into a message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad user input: a file, a line in it, a config key, a label."""

    def __init__(
        self,
        where: str | Path,
        problem: str,
        *,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.where = str(where)
        self.line = line
        self.problem = problem
        self.fix = fix
        place = self.where if line is None else f"{self.where} line {line}"
        message = f"{place}: {problem}"
        if fix:
            message += f"\n  fix: {fix}"
        super().__init__(message)
