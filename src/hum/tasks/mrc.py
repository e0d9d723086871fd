"""Extractive reading comprehension; an unanswerable question has an empty answer."""

from __future__ import annotations

import random
import re
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Span, Task, char_span

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z\s])|(?<=[。！？])")  # a lower-case word after a stop is no new sentence


def sentence_of(text: str, start: int, end: int) -> str:
    """The sentence (or run of sentences) of `text` holding [start, end): what `mrc:sentence` answers."""
    bounds = [0, *(m.end() for m in SENTENCE_END.finditer(text)), len(text)]
    first = max(b for b in bounds if b <= start)
    last = min(b for b in bounds if b >= end)
    return text[first:last].strip()


class MRC(Task):
    """The first gold answer span answers the question; none when `answers` is empty."""

    name = "mrc"
    labelled = False
    subtasks: ClassVar[tuple[str, ...]] = ("extractive",)
    single: ClassVar[frozenset[str]] = frozenset({"extractive"})  # the first gold span, or none

    def spans(self, record: Record) -> list[Span]:
        return [char_span(a, "answers") for a in record["answers"]]

    def bare(self, record: Record) -> bool:
        return not record["answers"]

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        slots = {"question": record["question"]}
        rows: list[Row] = []
        if record["answers"]:
            first = record["answers"][0]
            rows = [(first["text"],)]
            slots["sentence"] = sentence_of(record["text"], first["start"], first["end"])
        return Query(self.name, subtask, ("answer",), rows, [], None, slots)
