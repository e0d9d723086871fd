"""Near-copy input texts: LSH band keys of every distinct input, candidate pairs by sorting, rapidfuzz to verify.

Memory is one row of uint32 band keys per distinct input (`bands` * 4 bytes), never the texts: verification
asks a `lookup` for the normalised texts of candidate inputs only, through a bounded cache, so the stage can
read them back from its input files (see `sources`). The cache holds at most `similar.MAX_CHARS` characters of each,
and a pair costs at most one bounded ratio (see `similar`), however long the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from hum.dedup.minhash import MinHasher
from hum.dedup.similar import Bounded, near

CACHE = 1 << 16  # normalised candidate inputs held at once while verifying
_CHUNK = 4096


class InputIndex:
    """Band keys of distinct inputs in stream order; `clusters` maps each input to the earliest near-copy root."""

    def __init__(self, hasher: MinHasher, threshold: float) -> None:
        self.hasher, self.threshold = hasher, threshold
        self._chunks: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._hashed: list[bool] = []

    def __len__(self) -> int:
        return len(self._hashed)

    def add(self, text: str) -> int:
        """Register a distinct normalised input; returns its id. An empty input takes part in no near-copy pair."""
        self._rows.append(self.hasher.keys(text) if text else np.zeros(self.hasher.bands, dtype=np.uint32))
        self._hashed.append(bool(text))
        if len(self._rows) == _CHUNK:
            self._chunks.append(np.stack(self._rows))
            self._rows = []
        return len(self._hashed) - 1

    def keys(self) -> np.ndarray:
        """All band keys, one row per input."""
        parts = self._chunks + ([np.stack(self._rows)] if self._rows else [])
        return np.concatenate(parts) if parts else np.zeros((0, self.hasher.bands), dtype=np.uint32)

    def candidates(self) -> np.ndarray:
        """Pairs (earlier, later) of inputs sharing a band key, sorted by later then earlier.

        Within a run of equal keys each input is paired with the run's first and with its predecessor: linear in
        the run (a key shared by boilerplate never explodes into all pairs), and a small cluster still meets whole.
        """
        keys, ids = self.keys(), np.flatnonzero(self._hashed)
        n, found = len(self), [np.zeros(0, dtype=np.int64)]
        for band in range(keys.shape[1] if ids.size else 0):
            column = keys[ids, band]
            order = np.lexsort((ids, column))
            key, member = column[order], ids[order]
            same = key[1:] == key[:-1]
            run_first = member[np.flatnonzero(np.r_[True, ~same])][np.cumsum(np.r_[True, ~same]) - 1]
            found.append(member[1:][same] * n + member[:-1][same])
            later = member != run_first
            found.append(member[later] * n + run_first[later])
        codes = np.unique(np.concatenate(found))
        return np.stack([codes % max(n, 1), codes // max(n, 1)], axis=1)

    def clusters(self, lookup: Callable[[int], str]) -> np.ndarray:
        """The root input of each input: itself, or the root of the earliest candidate whose text it nearly copies.

        `lookup(i)` gives input i's normalised text. Roots are final when used (pairs come sorted by the later
        input), so clusters are single-link over verified pairs, and the earliest input always roots its cluster.
        A pair is verified by `similar.near`: rapidfuzz ratio, exact up to `similar.MAX_CHARS` characters.
        """
        root = np.arange(len(self), dtype=np.int64)
        text = lru_cache(maxsize=CACHE)(lambda i: Bounded.of(lookup(i)))
        for earlier, later in self.candidates().tolist():
            if root[later] == later and near(text(later), text(earlier), self.threshold):
                root[later] = root[earlier]
        return root
