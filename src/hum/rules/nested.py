"""Nested spans: report every entity, or only the outermost when one lies inside another."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.tasks.base import Query, Row


class _Nested(Rule):
    family = "nested"
    rank = 10  # zips rows with `query.offsets`: only `offsets` (which keeps every row) may come before

    def applies(self, query: Query) -> bool:
        return query.task == "ner" and len(query.offsets) == len(query.rows) > 0


class NestedOutermost(_Nested):
    """Drop a span that lies inside another reported span (zips rows with `query.offsets`, so it applies early)."""

    id = "nested:outermost"
    excludes = frozenset({"subset"})  # is an inner span kept when its outer one has a label left out? ambiguous

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        spans = query.offsets
        return [
            r for r, (s, e) in zip(rows, spans, strict=True) if not any(o != (s, e) and o[0] <= s and e <= o[1] for o in spans)
        ]


class NestedAll(_Nested):
    """Gold rows already list inner and outer entities alike."""

    id = "nested:all"
