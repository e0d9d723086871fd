"""A markdown bullet list: `- Ann` for one column, `- type: person; entity: Ann` for several."""

from __future__ import annotations

import re

from hum.formats.base import Format
from hum.formats.escapes import encode_fields, fields_pattern, item_lines, unescape
from hum.tasks.base import Row


class Bullets(Format):
    r"""Chat-style answers: `\` in values and, with several columns, `;` are backslash-escaped; line breaks are written `\n`."""

    name = "bullets"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": "- " + encode_fields(tuple("..." for _ in columns), columns)}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join("- " + encode_fields(r, columns) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        item = re.compile(r"[-*] ?" + fields_pattern(columns))
        error = f"bullets: each line must be one item {self.slots(columns)['pattern']}"
        return [tuple(unescape(v) for v in match.groups()) for match in item_lines(text, item, error, str.lstrip)]
