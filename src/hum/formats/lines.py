r"""One item per line, fields joined by " | "; `\`, line breaks, edge spaces and (with several columns) `|` in values escaped."""

from __future__ import annotations

import re

from hum.formats.base import Format
from hum.formats.escapes import escape, unescape
from hum.tasks.base import Row

SEP = " | "
# A field up to the next unescaped `|` (a lone backslash at the end of a line stands for itself, as `unescape` reads it).
_FIELD = re.compile(r"(?:^|\|)((?:[^\\|]|\\.?)*)")


def _encode(value: str, columns: tuple[str, ...]) -> str:
    """A value as a field: a `|` is only special when it separates fields; fields are stripped, so edge spaces are coded."""
    return escape(value, "|" if len(columns) > 1 else "", bare_start=True, bare_end=True)


def _fields(line: str, columns: tuple[str, ...]) -> list[str]:
    """The line's values: split at every unescaped `|` (a model may drop the spaces around it), stripped, unescaped."""
    fields = _FIELD.findall(line) if len(columns) > 1 else [line]
    return [unescape(f.strip()) for f in fields]


class Lines(Format):
    """Compact and easy to read; fields keep the column order. Ordinary values are written as they are."""

    name = "lines"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": SEP.join(columns), "sep": SEP.strip()}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(SEP.join(_encode(v, columns) for v in r) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        return [tuple(_fields(ln.strip(), columns)) for ln in text.splitlines() if ln.strip()]
