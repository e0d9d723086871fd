"""Relation extraction: (head, relation, tail) triples, with sub-tasks that ask one slot at a time."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Span, Task, as_draw, char_span


class RE(Task):
    """Triples over entity spans; `by_relation` gives a type, `by_pair` gives the entity pair."""

    name = "re"
    subtasks: ClassVar[tuple[str, ...]] = ("triples", "by_relation", "by_pair")

    def spans(self, record: Record) -> list[Span]:
        spans = [char_span(e, "entities") for e in record["entities"]]
        for rel in record["relations"]:
            spans += [char_span(rel[end], "relations", rel["type"]) for end in ("head", "tail")]
        return spans

    def labels_of(self, record: Record) -> list[str]:
        return [rel["type"] for rel in record["relations"]]

    def bare(self, record: Record) -> bool:
        return not record["relations"]

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        draw = as_draw(labels)
        rels = sorted(record["relations"], key=lambda r: (min(r["head"]["start"], r["tail"]["start"]), r["type"]))
        if subtask == "by_pair" and rels:
            rel = rng.choice(rels)
            pair = (rel["head"]["text"], rel["tail"]["text"])
            rows: list[Row] = [(r["type"],) for r in rels if (r["head"]["text"], r["tail"]["text"]) == pair]
            schema = draw.schema([r[0] for r in rows], rng, keep_all_gold=True)
            slots = {"head": pair[0], "tail": pair[1]}
            return Query(self.name, subtask, ("relation",), rows, schema, "relation", slots)
        if subtask == "by_relation":
            label = draw.one([r["type"] for r in rels], rng)
            rows = [(r["head"]["text"], r["tail"]["text"]) for r in rels if r["type"] == label]
            return Query(self.name, subtask, ("head", "tail"), rows, [label], None, {"label": label})
        schema = draw.schema([r["type"] for r in rels], rng)
        rows = [(r["head"]["text"], r["type"], r["tail"]["text"]) for r in rels if r["type"] in schema]
        return Query(self.name, "triples", ("head", "relation", "tail"), rows, schema, "relation")
