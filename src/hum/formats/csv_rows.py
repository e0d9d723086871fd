"""CSV: a header row of column names, then one row per item (quoted as needed, read by Python's csv module)."""

from __future__ import annotations

import csv
import io

from hum.formats.base import Format, ParseError, quoted
from hum.tasks.base import Row


def _cell(value: str) -> str:
    """A value as a CSV field, double-quoted when bare text would not read back the same."""
    bare = bool(value) and value == value.strip() and value.isprintable() and "," not in value and '"' not in value
    return value if bare else '"' + value.replace('"', '""') + '"'


class CsvRows(Format):
    """Spreadsheet-ready answers; a value with a comma, a quote, a line break or edge spaces is double-quoted."""

    name = "csv"

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(",".join(map(_cell, r)) for r in [columns, *rows])

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        try:
            header, *rows = csv.reader(io.StringIO(text, newline=""), strict=True)
        except (csv.Error, ValueError) as exc:
            raise ParseError(f"csv: not valid CSV ({exc})") from exc
        if tuple(header) != columns:
            raise ParseError(f"csv: the header row must be {quoted(columns)}")
        return [tuple(r) for r in rows]
