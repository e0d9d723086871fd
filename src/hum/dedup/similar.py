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

`same_words` is the other half of every near-duplicate test on instructions: a ratio alone cannot tell a
misspelling from another name.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

MAX_CHARS = 20_000  # characters of one text handed to rapidfuzz: at most about 10 ms per pair
SPELLING = 80  # rapidfuzz ratio at or above which two words (or runs of words) are one thing spelled differently
FILLER = 3  # characters of inserted or dropped words ("a", "the", "of") that do not change what is asked
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


def same_words(a: str, b: str) -> bool:
    """Whether two instructions ask the same thing: the same words up to spelling and a few short filler words.

    A ratio alone calls two questions near when they differ in one name under a long shared description
    ("... founded by Ann?" / "... founded by Bob?"); they are different questions, never duplicates nor a
    conflict. So every changed run of words must be a misspelling (ratio >= SPELLING) with the same digits,
    and inserted or dropped words may hold at most FILLER characters.
    """
    words_a, words_b = a.split(), b.split()
    added, changes = 0, list[tuple[int, int, int, int]]()
    for op in Levenshtein.opcodes(words_a, words_b):  # runs of adjacent changes count as one ("e mail" / "email")
        if op.tag == "equal":
            continue
        if changes and changes[-1][1] == op.src_start and changes[-1][3] == op.dest_start:
            src_start, _, dest_start, _ = changes.pop()
            changes.append((src_start, op.src_end, dest_start, op.dest_end))
        else:
            changes.append((op.src_start, op.src_end, op.dest_start, op.dest_end))
    for src_start, src_end, dest_start, dest_end in changes:
        old, new = " ".join(words_a[src_start:src_end]), " ".join(words_b[dest_start:dest_end])
        if _digits(old) != _digits(new) or (old and new and fuzz.ratio(old, new) < SPELLING):
            return False
        added += 0 if old and new else len(old) + len(new)
    return added <= FILLER


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
