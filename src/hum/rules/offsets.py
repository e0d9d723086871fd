"""Character offsets: each span is reported with where it lies in the text."""

from __future__ import annotations

from hum.rules.base import SPAN_TASKS, Rule
from hum.tasks.base import Query, Row


class OffsetsChar(Rule):
    """Add `start` and `end` (0-based, end exclusive) of each row's span after the existing columns.

    It applies first, while rows are still `query.rows` one for one with `query.offsets`; every later rule
    keeps offsets attached: nested zips by position (row count unchanged), order:alpha keys on the query's
    own columns, casing touches the label column only. `dup:once` excludes this family (see there).
    """

    id = "offsets:char"
    family = "offsets"
    rank = 0
    tasks = SPAN_TASKS

    def applies(self, query: Query) -> bool:
        """Only when every row has its span (NER extract today); with no row, no task says it has offsets."""
        return super().applies(query) and len(query.offsets) == len(query.rows) > 0

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return [(*r, str(s), str(e)) for r, (s, e) in zip(rows, query.offsets, strict=True)]

    def columns(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        return (*columns, "start", "end")
