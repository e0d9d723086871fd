"""A format renders rows of named columns as answer text and parses such text back to the rows."""

from __future__ import annotations

import json
import re
from typing import ClassVar

from hum.tasks.base import Row

# `json.dumps(value, ensure_ascii=False)`, with one encoder for every answer: `dumps` makes one per call otherwise.
JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode
# Words of letters, digits and everyday punctuation, one space apart: every format writes them as they are or escapes or
# quotes them in a way its parser undoes (YAML quotes a word it would read as a number, a boolean or an indicator), so
# rows of such values read back; `reads_back` takes that at a glance, and tests/hum/test_formats.py checks it does.
WORD = r"(?:[^\W_]|[.,'\-:/@#&()!?])+"
PLAIN = re.compile(rf"{WORD}(?: {WORD})*")


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
    verbatim: ClassVar[bool] = False  # whether every string reads back exactly (JSON), not only plain ones

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

    def reads_back(self, text: str, rows: list[Row], columns: tuple[str, ...], empty: str | None = None) -> bool:
        """Whether `text`, rendered from `rows` (arranged), parses back to exactly them.

        At a glance when the answer is not the empty form, these columns round-trip (checked once) and every value
        is plain (`PLAIN`) or the format holds any (`verbatim`); else by parsing. Generation asks this once per
        instruction: parsing every answer cost about as much as rendering it twice.
        """
        glance = bool(rows) and text.strip() != (empty or self.default_empty) and self._plain_columns(columns)
        if glance and (self.verbatim or all(PLAIN.fullmatch(v) for r in rows for v in r)):
            return True
        return self._round_trips(text, rows, columns, empty)

    def _round_trips(self, text: str, rows: list[Row], columns: tuple[str, ...], empty: str | None) -> bool:
        try:
            return self.parse(text, columns, empty) == rows
        except ParseError:
            return False

    def _plain_columns(self, columns: tuple[str, ...]) -> bool:
        """Whether plain values under `columns` round-trip (a column name could break a header or a tag); cached."""
        key = (self.name, columns)
        if key not in _PLAIN_COLUMNS:
            probe = self.arrange([tuple(f"{c} {i}" for c in columns) for i in ("1", "b")])
            fits = len(columns) >= self.min_columns
            _PLAIN_COLUMNS[key] = fits and self._round_trips(self.render(probe, columns), probe, columns, None)
        return _PLAIN_COLUMNS[key]

    def _fits(self, columns: tuple[str, ...]) -> None:
        if len(columns) < self.min_columns:
            raise ParseError(f"{self.name}: needs at least {self.min_columns} columns")

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        raise NotImplementedError

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        raise NotImplementedError


_PLAIN_COLUMNS: dict[tuple[str, tuple[str, ...]], bool] = {}


def quoted(columns: tuple[str, ...]) -> str:
    """Column names as a readable list: "type", "entity"."""
    return ", ".join(f'"{c}"' for c in columns)
