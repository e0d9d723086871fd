"""Duplicates: report a repeated mention once, or every time it occurs."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row

_TASKS = frozenset({"ner", "re", "ee", "oie"})


class DuplicatesOnce(Rule):
    """Drop repeats, keeping the first occurrence.

    Never stated with character offsets: every mention has its own offsets, so nothing would repeat.
    """

    id = "dup:once"
    family = "duplicates"
    rank = 30
    tasks = _TASKS
    excludes = frozenset({"offsets"})

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return list(dict.fromkeys(rows))


class DuplicatesAll(Rule):
    """Gold rows already hold one row per mention."""

    id = "dup:all"
    family = "duplicates"
    rank = 30
    tasks = _TASKS
