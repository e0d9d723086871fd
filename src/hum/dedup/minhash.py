"""MinHash signatures of input texts (and of requests without one) and their LSH band keys, in numpy.

Shingles are character `shingle`-grams of the normalised text, in every language: a typo changes only the few
windows over it, so a copy with misspellings spread over a passage keeps most of its shingles (word shingles all
change when every tenth word is misspelt). CJK text is shingled without its spaces, as it is written.

A signature holds, for each of `num_perm` hash functions h(x) = (a*x + b) mod 2**64 >> 32 (multiply-add-shift,
2-universal over 32-bit shingle hashes, no slow modulo), the smallest value over the text's shingles; two texts
agree on a row with probability equal to the Jaccard similarity of their shingle sets. Bands of `rows` rows
hashed together make texts above a Jaccard of about (1/bands)^(1/rows) share a band key with high probability,
so candidate pairs are found without comparing all pairs.
"""

from __future__ import annotations

import numpy as np

from hum.dedup.keys import is_cjk

U64 = np.dtype(np.uint64)
_SHIFT = np.uint64(32)
_SEED = 0x68756D  # fixed: a signature depends on the text and the parameters only
_BLOCK = 4096  # shingles hashed at once: memory stays flat and cache-friendly for long texts


class MinHasher:
    """Signatures over character `shingle`-grams, and their band keys."""

    def __init__(self, num_perm: int, shingle: int, bands: int, rows: int) -> None:
        if bands * rows != num_perm:
            raise ValueError(f"dedup: bands * rows must equal num_perm ({bands} * {rows} != {num_perm})")
        if shingle < 1:
            raise ValueError("dedup: shingle must be at least 1")
        rng = np.random.default_rng(_SEED)
        self.shingle, self.bands, self.rows = shingle, bands, rows
        self.a = (rng.integers(1, 2**63, num_perm, dtype=U64) << np.uint64(1) | np.uint64(1))[:, None]  # odd
        self.b = rng.integers(0, 2**63, num_perm, dtype=U64)[:, None] << np.uint64(1)
        self.mix = rng.integers(1, 2**63, shingle, dtype=U64) | np.uint64(1)  # combines a window of token hashes
        self.band_mix = rng.integers(1, 2**63, rows, dtype=U64) | np.uint64(1)

    def shingles(self, text: str) -> np.ndarray:
        """32-bit hashes of the text's character windows (a text shorter than a window is one shingle)."""
        chars = text.replace(" ", "") if is_cjk(text) else text
        tokens = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(U64)
        width = min(self.shingle, len(tokens))
        count = len(tokens) - width + 1
        if width == 0:
            return np.zeros(0, dtype=U64)
        combined = tokens[:count] * self.mix[0]  # sums wrap modulo 2**64, as meant
        for j in range(1, width):
            combined += tokens[j : j + count] * self.mix[j]
        hashes: np.ndarray = combined >> _SHIFT
        return hashes

    def signature(self, text: str) -> np.ndarray:
        """The `num_perm` minimum hash values (uint32) of a normalised text; all-max for an empty one."""
        x = self.shingles(text)
        lowest = np.full(self.a.shape[0], 2**64 - 1, dtype=U64)
        buffer = np.empty((self.a.shape[0], min(x.size, _BLOCK)), dtype=U64)
        for start in range(0, x.size, _BLOCK):  # (num_perm x block) at a time: a 2 MB text needs 4 MB, not 300 MB
            block = buffer[:, : min(_BLOCK, x.size - start)]
            np.multiply(self.a, x[None, start : start + _BLOCK], out=block)
            block += self.b
            np.minimum(lowest, block.min(axis=1), out=lowest)  # the shift is monotone: min first, shift once
        signature: np.ndarray = (lowest >> _SHIFT).astype(np.uint32)
        return signature

    def band_keys(self, signature: np.ndarray) -> np.ndarray:
        """One uint32 key per band: equal keys mean (up to rare collisions) equal rows in that band."""
        rows = signature.astype(U64).reshape(self.bands, self.rows) * self.band_mix
        keys: np.ndarray = (rows.sum(axis=1, dtype=U64) >> _SHIFT).astype(np.uint32)
        return keys

    def keys(self, text: str) -> np.ndarray:
        """Band keys of a normalised text."""
        return self.band_keys(self.signature(text))
