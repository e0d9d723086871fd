"""Where dedup reads records from, more than once: a list in memory, or JSON-lines files read by byte offset.

Dedup reads its input twice (keys first, then output; the fuzzy checks read the texts the first pass spilled), and
sometimes reads one record back (the answers of a conflict). A file source keeps one int64 location per record
instead of the record, which is what keeps the stage's memory flat.

A source hands out items (a file's raw lines) and parses them apart, so the process that reads the input only
splits it, and the JSON is parsed wherever the batches run (see `work`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from hum.errors import HumInputError
from hum.io import Record, loads

_OFFSET_BITS = 40  # a location is file number << 40 | byte offset: files up to 1 TiB


class Source(Protocol):
    """Records in a fixed order, iterable again and again, and readable back by location."""

    def items(self) -> Iterator[tuple[int, Any]]:
        """(location, item) of every record, in order: an item is what `parse` makes the record of."""
        ...

    def parse(self, items: list[Any]) -> list[Record]:
        """The records of some items, in any process; a line that is not a JSON object raises, naming its file and line."""
        ...

    def at(self, location: int) -> Record:
        """The record at a location that `items` gave."""
        ...


class ListSource:
    """Records already in memory: the location and the item are the index (a worker holds its own copy of the list)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records

    def items(self) -> Iterator[tuple[int, int]]:
        for i in range(len(self.records)):
            yield i, i

    def parse(self, items: list[int]) -> list[Record]:
        return [self.records[i] for i in items]

    def at(self, location: int) -> Record:
        return self.records[location]


class FileSource:
    """JSON-lines files read in order; blank lines are skipped, a malformed line names its file and line."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]

    def items(self) -> Iterator[tuple[int, tuple[int, int, bytes]]]:
        """Non-blank lines as (file number, line number, bytes)."""
        for number, path in enumerate(self.paths):
            offset = 0
            with path.open("rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    if raw.strip():
                        yield number << _OFFSET_BITS | offset, (number, lineno, raw)
                    offset += len(raw)

    def parse(self, items: list[tuple[int, int, bytes]]) -> list[Record]:
        return [_parse(self.paths[number], lineno, raw) for number, lineno, raw in items]

    def at(self, location: int) -> Record:
        path = self.paths[location >> _OFFSET_BITS]
        with path.open("rb") as fh:
            fh.seek(location & ((1 << _OFFSET_BITS) - 1))
            return _parse(path, 0, fh.readline())


def _parse(path: Path, lineno: int, raw: bytes) -> Record:
    where = f"line {lineno}" if lineno else "a line read back"
    try:
        obj = loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HumInputError(path, where, "<json>", f"malformed JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise HumInputError(path, where, "<json>", "expected a JSON object")
    return obj
