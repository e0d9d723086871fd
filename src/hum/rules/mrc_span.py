"""Reading-comprehension answer extent: the shortest gold answer, or the whole sentence holding the answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from hum.rules.base import Rule
from hum.tasks.base import Query, Row
from hum.tasks.mrc import gold_answers

_TASKS = frozenset({"mrc"})


class MrcSentence(Rule):
    """Answer with the sentence holding the gold answer (`query.slots["sentence"]`, set by the MRC task).

    Only for answerable questions whose sentence really contains the answer; never with offsets, which
    would locate the short span, not the sentence. The task sets the sentence only when every gold answer
    lies in it, so the rule picks no gold answer: any of them gives that sentence.
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
    """Answer with the shortest gold answer (the first of equal length): the rule that picks among several.

    Never with offsets: the picked answer's span is not the query's.
    """

    id = "mrc:shortest"
    family = "mrc_span"
    rank = 70
    tasks = _TASKS
    excludes = frozenset({"offsets"})

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        answers = gold_answers(query)
        return [(min(answers, key=len),)] if rows and len(answers) > 1 else rows  # one gold answer: it is the shortest


PICKING = frozenset({MrcShortest.id})  # rules that state which gold answer answers


def gold_choices(query: Query, rule_ids: Iterable[str]) -> list[Query]:
    """The query once per accepted gold answer: each of an MRC question's, unless a stated rule picks one.

    The first is the query itself (its default answer), so a single-answer query is its only choice.
    """
    if query.task not in _TASKS or not query.rows or PICKING & set(rule_ids):
        return [query]
    return [replace(query, rows=[(answer,)]) for answer in gold_answers(query)]
