"""Label casing: the label column in lower or upper case (spans are never changed)."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row


class _Casing(Rule):
    family = "casing"

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
    text = {"en": "Write label names in lower case.", "zh": "标签名称请使用小写字母。"}

    def _case(self, label: str) -> str:
        return label.lower()


class LabelsUpper(_Casing):
    """Upper-case label names."""

    id = "case:upper"
    text = {"en": "Write label names in UPPER CASE.", "zh": "标签名称请使用大写字母。"}

    def _case(self, label: str) -> str:
        return label.upper()
