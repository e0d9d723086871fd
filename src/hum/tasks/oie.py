"""Open information extraction: (subject, relation, object) tuples, with no label schema and no offsets."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Task


def tuple_row(fields: list[str]) -> Row:
    """Subject, relation, and the further arguments joined by one space as the object (empty ones skipped)."""
    return (fields[0], fields[1], " ".join(f for f in fields[2:] if f))


class OIE(Task):
    """Gold rows keep the file's tuple order; a tuple with an empty field is left out.

    The `lines` and `kv` formats cannot carry an empty field (CaRB has object-less tuples such as
    ("Jarryd Hayne", "was injured", "")), so such a tuple could never parse back to its gold row.
    """

    name = "oie"
    labelled = False
    subtasks: ClassVar[tuple[str, ...]] = ("tuples",)

    def bare(self, record: Record) -> bool:
        return not any(all(tuple_row(t)) for t in record["tuples"])

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        rows = [row for row in map(tuple_row, record["tuples"]) if all(row)]
        return Query(self.name, subtask, ("subject", "relation", "object"), rows)
