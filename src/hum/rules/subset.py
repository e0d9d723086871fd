"""Label subset: of the stated schema, only results with some of the labels are asked for."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row

_JOIN = {"en": ", ", "zh": "、"}


class LabelsSubset(Rule):
    """Keep rows whose label is among the first ceil(n/2) labels of the schema, as the schema states them.

    Derived from the query alone (the schema order is already a random draw), so the phrasing and the
    answer always agree. Single-label classification is left out: there the one label must be given.
    """

    id = "labels:subset"
    family = "subset"
    rank = 20  # before casing, which rewrites the labels it compares

    def applies(self, query: Query) -> bool:
        return query.label_column is not None and len(query.labels) >= 2 and (query.task, query.subtask) != ("cls", "classify")  # noqa: PLR2004

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        col = query.columns.index(str(query.label_column))
        kept = {lab.casefold() for lab in subset(query)}
        return [r for r in rows if r[col].casefold() in kept]

    def slots(self, query: Query, lang: str) -> dict[str, str]:
        return {"subset": _JOIN.get(lang, ", ").join(subset(query))}


def subset(query: Query) -> list[str]:
    """The first half of the stated labels (rounded up), in stated order."""
    return query.labels[: (len(query.labels) + 1) // 2]
