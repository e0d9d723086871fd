"""JSON: a list of objects keyed by column, or a list of strings when there is one column."""

from __future__ import annotations

import json
from typing import Any

from hum.formats.base import JSON_TEXT, Format, ParseError, quoted
from hum.tasks.base import Row


class JsonList(Format):
    """Machine-readable answers; `[]` when nothing is found."""

    name = "json"
    default_empty = "[]"
    verbatim = True

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        items: list[Any] = [r[0] for r in rows] if len(columns) == 1 else [dict(zip(columns, r, strict=True)) for r in rows]
        return JSON_TEXT(items)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"json: {exc.msg}") from exc
        if not isinstance(items, list):
            raise ParseError("json: expected a list")
        if len(columns) == 1:
            return [(str(i),) for i in items]
        if not all(isinstance(i, dict) and list(i) == list(columns) for i in items):
            raise ParseError(f"json: every item needs exactly the keys {quoted(columns)}")
        return [tuple(str(i[c]) for c in columns) for i in items]
