"""Result limit: list at most the first k results in text order."""

from __future__ import annotations

import zlib

from hum.rules.base import TEXT_ORDER_TASKS, Rule
from hum.tasks.base import Query, Row

SMALLEST, CHOICES = 2, 4  # k in 2..5: "the first 1 results" reads badly, and more rarely cuts anything


class LimitFirst(Rule):
    """Keep the first k rows in text order; k comes from the query (not its rows, so it never hints at the answer).

    "First" always means first in the text: the rule applies after nested, subset and duplicates (the
    first k of what is reported) and before any order rule, which then sorts those k. So it only applies
    to tasks whose gold is in text order, and combines with every order rule without ambiguity.
    """

    id = "limit:first"
    family = "limit"
    rank = 40
    tasks = TEXT_ORDER_TASKS

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return rows[: limit(query)]

    def slots(self, query: Query, lang: str) -> dict[str, str]:
        return {"k": str(limit(query))}


def limit(query: Query) -> int:
    """The k of a query: a stable hash (not `hash`, which is salted per process) of what the instruction states."""
    stated = "\n".join([query.task, query.subtask, *query.labels, *(f"{k}={v}" for k, v in sorted(query.slots.items()))])
    return SMALLEST + zlib.crc32(stated.encode("utf-8")) % CHOICES
