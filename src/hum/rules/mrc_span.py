"""Reading-comprehension answer extent: the shortest answering span, or its whole sentence."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row

_TASKS = frozenset({"mrc"})


class MrcSentence(Rule):
    """Answer with the sentence holding the gold answer (`query.slots["sentence"]`, set by the MRC task).

    Only for answerable questions whose sentence really contains the answer; never with offsets, which
    would locate the short span, not the sentence.
    """

    id = "mrc:sentence"
    family = "mrc_span"
    rank = 70
    tasks = _TASKS
    excludes = frozenset({"offsets"})

    def applies(self, query: Query) -> bool:
        sentence = query.slots.get("sentence", "").strip()
        return super().applies(query) and bool(query.rows) and bool(sentence) and query.rows[0][0] in sentence

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return [(query.slots["sentence"].strip(),)] if rows else []


class MrcShortest(Rule):
    """Gold answers are already the shortest span that answers."""

    id = "mrc:shortest"
    family = "mrc_span"
    rank = 70
    tasks = _TASKS
