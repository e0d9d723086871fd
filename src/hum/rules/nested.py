"""Nested spans: report every entity, or only the outermost when one lies inside another."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row


class _Nested(Rule):
    family = "nested"

    def applies(self, query: Query) -> bool:
        return query.task == "ner" and len(query.offsets) == len(query.rows) > 0


class NestedOutermost(_Nested):
    """Drop a span that lies inside another reported span (needs the rows' offsets, so it applies first)."""

    id = "nested:outermost"
    text = {
        "en": "When one entity lies inside another, give only the outer one.",
        "zh": "如果一个实体嵌套在另一个实体之内，只给出外层的实体。",
    }

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        spans = query.offsets
        return [
            r for r, (s, e) in zip(rows, spans, strict=True) if not any(o != (s, e) and o[0] <= s and e <= o[1] for o in spans)
        ]


class NestedAll(_Nested):
    """Gold rows already list inner and outer entities alike."""

    id = "nested:all"
    text = {
        "en": "If one entity lies inside another, list both of them.",
        "zh": "如果一个实体嵌套在另一个实体之内，两个都要列出。",
    }
