"""Exact and near-duplicate removal: hashes for exact copies, rapidfuzz within blocks of similar inputs."""

from __future__ import annotations

import hashlib
import re

from rapidfuzz import fuzz

from hum.io import Record
from hum.records import input_text, message
from hum.step import Step

_NON_WORD = re.compile(r"[\W_]+")


def normalised(text: str) -> str:
    """Case- and punctuation-blind form used for both exact and fuzzy keys (digits count: 1990 is not 1991)."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def pair_text(record: Record) -> str:
    """Instruction and answer together: two records are duplicates only if both match."""
    return normalised(message(record, "user")) + "\n" + normalised(message(record, "assistant"))


class Dedup(Step):
    """Keeps the first of each duplicate group; compares fuzzily only within the same block.

    The block is the normalised input text's first words, so near-duplicates of one seed text (or of a
    sentence repeated across datasets) meet, while the cost stays linear in the corpus size.
    """

    name = "dedup"

    def __init__(self, threshold: float, block_words: int) -> None:
        super().__init__()
        self.threshold, self.block_words = threshold, block_words
        self.seen: set[bytes] = set()
        self.blocks: dict[str, list[str]] = {}

    def process(self, batch: list[Record]) -> list[Record]:
        return [r for r in batch if self._keep(r)]

    def _keep(self, record: Record) -> bool:
        text = pair_text(record)
        digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
        if digest in self.seen:
            self.reject(record, "exact duplicate")
            return False
        self.seen.add(digest)
        block = self.blocks.setdefault(self._block(record), [])
        if any(fuzz.ratio(text, other, score_cutoff=self.threshold) for other in block):
            self.reject(record, "near duplicate")
            return False
        block.append(text)
        return True

    def _block(self, record: Record) -> str:
        return str(record["meta"]["task"]) + ":" + " ".join(normalised(input_text(record)).split()[: self.block_words])
