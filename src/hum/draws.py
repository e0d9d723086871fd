"""Seeded random decisions that never shift one another: a stream per decision, choices by rendezvous hashing.

One instruction decides many things (sub-task, labels, description, layout, format, rules, phrasings...).
Drawn in turn from one RNG, one more item in any list or one more draw anywhere would shift every later
decision, so growing a registry would change records that never use the new item. Here each decision is
named and has its own stream; a choice gives every item a weight hashed from the decision and the item's
own key, and the heaviest wins, so a new item changes only the choices it wins itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import TypeVar

T = TypeVar("T")
MANTISSA = 53  # bits of a float's mantissa: a weight keeps that many bits of its digest, so it stays below 1
SPAN = float(2**MANTISSA)
SEP = "\x1f"


def digest(*parts: object) -> int:
    """A 64-bit hash of `parts`, the same on every run, machine and Python version (unlike `hash()`)."""
    return int.from_bytes(blake2b(SEP.join(map(str, parts)).encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Draws:
    """The random decisions of one instruction (`seed`, `record` key, `k`), each keyed by its name.

    Code that is handed a plain RNG (tasks, guidelines, phrasings) gets keyed draws with `from_rng`:
    one draw from that RNG, whatever and however much it decides afterwards.
    """

    seed: int
    record: str = ""
    k: int | str = ""
    _head: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """What every digest of these draws starts with, joined once: `digest` joins its parts with `SEP`."""
        object.__setattr__(self, "_head", f"{self.seed}{SEP}{self.record}{SEP}{self.k}{SEP}")

    @classmethod
    def from_rng(cls, rng: random.Random) -> Draws:
        """Keyed draws under one value of `rng`."""
        return cls(rng.getrandbits(64))

    def rng(self, decision: str) -> random.Random:
        """A private RNG for `decision`: however many draws it takes, no other decision moves."""
        return random.Random(digest(self.seed, self.record, self.k, decision))

    def weight(self, decision: str, key: object = "") -> float:
        """A uniform number in [0, 1) for `decision` and `key`: the same whatever else is decided."""
        text = f"{self._head}{decision}{SEP}{key!s}"
        return (int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big") >> (64 - MANTISSA)) / SPAN

    def chance(self, decision: str, p: float, key: object = "") -> bool:
        """True with probability `p`, keyed like `weight` (per label, say, with `key`)."""
        return self.weight(decision, key) < p

    def pick(self, decision: str, items: Iterable[T], key: Callable[[T], object] = str) -> T:
        """The item of highest weight under `decision` (rendezvous hashing): a new item changes only what it wins."""
        pool = list(items)
        if not pool:
            raise IndexError(f"nothing to pick for {decision!r}")
        return max(pool, key=self._weigher(decision, key))

    def order(self, decision: str, items: Iterable[T], key: Callable[[T], object] = str) -> list[T]:
        """`items` by falling weight: a shuffle in which a new item never reorders the others."""
        return sorted(items, key=self._weigher(decision, key), reverse=True)

    def _weigher(self, decision: str, key: Callable[[T], object]) -> Callable[[T], bytes]:
        """`item -> digest(seed, record, k, decision, key(item))` as 8 big-endian bytes, which order exactly as the ints do.

        The common head is hashed once and copied per key: a pick or an order over n items costs n short updates,
        not n hashes of the whole key (most of a generation's time went there).
        """
        copy = blake2b((self._head + decision + SEP).encode(), digest_size=8).copy

        def weigh(item: T) -> bytes:
            h = copy()
            h.update(str(key(item)).encode())
            return h.digest()

        return weigh
