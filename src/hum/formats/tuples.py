r"""Tuples, one per line: `(Ann; works for; ACME)`, fields joined by "; ", `\`, `;`, `(` and `)` in values escaped."""

from __future__ import annotations

import re

from hum.formats.base import Format
from hum.formats.escapes import escape, field, item_lines, unescape
from hum.tasks.base import Row

SEP = "; "
SPECIAL = ";()"


class Tuples(Format):
    """Compact relational answers in the style of open-IE tuples; one column gives `(value)` per line."""

    name = "tuples"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": f"({SEP.join(columns)})", "sep": SEP.strip()}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(f"({SEP.join(escape(v, SPECIAL) for v in r)})" for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        item = re.compile(r"\(" + SEP.join(field(SPECIAL) for _ in columns) + r"\)")
        error = f"tuples: each line must be one tuple {self.slots(columns)['pattern']}"
        return [tuple(unescape(v) for v in match.groups()) for match in item_lines(text, item, error)]
