"""What every task knows: its record fields, how one annotation becomes queries, and their gold rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hum.io import Record

Row = tuple[str, ...]


@dataclass(frozen=True)
class Span:
    """A character span of a record's text, kept for offset validation."""

    field: str
    start: int
    end: int
    text: str
    label: str | None = None


@dataclass
class Query:
    """One thing an instruction asks of a text, with the gold rows that answer it (in text order)."""

    task: str
    subtask: str
    columns: tuple[str, ...]
    rows: list[Row]
    labels: list[str] = field(default_factory=list)
    label_column: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    offsets: list[tuple[int, int]] = field(default_factory=list)  # character span of each row, when rows are spans


class Task:
    """Base class: a concrete task sets its names and writes `queries` (and `spans` if it has offsets)."""

    name: ClassVar[str]
    subtasks: ClassVar[tuple[str, ...]]
    labelled: ClassVar[bool] = True  # whether instructions show a label schema drawn from the dataset's labels

    def query(self, record: Record, labelset: list[str], rng: random.Random, subtask: str) -> Query:
        """Build the query for `subtask` over `record`; label schema is sampled from `labelset`."""
        raise NotImplementedError

    def spans(self, record: Record) -> list[Span]:
        """Every labelled character span, so offsets and labels can be validated generically."""
        return []

    def labels_of(self, record: Record) -> list[str]:
        """Labels used by a record, to check them against the dataset's label set."""
        return [s.label for s in self.spans(record) if s.label is not None]


def sample_schema(gold: list[str], labelset: list[str], rng: random.Random, *, keep_all_gold: bool = False) -> list[str]:
    """A label schema: some gold labels plus distractors absent from the text, so empty answers occur."""
    gold_set = sorted(set(gold))
    others = [lab for lab in labelset if lab not in gold_set]
    kept = gold_set if keep_all_gold else [g for g in gold_set if rng.random() < 0.8]  # noqa: PLR2004
    size = max(len(kept) + 1, min(len(labelset), rng.randint(2, 6)))
    extra = rng.sample(others, k=min(len(others), size - len(kept)))
    schema = kept + extra
    rng.shuffle(schema)
    return schema


def char_span(item: dict[str, Any], fieldname: str, label: str | None = None) -> Span:
    """Span from an item carrying `start`, `end` and `text`."""
    return Span(fieldname, int(item["start"]), int(item["end"]), str(item["text"]), label)
