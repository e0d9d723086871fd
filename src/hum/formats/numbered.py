"""A numbered list: `1. Ann` for one column, `1. type: person; entity: Ann` for several, numbered from 1."""

from __future__ import annotations

import re

from hum.formats.base import Format, ParseError
from hum.formats.escapes import encode_fields, fields_pattern, item_lines, unescape
from hum.tasks.base import Row


class Numbered(Format):
    """Like `bullets` with the items counted; parsing checks that the numbers run 1, 2, 3, ..."""

    name = "numbered"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": "1. " + encode_fields(tuple("..." for _ in columns), columns)}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(f"{i}. {encode_fields(r, columns)}" for i, r in enumerate(rows, 1))

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        item = re.compile(r"(\d+)\. ?" + fields_pattern(columns))
        matches = item_lines(text, item, f"numbered: each line must be one item {self.slots(columns)['pattern']}", str.lstrip)
        for i, match in enumerate(matches, 1):
            if int(match[1]) != i:
                raise ParseError(f"numbered: item {i} is numbered {match[1]}")
        return [tuple(unescape(v) for v in match.groups()[1:]) for match in matches]
