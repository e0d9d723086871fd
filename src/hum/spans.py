"""Byte spans of whole lines of a file, planned before anything is read from them, and the lines of a span.

A runner's task that reads its own lines (`hum.runners.Loads`) needs only its file, a start and an end: the parent
plans the spans, cheaply, and never holds the lines. Spans are half-open, `[start, end)`, and together cover the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BLOCK = 1 << 20  # bytes read at a time to count newlines


def spans_of_bytes(path: Path, size: int) -> list[tuple[int, int]]:
    """Spans of whole lines of about `size` bytes each: each ends at the first line start at or after a multiple of `size`.

    Planned from the file's length and a seek per span, so a line longer than `size` makes one span longer.
    """
    length = path.stat().st_size
    starts = [0]
    with path.open("rb") as fh:
        for at in range(size, length, size):
            fh.seek(at - 1)
            fh.readline()  # to the end of the line holding the byte before `at`
            if starts[-1] < fh.tell() < length:
                starts.append(fh.tell())
    return list(zip(starts, [*starts[1:], length], strict=True)) if length else []


def spans_of_lines(path: Path, lines: int) -> list[tuple[int, int]]:
    """Spans of every `lines` lines (the last may hold fewer), found by counting newlines a block at a time."""
    ends: list[int] = []
    seen = offset = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n"))
            first = (-seen - 1) % lines  # the newline that ends line number `lines`, `2 * lines`, ...
            ends.extend((newlines[first::lines] + offset + 1).tolist())
            seen, offset = seen + len(newlines), offset + len(block)
    if offset > (ends[-1] if ends else 0):  # the last lines, fewer than `lines` or without a final newline
        ends.append(offset)
    return list(zip([0, *ends[:-1]], ends, strict=True)) if ends else []


def read_span(path: Path, start: int, end: int) -> list[bytes]:
    """The lines of bytes `[start, end)` (a span of whole lines), each with its newline, read line by line.

    Line by line, so that the lines are all the span ever takes in memory, not the lines and a copy of their bytes.
    """
    lines: list[bytes] = []
    with path.open("rb") as fh:
        fh.seek(start)
        while start < end and (line := fh.readline()):
            lines.append(line)
            start += len(line)
    return lines
