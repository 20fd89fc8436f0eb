"""Errors that stop a raw asset, each carrying what a user needs to fix the input."""

from __future__ import annotations


class LandingFileError(Exception):
    """A landed file cannot be read at all (encoding, broken gzip, missing column, wrong format).

    The message always names the file (relative to the landing folder) and,
    where one is known, the line.
    """

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        self.file = file
        self.problem = problem
        self.line = line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")
