"""A format renders rows of named columns as answer text and parses such text back to the rows."""

from __future__ import annotations

from typing import ClassVar

from hum.tasks.base import Row


class ParseError(ValueError):
    """Answer text that does not have the shape its format promises."""


class Format:
    """Base class: concrete formats write `describe`, `_render` and `_parse`; empty answers are shared."""

    name: ClassVar[str]
    default_empty: ClassVar[str] = "None"

    def describe(self, columns: tuple[str, ...], lang: str) -> str:
        """The output-format spec that a compound instruction states."""
        raise NotImplementedError

    def render(self, rows: list[Row], columns: tuple[str, ...], empty: str | None = None) -> str:
        """Answer text for `rows`; `empty` is the empty-result form a rule may have stated."""
        if not rows:
            return empty or self.default_empty
        return self._render(rows, columns)

    def parse(self, text: str, columns: tuple[str, ...], empty: str | None = None) -> list[Row]:
        """Rows back from answer text; raises ParseError when the text does not fit the format."""
        if text.strip() == (empty or self.default_empty):
            return []
        rows = self._parse(text.strip(), columns)
        if any(len(r) != len(columns) for r in rows):
            raise ParseError(f"{self.name}: expected {len(columns)} fields per item")
        return rows

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        raise NotImplementedError

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        raise NotImplementedError


def quoted(columns: tuple[str, ...]) -> str:
    """Column names as a readable list: "type", "entity"."""
    return ", ".join(f'"{c}"' for c in columns)
