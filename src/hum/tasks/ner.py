"""Named entity recognition: (type, entity) rows over character spans; nested entities allowed."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Query, Row, Span, Task, char_span, sample_schema


class NER(Task):
    """Entities of the types in the schema, in order of appearance."""

    name = "ner"
    subtasks: ClassVar[tuple[str, ...]] = ("extract", "by_type")

    def spans(self, record: Record) -> list[Span]:
        return [char_span(e, "entities", e["type"]) for e in record["entities"]]

    def query(self, record: Record, labelset: list[str], rng: random.Random, subtask: str) -> Query:
        ents = sorted(record["entities"], key=lambda e: (e["start"], -e["end"]))
        if subtask == "by_type":
            label = rng.choice(labelset)
            rows: list[Row] = [(e["text"],) for e in ents if e["type"] == label]
            return Query(self.name, subtask, ("entity",), rows, [label], None, {"label": label})
        schema = sample_schema([e["type"] for e in ents], labelset, rng)
        kept = [e for e in ents if e["type"] in schema]
        rows = [(e["type"], e["text"]) for e in kept]
        offsets = [(e["start"], e["end"]) for e in kept]
        return Query(self.name, subtask, ("type", "entity"), rows, schema, "type", offsets=offsets)
