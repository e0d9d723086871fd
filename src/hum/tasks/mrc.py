"""Extractive reading comprehension; an unanswerable question has an empty answer."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Query, Row, Span, Task, char_span


class MRC(Task):
    """The first gold answer span answers the question; none when `answers` is empty."""

    name = "mrc"
    labelled = False
    subtasks: ClassVar[tuple[str, ...]] = ("extractive",)

    def spans(self, record: Record) -> list[Span]:
        return [char_span(a, "answers") for a in record["answers"]]

    def query(self, record: Record, labelset: list[str], rng: random.Random, subtask: str) -> Query:
        rows: list[Row] = [(record["answers"][0]["text"],)] if record["answers"] else []
        return Query(self.name, subtask, ("answer",), rows, [], None, {"question": record["question"]})
