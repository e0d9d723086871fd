"""XML-like tags, one item per line: `<item><type>person</type><entity>Ann</entity></item>`, or `<entity>Ann</entity>`."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, unescape

from hum.formats.base import Format, ParseError
from hum.formats.escapes import BREAKS
from hum.tasks.base import Row

_BREAKS = {c: f"&#{ord(c)};" for c in BREAKS}  # a line break in a value is a character reference
_UNBREAKS = {v: k for k, v in _BREAKS.items()}


def _tagged(columns: tuple[str, ...], values: tuple[str, ...]) -> str:
    inner = "".join(f"<{c}>{v}</{c}>" for c, v in zip(columns, values, strict=True))
    return inner if len(columns) == 1 else f"<item>{inner}</item>"


class XmlTags(Format):
    """Tag names are the column names; `&`, `<` and `>` in values are written as entities."""

    name = "xml"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": _tagged(columns, tuple("..." for _ in columns))}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(_tagged(columns, tuple(escape(v, _BREAKS) for v in r)) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        fields = r"\s*".join(f"<{re.escape(c)}>([^<]*)</{re.escape(c)}>" for c in columns)
        item = re.compile(fields if len(columns) == 1 else rf"<item>\s*{fields}\s*</item>")
        if item.sub("", text).strip():
            raise ParseError(f"xml: every item must be written {self.slots(columns)['pattern']}")
        return [tuple(unescape(v, _UNBREAKS) for v in m.groups()) for m in item.finditer(text)]
