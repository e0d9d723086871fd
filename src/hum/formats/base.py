"""A format renders rows of named columns as answer text and parses such text back to the rows."""

from __future__ import annotations

from typing import ClassVar

from hum.tasks.base import Row


class ParseError(ValueError):
    """Answer text that does not have the shape its format promises."""


class Format:
    """Base class: concrete formats write `_render` and `_parse` (and `slots` if their phrasings name more).

    Empty answers are shared: `render` writes the stated empty form, else `default_empty`, and `parse` reads it back.
    """

    name: ClassVar[str]
    default_empty: ClassVar[str] = "None"
    min_columns: ClassVar[int] = 1  # fewer columns than this and the format is not offered
    conflicts: ClassVar[frozenset[str]] = frozenset()  # rule families that cannot be stated together with this format

    def arrange(self, rows: list[Row]) -> list[Row]:
        """Rows in the order this format writes them (identity unless the format imposes its own order).

        Gold is arranged before rendering, so the contract is `parse(render(arrange(rows))) == arrange(rows)`.
        """
        return rows

    def describe(self, template: str, columns: tuple[str, ...]) -> str:
        """The output-format spec a compound instruction states: a pooled phrasing with this format's slots filled."""
        return template.format(**self.slots(columns))

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        """Values a spec phrasing may name: `{columns}` always; formats add their own (a separator, a pattern)."""
        return {"columns": quoted(columns)}

    def render(self, rows: list[Row], columns: tuple[str, ...], empty: str | None = None) -> str:
        """Answer text for `rows`; `empty` is the empty-result form a rule may have stated."""
        self._fits(columns)
        if not rows:
            return empty or self.default_empty
        return self._render(rows, columns)

    def parse(self, text: str, columns: tuple[str, ...], empty: str | None = None) -> list[Row]:
        """Rows back from answer text; raises ParseError when the text does not fit the format."""
        self._fits(columns)
        if text.strip() == (empty or self.default_empty):
            return []
        rows = self._parse(text.strip(), columns)
        if any(len(r) != len(columns) for r in rows):
            raise ParseError(f"{self.name}: expected {len(columns)} fields per item")
        return rows

    def _fits(self, columns: tuple[str, ...]) -> None:
        if len(columns) < self.min_columns:
            raise ParseError(f"{self.name}: needs at least {self.min_columns} columns")

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        raise NotImplementedError

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        raise NotImplementedError


def quoted(columns: tuple[str, ...]) -> str:
    """Column names as a readable list: "type", "entity"."""
    return ", ".join(f'"{c}"' for c in columns)
