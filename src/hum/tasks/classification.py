"""Text classification, single- or multi-label, over a sampled set of candidate labels."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Task, as_draw


class Classification(Task):
    """Rows are the gold labels present among the candidates (all gold labels are always offered)."""

    name = "cls"
    subtasks: ClassVar[tuple[str, ...]] = ("classify", "multi")
    single: ClassVar[frozenset[str]] = frozenset({"classify"})  # exactly one label

    def labels_of(self, record: Record) -> list[str]:
        return list(record["labels"])

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        """`multi` for multi-label datasets (any number of labels may apply), else `classify` (exactly one)."""
        subtask = "multi" if record.get("multi_label") else "classify"
        schema = as_draw(labels).schema(record["labels"], rng, keep_all_gold=True)
        rows: list[Row] = [(lab,) for lab in record["labels"]]
        return Query(self.name, subtask, ("label",), rows, schema, "label")
