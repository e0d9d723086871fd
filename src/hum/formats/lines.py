"""One item per line, fields joined by " | "."""

from __future__ import annotations

from hum.formats.base import Format, quoted
from hum.tasks.base import Row

SEP = " | "


class Lines(Format):
    """Compact and easy to read; fields keep the column order."""

    name = "lines"

    def describe(self, columns: tuple[str, ...], lang: str) -> str:
        if len(columns) == 1:
            return {"en": "Write one answer per line.", "zh": "每行写一个答案。"}[lang]
        return {
            "en": f"Write one item per line as {SEP.join(columns)} (fields {quoted(columns)} separated by '{SEP.strip()}').",
            "zh": f"每行写一项，格式为 {SEP.join(columns)}（字段 {quoted(columns)} 之间用 '{SEP.strip()}' 分隔）。",
        }[lang]

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(SEP.join(r) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if len(columns) == 1:
            return [(ln,) for ln in lines]
        return [tuple(f.strip() for f in ln.split(SEP, len(columns) - 1)) for ln in lines]
