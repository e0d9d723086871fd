r"""Backslash escapes shared by the line-based formats, so any value fits on one line and survives the answer's strip.

`escape` writes a backslash before `\` and before the format's own special characters, and writes every line break
as `\n`, `\r` or `\uXXXX`; for a value that ends (or starts) a line or a stripped field bare it also writes a trailing
(or leading) whitespace character as `\uXXXX` (answers are stripped). `unescape` undoes exactly that. Ordinary values
come out unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hum.formats.base import ParseError

BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # every character str.splitlines() splits on
_SHORT = {"\n": "n", "\r": "r"}
_LONG = {v: k for k, v in _SHORT.items()}
_ESCAPED = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_TOUCHED = re.compile("[" + re.escape("\\" + BREAKS) + "]")  # what `escape` rewrites in any format: a backslash, a line break


def _code(char: str) -> str:
    return f"\\u{ord(char):04x}"


def escape(value: str, special: str = "", *, bare_start: bool = False, bare_end: bool = False) -> str:
    """`value` escaped: nothing in it splits a line, no `special` character is bare, no space starts (`bare_start`) or ends it."""
    edge = (bare_start and value[:1].isspace()) or (bare_end and value[-1:].isspace())
    if not edge and not _TOUCHED.search(value) and not any(c in value for c in special):
        return value  # most values: nothing to escape, and no walk over their characters
    out = [
        "\\" + c if c == "\\" or c in special else "\\" + _SHORT[c] if c in _SHORT else _code(c) if c in BREAKS else c
        for c in value
    ]
    if bare_start and value[:1].isspace():
        out[0] = _code(value[0])
    if bare_end and value[-1:].isspace():
        out[-1] = _code(value[-1])
    return "".join(out)


def unescape(text: str) -> str:
    """The value `escape` wrote as `text`."""
    return _ESCAPED.sub(lambda m: chr(int(m[1][1:], 16)) if len(m[1]) > 1 else _LONG.get(m[1], m[1]), text)


def field(special: str) -> str:
    """A regex group matching one escaped value in which the characters of `special` only occur escaped."""
    return rf"((?:[^\\{re.escape(special)}\n]|\\.)*)"


def encode_fields(row: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """A list item's body: the value alone for one column, else `type: person; entity: Ann` (`;` escaped)."""
    if len(columns) == 1:
        return escape(row[0], bare_end=True)
    return "; ".join(f"{c}: {escape(v, ';', bare_end=True)}" for c, v in zip(columns, row, strict=True))


def fields_pattern(columns: tuple[str, ...]) -> str:
    """The regex matching an `encode_fields` body, one group per column (an empty last value loses its space to the strip)."""
    if len(columns) == 1:
        return field("")
    return "; ".join(f"{re.escape(c)}: ?{field(';')}" for c in columns)


def item_lines(text: str, item: re.Pattern[str], error: str, strip: Callable[[str], str] = str.strip) -> list[re.Match[str]]:
    """The match of `item` on every non-blank line of an answer, one item a line; a line that does not match is `error`."""
    matches = []
    for line in filter(str.strip, text.split("\n")):
        if not (match := item.fullmatch(strip(line))):
            raise ParseError(error)
        matches.append(match)
    return matches
