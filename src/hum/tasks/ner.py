"""Named entity recognition: (type, entity) rows over character spans; nested entities allowed."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Span, Task, as_draw, char_span


class NER(Task):
    """Entities of the types in the schema, in order of appearance."""

    name = "ner"
    subtasks: ClassVar[tuple[str, ...]] = ("extract", "by_type")

    def spans(self, record: Record) -> list[Span]:
        return [char_span(e, "entities", e["type"]) for e in record["entities"]]

    def bare(self, record: Record) -> bool:
        return not record["entities"]

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        draw = as_draw(labels)
        ents = sorted(record["entities"], key=lambda e: (e["start"], -e["end"]))
        if subtask == "by_type":
            label = draw.one([e["type"] for e in ents], rng)
            rows: list[Row] = [(e["text"],) for e in ents if e["type"] == label]
            return Query(self.name, subtask, ("entity",), rows, [label], None, {"label": label})
        schema = draw.schema([e["type"] for e in ents], rng)
        kept = [e for e in ents if e["type"] in schema]
        rows = [(e["type"], e["text"]) for e in kept]
        offsets = [(e["start"], e["end"]) for e in kept]
        return Query(self.name, subtask, ("type", "entity"), rows, schema, "type", offsets=offsets)
