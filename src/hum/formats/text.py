"""Free text: the whole answer is one value (instruction-generalist and general data)."""

from __future__ import annotations

from hum.formats.base import Format, ParseError
from hum.tasks.base import Row


class Text(Format):
    """No structure to parse: the answer must equal its single gold value."""

    name = "text"

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return rows[0][0]

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        if len(columns) != 1:
            raise ParseError("text: answers have one column")
        return [(text,)]
