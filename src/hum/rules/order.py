"""Span order: text order, alphabetical, or grouped by label in schema order."""

from __future__ import annotations

from hum.rules.base import LIST_TASKS, TEXT_ORDER_TASKS, Rule
from hum.tasks.base import Query, Row


class OrderText(Rule):
    """Gold rows already come in text order."""

    id = "order:text"
    family = "order"
    rank = 50
    tasks = TEXT_ORDER_TASKS


class OrderAlpha(Rule):
    """Case-insensitive alphabetical order of the results.

    The key is the query's own columns: fields a rule adds (offsets) are not part of the result's name,
    so equal results keep their text order instead of sorting "12" before "3".
    """

    id = "order:alpha"
    family = "order"
    rank = 50
    tasks = LIST_TASKS

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        width = len(query.columns)
        return sorted(rows, key=lambda r: tuple(v.casefold() for v in r[:width]))


class OrderByLabel(Rule):
    """Stable sort by the label's position in the stated schema."""

    id = "order:label"
    family = "order"
    rank = 50
    tasks = LIST_TASKS - {"cls"}

    def applies(self, query: Query) -> bool:
        return super().applies(query) and query.label_column is not None

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        col = query.columns.index(str(query.label_column))
        rank = {lab.casefold(): i for i, lab in enumerate(query.labels)}
        return sorted(rows, key=lambda r: rank.get(r[col].casefold(), len(rank)))
