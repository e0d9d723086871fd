"""One item per line, fields joined by " | "."""

from __future__ import annotations

from hum.formats.base import Format
from hum.tasks.base import Row

SEP = " | "


class Lines(Format):
    """Compact and easy to read; fields keep the column order."""

    name = "lines"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": SEP.join(columns), "sep": SEP.strip()}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(SEP.join(r) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if len(columns) == 1:
            return [(ln,) for ln in lines]
        return [tuple(f.strip() for f in ln.split(SEP, len(columns) - 1)) for ln in lines]
