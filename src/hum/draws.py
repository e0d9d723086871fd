"""Seeded random decisions that never shift one another: a stream per decision, choices by rendezvous hashing.

One instruction decides many things (sub-task, labels, description, layout, format, rules, phrasings...).
Drawn in turn from one RNG, one more item in any list or one more draw anywhere would shift every later
decision, so growing a registry would change records that never use the new item. Here each decision is
named and has its own stream; a choice gives every item a weight hashed from the decision and the item's
own key, and the heaviest wins, so a new item changes only the choices it wins itself.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
MANTISSA = 53  # bits of a float's mantissa: a weight keeps that many bits of its digest, so it stays below 1
SPAN = float(2**MANTISSA)


def digest(*parts: object) -> int:
    """A 64-bit hash of `parts`, the same on every run, machine and Python version (unlike `hash()`)."""
    text = "\x1f".join(map(str, parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Draws:
    """The random decisions of one instruction (`seed`, `record` key, `k`), each keyed by its name.

    Code that is handed a plain RNG (tasks, guidelines, phrasings) gets keyed draws with `from_rng`:
    one draw from that RNG, whatever and however much it decides afterwards.
    """

    seed: int
    record: str = ""
    k: int | str = ""

    @classmethod
    def from_rng(cls, rng: random.Random) -> Draws:
        """Keyed draws under one value of `rng`."""
        return cls(rng.getrandbits(64))

    def rng(self, decision: str) -> random.Random:
        """A private RNG for `decision`: however many draws it takes, no other decision moves."""
        return random.Random(digest(self.seed, self.record, self.k, decision))

    def weight(self, decision: str, key: object = "") -> float:
        """A uniform number in [0, 1) for `decision` and `key`: the same whatever else is decided."""
        return (self._hash(decision, key) >> (64 - MANTISSA)) / SPAN

    def chance(self, decision: str, p: float, key: object = "") -> bool:
        """True with probability `p`, keyed like `weight` (per label, say, with `key`)."""
        return self.weight(decision, key) < p

    def pick(self, decision: str, items: Iterable[T], key: Callable[[T], object] = str) -> T:
        """The item of highest weight under `decision` (rendezvous hashing): a new item changes only what it wins."""
        pool = list(items)
        if not pool:
            raise IndexError(f"nothing to pick for {decision!r}")
        return max(pool, key=lambda item: self._hash(decision, key(item)))

    def order(self, decision: str, items: Iterable[T], key: Callable[[T], object] = str) -> list[T]:
        """`items` by falling weight: a shuffle in which a new item never reorders the others."""
        return sorted(items, key=lambda item: self._hash(decision, key(item)), reverse=True)

    def _hash(self, decision: str, key: object) -> int:
        return digest(self.seed, self.record, self.k, decision, key)
