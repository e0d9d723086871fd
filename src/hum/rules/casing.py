"""Label casing: the label column in lower or upper case (spans are never changed)."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row


class _Casing(Rule):
    family = "casing"
    rank = 60  # after ordering: order:label compares labels as the schema states them

    def applies(self, query: Query) -> bool:
        return query.label_column is not None

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        col = query.columns.index(str(query.label_column))
        return [(*r[:col], self._case(r[col]), *r[col + 1 :]) for r in rows]

    def _case(self, label: str) -> str:
        raise NotImplementedError


class LabelsLower(_Casing):
    """Lower-case label names."""

    id = "case:lower"

    def _case(self, label: str) -> str:
        return label.lower()


class LabelsUpper(_Casing):
    """Upper-case label names."""

    id = "case:upper"

    def _case(self, label: str) -> str:
        return label.upper()
