"""Code-style typed objects, one per line, as GoLLIE and KnowCoder answer: `Item(type="person", entity="Ann")`."""

from __future__ import annotations

import json
import re

from hum.formats.base import JSON_TEXT, Format, ParseError
from hum.formats.escapes import BREAKS
from hum.tasks.base import Row

CLASS = "Item"
_STRING = r'"((?:[^"\\\n]|\\.)*)"'  # a double-quoted literal, valid in both Python and JSON
_RAW = str.maketrans({c: f"\\u{ord(c):04x}" for c in BREAKS if not c.isascii()})  # line breaks JSON leaves bare


def _literal(value: str) -> str:
    return JSON_TEXT(value).translate(_RAW)


def _call(columns: tuple[str, ...], literals: tuple[str, ...]) -> str:
    return f"{CLASS}(" + ", ".join(f"{c}={v}" for c, v in zip(columns, literals, strict=True)) + ")"


class CodeObjects(Format):
    """Each item is a constructor call with one keyword argument per column, values as string literals; parsed, never run."""

    name = "code"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        fields = ", ".join(f"{c}: str" for c in columns)
        return {
            **super().slots(columns),
            "cls": CLASS,
            "signature": f"{CLASS}({fields})",
            "pattern": _call(columns, tuple('"..."' for _ in columns)),
        }

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(_call(columns, tuple(map(_literal, r))) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        args = r"\s*,\s*".join(rf"{re.escape(c)}\s*=\s*{_STRING}" for c in columns)
        item = re.compile(rf"{CLASS}\(\s*{args}\s*,?\s*\)")
        rows = []
        for line in filter(str.strip, text.split("\n")):
            if not (match := item.fullmatch(line.strip())):
                raise ParseError(f"code: each line must be one call {self.slots(columns)['pattern']}")
            try:
                rows.append(tuple(json.loads(f'"{v}"', strict=False) for v in match.groups()))
            except json.JSONDecodeError as exc:
                raise ParseError(f"code: bad string literal ({exc.msg})") from exc
        return rows
