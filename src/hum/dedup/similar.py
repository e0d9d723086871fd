"""rapidfuzz verification with a bounded cost per pair, whatever the texts' lengths.

`fuzz.ratio` costs time in proportion to the product of the two lengths (a bit-parallel LCS, 64 characters per
machine word): one pair of 2 MB seed texts took 25 s. Every ratio of dedup goes through here, bounded three ways:

1. Lengths first: ratio = 100 * (1 - indel / (len_a + len_b)) and indel >= |len_a - len_b|, so the ratio is at most
   200 * min(len_a, len_b) / (len_a + len_b). A pair whose lengths alone keep it below the threshold is never
   compared. This bound is exact: it changes no result.
2. `score_cutoff`: rapidfuzz gives up on a pair as soon as the threshold is out of reach.
3. A cap: a text longer than MAX_CHARS is compared by its first and last MAX_CHARS / 2 characters (prefix+suffix),
   once its full length passed step 1. Texts of at most MAX_CHARS (every passage, sentence or instruction of the
   seed sets) are compared whole, exactly as before; for longer ones a change confined to the middle is not seen,
   so two long texts of near lengths that share their head and tail count as near copies.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

MAX_CHARS = 20_000  # characters of one text handed to rapidfuzz: at most about 10 ms per pair
_SLACK = 1e-9  # the length bound rejects only pairs strictly below the threshold, whatever the float rounding


def clipped(text: str) -> str:
    """The text itself up to MAX_CHARS characters, else its first and last MAX_CHARS / 2 characters."""
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + text[-half:]


def within_reach(len_a: int, len_b: int, threshold: float) -> bool:
    """Whether texts of these lengths can reach `threshold` at all (two empty texts are equal: ratio 100)."""
    total = len_a + len_b
    return not total or 200 * min(len_a, len_b) / total >= threshold - _SLACK


@dataclass(frozen=True, slots=True)
class Bounded:
    """A text as verification sees it: at most MAX_CHARS characters of it, and its full length for the length bound."""

    text: str
    length: int

    @classmethod
    def of(cls, text: str) -> Bounded:
        return cls(clipped(text), len(text))


def near(a: Bounded, b: Bounded, threshold: float) -> bool:
    """Whether the rapidfuzz ratio is >= `threshold`: exactly so for texts of at most MAX_CHARS, by prefix+suffix beyond."""
    return within_reach(a.length, b.length, threshold) and bool(fuzz.ratio(a.text, b.text, score_cutoff=threshold))
