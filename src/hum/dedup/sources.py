"""Where dedup reads records from, more than once: a list in memory, or JSON-lines files read by byte offset.

Dedup reads its input twice (keys first, then output; the fuzzy checks read the texts the first pass spilled), and
sometimes reads one record back (the answers of a conflict). A file source keeps one int64 location per record
instead of the record, which is what keeps the stage's memory flat.

A source hands a pass its tasks, one per batch of items (a file's lines, `hum.step.Line`), and parses items apart
wherever the tasks run (see `work`): the process that reads the input only splits it. A file source's tasks are
`hum.step.Tasks` with the files as their source, so a runner that reads files itself (Ray Data) plans the same
batches from them and reads each where it runs, and the stage's process never iterates the lines; a list's are plain
task objects, made here. An item's location (where `at` reads it back) is worked out where the task runs, too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hum.errors import HumInputError
from hum.io import Record, loads
from hum.step import LINE_BITS, LINE_MASK, JsonLines, Line, Tasks, batched

T = TypeVar("T")


class Source(Protocol):
    """Records in a fixed order, in batches again and again, and readable back by location."""

    def tasks(self, make: Callable[[list[Any]], T], size: int) -> Iterable[T]:
        """`make(batch)` for every batch of `size` items, in order, as a pool takes them: an item is what `parse` reads."""
        ...

    def location(self, item: Any) -> int:
        """Where `at` reads an item's record back, in any process."""
        ...

    def parse(self, items: list[Any]) -> list[Record]:
        """The records of some items, in any process; a line that is not a JSON object raises, naming its file and line."""
        ...

    def at(self, location: int) -> Record:
        """The record at an item's location."""
        ...


class ListSource:
    """Records already in memory: an item and its location are its index (a worker holds its own copy of the list)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records

    def tasks(self, make: Callable[[list[Any]], T], size: int) -> Iterable[T]:
        return map(make, batched(range(len(self.records)), size))

    def location(self, item: int) -> int:
        return item

    def parse(self, items: list[int]) -> list[Record]:
        return [self.records[i] for i in items]

    def at(self, location: int) -> Record:
        return self.records[location]


class FileSource:
    """JSON-lines files read in order as `hum.step.JsonLines` reads them; a malformed line names its file and line.

    A line's location is its file's index above `LINE_BITS` (as in its number) and its byte offset below: files up to 1 TiB.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self.lines = JsonLines(*(Path(p) for p in paths))

    def tasks(self, make: Callable[[list[Any]], T], size: int) -> Tasks:
        return Tasks(batched(self.lines.located(), size), None, self.lines, size, make)

    def location(self, item: Line) -> int:
        number, offset, _ = item
        return number & ~LINE_MASK | offset

    def parse(self, items: list[Line]) -> list[Record]:
        return self.lines.parse(items)

    def at(self, location: int) -> Record:
        path = Path(self.lines.paths[location >> LINE_BITS])
        with path.open("rb") as fh:
            fh.seek(location & LINE_MASK)
            return _parse(path, fh.readline())


def _parse(path: Path, raw: bytes) -> Record:
    """A line read back: it was read whole before, so only a file changed since fails here."""
    try:
        obj = loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HumInputError(path, "a line read back", "<json>", f"malformed JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise HumInputError(path, "a line read back", "<json>", "expected a JSON object")
    return obj
