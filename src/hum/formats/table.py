"""A markdown table with one column per field."""

from __future__ import annotations

import re

from hum.formats.base import Format, ParseError, quoted
from hum.tasks.base import Row


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def _split(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())
    return [c.strip().replace("\\|", "|") for c in cells[1:-1]]


class MarkdownTable(Format):
    """Header row of column names, a rule line, then one row per item."""

    name = "table"

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
        return "\n".join(lines)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) < 2 or tuple(_split(lines[0])) != columns:  # noqa: PLR2004 - header and rule line
            raise ParseError(f"table: header must be {quoted(columns)}")
        return [tuple(_split(ln)) for ln in lines[2:]]
