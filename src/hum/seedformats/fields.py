"""Checks of one field of one row: a missing value, an offset that is no integer, a label that cannot be shown.

They raise `FieldError`, which names the field; the caller adds the file and the row's location.
"""

from __future__ import annotations

import math
from typing import Any

from hum.io import Record


class FieldError(ValueError):
    """A problem with one field of one row; the caller adds file and location."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"field '{field}': {problem}")


def need(row: Record, name: str, field: str | None = None) -> Any:
    """`row[name]`, which must be there and not null; `field` names it in messages when it sits inside a list."""
    if not isinstance(row, dict):
        raise FieldError(field or name, f"expected an object, got {row!r}")
    if row.get(name) is None:
        raise FieldError(f"{field}.{name}" if field else name, "missing")
    return row[name]


def items(value: Any, field: str) -> list[Any]:
    """A list field (entities, relations, events, answers): anything else names the field."""
    if not isinstance(value, list):
        raise FieldError(field, f"expected a list, got {value!r}")
    return value


def offset(value: Any, field: str) -> int:
    """A character or token offset: an integer (an integral float is taken as one); booleans, NaN and Infinity are not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(field, f"offset must be an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise FieldError(field, f"offset must be an integer, got {value!r}")
        return int(value)
    return value


# What a label may not contain: instructions list labels joined by ", " and gold rows use "|" and new lines.
LABEL_FORBIDDEN = {"|": "'|'", "\n": "a line break", "\r": "a line break", ", ": "', '"}


def label(value: Any, field: str, *, numbers: bool = False) -> str:
    """A label as text: non-empty, one line, without '|' or ', '; `numbers` lets integer class ids through as text."""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FieldError(field, f"label must be text, got {value!r}")
    if not value.strip():
        raise FieldError(field, f"label {value!r} is empty")
    for bad, name in LABEL_FORBIDDEN.items():
        if bad in value:
            raise FieldError(field, f"label {value!r} contains {name}")
    return value
