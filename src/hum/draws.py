"""Seeded random decisions that never shift one another: a stream per decision, choices by rendezvous hashing.

One instruction decides many things (sub-task, labels, description, layout, format, rules, phrasings...).
Drawn in turn from one RNG, one more item in any list or one more draw anywhere would shift every later
decision, so growing a registry would change records that never use the new item. Here each decision is
named and has its own stream; a choice gives every item a weight hashed from the decision and the item's
own key, and the heaviest wins, so a new item changes only the choices it wins itself.
"""

from __future__ import annotations

import _random
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Generic, TypeVar

T = TypeVar("T")
MANTISSA = 53  # bits of a float's mantissa: a weight keeps that many bits of its digest, so it stays below 1
SPAN = float(2**MANTISSA)
SEP = "\x1f"


def digest(*parts: object) -> int:
    """A 64-bit hash of `parts`, the same on every run, machine and Python version (unlike `hash()`)."""
    return int.from_bytes(blake2b(SEP.join(map(str, parts)).encode(), digest_size=8).digest(), "big")


class Keyed(Generic[T]):
    """Items and their keys as `pick` and `order` hash them, encoded once: for pools drawn from on every instruction."""

    __slots__ = ("items", "keys")

    def __init__(self, items: Sequence[T], keys: Sequence[bytes]) -> None:
        self.items, self.keys = items, keys


def keyed(items: Iterable[T], key: Callable[[T], object] = str) -> Keyed[T]:
    """`items` with their keys (`str(key(item))`) encoded."""
    return Keyed(*_encoded(items, key))


def _encoded(items: Iterable[T] | Keyed[T], key: Callable[[T], object]) -> tuple[Sequence[T], Sequence[bytes]]:
    if isinstance(items, Keyed):
        return items.items, items.keys
    pool = list(items)
    return pool, [str(i).encode() for i in pool] if key is str else [str(key(i)).encode() for i in pool]


class Stream(random.Random):
    """`random.Random(seed)` for an int `seed`, in the same state: made without `Random.seed`'s checks of its argument.

    A generation seeds several streams per instruction, and those checks cost a fifth of each.
    """

    def __init__(self, seed: int) -> None:
        _random.Random.seed(self, seed)  # what `Random.seed` does with an int, and ...
        self.gauss_next = None  # ... what it resets


@dataclass(slots=True)
class Draws:
    """The random decisions of one instruction (`seed`, `record` key, `k`), each keyed by its name.

    Code that is handed a plain RNG (tasks, guidelines, phrasings) gets keyed draws with `from_rng`:
    one draw from that RNG, whatever and however much it decides afterwards. Not frozen, though never changed:
    a generation makes several per instruction, and a frozen dataclass takes four times as long to make.
    """

    seed: int
    record: str = ""
    k: int | str = ""
    _head: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """What every digest of these draws starts with, joined and encoded once: `digest` joins its parts with `SEP`."""
        self._head = f"{self.seed}{SEP}{self.record}{SEP}{self.k}{SEP}".encode()

    @classmethod
    def from_rng(cls, rng: random.Random) -> Draws:
        """Keyed draws under one value of `rng`."""
        return cls(rng.getrandbits(64))

    def rng(self, decision: str) -> random.Random:
        """A private RNG for `decision`: however many draws it takes, no other decision moves."""
        return Stream(int.from_bytes(blake2b(self._head + decision.encode(), digest_size=8).digest(), "big"))

    def weight(self, decision: str, key: object = "") -> float:
        """A uniform number in [0, 1) for `decision` and `key`: the same whatever else is decided."""
        text = self._head + f"{decision}{SEP}{key!s}".encode()
        return (int.from_bytes(blake2b(text, digest_size=8).digest(), "big") >> (64 - MANTISSA)) / SPAN

    def chance(self, decision: str, p: float, key: object = "") -> bool:
        """True with probability `p`, keyed like `weight` (per label, say, with `key`)."""
        return self.weight(decision, key) < p

    def pick(self, decision: str, items: Iterable[T] | Keyed[T], key: Callable[[T], object] = str) -> T:
        """The item of highest weight under `decision` (rendezvous hashing): a new item changes only what it wins.

        Of equal weights (equal keys), the first wins.
        """
        pool, keys = _encoded(items, key)
        if len(pool) < 2:  # noqa: PLR2004 - one item wins unweighed
            if not pool:
                raise IndexError(f"nothing to pick for {decision!r}")
            return pool[0]
        weights = self._weights(decision, keys)
        return pool[weights.index(max(weights))]

    def order(self, decision: str, items: Iterable[T] | Keyed[T], key: Callable[[T], object] = str) -> list[T]:
        """`items` by falling weight: a shuffle in which a new item never reorders the others (equal keys keep their order)."""
        pool, keys = _encoded(items, key)
        if len(pool) < 2:  # noqa: PLR2004 - nothing to shuffle
            return list(pool)
        weights = self._weights(decision, keys)
        return [pool[i] for i in sorted(range(len(weights)), key=weights.__getitem__, reverse=True)]

    def _weights(self, decision: str, keys: Sequence[bytes]) -> list[bytes]:
        """`digest(seed, record, k, decision, key)` of each key as 8 big-endian bytes, which order exactly as the ints do.

        The common head is hashed once and copied per key: a pick or an order over n items costs n short updates,
        not n hashes of the whole key (most of a generation's time went there), in one loop with no call per item.
        """
        copy = blake2b(self._head + f"{decision}{SEP}".encode(), digest_size=8).copy
        weights = []
        for key in keys:
            h = copy()
            h.update(key)
            weights.append(h.digest())
        return weights
