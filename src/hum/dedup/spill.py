"""Spill files: what dedup would otherwise hold per record (normalised texts, band keys), on disk in a scratch folder.

A spill is written once, in order, and read back in order or by the location `add` returned. Each entry is a
fixed number of texts (UTF-8, lone surrogates kept) after their byte lengths, so reading one back costs a positioned
read and a decode, never a JSON parse or a normalisation. Reading in order goes through large blocks, not a read per
entry; reading by location reads just the entry (`os.pread`), not a buffer's worth around it.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Self

import numpy as np

_BUFFER = 1 << 20


def entry(*texts: str) -> bytes:
    """One entry as a spill stores it: the byte lengths, then the texts (so a worker process can make it)."""
    data = [text.encode("utf-8", "surrogatepass") for text in texts]
    return struct.pack(f"<{len(data)}I", *(len(d) for d in data)) + b"".join(data)


def decoded(blob: bytes, texts: int, at: int = 0) -> tuple[str, ...]:
    """The texts of the entry at `at` in `blob`, as `entry` made it (and `Spill.blobs` reads it), wherever it was handed."""
    lengths = struct.unpack_from(f"<{texts}I", blob, at)
    start, out = at + 4 * texts, list[str]()
    for n in lengths:
        out.append(blob[start : start + n].decode("utf-8", "surrogatepass"))
        start += n
    return tuple(out)


def read_entries(path: Path, locations: Sequence[int], end: int, texts: int) -> list[tuple[str, ...]]:
    """The entries at `locations` (ascending; the last ends at `end`) of a spill file, in any process on its machine.

    One read of the span they lie in: the entries of a task are near one another, and every one of a spill is read once.
    """
    with path.open("rb", buffering=0) as fh:
        block = os.pread(fh.fileno(), end - locations[0], locations[0]) if len(locations) else b""
    return [decoded(block, texts, at - locations[0]) for at in locations]


class Spill:
    """Entries of `texts` strings each in a file; `add` gives each entry's location (its byte offset)."""

    def __init__(self, path: Path, texts: int) -> None:
        self.path = path
        self.header = struct.Struct(f"<{texts}I")
        self._out = path.open("wb", buffering=_BUFFER)
        self._in = path.open("rb", buffering=0)  # read by `os.pread`: a buffer would refill 1 MB for each entry read back
        self.size = 0

    def add(self, *texts: str) -> int:
        """Append an entry; returns its location."""
        location = self.size
        self.extend(entry(*texts))
        return location

    def extend(self, entries: bytes) -> None:
        """Append entries made by `entry`, each of this spill's number of texts."""
        self._out.write(entries)
        self.size += len(entries)

    def flush(self) -> None:
        """Hand what was added to the file, for another process to read (`read_entries`)."""
        self._out.flush()

    def at(self, location: int) -> tuple[str, ...]:
        """The entry at a location that `add` gave."""
        self.flush()
        fd, header = self._in.fileno(), self.header.size
        head = os.pread(fd, header, location)
        return decoded(head + os.pread(fd, sum(self.header.unpack(head)), location + header), header // 4)

    def entries(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """(location, texts) of every entry, in the order they were added."""
        for location, blob in self.blobs():
            yield location, decoded(blob, self.header.size // 4)

    def blobs(self) -> Iterator[tuple[int, bytes]]:
        """(location, entry as `entry` made it) of every entry, in order: decoded (`decoded`) only where it is used.

        The file is read a block of _BUFFER bytes (or one longer entry) at a time and cut into entries there.
        """
        self._out.flush()
        with self.path.open("rb", buffering=0) as fh:
            block, start, location = b"", 0, 0  # `block[start:]` is the file from `location` on, as far as read
            while location < self.size:
                size = self._size(block, start)
                if size is None or start + size > len(block):
                    block, start = block[start:] + fh.read(max(_BUFFER, size or 0)), 0
                    continue
                yield location, block[start : start + size]
                start, location = start + size, location + size

    def _size(self, block: bytes, start: int) -> int | None:
        """The size of the entry at `start` of `block` (None: its lengths are not all in the block)."""
        if start + self.header.size > len(block):
            return None
        return int(self.header.size + sum(self.header.unpack_from(block, start)))

    def close(self) -> None:
        self._out.close()
        self._in.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Int64Spill:
    """Rows of int64 appended in order and read back whole as a numpy array: per-record state beyond a memory bound."""

    def __init__(self, path: Path, columns: int) -> None:
        self.path, self.columns, self.rows = path, columns, 0
        self._out = path.open("wb", buffering=_BUFFER)

    def add(self, *row: int) -> None:
        self._out.write(struct.pack(f"<{self.columns}q", *row))
        self.rows += 1

    def array(self) -> np.ndarray:
        """Every row, as an (rows, columns) int64 array."""
        self._out.flush()
        values: np.ndarray = np.fromfile(self.path, dtype="<i8", count=self.rows * self.columns)
        return values.reshape(self.rows, self.columns)

    def close(self) -> None:
        self._out.close()
