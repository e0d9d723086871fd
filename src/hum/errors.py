"""Errors that point a user at the exact place in their input that is wrong."""

from __future__ import annotations

from pathlib import Path


class HumInputError(ValueError):
    """Bad input: names the file, the record (line or index) and the field."""

    def __init__(self, path: str | Path, where: str, field: str, problem: str) -> None:
        self.path, self.where, self.field, self.problem = str(path), where, field, problem
        super().__init__(f"{path}: {where}: field '{field}': {problem}")
