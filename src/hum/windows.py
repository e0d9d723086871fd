"""Long reading-comprehension contexts cut into overlapping windows, each a record of its own (`prepare.mrc_window`).

A context longer than `size` characters is not refused but cut: each window holds at most `size` characters,
ends at the last sentence start in the last quarter of its reach (else the last word start there, else at `size`)
and the next window starts at the last sentence (else word) start in the second quarter after its start. So the
stride is between size/4 and size/2, neighbours overlap by more than size/4, and every gold answer of up to size/4
characters (not starting or ending with whitespace) lies wholly in some window.

A window keeps the gold answers it holds wholly, their offsets recomputed: it is answerable when it holds one,
unanswerable (`answers: []`) otherwise. It states where it lies: `window: [start, end]` in the full context and the
id suffix `#w<n>` (from 1).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from hum.io import Record
from hum.tasks.mrc import SENTENCE_END

WORD_START = re.compile(r"\s+")  # a match ends where a word starts
MIN_SIZE = 4  # a quarter of the window must be a character at least, or windows would not move on


@dataclass(frozen=True)
class Cuts:
    """Where a text may be cut, best first: sentence starts, then word starts (sorted offsets)."""

    sentences: list[int]
    words: list[int]

    @classmethod
    def of(cls, text: str) -> Cuts:
        """The cut points of `text`."""
        return cls([m.end() for m in SENTENCE_END.finditer(text)], [m.end() for m in WORD_START.finditer(text)])

    def last(self, lo: int, hi: int) -> int:
        """The last sentence start in (lo, hi], else the last word start there, else `hi`: a cut that splits no word if it can."""
        for points in (self.sentences, self.words):
            i = bisect_right(points, hi)
            if i and points[i - 1] > lo:
                return points[i - 1]
        return hi


def spans(text: str, size: int) -> list[tuple[int, int]]:
    """The [start, end) of each window over `text` (one for a text that fits), trimmed of whitespace at both ends."""
    if size < MIN_SIZE:
        raise ValueError(f"a window of {size} characters is too small; at least {MIN_SIZE}")
    cuts, quarter, start = Cuts.of(text), size // 4, 0
    found: list[tuple[int, int]] = []
    while start + size < len(text):
        found.append(trimmed(text, start, cuts.last(start + size - quarter, start + size)))
        start = cuts.last(start + quarter, start + 2 * quarter)
    found.append(trimmed(text, start, len(text)))
    return [(s, e) for s, e in found if s < e]


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without the whitespace at either end, which no answer needs."""
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())


def windowed(record: Record, size: int) -> list[Record]:
    """The MRC record itself when its context fits `size`; otherwise one record per window of it."""
    if len(record["text"]) <= size:
        return [record]
    return [window(record, n, start, end) for n, (start, end) in enumerate(spans(record["text"], size), 1)]


def window(record: Record, n: int, start: int, end: int) -> Record:
    """The `n`-th window [start, end) of a record: its text, the gold answers it holds wholly, where it lies."""
    answers = [
        {**a, "start": a["start"] - start, "end": a["end"] - start}
        for a in record["answers"]
        if start <= a["start"] and a["end"] <= end
    ]
    return {**record, "id": f"{record['id']}#w{n}", "text": record["text"][start:end], "answers": answers, "window": [start, end]}
