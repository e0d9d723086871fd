"""Format registry: a new answer format is one module here, one line below and `data/templates/formats/<name>.yaml`."""

from __future__ import annotations

from hum.formats.base import Format, ParseError
from hum.formats.bullets import Bullets
from hum.formats.code_objects import CodeObjects
from hum.formats.csv_rows import CsvRows
from hum.formats.json_grouped import JsonGrouped
from hum.formats.json_list import JsonList
from hum.formats.key_value import KeyValue
from hum.formats.lines import Lines
from hum.formats.numbered import Numbered
from hum.formats.sentences import Sentences
from hum.formats.table import MarkdownTable
from hum.formats.text import Text
from hum.formats.tuples import Tuples
from hum.formats.xml_tags import XmlTags
from hum.formats.yaml_list import YamlList

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        JsonList(),
        Lines(),
        MarkdownTable(),
        KeyValue(),
        Text(),
        YamlList(),
        XmlTags(),
        CsvRows(),
        JsonGrouped(),
        Tuples(),
        CodeObjects(),
        Bullets(),
        Numbered(),
        Sentences(),
    )
}

__all__ = ["FORMATS", "Format", "ParseError"]
