"""Format registry: a new answer format is one module here plus one line below."""

from __future__ import annotations

from hum.formats.base import Format, ParseError
from hum.formats.json_list import JsonList
from hum.formats.key_value import KeyValue
from hum.formats.lines import Lines
from hum.formats.table import MarkdownTable
from hum.formats.text import Text

FORMATS: dict[str, Format] = {f.name: f for f in (JsonList(), Lines(), MarkdownTable(), KeyValue(), Text())}

__all__ = ["FORMATS", "Format", "ParseError"]
