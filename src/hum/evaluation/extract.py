"""Read a model's reply with the format's own parser: the reply as it is first, then cleaned of the wrapping small models add.

Cleanings (the first variant that parses wins):
- a code fence: the inside of the first fenced block (```json ... ```, or an unclosed fence running to the end);
- a lead-in: a first line ending in a colon, ASCII or full-width ("Here are the entities:", "答案如下" and a full-width
  colon), or one standing alone before a blank line;
- trailing chatter: whole paragraphs after a blank line ("I hope this helps."), longest remaining answer first;
- a JSON value: the list or object starting at the first `[` or `{`, whose closing bracket tells it apart from any chatter.
Order: the reply, then the inside of its fence (the inside first when the reply is nothing but one fenced block);
each as it is, then without its lead-in; each of those whole, then cut of trailing paragraphs, then as its JSON value.
Chatter on the very next line of a line-per-item answer cannot be told from a malformed item, so it is left to fail;
and the exact text comes first, but for a plain lead-in (a first line ending in a colon, then a blank line), which goes
first, or a format that reads any text (free text, one-column lines) would keep it as part of the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from hum.formats import Format, ParseError
from hum.tasks.base import Row

FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)
LEAD_IN = re.compile(r"\A[^\n]*(?:[:：][ \t]*\n|\n[ \t]*\n)")
ANNOUNCED = re.compile(r"\A[^\n]*[:：][ \t]*\n[ \t]*\n")
BLANK_LINE = re.compile(r"\n[ \t]*\n")
JSON_START = re.compile(r"[\[{]")


@dataclass(frozen=True)
class Unparsable:
    """A reply no variant of which parses: it scores zero and is counted; `error` is the parser's word on the reply itself."""

    error: str


Reading = list[Row] | Unparsable


def read_reply(reply: str, fmt: Format, columns: tuple[str, ...], empty: str | None = None) -> Reading:
    """The rows of the first variant of `reply` that `fmt` parses, or `Unparsable`.

    A blank text is no answer (a format writes even an empty result, as its empty form), so it is never tried.
    """
    errors: list[str] = []
    for text in filter(str.strip, dict.fromkeys(variants(reply))):
        try:
            return fmt.parse(text, columns, empty)
        except ParseError as exc:
            errors.append(str(exc))
    return Unparsable(errors[0] if errors else "empty reply")


def variants(reply: str) -> Iterator[str]:
    """Candidate answer texts, lightest cleaning first (see the module's docstring).

    A reply that is wholly one fenced block is read inside first: no format writes its answers fenced, and a format
    that reads any text would otherwise keep the fence lines as items.
    """
    inside = unfenced(reply)
    whole = bool(inside) and reply.strip().startswith("```") and reply.strip().endswith("```")
    for base in ((*inside, reply) if whole else (reply, *inside)):
        rest = without_lead_in(base)
        for body in ((*rest, base) if announced(base) else (base, *rest)):
            yield body
            yield from heads(body)
            yield from json_value(body)


def unfenced(text: str) -> list[str]:
    """The inside of the first code fence, if there is one."""
    match = FENCE.search(text)
    return [match[1]] if match else []


def announced(text: str) -> bool:
    """Whether the first line is plainly a lead-in: it ends in a colon and a blank line follows ("Here it is:")."""
    return bool(ANNOUNCED.match(text.lstrip()))


def without_lead_in(text: str) -> list[str]:
    """The text after a lead-in line, if it has one and something follows it."""
    match = LEAD_IN.match(text.lstrip())
    rest = text.lstrip()[match.end() :] if match else ""
    return [rest] if rest.strip() else []


def heads(text: str) -> list[str]:
    """The text without its last paragraphs: all but the last first, down to the first paragraph alone."""
    body = text.strip()
    return [body[: m.start()] for m in reversed(list(BLANK_LINE.finditer(body)))]


def json_value(text: str) -> list[str]:
    """The JSON list or object starting at the first bracket, as written, if one parses there."""
    start = JSON_START.search(text)
    if start is None:
        return []
    try:
        _, end = json.JSONDecoder().raw_decode(text, start.start())
    except json.JSONDecodeError:
        return []
    return [text[start.start() : end]]
