"""YAML: a block list of strings for one column, or of mappings keyed by column for several."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

from hum.formats.base import Format, ParseError, quoted
from hum.tasks.base import Row


class _Dumper(yaml.SafeDumper):
    """Safe YAML whose strings are always strings: plain when that reads back the same, double-quoted when unprintable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML decides quoting for plain and single-quoted styles, but misreads some unicode breaks and spaces there.
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if value.isprintable() else '"')


_Dumper.add_representer(str, _str)
_RESOLVER = yaml.resolver.Resolver()
SIMPLE_KEY = 128  # PyYAML writes a longer key as an explicit `? key`
_WORDS = re.compile(r"\w+(?: \w+)*")


def _bare(value: str) -> bool:
    """Whether PyYAML writes `value` as it is: words of letters, digits and `_` that do not read as a number or a boolean."""
    if not _WORDS.fullmatch(value):
        return False
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]  # untyped in the stubs
    return tag == "tag:yaml.org,2002:str"


@lru_cache(maxsize=4096)
def _plain(value: str) -> bool:
    """Whether PyYAML writes `value` as it is as a list item or a mapping's value: words at a glance, else by asking it.

    Its choice of style depends on the value alone there (a key is another context). Asked once per value a while:
    names recur across answers, and PyYAML's emitter costs as much as twenty other formats.
    """
    return _bare(value) or dumped([value]) == f"- {value}"


def dumped(items: list[Any]) -> str:
    """`items` as PyYAML writes them (block style, unicode as it is, no line folding), without the final line break."""
    text = yaml.dump(items, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1 << 30)
    return text.rstrip("\n")


def _value(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, int | float) and not isinstance(item, bool):  # an unquoted number still names the text
        return str(item)
    raise ParseError("yaml: every value must be a string")


class YamlList(Format):
    """Readable structured answers; `[]` when nothing is found."""

    name = "yaml"
    default_empty = "[]"

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        """PyYAML's text; written directly when every key is bare and every value plain (PyYAML writes them as they are)."""
        if all(len(c) < SIMPLE_KEY and _bare(c) for c in columns) and all(_plain(v) for r in rows for v in r):
            if len(columns) == 1:
                return "\n".join(f"- {v}" for (v,) in rows)
            return "\n".join("- " + "\n  ".join(f"{c}: {v}" for c, v in zip(columns, r, strict=True)) for r in rows)
        return dumped([r[0] for r in rows] if len(columns) == 1 else [dict(zip(columns, r, strict=True)) for r in rows])

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        try:
            items = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ParseError(f"yaml: not valid YAML ({type(exc).__name__})") from exc
        if not isinstance(items, list):
            raise ParseError("yaml: expected a list")
        if len(columns) == 1:
            return [(_value(i),) for i in items]
        if not all(isinstance(i, dict) and list(i) == list(columns) for i in items):
            raise ParseError(f"yaml: every item needs exactly the keys {quoted(columns)}")
        return [tuple(_value(i[c]) for c in columns) for i in items]
