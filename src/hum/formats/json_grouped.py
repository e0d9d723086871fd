"""JSON grouped by the first column: `{"person": ["Ann", "Bo"], "org": ["ACME"]}`, or lists of objects for 3+ columns."""

from __future__ import annotations

import json
from typing import Any

from hum.formats.base import JSON_TEXT, Format, ParseError, quoted
from hum.tasks.base import Row


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) < len(pairs):
        raise ParseError("json_grouped: a key occurs twice")
    return dict(pairs)


class JsonGrouped(Format):
    """One key per distinct first-column value, in order of first appearance; it imposes its own order."""

    name = "json_grouped"
    default_empty = "{}"
    min_columns = 2
    conflicts = frozenset({"order"})
    verbatim = True

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        example = self._render([tuple(f"<{c}>" for c in columns)], columns)
        return {**super().slots(columns), "key": f'"{columns[0]}"', "rest": quoted(columns[1:]), "example": example}

    def arrange(self, rows: list[Row]) -> list[Row]:
        groups: dict[str, list[Row]] = {}
        for r in rows:
            groups.setdefault(r[0], []).append(r)
        return [r for group in groups.values() for r in group]

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        groups: dict[str, list[Any]] = {}
        for key, *rest in rows:
            groups.setdefault(key, []).append(rest[0] if len(rest) == 1 else dict(zip(columns[1:], rest, strict=True)))
        return JSON_TEXT(groups)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        try:
            groups = json.loads(text, object_pairs_hook=_unique)
        except json.JSONDecodeError as exc:
            raise ParseError(f"json_grouped: {exc.msg}") from exc
        if not isinstance(groups, dict) or not all(isinstance(v, list) and v for v in groups.values()):
            raise ParseError(f"json_grouped: expected an object mapping each {columns[0]} to a non-empty list")
        if len(columns) == 2:  # noqa: PLR2004 - key and one field: a list of strings
            return [(key, str(v)) for key, values in groups.items() for v in values]
        if not all(isinstance(v, dict) and list(v) == list(columns[1:]) for values in groups.values() for v in values):
            raise ParseError(f"json_grouped: every item needs exactly the keys {quoted(columns[1:])}")
        return [(key, *(str(v[c]) for c in columns[1:])) for key, values in groups.items() for v in values]
