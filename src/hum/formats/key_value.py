"""Key-value blocks: one `column: value` line per field, a blank line between items."""

from __future__ import annotations

from hum.formats.base import Format, ParseError, quoted
from hum.tasks.base import Row


class KeyValue(Format):
    """Readable by people and by a line-oriented parser alike."""

    name = "kv"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "keys": quoted(tuple(c + ": ..." for c in columns))}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n\n".join("\n".join(f"{c}: {v}" for c, v in zip(columns, r, strict=True)) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        rows = []
        for block in text.split("\n\n"):
            pairs = [ln.split(": ", 1) for ln in block.strip().splitlines()]
            if [p[0] for p in pairs] != list(columns) or any(len(p) != 2 for p in pairs):  # noqa: PLR2004
                raise ParseError(f"kv: each item needs the lines {quoted(columns)} in order")
            rows.append(tuple(p[1] for p in pairs))
        return rows
