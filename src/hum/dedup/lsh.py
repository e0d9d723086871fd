"""Near-copy input texts: LSH band keys of every distinct input, candidate pairs by sorting, rapidfuzz to verify.

Requests without an input text are indexed by their instruction in the same index, as a kind of their own: their
near copies meet (an input never meets a request), verified by `same_words`, the test any near-duplicate
request must pass, so blocking costs no pair that test would accept beyond what LSH misses.

Memory is one row of uint32 band keys per distinct input (`bands` * 4 bytes), never the texts: verification
asks a `lookup` for the normalised texts of candidate inputs only, through a bounded cache, so the stage can
read them back from its input files (see `sources`). The cache holds at most `similar.MAX_CHARS` characters of each,
and a pair costs at most one bounded ratio (see `similar`), however long the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from hum.dedup.minhash import MinHasher
from hum.dedup.similar import MAX_CHARS, Bounded, near, same_words

CACHE_CHARS = 1 << 24  # characters of normalised candidate inputs held at once while verifying (at most MAX_CHARS each)
_CHUNK = 4096  # inputs per block of the band-key file, stored band by band so that one band reads as a few large runs


class InputIndex:
    """Band keys of distinct inputs (and requests) in stream order; `clusters` maps each to its near-copy root.

    The band keys go to a file in `folder` as they are made, in blocks of _CHUNK inputs stored band by band, so
    memory holds one block and two flags per input; `candidates` reads one band of every input at a time.
    """

    def __init__(self, hasher: MinHasher, threshold: float, folder: Path, cache_chars: int = CACHE_CHARS) -> None:
        self.hasher, self.threshold, self.cache_chars = hasher, threshold, cache_chars
        self.path = folder / "bands.u32"
        self._file = self.path.open("wb")
        self._rows: list[np.ndarray] = []
        self._hashed = bytearray()
        self._request = bytearray()

    def __len__(self) -> int:
        return len(self._hashed)

    def add(self, text: str, request: bool = False) -> int:
        """Register a distinct normalised input (or a request's instruction); returns its id.

        An empty text takes part in no near-copy pair.
        """
        return self.add_keys(self.hasher.keys(text) if text else None, request)

    def add_keys(self, keys: np.ndarray | None, request: bool = False) -> int:
        """Register a distinct input by its band keys, made elsewhere (None: it takes part in no pair); returns its id."""
        self._rows.append(np.zeros(self.hasher.bands, dtype=np.uint32) if keys is None else keys)
        self._hashed.append(keys is not None)
        self._request.append(request)
        if len(self._rows) == _CHUNK:
            self._flush()
        return len(self._hashed) - 1

    def _flush(self) -> None:
        """Write the pending rows as one block, band by band (a last short block is padded to _CHUNK rows)."""
        block = np.zeros((_CHUNK, self.hasher.bands), dtype=np.uint32)
        block[: len(self._rows)] = np.stack(self._rows)
        self._file.write(np.ascontiguousarray(block.T).tobytes())
        self._rows = []

    def band(self, band: int) -> np.ndarray:
        """The keys of one band, one per input."""
        if self._rows:
            self._flush()
        self._file.flush()
        blocks = np.memmap(self.path, dtype=np.uint32, mode="r", shape=(-(-len(self) // _CHUNK), self.hasher.bands, _CHUNK))
        column: np.ndarray = np.array(blocks[:, band, :]).reshape(-1)[: len(self)]
        return column

    def drop(self, ids: np.ndarray) -> None:
        """Leave these ids out of every pair (they repeat an earlier id's input): each stays a component of its own."""
        for i in ids.tolist():
            self._hashed[i] = 0

    def requests(self) -> np.ndarray:
        """Per id, whether it is a request's instruction rather than an input."""
        return np.frombuffer(self._request, dtype=bool) if self._request else np.zeros(0, dtype=bool)

    def close(self) -> None:
        self._file.close()

    def candidates(self) -> np.ndarray:
        """Pairs (earlier, later) of one kind (inputs or requests) sharing a band key, sorted by later then earlier.

        Within a run of equal keys each input is paired with the run's first and with its predecessor: linear in
        the run (a key shared by boilerplate never explodes into all pairs), and a small cluster still meets whole.
        """
        ids = np.flatnonzero(np.frombuffer(self._hashed, dtype=bool)) if self._hashed else np.zeros(0, dtype=np.int64)
        n, codes = len(self), np.zeros(0, dtype=np.int64)
        for band in range(self.hasher.bands if ids.size else 0):
            column = self.band(band)[ids]
            order = np.lexsort((ids, column))
            key, member = column[order], ids[order]
            same = key[1:] == key[:-1]
            run_first = member[np.flatnonzero(np.r_[True, ~same])][np.cumsum(np.r_[True, ~same]) - 1]
            later = member != run_first
            codes = _union(codes, member[1:][same] * n + member[:-1][same], member[later] * n + run_first[later])
        pairs = np.stack([codes % max(n, 1), codes // max(n, 1)], axis=1)
        request = self.requests()
        kept: np.ndarray = pairs[request[pairs[:, 0]] == request[pairs[:, 1]]]
        return kept

    def clusters(self, lookup: Callable[[int], str]) -> np.ndarray:
        """The root of each id: the earliest id of its component over verified candidate pairs.

        `lookup(i)` gives id i's normalised text. Inputs are verified by `similar.near` (rapidfuzz ratio, exact up
        to `similar.MAX_CHARS` characters), requests by `same_words`. Components, not first matches: a text near
        two earlier ones that are not near each other brings all three together, so none of its pairs is lost.
        """
        parent = np.arange(len(self), dtype=np.int64)
        text = lru_cache(maxsize=max(16, self.cache_chars // MAX_CHARS))(lambda i: Bounded.of(lookup(i)))
        request = self.requests()
        for earlier, later in self.candidates().tolist():
            a, b = _find(parent, earlier), _find(parent, later)
            if a != b and self._verified(text(earlier), text(later), bool(request[later])):
                parent[max(a, b)] = min(a, b)  # the earlier root stays: a root is its component's first id
        return _flattened(parent)

    def _verified(self, a: Bounded, b: Bounded, request: bool) -> bool:
        """Whether a candidate pair is a near copy: by ratio for inputs, by the near-duplicate word test for requests."""
        return same_words(a.text, b.text) if request else near(a, b, self.threshold)


def _union(codes: np.ndarray, *more: np.ndarray) -> np.ndarray:
    """The sorted distinct values of `codes` (sorted and distinct already) and of `more`: the pairs of all bands so far.

    Memory follows the pairs, once each. Two sorted runs merge in linear time (a stable sort is a timsort here),
    many times faster than `np.unique` of them all, which hashes every value again for each band.
    """
    merged = np.concatenate([codes, np.sort(np.concatenate(more))])
    merged.sort(kind="stable")
    return merged[np.r_[True, merged[1:] != merged[:-1]]] if len(merged) else merged


def _find(parent: np.ndarray, i: int) -> int:
    """The root of i, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _flattened(parent: np.ndarray) -> np.ndarray:
    """Every id pointing at its root directly."""
    while not np.array_equal(grand := parent[parent], parent):
        parent = grand
    return parent
