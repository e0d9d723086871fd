"""Duplicates: report a repeated mention once, or every time it occurs."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row

_TASKS = frozenset({"ner", "re", "ee", "oie"})


class DuplicatesOnce(Rule):
    """Drop repeats, keeping the first occurrence."""

    id = "dup:once"
    family = "duplicates"
    tasks = _TASKS
    text = {
        "en": "Mention each distinct result only once, even if it occurs several times.",
        "zh": "相同的结果只列出一次，即使它在文本中多次出现。",
    }

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return list(dict.fromkeys(rows))


class DuplicatesAll(Rule):
    """Gold rows already hold one row per mention."""

    id = "dup:all"
    family = "duplicates"
    tasks = _TASKS
    text = {
        "en": "If the same result occurs several times, list it every time it occurs.",
        "zh": "如果同一结果多次出现，每次出现都要列出。",
    }
