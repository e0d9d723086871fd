"""One spelling per text at load: Unicode NFC and LF line ends, with every character offset kept on its characters.

The same words typed on different systems arrive as different code points (a precomposed "é" or "e" plus a
combining accent; CRLF, CR or LF line ends). Left alone they count as different texts in deduplication and
decontamination, and a model sees two spellings of one thing. Offsets are counted in code points, so they move
whenever the text does: every span is recomputed so that it covers the same characters as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from itertools import accumulate, pairwise
from typing import Any

from hum.io import Record

_LINE_END = re.compile(r"\r\n?")


def clean(text: str) -> str:
    """NFC with LF line ends (CRLF and a lone CR become LF)."""
    return unicodedata.normalize("NFC", _LINE_END.sub("\n", text))


def one_line(text: str) -> str:
    """Every whitespace run (line breaks included) as one space, the ends trimmed."""
    return " ".join(text.split())


def canonical(record: Record) -> Record:
    """A normalised record with its text and every string in it cleaned, and its spans moved to match.

    A span is any mapping in the record holding integer `start` and `end`: the character offsets of its text
    (entities, relation ends, MRC answers, event triggers and arguments). A span's own `text` is cleaned on its own,
    so a span that did not match its text before still does not, and the offset checks report it.
    """
    text = record.get("text")
    if not isinstance(text, str):
        return record  # a text of the wrong type is left for the record checks to name
    spans = list(_spans(record))
    new_text, moved = _cleaned_with_offsets(text, {b for s in spans for b in (s["start"], s["end"])})
    offsets = {id(s): (moved(s["start"]), moved(s["end"])) for s in spans}
    return {**_rebuilt(record, offsets), "text": new_text}


def _cleaned_with_offsets(text: str, boundaries: set[int]) -> tuple[str, Callable[[int], int]]:
    """`text` cleaned piece by piece between the span boundaries, and the function that moves an old offset.

    Cleaning each piece on its own keeps every boundary on a character boundary of the result: a span covers
    exactly the cleaned characters it covered before. A boundary inside a combining sequence (an accent cut from
    its letter) or between the CR and LF of a CRLF keeps the two pieces apart, so the text stays as it was
    right there instead of a span gaining or losing a character. An offset outside the text keeps its distance
    from the nearer end, so the offset checks still report it.
    """
    cuts = [0, *sorted(b for b in boundaries if 0 < b < len(text)), len(text)]
    pieces = [clean(text[a:b]) for a, b in pairwise(cuts)]
    new_at = dict(zip(cuts, accumulate((len(p) for p in pieces), initial=0), strict=True))
    shift = new_at[len(text)] - len(text)

    def moved(offset: int) -> int:
        return new_at.get(offset, offset + shift if offset > len(text) else offset)

    return "".join(pieces), moved


def _is_span(value: Any) -> bool:
    return isinstance(value, dict) and all(type(value.get(k)) is int for k in ("start", "end"))


def _spans(value: Any) -> Iterator[dict[str, Any]]:
    """Every span mapping inside a record, at any depth (relation ends sit inside relations)."""
    if _is_span(value):
        yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from _spans(child)


def _rebuilt(value: Any, offsets: dict[int, tuple[int, int]]) -> Any:
    """A copy of `value` with every string cleaned and every span given its new offsets."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_rebuilt(v, offsets) for v in value]
    if not isinstance(value, dict):
        return value
    copy = {k: _rebuilt(v, offsets) for k, v in value.items()}
    if id(value) in offsets:
        copy["start"], copy["end"] = offsets[id(value)]
    return copy
