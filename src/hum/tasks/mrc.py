"""Extractive reading comprehension; an unanswerable question has an empty answer.

A question may have several gold answers (SQuAD's dev set has up to six). The rendered answer is the first one,
SQuAD's official answer, unless a stated rule picks another (`mrc:shortest`); every gold answer is kept in the
`answers` slot, so checking an answer accepts any of them where no stated rule picks one (`hum.answers`).
"""

from __future__ import annotations

import json
import random
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Span, Task, char_span

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z\s])|(?<=[。！？])")  # a lower-case word after a stop is no new sentence
ANSWERS_SLOT = "answers"  # the distinct gold answer texts (JSON list, the rendered one first), set when there are several


def sentence_of(text: str, start: int, end: int) -> str:
    """The sentence (or run of sentences) of `text` holding [start, end): what `mrc:sentence` answers."""
    bounds = _sentence_bounds(text)
    return text[bounds[bisect_right(bounds, start) - 1] : bounds[bisect_left(bounds, end)]].strip()


@lru_cache(maxsize=256)
def _sentence_bounds(text: str) -> tuple[int, ...]:
    """Where sentences of `text` start and end, ascending (cached: every instruction on a passage asks again)."""
    return (0, *(m.end() for m in SENTENCE_END.finditer(text)), len(text))


def gold_answers(query: Query) -> list[str]:
    """Every distinct gold answer text of an MRC query, the rendered one first; none when it is unanswerable."""
    if listed := query.slots.get(ANSWERS_SLOT):  # None where Arrow filled the slot of a record without it
        return [str(a) for a in json.loads(listed)]
    return [query.rows[0][0]] if query.rows else []


class MRC(Task):
    """The first gold answer span answers the question by default; none when `answers` is empty."""

    name = "mrc"
    labelled = False
    subtasks: ClassVar[tuple[str, ...]] = ("extractive",)
    single: ClassVar[frozenset[str]] = frozenset({"extractive"})  # one gold span, or none

    def spans(self, record: Record) -> list[Span]:
        return [char_span(a, "answers") for a in record["answers"]]

    def bare(self, record: Record) -> bool:
        return not record["answers"]

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        slots = {"question": record["question"]}
        rows: list[Row] = []
        if record["answers"]:
            rows = [(record["answers"][0]["text"],)]
            slots |= answer_slots(record)
        return Query(self.name, subtask, ("answer",), rows, [], None, slots)


def answer_slots(record: Record) -> dict[str, str]:
    """`sentence` when every gold answer lies in one sentence (else `mrc:sentence` would pick one); `answers` when several."""
    text, answers = record["text"], record["answers"]
    slots: dict[str, str] = {}
    sentences = {sentence_of(text, a["start"], a["end"]) for a in answers}
    if len(sentences) == 1:
        slots["sentence"] = sentences.pop()
    texts = list(dict.fromkeys(a["text"] for a in answers))
    if len(texts) > 1:
        slots[ANSWERS_SLOT] = json.dumps(texts, ensure_ascii=False)
    return slots
