r"""Key-value blocks: one `column: value` line per field, a blank line between items; `\`, line breaks and edge spaces escaped."""

from __future__ import annotations

import itertools

from hum.formats.base import Format, ParseError, quoted
from hum.formats.escapes import escape, unescape
from hum.tasks.base import Row


def _filled(line: str) -> bool:
    return bool(line.strip())


def _block(row: Row, columns: tuple[str, ...]) -> str:
    """One item's lines; values are stripped when read, so their edge spaces are coded too."""
    return "\n".join(f"{c}: {escape(v, bare_start=True, bare_end=True)}" for c, v in zip(columns, row, strict=True))


def _blocks(text: str) -> list[list[str]]:
    """The answer's items: runs of non-blank lines (one or more blank lines between them)."""
    return [list(lines) for filled, lines in itertools.groupby(text.splitlines(), _filled) if filled]


class KeyValue(Format):
    """Readable by people and by a line-oriented parser alike; a value never breaks its line, so it cannot split a block."""

    name = "kv"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "keys": quoted(tuple(c + ": ..." for c in columns))}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n\n".join(_block(r, columns) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        rows = []
        for block in _blocks(text):
            pairs = [ln.partition(":") for ln in block]
            if [key.strip() for key, _, _ in pairs] != list(columns) or not all(colon for _, colon, _ in pairs):
                raise ParseError(f"kv: each item needs the lines {quoted(columns)} in order")
            rows.append(tuple(unescape(value.strip()) for _, _, value in pairs))
        return rows
