"""Classification with a reason: the label and a one-line reason taken from its accepted guideline."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row


class LabelReason(Rule):
    """Add a `reason` column: the guideline definition of the chosen label (`query.slots["reason"]`).

    Generation puts the definition into the slots only for single-label classification whose label has
    an accepted guideline, so the reason is human-reviewed text, never the LLM's. Stating "answer only"
    beside it would contradict it.
    """

    id = "cls:reason"
    family = "reason"
    rank = 75
    tasks = frozenset({"cls"})
    excludes = frozenset({"answer_only"})

    def applies(self, query: Query) -> bool:
        return super().applies(query) and query.subtask == "classify" and len(query.rows) == 1 and bool(query.slots.get("reason"))

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return [(*r, query.slots["reason"]) for r in rows]

    def columns(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        return (*columns, "reason")


class LabelOnly(Rule):
    """The label alone, the default answer of classification, stated."""

    id = "cls:label"
    family = "reason"
    rank = 75
    tasks = frozenset({"cls"})

    def applies(self, query: Query) -> bool:
        return super().applies(query) and query.subtask == "classify"
