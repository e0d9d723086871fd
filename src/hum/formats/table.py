r"""A markdown table with one column per field, its cells escaped so a CommonMark/GFM reader shows each value exactly.

A cell writes a backslash before `\`, `|` and the punctuation that opens inline markup (`` ` ``, `*`, `[`, `]`, `<`, `~`,
`_` but inside a word, `&` where it would start a character reference); a line break, and a space at either end of a value
(cells are trimmed), is written as a numeric character reference such as `&#10;`. Ordinary values (`card_arrival`, `AT&T`)
are written as they are.
"""

from __future__ import annotations

import re
from html.entities import html5

from hum.formats.base import Format, ParseError, quoted
from hum.tasks.base import Row

_MARKUP = re.compile(r"[\\|`*\[\]<~]|&(?=#?[A-Za-z0-9]+;)|_+")  # `!` only opens an image before a `[`, which is escaped
_BREAK = re.compile(r"[\r\n]")  # the only line endings of CommonMark
# What GFM trims from a cell (JavaScript's `trim`, as markdown-it uses, but for U+FEFF).
_TRIMMED = "\t\n\x0b\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
_CELL_SEP = re.compile(r"(?<!\\)\|")  # GFM: a pipe after a backslash is part of the cell, whatever comes before
# A backslash escape (before ASCII punctuation only) or a decimal, hexadecimal or named character reference: the ways
# CommonMark writes a character in text.
_INLINE = re.compile(r"\\([!-/:-@\[-`{-~])|&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));")


def _reference(char: str) -> str:
    return f"&#{ord(char)};"


def _escaped(markup: re.Match[str]) -> str:
    """Markup with a backslash before each character, but for `_` inside a word (`card_arrival`), which opens nothing."""
    before, after = markup.string[markup.start() - 1 : markup.start()], markup.string[markup.end() : markup.end() + 1]
    if markup[0][0] == "_" and before.isalnum() and after.isalnum():
        return markup[0]
    return "".join("\\" + c for c in markup[0])


def _cell(value: str) -> str:
    """A value as a cell's source text, which any CommonMark/GFM reader takes back to exactly the value."""
    text = _BREAK.sub(lambda m: _reference(m[0]), _MARKUP.sub(_escaped, value))
    if text and text[0] in _TRIMMED:
        text = _reference(text[0]) + text[1:]
    if text and text[-1] in _TRIMMED:
        text = text[:-1] + _reference(text[-1])
    return text


def _code_point(code: int) -> str:
    """The character a numeric reference names; U+FFFD for U+0000, a lone surrogate or a number beyond Unicode."""
    try:
        char = chr(code)
        char.encode()
    except ValueError:
        return "\ufffd"
    return char if code else "\ufffd"


def _unescaped(match: re.Match[str]) -> str:
    """The text an `_INLINE` match stands for (an unknown entity name is no reference and stays as it is)."""
    escaped, decimal, hexadecimal, name = match.groups()
    if name:
        return html5.get(name + ";", match[0])
    return escaped or _code_point(int(decimal) if decimal else int(hexadecimal, 16))


def _value(cell: str) -> str:
    """The value a cell's source text stands for, read the way CommonMark/GFM reads it."""
    text = cell.replace("\\|", "|").strip(_TRIMMED)
    return _INLINE.sub(_unescaped, text)


def _split(line: str) -> list[str]:
    """A row's values; its leading and trailing pipes are optional, as in GFM."""
    cells = _CELL_SEP.split(line.strip(_TRIMMED))
    cells = cells[1:] if cells[0] == "" else cells
    cells = cells[:-1] if cells and cells[-1] == "" else cells
    return [_value(c) for c in cells]


class MarkdownTable(Format):
    """Header row of column names, a rule line, then one row per item."""

    name = "table"

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        lines = ["| " + " | ".join(map(_cell, columns)) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(map(_cell, r)) + " |" for r in rows]
        return "\n".join(lines)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        lines = [ln for ln in re.split(r"\r\n?|\n", text) if ln.strip()]
        if len(lines) < 2 or tuple(_split(lines[0])) != columns:  # noqa: PLR2004 - header and rule line
            raise ParseError(f"table: header must be {quoted(columns)}")
        return [tuple(_split(ln)) for ln in lines[2:]]
